"""The ``hindcast`` sub-command (a thin wrapper over :mod:`analysis.calibration.hindcast` and its charts)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from sim.errors import InputError

QUIET_SECONDS = 3.0  # progress lines appear only when simulating takes longer than this


def register(subparsers) -> None:
    """Add ``hindcast``."""
    p = subparsers.add_parser(
        "hindcast", help="draw an era scenario's simulated attacks per period over the record's counts",
        description="Run SCENARIO and compare its simulated militia attacks per period of a record file with the "
                    "record's counts: prints 'period | record | simulated median [10-90%] | inside' (inside: the "
                    "record's count lies within the simulated 10-90% band) ending with 'N of M periods inside', "
                    "and writes a chart (PNG and SVG: median and 50%/90% bands, the record's counts with their "
                    "ranges, its dated events, truces shaded) and the table as CSV. Only attacks of the model's "
                    "own making count: attacks the scenario's timeline scripts are excluded. Record periods "
                    "outside the scenario's horizon are skipped with a note.",
        epilog="record file format: see scenarios/targets/record_2023_2024.yaml (periods: start, end, attacks, "
               "range, optional confidence H/M/L, label, lull, note; events: date, label)")
    p.add_argument("scenario", nargs="?", default=None, metavar="SCENARIO",
                   help="scenario name or YAML path (default: the record's `scenario:`)")
    p.add_argument("--targets", metavar="FILE", default=None,
                   help="record file (YAML) of attack counts per period and dated events (default: the shipped "
                        "scenarios/targets/record_*.yaml whose `scenario:` names SCENARIO)")
    p.add_argument("--worlds", type=int, default=1000, metavar="N", help="worlds to simulate (default 1000)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="master seed (default 0; worlds as in a batch)")
    p.add_argument("--by-faction", action="store_true", help="also count and draw each faction's attacks")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="folder for hindcast.png, hindcast.svg and hindcast.csv (default results/hindcast-<scenario>)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on standard error")
    p.add_argument("--scenario-path", action="append", default=None, metavar="DIR",
                   help="a folder whose scenarios `extends:` may name, besides the scenario's own folder and the "
                        "shipped ones (repeatable; also $ESCALATION_SCENARIO_PATH)")
    p.set_defaults(func=_cmd_hindcast)


def _cmd_hindcast(args) -> int:
    from analysis.calibration.hindcast import default_record_path, load_record, run_hindcast
    from analysis.runs.guards import check_fits, check_output_dir, check_seed, write_error
    from analysis.runs.progress import Progress
    from sim.scenario import load_scenario

    check_seed(args.seed)
    if args.worlds < 1:
        raise InputError(f"expected at least 1 world, got {args.worlds:,}", key="--worlds")
    if args.scenario is None and args.targets is None:
        raise InputError("expected a SCENARIO, or --targets FILE whose `scenario:` names one")
    record = load_record(args.targets) if args.targets is not None else None
    if args.scenario is None:
        if not record.scenarios:
            raise InputError("the record names no `scenario:`; expected a SCENARIO argument", file=record.path,
                             key="scenario")
        args.scenario = record.scenarios[0]
    scenario = load_scenario(args.scenario)
    if record is None:
        record = load_record(default_record_path(scenario.name))
    bins = len(record.periods) + scenario.days // 28 + 2  # at most: the record's periods and the months between
    per_world = 8 * bins * (2 + (len(scenario.militias) if args.by_faction else 0))
    check_fits(args.worlds, per_world, "the attack counts per world and period", key="--worlds")
    out = check_output_dir(Path(args.out) if args.out else Path("results") / f"hindcast-{scenario.name}")

    # Progress appears only if simulating takes more than a few seconds: a timer reveals it (a chunk of
    # worlds can take that long on its own), then each finished chunk advances it.
    progress = Progress(args.worlds, label="escalation hindcast", quiet=True, interval=5.0)
    lock = threading.Lock()

    def reveal() -> None:
        with lock:
            if progress.quiet and not args.quiet:
                progress.quiet = False
                progress.start(f"simulating {args.worlds:,} worlds of {scenario.name} ({scenario.days} days, "
                               f"seed {args.seed})")

    def advance(worlds: int) -> None:
        with lock:
            progress.advance(worlds)

    timer = threading.Timer(QUIET_SECONDS, reveal)
    timer.daemon = True
    timer.start()
    try:
        result = run_hindcast(scenario, record, worlds=args.worlds, seed=args.seed, by_faction=args.by_faction,
                              progress=advance)
    finally:
        timer.cancel()
    with lock:
        if not progress.quiet:
            progress.finish(f"{args.worlds:,} worlds simulated")

    from analysis.report.hindcast_charts import hindcast_figure

    figure = hindcast_figure(result, by_faction=args.by_faction)
    paths = [out / "hindcast.png", out / "hindcast.svg", out / "hindcast.csv"]
    try:
        out.mkdir(parents=True, exist_ok=True)
        figure.savefig(paths[0], dpi=150)
        figure.savefig(paths[1], format="svg")
        result.table().to_csv(paths[2], index=False)
        if args.by_faction:
            paths.append(out / "hindcast-by-faction.csv")
            result.faction_table().to_csv(paths[3], index=False)
    except OSError as error:
        raise write_error(error, out, "the hindcast files") from None
    print(result.text())
    print(f"\nWrote {', '.join(str(p) for p in paths)}")
    sys.stdout.flush()
    return 0
