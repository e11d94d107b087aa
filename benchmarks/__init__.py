"""Benchmarks of escalation-sim, and what they share: where results go and what every result records.

Results go to ``benchmarks/results/local/<name>.json`` (untracked, see .gitignore); the committed reference
``benchmarks/results/<name>.json`` is refreshed only on purpose, with a benchmark's ``--reference`` flag.
Every result records the machine, the commit (and whether the tree had uncommitted changes), the load
average before and after each timed run, and wall and CPU seconds, because on a shared machine only ratios
measured side by side in one run mean much. Nothing here needs psutil: memory comes from /proc (Linux;
elsewhere peak memory is reported as None).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def results_path(name: str, reference: bool = False) -> Path:
    """Where a benchmark writes: the untracked local folder, or the committed reference with ``reference``."""
    return RESULTS / f"{name}.json" if reference else RESULTS / "local" / f"{name}.json"


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (None where the platform has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def commit() -> dict:
    """The checked-out commit and whether the working tree differs from it (None outside a git checkout)."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "--short", "HEAD"), "uncommitted_changes": bool(status) if status is not None else None}


def machine() -> dict:
    """CPUs, memory, platform and Python of this machine."""
    memory = None
    try:
        with open("/proc/meminfo") as handle:
            fields = dict(line.split(":", 1) for line in handle)
        memory = round(int(fields["MemTotal"].split()[0]) / 2**20, 1)
    except (OSError, KeyError, ValueError):
        pass
    return {"cpus": os.cpu_count(), "memory_gib": memory, "platform": platform.platform(),
            "python": platform.python_version(), "processor": platform.machine()}


def available_memory_mib() -> float | None:
    """MemAvailable from /proc/meminfo, in MiB (None off Linux)."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def machine_speed(repeat: int = 5) -> dict:
    """How fast this machine's cores run today: two fixed workloads, best of ``repeat``, in milliseconds.

    Shared virtual machines of one kind differ from hour to hour (a million worlds took 68 s one morning and
    154 s that evening, with faster code): a result is comparable with another only beside these readings.
    ``python_loop_ms`` is ``sum(range(10**6))`` (the interpreter), ``numpy_exp_ms`` is ``numpy.exp`` of
    10**6 floats (vectorised arithmetic, what the model mostly does).
    """
    import numpy

    values = numpy.linspace(0.0, 1.0, 10**6)

    def best(work) -> float:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            work()
            times.append(time.perf_counter() - started)
        return round(min(times) * 1e3, 2)

    return {"python_loop_ms": best(lambda: sum(range(10**6))), "numpy_exp_ms": best(lambda: numpy.exp(values))}


def context() -> dict:
    """What every benchmark result starts with: date, machine, commit, versions and the load now."""
    import numpy
    import pandas

    versions = {"numpy": numpy.__version__, "pandas": pandas.__version__}
    try:
        import mesa

        versions["mesa"] = mesa.__version__
    except ImportError:
        pass
    return {"date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(), **commit(),
            "versions": versions, "load_average_at_start": load_average(), "machine_speed": machine_speed()}


def descendants(pid: int) -> list[int]:
    """Every descendant of a process, whichever of its threads started it (Dask's nannies start workers from a thread)."""
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = []
        try:
            threads = os.listdir(f"/proc/{parent}/task")
        except OSError:
            threads = []
        for thread in threads:
            try:
                with open(f"/proc/{parent}/task/{thread}/children") as handle:
                    kids += [int(k) for k in handle.read().split()]
            except OSError:
                pass
        found += kids
        frontier += kids
    return found


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def measure(command: list[str], cwd: Path = ROOT, env: dict | None = None) -> dict:
    """Run a command to its end; its wall and CPU seconds (its whole process tree) and peak memory.

    Peak memory is the largest sum of resident set sizes over the process and its descendants, sampled
    from /proc every 20 ms (an upper bound: pages shared after fork count once per process; None off Linux).
    CPU seconds are user + system of the process and every descendant it waited for.

    Raises:
        SystemExit: the command failed (its stderr is shown).
    """
    load_before = load_average()
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    linux = os.path.exists(f"/proc/{process.pid}/statm")
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, sum(rss_bytes(pid) for pid in [process.pid, *descendants(process.pid)]))
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    if linux:
        sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    stop.set()
    if linux:
        sampler.join()
    usage_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise SystemExit(f"benchmark command failed ({process.returncode}): {' '.join(command)}\n{stderr.decode()}")
    user = usage_after.ru_utime - usage_before.ru_utime
    system = usage_after.ru_stime - usage_before.ru_stime
    return {"seconds": round(seconds, 2), "cpu_seconds": round(user + system, 2), "user_seconds": round(user, 2),
            "system_seconds": round(system, 2), "peak_rss_mib": round(peak / 2**20, 1) if linux else None,
            "load_before": load_before, "load_after": load_average(), "stdout": stdout.decode().strip()}


def escalation(*args: str) -> list[str]:
    """The argv of ``escalation ARGS`` for this source tree's interpreter."""
    return [sys.executable, "-m", "analysis.cli.main", *args]


def write_results(name: str, report: dict, reference: bool = False) -> Path:
    """Write a benchmark's report (load average at the end added) and return the path."""
    report["load_average_at_end"] = load_average()
    path = results_path(name, reference)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    return path


def print_table(header: tuple, rows: list[tuple]) -> None:
    """Columns padded to their widest cell."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(value).ljust(width) for value, width in zip(row, widths)).rstrip())
