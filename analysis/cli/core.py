"""Core commands: ``run``, ``scenarios``, ``validate`` and ``schema``; each is a Python function first."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from sim.errors import InputError

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
    from sim.scenario import load_scenario
    from analysis.runs.guards import OUTCOMES_BYTES_PER_WORLD, PLAN_BYTES_PER_WORLD, check_days, check_fits, check_seed

    if worlds < 1:
        raise InputError(f"expected a positive number of worlds, got {worlds}", key="--worlds")
    if days is not None and days < 1:
        raise InputError(f"expected a positive number of days, got {days}", key="--days")
    check_days(days, "--days")
    check_seed(seed, "--seed")
    check_fits(worlds, PLAN_BYTES_PER_WORLD + OUTCOMES_BYTES_PER_WORLD, "the plan and the summary's outcomes table",
               key="--worlds")
    loaded = load_scenario(scenario)
    from analysis.runs.execute import execute  # after the input checks: pandas, pyarrow and the store
    from analysis.runs.plan import plan_batch

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
    from sim.ladder import RUNG_LABELS, Rung  # numpy: only once there are results to summarise

    outcomes = results.outcomes()
    n = len(outcomes)
    scenarios = ", ".join(dict.fromkeys(outcomes["scenario"].astype(str)))
    days = int(outcomes["days"].max())
    lines = [f"{scenarios}: {n:,} worlds x {days} days -> {results.path}", "",
             "Outcome classes (share of worlds, exact 95% Clopper-Pearson interval):"]
    for row in outcome_shares(outcomes, by=None).itertuples():
        note = "  (none seen: exact one-sided upper bound)" if row.count == 0 else ""
        lines.append(f"  {row.outcome:<18} {100 * row.share:6.2f}%  [{100 * row.lower:5.2f}, {100 * row.upper:5.2f}]"
                     f"  {row.count:>7,} worlds{note}")
    lines += ["", "Highest rung reached:"]
    shares = outcomes["max_rung"].value_counts(normalize=True).sort_index()
    for rung, share in shares.items():
        bar = "#" * max(1, round(40 * share)) if share > 0 else ""
        lines.append(f"  {int(rung)} {RUNG_LABELS[Rung(int(rung))]:<30} {100 * share:6.2f}%  {bar}")
    means = outcomes[["attacks", "us_killed", "us_wounded", "militia_killed", "us_strikes", "iran_direct_strikes"]].mean()
    lines += ["", "Mean per world: " + ", ".join(f"{name.replace('_', ' ')} {value:.2f}" for name, value in means.items())]
    world = int(outcomes["world"].iloc[0]) if timeline_world is None else timeline_world
    lines += ["", *key_event_lines(results, world, max_events)]
    lines += ["", *verdict_lines(results)]
    return "\n".join(lines)


def verdict_lines(results, threshold: float = 0.05) -> list[str]:
    """The thesis test of stored results, per scenario, ending with the verdict line.

    Per scenario: how the verdict reads under the other definition of confrontation, the outcome classes
    and what scripted history did to them (:func:`analysis.stats.thesis.context_lines`, as ``escalation
    thesis`` prints them), which rungs the scenario's timeline imposed (:func:`scripted_rung_line`), and
    last the verdict itself.

    Args:
        results: a results handle (``analysis.open_results(path)``).
        threshold: the thesis threshold on P(confrontation).
    """
    from analysis.runs.resultsets import load_result_sets
    from analysis.stats.thesis import context_lines, evaluate

    lines = []
    sets = load_result_sets([results.path])
    given = [str(entry.get("name")) for entry in results.manifest.get("scenarios") or []]  # as run: name or path
    for result_set, scenario in zip(sets, given if len(given) == len(sets) else [s.scenario for s in sets]):
        verdict = evaluate(result_set, threshold)
        v = verdict.pooled
        settle = (f"; `escalation thesis --settle {scenario}` adds worlds until it is settled"
                  if v.verdict == "inconclusive" else "")
        lines += [f"Thesis test, {result_set.label} (`escalation thesis {results.path}` for the full test):",
                  *context_lines(verdict), scripted_rung_line(results, result_set.scenario),
                  f"Thesis \"provocation, not confrontation\" (P(confrontation) < {threshold:.0%}) "
                  f"{v.verdict.upper()}: {v.confrontations:,}/{v.worlds:,} worlds in confrontation, "
                  f"P = {v.share:.2%} [{v.lower:.2%}, {v.upper:.2%}]{settle}"]
    return lines


def scripted_rung_line(results, scenario: str) -> str:
    """Which rungs came from scripted history: those of event records the scenario's timeline imposed.

    Args:
        results: a results handle with the event log stored.
        scenario: the scenario whose worlds are read.

    Returns:
        One indented line, e.g. ``rungs from scripted history ...: 5 leader killed (100.0% of worlds)``.
    """
    from sim.ladder import RUNG_LABELS, Rung

    head = "  rungs from scripted history (imposed by the scenario's timeline, not decided by the model): "
    try:
        events = results.events(columns=["world", "rung", "scripted"])
    except Exception:  # a store without events
        return head + "not known (the event log was not stored)"
    worlds = results.outcomes(columns=["world", "scenario"])
    worlds = worlds.loc[worlds["scenario"].astype(str) == scenario, "world"]
    scripted = events[events["scripted"].to_numpy(bool) & events["world"].isin(worlds).to_numpy()]
    scripted = scripted[scripted["rung"] > Rung.RHETORIC]
    if scripted.empty:
        return head + "none"
    reach = scripted.groupby("rung")["world"].nunique().sort_index()
    return head + ", ".join(f"{int(rung)} {RUNG_LABELS[Rung(int(rung))]} ({count / len(worlds):.1%} of worlds)"
                            for rung, count in reach.items())


def key_event_lines(results, world: int, max_events: int = 18) -> list[str]:
    """The key events of one world (casualties, strikes, sieges, state moves) as readable lines.

    Actors, factions and fronts are named by :mod:`analysis.labels` (a faction by its scenario name, a
    front by its name as stored), never by their ids.
    """
    import pandas as pd
    from analysis.labels import claim_text, display_labels, label
    from sim.ladder import Rung

    try:
        events = results.events(worlds=[world])
    except Exception:  # a store without events
        return [f"Key events of world {world}: not stored (run with --events)"]
    if events.empty:
        return [f"Key events of world {world}: none"]
    scenario = _world_scenario(results, world)
    start = pd.Timestamp(results.manifest.get("start_date") or scenario.start_date)
    labels = display_labels(scenario)
    key = events[(events["rung"] >= Rung.ATTACK_WITH_CASUALTIES) | events["action"].astype(str).isin(KEY_ACTIONS)]
    attacks = int((events["action"].astype(str) == "attack").sum())
    lines = [f"Key events of world {world} ({attacks} attacks in all; attacks without casualties not listed):"]
    for row in key.head(max_events).itertuples():
        date = (start + pd.Timedelta(days=int(row.day))).date()
        what = f"{label(row.action, labels)} {label(row.target, labels)}"
        casualties = f", {row.killed} killed" if row.killed else ""
        casualties += f", {row.wounded} wounded" if row.wounded else ""
        claim = claim_text(row.claimed_by, labels)
        claim = f", {claim}" if claim else ""
        weapon = f" ({label(row.weapon, labels)})" if str(row.weapon) else ""
        scripted = "  [scripted]" if getattr(row, "scripted", False) else ""
        lines.append(f"  day {int(row.day):>3} {date}  rung {int(row.rung)}  {label(row.actor, labels)}: "
                     f"{what}{weapon}{casualties}{claim}{scripted}")
    if len(key) > max_events:
        lines.append(f"  ... {len(key) - max_events} more")
    if key.empty:
        lines.append("  (none)")
    return lines


def _world_scenario(results, world: int):
    """The scenario a stored world ran, loaded (as the store names it: a shipped name or a path)."""
    from sim.scenario import load_scenario
    return load_scenario(results.world_scenario(world))


@dataclass(frozen=True)
class ValidFile:
    """A file that ``validate`` accepted.

    Attributes:
        path: the file as given.
        kind: ``"scenario"`` or ``"sweep"``.
        name: the scenario's or the sweep's name.
    """

    path: str
    kind: str
    name: str


def validate(paths: list[str]) -> list[ValidFile]:
    """Validate scenario or sweep-spec files; raises InputError (one line) on the first bad one.

    Args:
        paths: YAML files, each a scenario or a sweep spec (told apart by a top-level ``design:`` or
            ``parameters:`` key).

    Returns:
        One entry per file, in the order given.
    """
    from sim.scenario import load_scenario
    valid = []
    for path in paths:
        if not Path(path).is_file():
            raise InputError("file not found; expected a scenario or sweep YAML file", file=path)
        with open(path, "rb") as handle:  # only to tell a sweep spec from a scenario; read_yaml checks the bytes
            text = handle.read(1 << 20).decode("utf-8", errors="replace")
        if "\ndesign:" in f"\n{text}" or "\nparameters:" in f"\n{text}":
            from analysis.runs.spec import load_sweep_spec

            valid.append(ValidFile(str(path), "sweep", str(load_sweep_spec(path).name)))
        else:
            valid.append(ValidFile(str(path), "scenario", load_scenario(path).name))
    return valid


def validation_summary(valid: list[ValidFile]) -> str:
    """One line for ``escalation validate``: ``2 files valid: a.yaml (scenario), b.yaml (sweep)``."""
    count = f"{len(valid)} file{'s' if len(valid) != 1 else ''} valid"
    return f"{count}: " + ", ".join(f"{file.path} ({file.kind})" for file in valid)


def _cmd_run(args: argparse.Namespace) -> int:
    results = run(args.scenario, worlds=args.worlds, seed=args.seed, days=args.days, out=args.out,
                  workers=args.workers, quiet=args.quiet, force_workers=args.force_workers)
    print(summary_text(results))
    return 0


def _cmd_scenarios(args: argparse.Namespace) -> int:
    from sim.scenario import list_scenarios
    infos = list_scenarios()
    width = max(len(info.name) for info in infos)
    for info in infos:
        print(f"{info.name:<{width}}  {info.title}: {info.summary}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    print(validation_summary(validate(args.files)))
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
