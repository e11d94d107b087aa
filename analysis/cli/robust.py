"""The ``robust`` sub-command: policies (lever settings) judged across the uncertainty space by minimax regret.

A thin wrapper over :func:`analysis.stats.robust.evaluate`; see docs/robust.md.
"""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    """Add ``robust``."""
    from analysis.cli.runs import _add_execution_options

    robust = subparsers.add_parser(
        "robust", help="evaluate policies (US and Iraqi response rules) over a sample of uncertainties: "
                       "P(confrontation), casualties, share of the space where the thesis holds, minimax regret",
        description="Run every policy of a robust-decision spec (levers, policies, uncertainties; see "
                    "docs/robust.md and scenarios/sweeps/robust_*.yaml) on the same uncertainty points with the "
                    "same seeds (common random numbers) into a resumable store, then print and write one row per "
                    "policy: P(confrontation), attacks and US casualties per world with 95 % intervals, the share "
                    "of the uncertainty space where the thesis holds, and the regret against the best policy in "
                    "each state of the world, ranked by minimax regret. Tables: robust.parquet, robust.csv, "
                    "robust_points.parquet and robust.json in the results directory.")
    robust.add_argument("spec", metavar="SPEC.yaml",
                        help="robust-decision spec: a YAML file or the name of one in scenarios/sweeps/")
    robust.add_argument("--worlds-per-point", type=int, default=None, metavar="N",
                        help="worlds per (policy, uncertainty point), replacing the spec's `replicates`")
    robust.add_argument("--dry-run", action="store_true", help="validate the spec and print its size only")
    _add_execution_options(robust)
    for action in robust._actions:  # the robust run keeps outcomes only
        if action.dest in ("series", "events"):
            action.help = "not used by robust (outcomes only)"
    robust.set_defaults(func=run_robust)


def run_robust(args) -> int:
    """``escalation robust``."""
    from analysis.runs.guards import check_run_options
    from analysis.stats.robust import dry_run_text, evaluate, load_robust_spec, with_worlds_per_point
    from sim.errors import InputError

    spec = load_robust_spec(args.spec)
    if args.dry_run:
        print(dry_run_text(spec, args.worlds_per_point))
        return 0
    if args.series or args.events:
        raise InputError("a robust run stores outcomes only", key="--series" if args.series else "--events")
    with_worlds_per_point(spec, args.worlds_per_point)  # bad options are answered before the store's imports
    check_run_options(args.workers, args.chunk_size, args.connect_timeout)
    from analysis.runs.execute import install_sigterm_as_interrupt

    install_sigterm_as_interrupt()
    evaluation = evaluate(spec, out=args.out, worlds_per_point=args.worlds_per_point, workers=args.workers,
                          chunk_size=args.chunk_size, scheduler=args.scheduler, dask=args.dask, quiet=args.quiet,
                          connect_timeout=args.connect_timeout, force_workers=args.force_workers)
    print(evaluation.text())
    store = evaluation.meta["store"]
    print(f"tables: {store}/robust.parquet (and .csv), {store}/robust_points.parquet, {store}/robust.json",
          file=sys.stdout, flush=True)
    return 0
