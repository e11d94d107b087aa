"""Peak memory of big batches: per process and summed over the process tree (issue 13).

Runs ``escalation batch baseline`` as a subprocess for each configuration and samples the resident set
size of the command and of every child (the pool workers) from /proc every 100 ms. Reports, per run:
wall time, the peak of the largest single process, the peak of the tree's sum (an upper bound: pages
shared after fork count once per process), and each worker's RSS after its first and its last chunk
(from the samples), which shows whether a worker grows with the number of chunks it has run.

Results go to ``benchmarks/results/local/memory.json`` (untracked); ``--reference`` writes the committed
reference ``benchmarks/results/memory.json`` instead. Each result records the machine, its speed today
(:func:`benchmarks.machine_speed`), the commit and the load.

Usage: python benchmarks/bench_memory.py [--outcomes-worlds 1000000] [--events-worlds 100000] [--workers 2]
       [--skip-events] [--reference]
Linux only (reads /proc).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(HERE.parent))

# the process-tree walk that also finds children started by a non-main thread (Dask nannies start workers so)
from benchmarks import context, descendants, rss_bytes, write_results  # noqa: E402


def measure(command: list[str]) -> dict:
    """Run a command; sample the RSS of it and its descendants until it ends; their CPU time too."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_tree = peak_process = 0
    per_pid: dict[int, list[int]] = {}
    done = threading.Event()

    def sample():
        nonlocal peak_tree, peak_process
        while not done.is_set():
            pids = [process.pid, *descendants(process.pid)]
            sizes = {pid: rss_bytes(pid) for pid in pids}
            for pid, size in sizes.items():
                if size:
                    per_pid.setdefault(pid, []).append(size)
            peak_tree = max(peak_tree, sum(sizes.values()))
            peak_process = max(peak_process, max(sizes.values(), default=0))
            time.sleep(0.1)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    _, stderr = process.communicate()
    done.set()
    thread.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the command and the workers it waited for
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {stderr.decode()[-500:]}")
    workers = {pid: sizes for pid, sizes in per_pid.items() if pid != process.pid and len(sizes) > 10}
    growth = [{"first_quarter_mib": round(max(s[: len(s) // 4]) / 2**20, 1),
               "last_quarter_mib": round(max(s[-len(s) // 4:]) / 2**20, 1)} for s in workers.values()]
    return {"command": " ".join(command[2:]), "wall_s": round(time.perf_counter() - start, 1), "cpu_s": round(cpu, 1),
            "peak_process_gib": round(peak_process / 2**30, 3), "peak_tree_gib": round(peak_tree / 2**30, 3),
            "workers": growth}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outcomes-worlds", type=int, default=1_000_000)
    parser.add_argument("--events-worlds", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-events", action="store_true", help="only the outcomes-only run")
    parser.add_argument("--reference", action="store_true",
                        help="write the committed benchmarks/results/memory.json instead of results/local/")
    args = parser.parse_args()
    record = context()
    speed = record["machine_speed"]
    print(f"machine speed today: python loop {speed['python_loop_ms']} ms, numpy exp {speed['numpy_exp_ms']} ms "
          f"(lower is faster); load {record['load_average_at_start']}", flush=True)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        base = [sys.executable, "-m", "analysis.cli.main", "batch", "baseline", "--workers", str(args.workers),
                "--quiet"]
        configurations = [("outcomes", args.outcomes_worlds, []), ("events", args.events_worlds, ["--events"])]
        for label, worlds, extra in configurations[:1] if args.skip_events else configurations:
            result = measure([*base, "--worlds", str(worlds), "--out", str(Path(tmp) / label), *extra])
            result.update(label=label, worlds=worlds)
            runs.append(result)
            print(f"{label:>8} {worlds:>9,} worlds: {result['wall_s']:6.1f} s wall, {result['cpu_s']:6.1f} CPU-s, largest process "
                  f"{result['peak_process_gib']:.2f} GiB, tree {result['peak_tree_gib']:.2f} GiB; workers "
                  + ", ".join(f"{w['first_quarter_mib']:.0f} -> {w['last_quarter_mib']:.0f} MiB" for w in result["workers"]),
                  flush=True)
    record["runs"] = runs
    print(f"written to {write_results('memory', record, reference=args.reference)}")


if __name__ == "__main__":
    main()
