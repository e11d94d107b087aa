"""Progress reporting: a bar on a terminal, plain periodic lines otherwise, nothing when quiet."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Counts worlds done and shows rate and ETA.

    Args:
        total: worlds planned in this invocation (including those already stored).
        initial: worlds already stored (resumed).
        label: what is running (shown at the start of each line).
        quiet: print nothing.
        stream: where to write (default ``sys.stderr``); a bar if it is a terminal, else lines.
        interval: seconds between plain lines (non-terminal output).
    """

    def __init__(self, total: int, initial: int = 0, label: str = "", quiet: bool = False,
                 stream: TextIO | None = None, interval: float = 10.0):
        self.total = total
        self.done = initial
        self.initial = initial
        self.label = label
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.interval = interval
        self.is_terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self._last_line = 0.0
        self._last_bar = 0.0

    def rate(self) -> float:
        """Worlds per second in this invocation."""
        elapsed = time.monotonic() - self.started
        return (self.done - self.initial) / elapsed if elapsed > 0 else 0.0

    def eta(self) -> float | None:
        """Seconds left at the current rate (None before the first chunk)."""
        rate = self.rate()
        return (self.total - self.done) / rate if rate > 0 else None

    def _text(self) -> str:
        eta = self.eta()
        percent = 100.0 * self.done / self.total if self.total else 100.0
        return (f"{self.done:,}/{self.total:,} worlds ({percent:.0f}%), {self.rate():,.0f} worlds/s, "
                f"ETA {_duration(eta) if eta is not None else '?'}")

    def start(self, message: str) -> None:
        """Print a one-line description of the job."""
        if not self.quiet:
            print(f"{self.label}: {message}", file=self.stream, flush=True)
            if self.initial:
                print(f"{self.label}: resuming, {self.initial:,} of {self.total:,} worlds already stored",
                      file=self.stream, flush=True)

    def advance(self, worlds: int) -> None:
        """Record ``worlds`` more worlds done and refresh the display."""
        self.done += worlds
        if self.quiet:
            return
        now = time.monotonic()
        if self.is_terminal:
            if now - self._last_bar >= 0.1 or self.done >= self.total:
                width = 30
                filled = int(width * self.done / self.total) if self.total else width
                bar = "#" * filled + "-" * (width - filled)
                self.stream.write(f"\r{self.label} [{bar}] {self._text()}\x1b[K")
                self.stream.flush()
                self._last_bar = now
        elif now - self._last_line >= self.interval or self.done >= self.total:
            print(f"{self.label}: {self._text()}", file=self.stream, flush=True)
            self._last_line = now

    def finish(self, message: str) -> None:
        """End the bar and print a closing line."""
        if self.quiet:
            return
        if self.is_terminal:
            self.stream.write("\n")
        print(f"{self.label}: {message} in {_duration(time.monotonic() - self.started)}", file=self.stream, flush=True)
