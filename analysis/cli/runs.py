"""The ``batch`` and ``sweep`` sub-commands (thin wrappers over :mod:`analysis.runs.execute`)."""

from __future__ import annotations

import argparse
import sys

from sim.errors import InputError


def _add_execution_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("execution")
    group.add_argument("--workers", type=int, default=None, metavar="W",
                       help="local worker processes (default: number of CPUs; 1 runs in this process); "
                            "with --dask, workers of the local Dask cluster; capped at the CPUs available")
    group.add_argument("--force-workers", action="store_true",
                       help="start --workers processes even when they are more than the CPUs available")
    group.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="run on this Dask scheduler, e.g. tcp://127.0.0.1:8786 (needs the [dask] extra)")
    group.add_argument("--dask", action="store_true", help="start a local Dask cluster on 127.0.0.1")
    group.add_argument("--connect-timeout", type=float, default=10.0, metavar="SECONDS",
                       help="how long to wait for the Dask scheduler and its workers (default 10)")
    group.add_argument("--chunk-size", type=int, default=None, metavar="N",
                       help="worlds per vectorized chunk (default: automatic; never changes the results)")
    store = parser.add_argument_group("store")
    store.add_argument("--out", metavar="DIR", default=None,
                       help="results directory (default: results/<name>); rerunning the same command resumes")
    store.add_argument("--series", action="store_true", help="also store the daily series of every world")
    store.add_argument("--events", action="store_true", help="also store the event log of every world")
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def register(subparsers) -> None:
    """Add ``batch`` and ``sweep``."""
    batch = subparsers.add_parser(
        "batch", help="run N worlds of each scenario into a resumable Parquet store",
        description="Run N seeded worlds of each scenario in vectorized chunks on a local process pool "
                    "(or Dask) and store the outcomes as Parquet parts under results/<name>/. World k of "
                    "every scenario uses the seed `escalation run --seed S` gives world k.")
    batch.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario names or YAML paths")
    batch.add_argument("--worlds", type=int, required=True, metavar="N", help="worlds per scenario")
    batch.add_argument("--seed", type=int, default=0, metavar="S", help="master seed (default 0)")
    batch.add_argument("--days", type=int, default=None, help="horizon (default: the scenario's)")
    batch.add_argument("--ensemble", type=int, default=None, metavar="M",
                       help="parameter uncertainty: per scenario, run the point estimate (--point-worlds worlds, "
                            "seeded as a plain batch) and M parameter vectors drawn from the scenario's `ensembles:` "
                            "and `priors:` (--worlds worlds each); each world's values are columns of its outcomes "
                            "row, and `escalation thesis` on the store prints the three numbers of the thesis "
                            "under uncertainty")
    batch.add_argument("--point-worlds", type=int, default=None, metavar="N",
                       help="with --ensemble: worlds at the point estimate (default: --worlds)")
    _add_execution_options(batch)
    batch.set_defaults(func=run_batch)

    sweep = subparsers.add_parser(
        "sweep", help="run a parameter sweep (grid, random, LHS, Sobol, Morris) described in YAML",
        description="Run the parameter sweep described in SPEC.yaml (see scenarios/sweeps/) into "
                    "results/<name>/; rows carry the point, replicate and swept parameter values.")
    sweep.add_argument("spec", metavar="SPEC.yaml",
                       help="sweep specification: a YAML file or the name of one in scenarios/sweeps/")
    sweep.add_argument("--dry-run", action="store_true", help="validate the spec and print the design size only")
    _add_execution_options(sweep)
    sweep.set_defaults(func=run_sweep)


def _execute(plan, args, label: str | None = None) -> int:
    from analysis.runs.guards import check_run_options

    check_run_options(args.workers, args.chunk_size, args.connect_timeout)  # before the store's and the model's imports
    from analysis.runs.execute import execute, install_sigterm_as_interrupt, outcome_summary

    install_sigterm_as_interrupt()
    results = execute(plan, args.out, label=label, workers=args.workers, chunk_size=args.chunk_size, scheduler=args.scheduler,
                      dask=args.dask, series=args.series, events=args.events, quiet=args.quiet,
                      connect_timeout=args.connect_timeout, force_workers=args.force_workers)
    if not args.quiet:
        print(outcome_summary(results), file=sys.stdout, flush=True)
    return 0


def run_batch(args) -> int:
    """``escalation batch``."""
    from analysis.runs.plan import plan_batch

    if args.ensemble is not None:
        from analysis.calibration.ensemble import plan_ensemble

        plan = plan_ensemble(args.scenarios, args.ensemble, args.worlds, args.point_worlds, args.seed, args.days)
        return _execute(plan, args, label=f"escalation batch {plan.name}")
    if args.point_worlds is not None:
        from sim.errors import InputError

        raise InputError("--point-worlds needs --ensemble M", key="--point-worlds")
    return _execute(plan_batch(args.scenarios, args.worlds, args.seed, args.days), args)


def run_sweep(args) -> int:
    """``escalation sweep``."""
    from analysis.runs.spec import load_sweep_spec

    spec = load_sweep_spec(args.spec)
    if spec.is_robust:
        raise InputError("a robust-decision spec (it has levers and policies): run it with `escalation robust`",
                         file=str(args.spec), key="levers")
    if not args.dry_run:  # a bad option is answered before the design's imports (scipy.stats, pandas)
        from analysis.runs.guards import check_run_options

        check_run_options(args.workers, args.chunk_size, args.connect_timeout)
    from analysis.runs.plan import plan_sweep

    plan = plan_sweep(spec)
    if args.dry_run:
        points = len(plan.scenario_of_point)
        print(f"{spec.name}: {spec.design['kind']} design, {points:,} points x {spec.replicates:,} replicates "
              f"= {plan.total:,} worlds over {len(spec.parameters)} parameters; scenarios {', '.join(spec.scenarios)}")
        return 0
    return _execute(plan, args)
