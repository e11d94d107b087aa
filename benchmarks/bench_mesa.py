"""Mesa against the vectorised model on the same worlds of the baseline: wall time, CPU time, memory, agreement.

The comparison a Mesa user would make. On one side the Mesa twin (``benchmarks/mesa_twin.py``): the
baseline's rules as a conventional Mesa model, one ``mesa.Model`` per world with scalar state on its agents,
the project's keyed draws per scalar, a ``DataCollector`` collecting every day, run by ``mesa.batch_run``
with 2 processes. On the other ``escalation batch baseline --workers 2``: the vectorised ``EscalationModel``
in chunks of worlds on a process pool, writing Parquet. Both run the same worlds (world k's seed is
``derive_seeds(seed, k)``), and every outcome column must agree world by world.

Counts: 2,000 worlds, and a large count: by default the largest that ``mesa.batch_run`` can hold in memory,
estimated from a 200-world pilot and the 2,000-world run (``batch_run`` keeps every finished model alive in
its worker processes: Mesa 3.3's class-level agent-id registry, ``mesa.Agent._ids``, holds each model, and
with it the DataCollector's daily records: ~0.18 MiB a world, so ~99,000 worlds on a 22 GiB machine). At
the twin's ~18 ms of CPU a world that run takes ~15 minutes of two free cores, and far longer on a shared
machine: pass ``--large-worlds N`` for a fixed count, or ``--large-worlds 0`` to skip it.

Each count runs both sides one after the other, alternating which goes first, and records the load
average before and after each, so the ratios printed are measured side by side under the same load.
Results go to ``benchmarks/results/local/mesa.json``; ``--reference`` writes the committed
``benchmarks/results/mesa.json`` instead.

Usage: python benchmarks/bench_mesa.py [--worlds 2000] [--large-worlds memory|N] [--processes 2] [--reference]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable (also in batch_run's workers)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import (  # noqa: E402
    ROOT, available_memory_mib, context, escalation, measure, print_table, write_results,
)

SEED = 20260401
PILOT_WORLDS = 200
MEMORY_SHARE = 0.8  # of the memory available at the start that the large Mesa run may fill


def run_mesa_phase(worlds: int, processes: int, out: Path) -> None:
    """In its own process: ``mesa.batch_run`` over the twin's worlds; the rows go to ``out`` (Parquet)."""
    import pandas as pd

    from benchmarks.mesa_twin import run_worlds

    started = time.perf_counter()
    rows = run_worlds(worlds, master_seed=SEED, processes=processes)
    seconds = time.perf_counter() - started
    frame = pd.DataFrame(rows).sort_values("world").reset_index(drop=True)
    frame.attrs["seconds"] = seconds
    frame.to_parquet(out)
    out.with_suffix(".json").write_text(json.dumps({"batch_run_seconds": round(seconds, 2)}))


def agreeing_worlds(store: Path, twin_file: Path) -> tuple[int, int, list[str]]:
    """Worlds whose every outcome column agrees between the stored batch and the twin; columns compared."""
    import pandas as pd

    from analysis.runs.store import open_results

    ours = open_results(store).outcomes().drop(columns=["point", "replicate"], errors="ignore")
    ours = ours.sort_values("world").reset_index(drop=True)
    twin = pd.read_parquet(twin_file)
    columns = [column for column in ours.columns if column in twin.columns]
    equal = pd.Series(True, index=ours.index)
    for column in columns:
        left = [None if pd.isna(v) else v for v in ours[column].astype(object)]
        right = [None if pd.isna(v) else v for v in twin[column].astype(object)]
        equal &= pd.Series([a == b for a, b in zip(left, right)], index=ours.index)
    missing = [column for column in ours.columns if column not in twin.columns]
    return int(equal.sum()), len(ours), columns + [f"MISSING:{column}" for column in missing]


def run_pair(worlds: int, processes: int, scratch: Path, mesa_first: bool) -> dict:
    """Both sides on the same worlds, one after the other; their measurements, ratios and agreement."""
    twin_file = scratch / f"twin-{worlds}.parquet"
    store = scratch / f"batch-{worlds}"
    mesa_command = [sys.executable, str(Path(__file__).resolve()), "--phase", "mesa", "--worlds", str(worlds),
                    "--processes", str(processes), "--phase-out", str(twin_file)]
    ours_command = escalation("batch", "baseline", "--worlds", str(worlds), "--seed", str(SEED), "--workers",
                              str(processes), "--out", str(store), "--quiet")
    measured = {}
    for side in (["mesa", "vectorised"] if mesa_first else ["vectorised", "mesa"]):
        print(f"  {worlds:,} worlds: {side} ...", flush=True)
        measured[side] = measure(mesa_command if side == "mesa" else ours_command)
        measured[side].pop("stdout")
    measured["mesa"]["batch_run_seconds"] = json.loads(twin_file.with_suffix(".json").read_text())["batch_run_seconds"]
    agree, total, columns = agreeing_worlds(store, twin_file)
    mesa, ours = measured["mesa"], measured["vectorised"]
    for side in (mesa, ours):
        side["worlds_per_second"] = round(worlds / side["seconds"], 1)
        side["cpu_seconds_per_1000_worlds"] = round(1000 * side["cpu_seconds"] / worlds, 3)
    return {
        "worlds": worlds, "order": "mesa first" if mesa_first else "vectorised first",
        "mesa_batch_run": mesa, "escalation_batch": ours,
        "ratio_wall": round(mesa["seconds"] / ours["seconds"], 1),
        "ratio_cpu": round(mesa["cpu_seconds"] / ours["cpu_seconds"], 1),
        "ratio_peak_memory": (round(mesa["peak_rss_mib"] / ours["peak_rss_mib"], 2)
                              if mesa["peak_rss_mib"] and ours["peak_rss_mib"] else None),
        "worlds_agreeing_in_every_column": agree, "worlds_compared": total, "columns_compared": columns,
    }


def memory_bound(pilot: dict, full: dict) -> dict:
    """The largest world count whose Mesa run fits in the memory available, from two measured peaks."""
    per_world = (full["mesa_batch_run"]["peak_rss_mib"] - pilot["peak_rss_mib"]) / (full["worlds"] - PILOT_WORLDS)
    fixed = pilot["peak_rss_mib"] - per_world * PILOT_WORLDS
    available = available_memory_mib()
    worlds = int((MEMORY_SHARE * available - fixed) / per_world) if per_world > 0 and available else None
    return {"mesa_mib_per_world": round(per_world, 4), "mesa_fixed_mib": round(fixed, 1),
            "available_mib_at_estimate": round(available, 0) if available else None, "share_used": MEMORY_SHARE,
            "largest_worlds_in_memory": worlds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=2_000, help="the first count (default 2,000)")
    parser.add_argument("--large-worlds", default="memory",
                        help="the large count: 'memory' (the largest batch_run holds in memory), a number, or 0 to skip")
    parser.add_argument("--processes", type=int, default=2, help="Mesa processes and escalation workers (default 2)")
    parser.add_argument("--reference", action="store_true",
                        help="write the committed benchmarks/results/mesa.json instead of results/local/")
    parser.add_argument("--phase", choices=["mesa"], help=argparse.SUPPRESS)
    parser.add_argument("--phase-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "mesa":
        run_mesa_phase(args.worlds, args.processes, Path(args.phase_out))
        return 0

    from analysis.runs.executors import model_fingerprint
    from sim.scenario import load_scenario

    report = {**context(), "scenario": "baseline", "days": load_scenario("baseline").days, "seed": SEED,
              "processes": args.processes, "model_code": model_fingerprint(), "runs": []}
    with tempfile.TemporaryDirectory(prefix="bench-mesa-") as scratch:
        scratch = Path(scratch)
        print(f"pilot: {PILOT_WORLDS} worlds through mesa.batch_run (for the memory per world) ...", flush=True)
        pilot_file = scratch / "pilot.parquet"
        pilot = measure([sys.executable, str(Path(__file__).resolve()), "--phase", "mesa", "--worlds",
                         str(PILOT_WORLDS), "--processes", str(args.processes), "--phase-out", str(pilot_file)])
        pilot.pop("stdout")
        report["mesa_pilot"] = {"worlds": PILOT_WORLDS, **pilot}
        print(f"{args.worlds:,} worlds, both ways:", flush=True)
        report["runs"].append(run_pair(args.worlds, args.processes, scratch, mesa_first=True))
        bound = memory_bound(pilot, report["runs"][0]) if pilot["peak_rss_mib"] else {}
        report["mesa_memory"] = bound
        write_results("mesa", report, args.reference)  # kept if the large run is cut short
        large = bound.get("largest_worlds_in_memory") if args.large_worlds == "memory" else int(args.large_worlds)
        if large:
            rate = report["runs"][0]["mesa_batch_run"]["worlds_per_second"]
            print(f"{large:,} worlds, both ways (Mesa at {rate} worlds/s: about {large / rate / 60:.0f} min) ...",
                  flush=True)
            report["runs"].append(run_pair(large, args.processes, scratch, mesa_first=False))
    if report["model_code"] != model_fingerprint():
        report["model_code_changed_during_run"] = True
    path = write_results("mesa", report, args.reference)

    rows = []
    for run in report["runs"]:
        for label, side in (("mesa.batch_run (twin)", run["mesa_batch_run"]), ("escalation batch", run["escalation_batch"])):
            rows.append((f"{run['worlds']:,}", label, side["seconds"], side["cpu_seconds"], side["peak_rss_mib"],
                         side["worlds_per_second"], side["load_before"][0] if side["load_before"] else ""))
    print_table(("worlds", "run", "wall s", "CPU s", "peak MiB", "worlds/s", "load before"), rows)
    for run in report["runs"]:
        print(f"{run['worlds']:,} worlds, Mesa / vectorised (side by side): wall {run['ratio_wall']}x, CPU "
              f"{run['ratio_cpu']}x, peak memory {run['ratio_peak_memory']}x; worlds agreeing in every outcome column: "
              f"{run['worlds_agreeing_in_every_column']:,} of {run['worlds_compared']:,}")
    if bound:
        print(f"mesa.batch_run holds ~{bound['mesa_mib_per_world']:.3f} MiB per finished world (Mesa's agent-id "
              f"registry keeps every model): ~{bound['largest_worlds_in_memory']:,} worlds fit in "
              f"{MEMORY_SHARE:.0%} of the {bound['available_mib_at_estimate']:,.0f} MiB available")
    if report.get("model_code_changed_during_run"):
        print("WARNING: sim/ changed during the benchmark; the rows may mix model versions")
    print(f"machine: {report['machine']['cpus']} CPUs; commit {report['commit']}"
          f"{' + uncommitted changes' if report['uncommitted_changes'] else ''}; wrote {path.relative_to(ROOT)}")
    return 0 if all(run["worlds_agreeing_in_every_column"] == run["worlds_compared"] for run in report["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
