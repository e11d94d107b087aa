"""Core commands: ``run``, ``scenarios``, ``validate`` and ``schema``; each is a Python function first."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from sim.errors import InputError
from sim.ladder import RUNG_LABELS, Rung
from sim.scenario import list_scenarios, load_scenario

KEY_ACTIONS = {"siege", "strike_militia", "leader_killing", "direct_strike", "open_war", "withdrawal_demand",
               "drawdown", "calm_order"}


def run(scenario: str, worlds: int = 1000, seed: int = 0, days: int | None = None, out: str | Path | None = None,
        workers: int | None = None, quiet: bool = True, force_workers: bool = False):
    """Run worlds of one scenario and store all three tables (``escalation run``).

    Args:
        scenario: a shipped scenario name or a YAML path.
        worlds: number of worlds.
        seed: master seed (world k's seed is ``derive_seeds(seed, k)``).
        days: horizon (default: the scenario's).
        out: results directory (default ``results/run-<scenario>-n<worlds>-s<seed>``).
        workers: worker processes (default: all CPUs; more than the CPUs are capped unless ``force_workers``).
        quiet: no progress output.
        force_workers: start ``workers`` processes even when they are more than the CPUs.

    Returns:
        The results handle (``analysis.runs.store.Results``) with events, series and outcomes.
    """
    from analysis.runs.execute import execute
    from analysis.runs.guards import OUTCOMES_BYTES_PER_WORLD, PLAN_BYTES_PER_WORLD, check_days, check_fits, check_seed
    from analysis.runs.plan import plan_batch

    if worlds < 1:
        raise InputError(f"expected a positive number of worlds, got {worlds}", key="--worlds")
    if days is not None and days < 1:
        raise InputError(f"expected a positive number of days, got {days}", key="--days")
    check_days(days, "--days")
    check_seed(seed, "--seed")
    check_fits(worlds, PLAN_BYTES_PER_WORLD + OUTCOMES_BYTES_PER_WORLD, "the plan and the summary's outcomes table",
               key="--worlds")
    loaded = load_scenario(scenario)
    if out is None:
        out = Path("results") / (f"run-{loaded.name}-n{worlds}-s{seed}" + (f"-d{days}" if days else ""))
    plan = plan_batch([scenario], worlds, seed, days)
    return execute(plan, out, workers=workers, series=True, events=True, quiet=quiet, label=f"escalation run {loaded.name}",
                   force_workers=force_workers)


def summary_text(results, timeline_world: int | None = None, max_events: int = 18) -> str:
    """A compact summary of stored results: outcome shares with intervals, max rungs, means, key events.

    Args:
        results: a results handle (``analysis.open_results(path)``).
        timeline_world: world whose key events are listed (default: the first stored world).
        max_events: most key events listed.
    """
    from analysis.stats.intervals import outcome_shares

    outcomes = results.outcomes()
    n = len(outcomes)
    scenarios = ", ".join(dict.fromkeys(outcomes["scenario"].astype(str)))
    days = int(outcomes["days"].max())
    lines = [f"{scenarios}: {n:,} worlds x {days} days -> {results.path}", "",
             "Outcome classes (share of worlds, exact 95% Clopper-Pearson interval):"]
    for row in outcome_shares(outcomes, by=None).itertuples():
        note = "  (none seen: exact one-sided upper bound)" if row.count == 0 else ""
        lines.append(f"  {row.outcome:<14} {100 * row.share:6.2f}%  [{100 * row.lower:5.2f}, {100 * row.upper:5.2f}]"
                     f"  {row.count:>7,} worlds{note}")
    lines += ["", "Highest rung reached:"]
    shares = outcomes["max_rung"].value_counts(normalize=True).sort_index()
    for rung, share in shares.items():
        bar = "#" * max(1, round(40 * share)) if share > 0 else ""
        lines.append(f"  {int(rung)} {RUNG_LABELS[Rung(int(rung))]:<30} {100 * share:6.2f}%  {bar}")
    means = outcomes[["attacks", "us_killed", "us_wounded", "militia_killed", "us_strikes", "iran_direct_strikes"]].mean()
    lines += ["", "Mean per world: " + ", ".join(f"{name.replace('_', ' ')} {value:.2f}" for name, value in means.items())]
    lines += ["", *verdict_lines(outcomes)]
    world = int(outcomes["world"].iloc[0]) if timeline_world is None else timeline_world
    lines += ["", *key_event_lines(results, world, max_events)]
    return "\n".join(lines)


def verdict_lines(outcomes: pd.DataFrame, threshold: float = 0.05) -> list[str]:
    """The thesis verdict for these worlds, and what the scenario's timeline imposed on them."""
    from analysis.stats.intervals import thesis_verdict

    hits = outcomes["outcome"].astype(str) == "confrontation"
    v = thesis_verdict(int(hits.sum()), len(hits), threshold)
    lines = [f"Thesis \"provocation, not confrontation\" (P(confrontation) < {threshold:.0%}): {v.verdict.upper()}, "
             f"P = {v.share:.2%} [{v.lower:.2%}, {v.upper:.2%}] (escalation thesis DIR for the full test)"]
    if "max_rung_model" in outcomes:
        scripted = outcomes["max_rung"].to_numpy() > outcomes["max_rung_model"].to_numpy()
        if scripted.any():
            model_rung = outcomes["max_rung_model"].to_numpy()
            lines.append(f"Scripted history: the scenario's timeline set the highest rung in {scripted.mean():.1%} of "
                         f"worlds (rung {int(outcomes['max_rung'][scripted].min())} or more); on the model's own "
                         f"decisions the median highest rung is {int(pd.Series(model_rung).median())} and "
                         + ", ".join(f"{name} {share:.1%}" for name, share in
                                     outcomes["outcome_model"].astype(str).value_counts(normalize=True).items()))
    return lines


def key_event_lines(results, world: int, max_events: int = 18) -> list[str]:
    """The key events of one world (casualties, strikes, sieges, state moves) as readable lines."""
    try:
        events = results.events(worlds=[world])
    except Exception:  # a store without events
        return [f"Key events of world {world}: not stored (run with --events)"]
    if events.empty:
        return [f"Key events of world {world}: none"]
    start = pd.Timestamp(results.manifest.get("start_date") or _start_date(results, world))
    key = events[(events["rung"] >= Rung.ATTACK_WITH_CASUALTIES) | events["action"].astype(str).isin(KEY_ACTIONS)]
    attacks = int((events["action"].astype(str) == "attack").sum())
    lines = [f"Key events of world {world} ({attacks} attacks in all; attacks without casualties not listed):"]
    for row in key.head(max_events).itertuples():
        date = (start + pd.Timedelta(days=int(row.day))).date()
        who = str(row.actor)
        what = f"{row.action} {row.target}".replace("_", " ")
        casualties = f", {row.killed} killed" if row.killed else ""
        casualties += f", {row.wounded} wounded" if row.wounded else ""
        claim = f", claimed by {row.claimed_by}" if str(row.claimed_by) else ""
        weapon = f" ({row.weapon})" if str(row.weapon) else ""
        scripted = "  [scripted]" if getattr(row, "scripted", False) else ""
        lines.append(f"  day {int(row.day):>3} {date}  rung {int(row.rung)}  {who}: {what}{weapon}{casualties}{claim}"
                     f"{scripted}")
    if len(key) > max_events:
        lines.append(f"  ... {len(key) - max_events} more")
    if key.empty:
        lines.append("  (none)")
    return lines


def _start_date(results, world: int) -> str:
    name = results.world_scenario(world)
    return str(load_scenario(name).start_date)


def validate(paths: list[str]) -> list[str]:
    """Validate scenario or sweep-spec files; returns one line per file, raises InputError on the first bad one."""
    lines = []
    for path in paths:
        if not Path(path).is_file():
            raise InputError("file not found; expected a scenario or sweep YAML file", file=path)
        with open(path, "rb") as handle:  # only to tell a sweep spec from a scenario; read_yaml checks the bytes
            text = handle.read(1 << 20).decode("utf-8", errors="replace")
        if "\ndesign:" in f"\n{text}" or "\nparameters:" in f"\n{text}":
            from analysis.runs.spec import load_sweep_spec

            spec = load_sweep_spec(path)
            lines.append(f"ok  {path}  (sweep spec {getattr(spec, 'name', '')})")
        else:
            scenario = load_scenario(path)
            lines.append(f"ok  {path}  ({scenario.name}: {scenario.title or scenario.summary})")
    return lines


def _cmd_run(args: argparse.Namespace) -> int:
    results = run(args.scenario, worlds=args.worlds, seed=args.seed, days=args.days, out=args.out,
                  workers=args.workers, quiet=args.quiet, force_workers=args.force_workers)
    print(summary_text(results))
    return 0


def _cmd_scenarios(args: argparse.Namespace) -> int:
    infos = list_scenarios()
    width = max(len(info.name) for info in infos)
    for info in infos:
        print(f"{info.name:<{width}}  {info.title}: {info.summary}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    for line in validate(args.files):
        print(line)
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from analysis.cli.reference import scenario_reference

    text = scenario_reference()
    if args.out:
        from analysis.runs.guards import check_output_dir, write_error

        check_output_dir(Path(args.out).parent, key="--out")
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as error:
            raise write_error(error, args.out, "the reference") from None
    else:
        sys.stdout.write(text)
    return 0


def register(subparsers) -> None:
    """Add the core sub-commands."""
    p = subparsers.add_parser("run", help="run worlds of a scenario and print a summary",
                              description="Run N worlds of a scenario, store events, daily series and outcomes "
                                          "as Parquet, and print a compact summary.")
    p.add_argument("scenario", help="scenario name (see `escalation scenarios`) or path to a YAML file")
    p.add_argument("--worlds", type=int, default=1000, help="number of worlds (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="master seed (default 0)")
    p.add_argument("--days", type=int, default=None, help="horizon in days (default: the scenario's)")
    p.add_argument("--out", default=None, help="results directory (default results/run-<scenario>-n<N>-s<S>)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: all CPUs; capped at the CPUs available)")
    p.add_argument("--force-workers", action="store_true",
                   help="start --workers processes even when they are more than the CPUs available")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=_cmd_run)

    p = subparsers.add_parser("scenarios", help="list the shipped scenarios, one line each")
    p.set_defaults(func=_cmd_scenarios)

    p = subparsers.add_parser("validate", help="validate scenario or sweep YAML files")
    p.add_argument("files", nargs="+", help="YAML files")
    p.set_defaults(func=_cmd_validate)

    p = subparsers.add_parser("schema", help="print the scenario reference generated from the schema")
    p.add_argument("--out", default=None, help="write to this file instead of standard output")
    p.set_defaults(func=_cmd_schema)
