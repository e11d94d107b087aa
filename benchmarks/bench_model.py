"""Benchmark of the core model (issue 2): 10,000 worlds x 365 days of the baseline on one core.

Measures, in one run: the time to simulate 10,000 worlds with outcomes only and with all three tables,
the cost per world at 1 world against 10,000 (the vectorisation gain), and the 40-faction scenario
(scenarios/many_factions_40.yaml) against the 5-faction baseline, outcomes only, as a ratio (goal: under
3x). Writes benchmarks/results/local/model.json (untracked; ``--reference`` writes the committed
benchmarks/results/model.json instead) with the machine, its speed today, the commit and the load, and
prints a table. Usage: python benchmarks/bench_model.py [--repeat R] [--worlds N] [--reference]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from sim.runner import simulate  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

from benchmarks import context, write_results  # noqa: E402


def best_of(repeat: int, **kwargs) -> tuple[float, float]:
    """Best wall and CPU seconds of ``repeat`` runs of simulate(**kwargs)."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        simulate(**kwargs)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is kept")
    parser.add_argument("--worlds", type=int, default=10_000)
    parser.add_argument("--reference", action="store_true",
                        help="write the committed benchmarks/results/model.json instead of results/local/")
    args = parser.parse_args()
    started = context()
    scenario = load_scenario("baseline")
    simulate(scenario, n_worlds=100, seed=0, days=30)  # warm-up: imports and caches
    rows = {}
    rows["outcomes only"] = best_of(args.repeat, scenario=scenario, n_worlds=args.worlds, seed=1,
                                    collect_events=False, collect_series=False)
    rows["all three tables"] = best_of(args.repeat, scenario=scenario, n_worlds=args.worlds, seed=1)
    rows["one world"] = best_of(max(args.repeat, 5), scenario=scenario, n_worlds=1, seed=1,
                                collect_events=False, collect_series=False)
    many = load_scenario("many_factions_40")
    simulate(many, n_worlds=100, seed=0, days=30)
    rows["40 factions, outcomes only"] = best_of(args.repeat, scenario=many, n_worlds=args.worlds, seed=1,
                                                 collect_events=False, collect_series=False)
    # the ratio of CPU times taken in this run (wall times suffer more from other load on the machine)
    faction_ratio = rows["40 factions, outcomes only"][1] / rows["outcomes only"][1]
    per_world_one = rows["one world"][0]
    per_world_many = rows["outcomes only"][0] / args.worlds
    result = {
        **started,
        "worlds": args.worlds, "days": scenario.days, "scenario": "baseline",
        "seconds": {name: {"wall": round(w, 3), "cpu": round(c, 3)} for name, (w, c) in rows.items()},
        "cost_per_world_ratio": round(per_world_one / per_world_many, 1),
        "factions_40_over_5_cpu_ratio": round(faction_ratio, 2),
    }
    out = write_results("model", result, reference=args.reference)
    print(f"{'measurement':<48} {'wall s':>8} {'cpu s':>8}")
    for name, (wall, cpu) in rows.items():
        label = f"{name} ({1 if name == 'one world' else args.worlds:,} x {scenario.days} days)"
        print(f"{label:<48} {wall:8.3f} {cpu:8.3f}")
    print(f"cost per world, 1 world vs {args.worlds:,}: {result['cost_per_world_ratio']:.0f}x lower at {args.worlds:,} "
          f"(goal: >= 100x); 10,000 worlds in {rows['all three tables'][0]:.2f} s with all tables (goal: < 5 s)")
    print(f"40 factions vs 5 ({args.worlds:,} worlds x {scenario.days} days, outcomes only): {faction_ratio:.2f}x the "
          "CPU time (goal: < 3x)")
    speed = started["machine_speed"]
    print(f"machine speed: python loop {speed['python_loop_ms']} ms, numpy exp {speed['numpy_exp_ms']} ms; load at "
          f"start {started['load_average_at_start']}, at end {result['load_average_at_end']}; commit {started['commit']}")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
