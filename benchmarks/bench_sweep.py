"""Benchmark of batches and sweeps on 2 workers; writes benchmarks/results/local/sweep.json and prints a table.

Measures, each as a separate command whose whole process tree is sampled for memory and CPU time:

1. a 100,000-world sweep of the baseline (outcomes only, 25 grid points x 4,000 replicates) with
   `escalation sweep --workers 2` (target: under 2 minutes and under 1 GiB on 2 cores);
2. throughput of `escalation batch` with 1 and with 2 workers (target: 2 workers >= 1.7x);
3. `escalation batch baseline --worlds 100000 --workers 2` on the process pool against the same with
   `--dask` (a local Dask cluster), interleaved pool, Dask, Dask, pool, ... so both see the same load
   (target: Dask's wall time within 1.2x of the pool's); skipped, with a note, without Dask installed.
   Dask's CPU seconds include its workers: they are forked by a fork server that the command stops and
   reaps when its cluster closes (an unreaped one would take its children's CPU time with it).

The comparison with Mesa is `benchmarks/bench_mesa.py` (a one-world-per-model Mesa twin under
`mesa.batch_run`).

Peak memory is the largest sum of resident set sizes over the command and all its descendants, sampled
from /proc every 20 ms (an upper bound: pages shared after fork are counted once per process; None off
Linux). CPU seconds are user + system time of the whole tree. Nothing here needs psutil.

Throughput is reported two ways: for the whole command (interpreter start and imports included) and for
the run itself as the store records it (``runs[-1].seconds`` in the manifest: planning, worker start,
simulation and Parquet writes). The 1-vs-2-worker target uses the latter.

Results go to ``benchmarks/results/local/sweep.json`` (untracked); ``--reference`` writes the committed
``benchmarks/results/sweep.json`` instead. Each result records the machine, the commit, and the load
average before and after every timed command: on a shared machine only the ratios measured side by side
mean much.

Usage: python benchmarks/bench_sweep.py [--sweep-worlds 100000] [--scaling-worlds 60000] [--dask-worlds 100000]
       [--dask-pairs 3] [--wait-quiet SECONDS] [--reference] [--only sweep,scaling,dask]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import ROOT, context, escalation, measure, print_table, write_results  # noqa: E402

SEED = 20260401
DAYS = 365
DASK_TARGET = 1.2  # Dask's wall time at most this multiple of the pool's
WAIT_QUIET_SECONDS = 0.0


def cpu_busy_fraction(interval: float) -> float | None:
    """Share of all CPUs busy over ``interval`` seconds, from /proc/stat (None off Linux)."""
    def sample() -> tuple[int, int] | None:
        try:
            with open("/proc/stat") as handle:
                fields = [int(x) for x in handle.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return sum(fields), idle

    first = sample()
    time.sleep(interval)
    second = sample()
    if first is None or second is None or second[0] == first[0]:
        return None
    return 1.0 - (second[1] - first[1]) / (second[0] - first[0])


def wait_for_quiet_machine(limit: float) -> None:
    """Wait (at most ``limit`` seconds) until other processes use under 15 % of the CPUs for 3 s."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        busy = cpu_busy_fraction(3)
        if busy is None or busy < 0.15:
            return
    print(f"  (machine still busy after waiting {limit:.0f} s; measuring anyway)", flush=True)


def timed(command: list[str]) -> dict:
    """:func:`benchmarks.measure` after the optional wait for a quiet machine."""
    if WAIT_QUIET_SECONDS:
        wait_for_quiet_machine(WAIT_QUIET_SECONDS)
    result = measure(command, ROOT)
    result.pop("stdout", None)
    return result


def sweep_spec(path: Path, worlds: int) -> Path:
    import yaml

    points = 25
    spec = {
        "name": "bench_100k",
        "description": "benchmark: the baseline over a 5 x 5 grid of leash strength and US strike threshold",
        "sources": ["benchmarks/bench_sweep.py"],
        "scenarios": ["baseline"],
        "parameters": {"quds_force.leash_strength": {"lo": 0.4, "hi": 1.0, "levels": 5},
                       "united_states.strike_threshold": {"lo": 1.5, "hi": 4.5, "levels": 5}},
        "design": {"kind": "grid"},
        "replicates": max(1, worlds // points),
        "days": DAYS,
        "seed": SEED,
    }
    path.write_text(yaml.safe_dump(spec))
    return path


def bench_sweep(worlds: int, scratch: Path) -> dict:
    from analysis.runs.store import open_results

    spec = sweep_spec(scratch / "bench_100k.yaml", worlds)
    run = timed(escalation("sweep", str(spec), "--out", str(scratch / "sweep"), "--workers", "2", "--quiet"))
    stored = open_results(scratch / "sweep")
    assert stored.complete
    total = stored.worlds_total
    run_seconds = stored.manifest["runs"][-1]["seconds"]
    return {"worlds": total, "workers": 2, **run, "worlds_per_second": round(total / run["seconds"]),
            "run_seconds": run_seconds, "run_worlds_per_second": round(total / run_seconds),
            "chunk_size": stored.manifest["runs"][-1]["chunk_size"], "target": "under 120 s and under 1024 MiB",
            "met": run["seconds"] < 120 and (run["peak_rss_mib"] or 0) < 1024}


def batch(worlds: int, out: Path, *extra: str) -> dict:
    """One `escalation batch baseline` run: the measurements and what the store's manifest says of it."""
    from analysis.runs.store import open_results

    run = timed(escalation("batch", "baseline", "--worlds", str(worlds), "--seed", str(SEED), "--days", str(DAYS),
                           "--out", str(out), "--quiet", *extra))
    last = open_results(out).manifest["runs"][-1]
    return {**run, "run_seconds": last["seconds"], "run_worlds_per_second": round(worlds / last["seconds"]),
            "worlds_per_second": round(worlds / run["seconds"]), "executor": last["executor"],
            "chunk_size": last["chunk_size"]}


def bench_scaling(worlds: int, scratch: Path) -> dict:
    scaling = {workers: batch(worlds, scratch / f"scaling{workers}", "--workers", str(workers)) for workers in (1, 2)}
    speedup = scaling[1]["run_seconds"] / scaling[2]["run_seconds"]
    return {"worlds": worlds, "one_worker": scaling[1], "two_workers": scaling[2], "speedup": round(speedup, 2),
            "speedup_whole_command": round(scaling[1]["seconds"] / scaling[2]["seconds"], 2),
            "cpu_ratio_two_over_one": round(scaling[2]["cpu_seconds"] / scaling[1]["cpu_seconds"], 2),
            "target": "2 workers >= 1.7x the throughput of 1 (run throughput)", "met": speedup >= 1.7}


def bench_dask(worlds: int, pairs: int, scratch: Path) -> dict:
    """The pool and a local Dask cluster on the same batch, interleaved: pool, Dask, Dask, pool, ..."""
    from analysis.runs.executors import dask_available

    if not dask_available():
        return {"skipped": 'Dask is not installed (pip install ".[dask]")'}
    runs = []
    for index in range(2 * pairs):
        dask = index % 4 in (1, 2)
        run = batch(worlds, scratch / f"dask-{index}", "--workers", "2", *(["--dask"] if dask else []))
        runs.append({"executor_kind": "dask" if dask else "pool", **run})
        print(f"    {runs[-1]['executor_kind']}: {run['seconds']} s wall, {run['cpu_seconds']} s CPU "
              f"({run['system_seconds']} s system), load before {run['load_before']}", flush=True)
    walls = {kind: [r["seconds"] for r in runs if r["executor_kind"] == kind] for kind in ("pool", "dask")}
    cpus = {kind: [r["cpu_seconds"] for r in runs if r["executor_kind"] == kind] for kind in ("pool", "dask")}
    ratio = statistics.median(walls["dask"]) / statistics.median(walls["pool"])
    return {"worlds": worlds, "runs": runs, "ratio_wall_dask_over_pool": round(ratio, 2),
            "ratio_cpu_dask_over_pool": round(statistics.median(cpus["dask"]) / statistics.median(cpus["pool"]), 2),
            "target": f"Dask wall within {DASK_TARGET}x of the pool's (medians)", "met": ratio <= DASK_TARGET}


def main() -> int:
    global WAIT_QUIET_SECONDS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep-worlds", type=int, default=100_000)
    parser.add_argument("--scaling-worlds", type=int, default=60_000)
    parser.add_argument("--dask-worlds", type=int, default=100_000)
    parser.add_argument("--dask-pairs", type=int, default=3, help="pool/Dask pairs, interleaved (default 3)")
    parser.add_argument("--only", default="sweep,scaling,dask", help="comma-separated parts to run")
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                        help="before each timed run, wait up to this long for other processes to go idle")
    parser.add_argument("--reference", action="store_true",
                        help="write the committed benchmarks/results/sweep.json instead of results/local/")
    args = parser.parse_args()
    parts = {part.strip() for part in args.only.split(",")}
    WAIT_QUIET_SECONDS = args.wait_quiet

    from analysis.runs.executors import model_fingerprint

    code_at_start = model_fingerprint()
    report: dict = {**context(), "days_per_world": DAYS, "model_code": code_at_start}
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as scratch:
        scratch = Path(scratch)
        if "sweep" in parts:
            print(f"sweep of {args.sweep_worlds:,} worlds, 2 workers ...", flush=True)
            report["sweep"] = bench_sweep(args.sweep_worlds, scratch)
        if "scaling" in parts:
            print(f"batch of {args.scaling_worlds:,} worlds with 1 and 2 workers ...", flush=True)
            report["scaling"] = bench_scaling(args.scaling_worlds, scratch)
        if "dask" in parts:
            print(f"batch of {args.dask_worlds:,} worlds: process pool against --dask, interleaved ...", flush=True)
            report["dask_vs_pool"] = bench_dask(args.dask_worlds, args.dask_pairs, scratch)
    report["model_code_changed_during_run"] = model_fingerprint() != code_at_start
    path = write_results("sweep", report, args.reference)

    rows, verdicts = [], []
    if "sweep" in report:
        s = report["sweep"]
        rows.append(("sweep, 2 workers", f"{s['worlds']:,}", s["seconds"], s["cpu_seconds"], f"{s['worlds_per_second']:,}",
                     s["peak_rss_mib"], "met" if s["met"] else "MISSED"))
        verdicts.append(s["met"])
    if "scaling" in report:
        c = report["scaling"]
        for label, key in (("batch, 1 worker", "one_worker"), ("batch, 2 workers", "two_workers")):
            r = c[key]
            rows.append((label, f"{c['worlds']:,}", r["seconds"], r["cpu_seconds"], f"{r['worlds_per_second']:,}",
                         r["peak_rss_mib"], f"run: {r['run_seconds']} s, {r['run_worlds_per_second']:,} worlds/s"))
        rows.append(("  2 workers / 1 worker", "", "", "", "", "",
                     f"speed-up {c['speedup']}x (target >= 1.7x: {'met' if c['met'] else 'MISSED'})"))
        verdicts.append(c["met"])
    dask = report.get("dask_vs_pool", {})
    if "runs" in dask:
        for run in dask["runs"]:
            rows.append((f"batch, 2 workers, {run['executor_kind']}", f"{dask['worlds']:,}", run["seconds"],
                         run["cpu_seconds"], f"{run['worlds_per_second']:,}", run["peak_rss_mib"],
                         f"system {run['system_seconds']} s, load {run['load_before'][0] if run['load_before'] else ''}"))
        rows.append(("  Dask / pool (medians)", "", "", "", "", "",
                     f"wall {dask['ratio_wall_dask_over_pool']}x, CPU {dask['ratio_cpu_dask_over_pool']}x "
                     f"(target <= {DASK_TARGET}x: {'met' if dask['met'] else 'MISSED'})"))
        verdicts.append(dask["met"])
    elif dask:
        print(f"Dask comparison skipped: {dask['skipped']}")
    if report["model_code_changed_during_run"]:
        print("WARNING: sim/ changed during the benchmark; the comparison rows may mix model versions")
    print_table(("run", "worlds", "wall s", "CPU s", "worlds/s", "peak MiB", ""), rows)
    print(f"load average (1, 5, 15 min) at start {report['load_average_at_start']}, at end "
          f"{report['load_average_at_end']} on {report['machine']['cpus']} CPUs: other work slows every row; "
          f"commit {report['commit']}{' + uncommitted changes' if report['uncommitted_changes'] else ''}")
    print(f"wrote {path.relative_to(ROOT)}")
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
