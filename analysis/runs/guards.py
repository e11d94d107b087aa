"""Input guards of runs: limits of seeds, horizons, workers and timeouts; memory; output directories.

Every check raises one :class:`sim.errors.InputError` line naming the option (or file and key) and what
was expected, before anything is computed or written:

- seeds are integers in [0, 2**64) (world seeds are 64-bit: a larger seed would silently wrap around);
- horizons are within the scenario schema's ``days`` range (1 to 3,650 days);
- a world count must fit in memory: :func:`check_fits` estimates the bytes per world of what a command
  holds at once (the plan's arrays, a chunk's tables, a summary's outcomes) and compares them with the
  memory this process may still use (:func:`available_memory`), naming how many worlds would fit;
- ``--workers`` beyond the CPUs this process may use is capped, with a one-line note (unless forced);
- an output directory must be creatable: not under a file, not on a read-only file system.
"""

from __future__ import annotations

import errno
import math
import os
import resource
import sys
from pathlib import Path
from typing import Any

from sim.errors import InputError

SEED_LIMIT = 2 ** 64  # world seeds are 64-bit

# Bytes per world, measured with tracemalloc on the baseline scenario (rounded up about twofold):
PLAN_BYTES_PER_WORLD = 96  # seeds, points and replicates (24 B) plus the temporaries of seeding and chunking
CHUNK_BYTES_PER_WORLD = 4096  # a world's state and outcome row during simulate(), and its Arrow copy
SERIES_BYTES_PER_WORLD_DAY = 200  # one daily-series row, in pandas and in Arrow
EVENTS_BYTES_PER_WORLD_DAY = 100  # the event log (a few actions a day in the busiest scenarios)
OUTCOMES_BYTES_PER_WORLD = 1024  # one outcome row loaded for a summary (about 35 columns)
DESIGN_BYTES_PER_ROW = 200  # one design point (row tuple, table and raw matrix), plus 64 B per parameter
MEMORY_SHARE = 0.8  # of the available memory a plan may count on


def max_days() -> int:
    """The longest horizon the scenario schema accepts (``days``: 3,650)."""
    from sim.scenario import Scenario, field_bounds

    return int(field_bounds(Scenario.model_fields["days"])[1])


def _is_int(value: Any) -> bool:
    if isinstance(value, int):
        return not isinstance(value, bool)
    numpy = sys.modules.get("numpy")  # a numpy integer exists only once numpy is imported: no import needed here
    return numpy is not None and isinstance(value, numpy.integer)


def check_seed(seed: Any, key: str = "--seed", file: str | None = None) -> int:
    """A master seed: an integer in [0, 2**64)."""
    if not _is_int(seed) or not 0 <= int(seed) < SEED_LIMIT:
        shown = f"{seed:,}" if _is_int(seed) else repr(seed)
        raise InputError(f"expected an integer seed from 0 to 2**64 - 1 (18,446,744,073,709,551,615), got {shown}",
                         file=file, key=key)
    return int(seed)


def check_days(days: Any, key: str = "--days", file: str | None = None) -> int | None:
    """A horizon: None (the scenario's own) or 1 to :func:`max_days` days."""
    if days is None:
        return None
    limit = max_days()
    if not _is_int(days) or not 1 <= int(days) <= limit:
        raise InputError(f"expected a horizon of 1 to {limit:,} days (the scenario schema's limit), got {days!r}",
                         file=file, key=key)
    return int(days)


def check_timeout(seconds: Any, key: str = "--connect-timeout") -> float:
    """A positive, finite number of seconds."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds <= 0:
        raise InputError(f"expected a positive number of seconds, got {seconds!r}", key=key)
    return float(seconds)


def check_run_options(workers: Any, chunk_size: Any, connect_timeout: Any) -> float:
    """Refuse ``--workers``, ``--chunk-size`` or ``--connect-timeout`` out of range; returns the timeout in seconds.

    :func:`analysis.runs.execute.execute` checks these first, and a command calls this before importing the
    executor, the store and the model, so a bad option is answered at once. Capping the workers at the
    usable CPUs (with its note) is :func:`check_workers`'s, once the run is about to start.
    """
    if workers is not None and (not _is_int(workers) or workers < 1):
        raise InputError(f"expected a positive number of workers, got {workers!r}", key="--workers")
    if chunk_size is not None and (isinstance(chunk_size, bool) or chunk_size < 1):
        raise InputError(f"expected a positive chunk size, got {chunk_size}", key="--chunk-size")
    return check_timeout(connect_timeout)


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, else the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def check_workers(workers: Any, force: bool = False, label: str = "escalation", stream=None) -> int | None:
    """Validate ``--workers``; more than the usable CPUs is capped to them with a one-line note unless forced."""
    if workers is None:
        return None
    if not _is_int(workers) or workers < 1:
        raise InputError(f"expected a positive number of workers, got {workers!r}", key="--workers")
    cpus = usable_cpus()
    if workers > cpus and not force:
        print(f"{label}: note: --workers {workers:,} is more than the {cpus} CPUs available; using {cpus} "
              f"(--force-workers to start {workers:,})", file=stream or sys.stderr, flush=True)
        return cpus
    return int(workers)


def _read_int(path: str) -> int | None:
    try:
        text = Path(path).read_text().split()[0]
    except (OSError, IndexError):
        return None
    return int(text) if text.isdigit() else None


def available_memory() -> float:
    """Bytes this process can still allocate: the least of the machine's available memory, the cgroup's
    remaining limit and the address-space limit (``ulimit -v``); ``inf`` when none is known."""
    limits = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                limits.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        try:
            limits.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            pass
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        limit, usage = _read_int(limit_file), _read_int(usage_file)
        if limit is not None and limit < 1 << 60:
            limits.append(max(0, limit - (usage or 0)))
            break
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft not in (resource.RLIM_INFINITY, -1):
        used = 0
        try:
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmSize:"):
                    used = int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            pass
        limits.append(max(0, soft - used))
    return float(min(limits)) if limits else math.inf


def _size(nbytes: float) -> str:
    for unit, scale in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes:.0f} B"


def fitting_worlds(per_world: float, fixed: float = 0.0, memory: float | None = None) -> int:
    """How many worlds at ``per_world`` bytes (plus ``fixed`` bytes) fit in the usable memory."""
    memory = available_memory() if memory is None else memory
    if math.isinf(memory):
        return sys.maxsize
    return max(0, int((MEMORY_SHARE * memory - fixed) // max(per_world, 1)))


def check_fits(worlds: int, per_world: float, what: str, *, key: str | None = None, file: str | None = None,
               fixed: float = 0.0, unit: str = "worlds", hint: str = "") -> None:
    """Refuse ``worlds`` worlds whose memory (``per_world`` bytes each, for ``what``) cannot fit."""
    memory = available_memory()
    most = fitting_worlds(per_world, fixed, memory)
    if worlds <= most:
        return
    raise InputError(f"{worlds:,} {unit} do not fit in memory: about {_size(per_world)} per world for {what}, "
                     f"{_size(MEMORY_SHARE * memory)} usable; at most {most:,} would fit{hint}", file=file, key=key)


def chunk_bytes_per_world(days: int, series: bool, events: bool) -> float:
    """Memory of one world in a chunk being simulated and stored, for the tables collected."""
    return (CHUNK_BYTES_PER_WORLD + days * ((SERIES_BYTES_PER_WORLD_DAY if series else 0)
                                            + (EVENTS_BYTES_PER_WORLD_DAY if events else 0)))


def chunks_in_memory(workers: int) -> int:
    """Chunks held at once: one per worker running, and up to two per worker done and not yet written."""
    return 3 * max(1, workers)


def check_output_dir(path: str | Path, key: str = "--out") -> Path:
    """Refuse an output directory that cannot be created or written (under a file, read-only, no permission)."""
    path = Path(path)
    existing = path
    while True:
        try:
            existing.stat()
            break
        except NotADirectoryError:
            pass
        except FileNotFoundError:
            pass
        except OSError as error:
            raise InputError(f"cannot use {str(path)!r} ({error.strerror or type(error).__name__} at {str(existing)!r}); "
                             "expected a directory to write to", key=key) from None
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing != path and not existing.is_dir():
        raise InputError(f"{str(path)!r} is under {str(existing)!r}, a file, not a directory; expected a directory "
                         "to write to", key=key)
    if existing == path and not path.is_dir():
        return path  # an existing file: the caller says what it expected there
    reason = None
    try:
        if os.statvfs(existing).f_flag & os.ST_RDONLY:
            reason = "read-only file system"
    except (OSError, AttributeError):
        pass
    if reason is None and not os.access(existing, os.W_OK | os.X_OK):
        reason = "permission denied"
    if reason:
        raise InputError(f"cannot write {str(path)!r}: {str(existing)!r} is not writable ({reason}); expected a "
                         "writable directory", key=key)
    return path


def write_error(error: OSError, path: str | Path, what: str, key: str | None = "--out") -> InputError:
    """One line for an OSError met while writing ``what`` to ``path`` (full disk, read-only, not a directory...)."""
    reason = error.strerror or type(error).__name__
    where = f" ({error.filename})" if error.filename and str(error.filename) != str(path) else ""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return InputError(f"disk full while writing {what}{where}; free some space and rerun", file=str(path), key=key)
    return InputError(f"cannot write {what}{where} ({reason})", file=str(path), key=key)


def check_result_dirs(paths: list[str | Path]) -> None:
    """Refuse results directories that are missing, not directories or have no manifest, before any import.

    The same one-line errors as opening them (``load_result_sets``, ``Results``) give, but a command that
    reads stores (report, thesis, app --replay) calls this first, so a mistyped path is answered before the
    command pays for pandas, scipy and matplotlib.
    """
    if not paths:
        raise InputError("give at least one results directory")
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError("no such results directory", file=str(path))
        if not path.is_dir():
            raise InputError("not a directory (expected a results directory with manifest.json)", file=str(path))
        if not (path / "manifest.json").is_file():
            raise InputError("not a results directory (no manifest.json)", file=str(path))
