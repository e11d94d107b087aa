"""Benchmark of batches and sweeps (issue 3); writes benchmarks/results/local/sweep.json (untracked) and prints a table.

Measures, each as a separate process whose whole process tree is sampled for memory:

1. a 100,000-world sweep of the baseline (outcomes only, 25 grid points x 4,000 replicates) with
   `escalation sweep --workers 2` (target: under 2 minutes and under 1 GiB on 2 cores);
2. throughput of `escalation batch` with 1 and with 2 workers (target: 2 workers >= 1.7x);
3. the same 2,000 worlds through `mesa.batch_run` (the conventional Mesa way: one EscalationModel with
   n_worlds=1 per run, a DataCollector, 2 processes) and through `escalation batch --workers 2`; the
   max rung of every world must agree, so both really ran the same worlds.

Peak memory is the largest sum of resident set sizes over the process and all its children, sampled
every 20 ms (an upper bound: pages shared after fork are counted once per process).

Throughput is reported two ways: for the whole command (interpreter start and imports, ~1.5 s,
included) and for the run itself as the store records it (``runs[-1].seconds`` in the manifest:
planning, worker start, simulation and Parquet writes). The 1-vs-2-worker target uses the latter.

Usage: python benchmarks/bench_sweep.py [--sweep-worlds 100000] [--scaling-worlds 60000] [--mesa-worlds 2000]
       [--wait-quiet SECONDS]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from mesa import DataCollector

from sim.model import EscalationModel

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "local" / "sweep.json"  # committed reference: results/sweep.json
SEED = 20260401
DAYS = 365


def measure(command: list[str], cwd: Path) -> dict:
    """Run a command; return wall seconds and the peak RSS (MiB) summed over its process tree."""
    if WAIT_QUIET_SECONDS:
        wait_for_quiet_machine(WAIT_QUIET_SECONDS)
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = psutil.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    stop = threading.Event()

    def sample():
        nonlocal peak
        while not stop.is_set():
            try:
                tree = [process, *process.children(recursive=True)]
                total = 0
                for member in tree:
                    try:
                        total += member.memory_info().rss
                    except psutil.Error:
                        pass
                peak = max(peak, total)
            except psutil.Error:
                pass
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"benchmark command failed ({process.returncode}): {' '.join(command)}\n{stderr.decode()}")
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "peak_rss_mib": round(peak / 2**20, 1),
            "stdout": stdout.decode().strip()}


WAIT_QUIET_SECONDS = 0.0


def wait_for_quiet_machine(limit: float) -> None:
    """Wait (at most ``limit`` seconds) until other processes use under 15 % of the CPUs for 3 s."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if psutil.cpu_percent(interval=3) < 15:
            return
    print(f"  (machine still busy after waiting {limit:.0f} s; measuring anyway)", flush=True)


def escalation(*args: str) -> list[str]:
    return [sys.executable, "-m", "analysis.cli.main", *args]


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


# --- the conventional Mesa way ------------------------------------------------------------------------


class MesaStyleEscalation(EscalationModel):
    """One world per model, data gathered by a DataCollector every step, as Mesa models do."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.datacollector = DataCollector(model_reporters={
            "max_rung": lambda m: int(m.max_rung[0]),
            "level": lambda m: int(m.today_level[0]),
        })

    def step(self):
        super().step()
        self.datacollector.collect(self)


def run_mesa(worlds: int, seed: int, out: Path) -> None:
    """Phase run in its own process: mesa.batch_run over ``worlds`` single-world models."""
    import numpy as np
    from mesa.batchrunner import batch_run

    from sim.scenario import load_scenario
    from sim.seeds import derive_seeds

    model_class = MesaStyleEscalation  # module level: mesa.batch_run's spawned workers import it by name
    seeds = derive_seeds(seed, np.arange(worlds))
    scenario = load_scenario("baseline")
    started = time.perf_counter()
    rows = batch_run(
        model_class,
        parameters={
            "scenario": [scenario],
            "n_worlds": 1,
            "days": DAYS,
            "world_seeds": [np.array([s], dtype=np.uint64) for s in seeds],
            "collect_events": False,
            "collect_series": False,
        },
        number_processes=2,
        iterations=1,
        data_collection_period=-1,
        max_steps=DAYS + 10,
        display_progress=False,
    )
    seconds = time.perf_counter() - started
    by_seed = {int(row["world_seeds"][0]): row["max_rung"] for row in rows}
    out.write_text(json.dumps({"seconds": seconds, "max_rung": [int(by_seed[int(s)]) for s in seeds]}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep-worlds", type=int, default=100_000)
    parser.add_argument("--scaling-worlds", type=int, default=60_000)
    parser.add_argument("--mesa-worlds", type=int, default=2_000)
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                        help="before each timed run, wait up to this long for other processes to go idle")
    parser.add_argument("--phase", choices=["mesa"], help=argparse.SUPPRESS)
    parser.add_argument("--phase-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "mesa":
        run_mesa(args.mesa_worlds, SEED, Path(args.phase_out))
        return 0

    import mesa
    import pandas as pd

    from analysis.runs.executors import model_fingerprint
    from analysis.runs.store import open_results

    global WAIT_QUIET_SECONDS
    WAIT_QUIET_SECONDS = args.wait_quiet
    code_at_start = model_fingerprint()

    report: dict = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "memory_gib": round(psutil.virtual_memory().total / 2**30, 1)},
        "versions": {"mesa": mesa.__version__, "pandas": pd.__version__},
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "days_per_world": DAYS,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as scratch:
        scratch = Path(scratch)

        print(f"1/4 sweep of {args.sweep_worlds:,} worlds, 2 workers ...", flush=True)
        spec = sweep_spec(scratch / "bench_100k.yaml", args.sweep_worlds)
        sweep = measure(escalation("sweep", str(spec), "--out", str(scratch / "sweep"), "--workers", "2", "--quiet"),
                        ROOT)
        stored = open_results(scratch / "sweep")
        assert stored.complete
        worlds = stored.worlds_total
        sweep_run_seconds = stored.manifest["runs"][-1]["seconds"]
        report["sweep"] = {"worlds": worlds, "workers": 2, "seconds": sweep["seconds"],
                           "worlds_per_second": round(worlds / sweep["seconds"]), "peak_rss_mib": sweep["peak_rss_mib"],
                           "cpu_seconds": sweep["cpu_seconds"], "run_seconds": sweep_run_seconds,
                           "run_worlds_per_second": round(worlds / sweep_run_seconds),
                           "chunk_size": stored.manifest["runs"][-1]["chunk_size"],
                           "target": "under 120 s and under 1024 MiB",
                           "met": sweep["seconds"] < 120 and sweep["peak_rss_mib"] < 1024}

        scaling = {}
        for workers in (1, 2):
            print(f"{1 + workers}/4 batch of {args.scaling_worlds:,} worlds, {workers} worker(s) ...", flush=True)
            out = scratch / f"scaling{workers}"
            run = measure(escalation("batch", "baseline", "--worlds", str(args.scaling_worlds), "--seed", str(SEED),
                                     "--days", str(DAYS), "--workers", str(workers), "--out", str(out), "--quiet"),
                          ROOT)
            manifest = open_results(out).manifest
            run_seconds = manifest["runs"][-1]["seconds"]
            scaling[workers] = {"seconds": run["seconds"], "cpu_seconds": run["cpu_seconds"],
                                "run_seconds": run_seconds,
                                "run_worlds_per_second": round(args.scaling_worlds / run_seconds),
                                "worlds_per_second": round(args.scaling_worlds / run["seconds"]),
                                "peak_rss_mib": run["peak_rss_mib"], "executor": manifest["runs"][-1]["executor"],
                                "chunk_size": manifest["runs"][-1]["chunk_size"]}
        speedup = scaling[1]["run_seconds"] / scaling[2]["run_seconds"]
        report["scaling"] = {"worlds": args.scaling_worlds, "one_worker": scaling[1], "two_workers": scaling[2],
                             "speedup": round(speedup, 2),
                             "speedup_whole_command": round(scaling[1]["seconds"] / scaling[2]["seconds"], 2),
                             "target": "2 workers >= 1.7x the throughput of 1 (run throughput)",
                             "met": speedup >= 1.7}

        print(f"4/4 the same {args.mesa_worlds:,} worlds via mesa.batch_run and escalation batch ...", flush=True)
        out = scratch / "side_by_side"
        ours = measure(escalation("batch", "baseline", "--worlds", str(args.mesa_worlds), "--seed", str(SEED),
                                  "--days", str(DAYS), "--workers", "2", "--out", str(out), "--quiet"), ROOT)
        mesa_out = scratch / "mesa.json"
        mesa_run = measure([sys.executable, str(Path(__file__).resolve()), "--phase", "mesa", "--mesa-worlds",
                            str(args.mesa_worlds), "--phase-out", str(mesa_out)], ROOT)
        mesa_data = json.loads(mesa_out.read_text())
        max_rung = open_results(out).outcomes(columns=["max_rung"])["max_rung"].astype(int).tolist()
        same = max_rung == mesa_data["max_rung"]
        agreeing = sum(a == b for a, b in zip(max_rung, mesa_data["max_rung"]))
        report["mesa_comparison"] = {
            "worlds": args.mesa_worlds, "processes": 2,
            "mesa_batch_run": {"seconds": mesa_run["seconds"], "inner_seconds": round(mesa_data["seconds"], 2),
                               "cpu_seconds": mesa_run["cpu_seconds"],
                               "peak_rss_mib": mesa_run["peak_rss_mib"],
                               "worlds_per_second": round(args.mesa_worlds / mesa_run["seconds"], 1)},
            "escalation_batch": {"seconds": ours["seconds"], "peak_rss_mib": ours["peak_rss_mib"],
                                 "cpu_seconds": ours["cpu_seconds"],
                                 "worlds_per_second": round(args.mesa_worlds / ours["seconds"], 1)},
            "time_ratio_mesa_over_batch": round(mesa_run["seconds"] / ours["seconds"], 1),
            "memory_ratio_mesa_over_batch": round(mesa_run["peak_rss_mib"] / ours["peak_rss_mib"], 2),
            "same_worlds": same,
            "worlds_with_equal_max_rung": agreeing,
        }

    report["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report["model_code_changed_during_run"] = model_fingerprint() != code_at_start
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    s, c, m = report["sweep"], report["scaling"], report["mesa_comparison"]
    rows = [
        ("sweep, 2 workers", f"{s['worlds']:,}", s["seconds"], f"{s['worlds_per_second']:,}", s["peak_rss_mib"],
         "met" if s["met"] else "MISSED"),
        ("batch, 1 worker", f"{c['worlds']:,}", c["one_worker"]["seconds"], f"{c['one_worker']['worlds_per_second']:,}",
         c["one_worker"]["peak_rss_mib"], ""),
        ("batch, 2 workers", f"{c['worlds']:,}", c["two_workers"]["seconds"],
         f"{c['two_workers']['worlds_per_second']:,}", c["two_workers"]["peak_rss_mib"],
         f"speed-up {c['speedup']}x {'met' if c['met'] else 'MISSED'}"),
        ("mesa.batch_run, 2 processes", f"{m['worlds']:,}", m["mesa_batch_run"]["seconds"],
         m["mesa_batch_run"]["worlds_per_second"], m["mesa_batch_run"]["peak_rss_mib"], ""),
        ("escalation batch, 2 workers", f"{m['worlds']:,}", m["escalation_batch"]["seconds"],
         m["escalation_batch"]["worlds_per_second"], m["escalation_batch"]["peak_rss_mib"],
         f"{m['time_ratio_mesa_over_batch']}x faster; same worlds: {m['same_worlds']}"),
    ]
    header = ("run", "worlds", "seconds", "worlds/s", "peak MiB", "")
    rows[1] = (*rows[1][:5], f"run: {c['one_worker']['run_seconds']} s, {c['one_worker']['run_worlds_per_second']:,} worlds/s")
    rows[2] = (*rows[2][:5], f"run: {c['two_workers']['run_seconds']} s, {c['two_workers']['run_worlds_per_second']:,} "
               f"worlds/s; speed-up {c['speedup']}x {'met' if c['met'] else 'MISSED'}")
    if report["model_code_changed_during_run"]:
        print("WARNING: sim/ changed during the benchmark; the comparison rows may mix model versions")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths)))
    print(f"load average (1, 5, 15 min) at start {report['load_average_at_start']}, at end "
          f"{report['load_average_at_end']} on {os.cpu_count()} CPUs: other work on the machine slows every row")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0 if (s["met"] and c["met"] and m["same_worlds"]) else 1


if __name__ == "__main__":
    sys.exit(main())
