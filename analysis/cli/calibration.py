"""The ``calibrate`` and ``facts`` sub-commands (thin wrappers over :mod:`analysis.calibration.fit` and :mod:`analysis.calibration.facts`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sim.errors import InputError


def register(subparsers) -> None:
    """Add ``calibrate`` and ``facts``."""
    p = subparsers.add_parser(
        "calibrate", help="fit scenario parameters to the 2019-2021 record (simulated method of moments)",
        description="Fit parameters of SCENARIO so that simulated statistics match the targets that apply to it "
                    "(simulated method of moments with common random numbers; every round runs all candidates in "
                    "one vectorized batch). Prints the fitted values with 95% intervals and the fit per target, "
                    "and writes a calibrated scenario YAML that extends the original.")
    p.add_argument("scenario", metavar="SCENARIO", nargs="?", default=None,
                   help="scenario name or YAML path (not with --joint)")
    p.add_argument("--joint", action="store_true",
                   help="fit the era scenarios baseline, crisis_2019_2020, talks_2021 and campaign_2023_2024 "
                        "together: the parameters they share as one multiplier in every era, each era's own "
                        "alongside (analysis.calibration.joint); prints the joint values and every era's fit, and "
                        "writes them to --out (default results/calibrate-joint/joint_fit.txt)")
    p.add_argument("--targets", metavar="FILE", default=None,
                   help="targets YAML (default: the shipped scenarios/targets/calibration_2019_2021.yaml)")
    p.add_argument("--parameters", metavar="PATH,PATH", default=None,
                   help="dotted parameter paths to fit; a path with '*' is one multiplier of every matching path "
                        "(default per scenario, e.g. militias.*.base_attack_rate)")
    p.add_argument("--worlds", type=int, default=200, metavar="N", help="common worlds per candidate (default 200)")
    p.add_argument("--fit-worlds", type=int, default=None, metavar="N",
                   help="fresh worlds (per era with --joint) for the fit table at the fitted values "
                        "(default 4 x --worlds, at least 1,000)")
    p.add_argument("--candidates", type=int, default=32, metavar="C", help="candidates per round (default 32)")
    p.add_argument("--rounds", type=int, default=3, metavar="R", help="design rounds (default 3)")
    p.add_argument("--bootstrap", type=int, default=200, metavar="B", help="bootstrap fits for the intervals (default 200)")
    p.add_argument("--search-factor", type=float, default=3.0, metavar="F",
                   help="first round searches [value / F, value * F] within the schema's range (default 3)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="master seed (default 0)")
    p.add_argument("--days", type=int, default=None, help="horizon (default: the scenario's)")
    p.add_argument("--out", metavar="DIR|FILE.yaml", default=None,
                   help="where to write: a directory (default results/calibrate-<scenario>/), which gets "
                        "<scenario>_calibrated.yaml, or a .yaml file; the calibrated scenario carries the bootstrap "
                        "refits in its `ensembles:` section, and nothing is written anywhere else")
    p.add_argument("--quiet", action="store_true", help="no progress bar (none either when stderr is not a terminal)")
    p.set_defaults(func=_cmd_calibrate)

    p = subparsers.add_parser(
        "facts", help="check the eight stylized facts of the public record in simulated worlds",
        description="Run the era scenarios (and, on the same seeds, their variants without a calm order, a shock or "
                    "an election) and print, for each stylized fact, the simulated statistic with its 95% "
                    "interval, the criterion and whether it holds.")
    p.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                   help="scenarios to check (default: crisis_2019_2020 talks_2021 regional_war)")
    p.add_argument("--worlds", type=int, default=2000, metavar="N", help="worlds per scenario (default 2000)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="master seed (default 0)")
    p.add_argument("--days", type=int, default=None, help="horizon (default: each scenario's)")
    p.add_argument("--quiet", action="store_true", help="no progress bar (none either when stderr is not a terminal)")
    p.set_defaults(func=_cmd_facts)


class progress_bar:
    """A tqdm bar on standard error, silent when quiet or when standard error is not a terminal."""

    def __init__(self, total: int | None, label: str, quiet: bool, unit: str = "step"):
        from tqdm import tqdm

        self.label = label
        # mininterval 0: a bar of a few slow steps shows every one (the last steps, bootstrap fits, come
        # within tqdm's default 0.1 s of each other and would otherwise never be drawn)
        self.bar = tqdm(total=total, desc=label, unit=unit, file=sys.stderr, leave=False, mininterval=0,
                        disable=quiet or not sys.stderr.isatty())

    def describe(self, line: str) -> None:
        """Show the current stage beside the bar."""
        self.bar.set_description_str(f"{self.label}: {line.strip()[:60]}")

    def update(self, count: int = 1) -> None:
        """Advance the bar."""
        self.bar.update(count)

    def __enter__(self) -> "progress_bar":
        return self

    def __exit__(self, *exc) -> None:
        self.bar.close()


def calibration_output(value: str | None, scenario: str) -> Path:
    """The calibrated scenario's path for ``--out`` (a directory or a .yaml file), checked before the fit.

    Raises:
        InputError: the place cannot be written (under a file, read-only, no permission, a directory where the
            file should go), as one line.
    """
    from analysis.runs.guards import check_output_dir

    stem = Path(scenario).stem
    if value is None:
        folder, out = Path("results") / f"calibrate-{stem}", None
    elif Path(value).suffix in (".yaml", ".yml"):
        folder, out = Path(value).parent, Path(value)
    else:
        folder, out = Path(value), None
    check_output_dir(folder, key="--out")
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{str(folder)!r} is a file; expected a directory or a .yaml file to write", key="--out")
    out = out or folder / f"{stem}_calibrated.yaml"
    if out.is_dir():
        raise InputError(f"{str(out)!r} is a directory; expected a .yaml file to write", key="--out")
    if out.exists() and not os.access(out, os.W_OK):
        raise InputError(f"cannot write {str(out)!r} (permission denied)", key="--out")
    return out


def _cmd_calibrate_jointly(args) -> int:
    from analysis.runs.guards import check_output_dir, check_seed

    if args.scenario is not None or args.targets or args.parameters or args.days:
        raise InputError("--joint fits the four era scenarios with their shipped targets; it takes no SCENARIO, "
                         "--targets, --parameters or --days", key="--joint")
    check_seed(args.seed)
    if args.out is not None and Path(args.out).suffix in (".yaml", ".yml"):
        raise InputError("--joint writes a text table; expected a directory or a .txt file", key="--out")
    out = Path(args.out) if args.out and Path(args.out).suffix == ".txt" else \
        Path(args.out or Path("results") / "calibrate-joint") / "joint_fit.txt"
    check_output_dir(out.parent, key="--out")
    from analysis.calibration.joint import calibrate_jointly  # light: it checks its input before scipy and the model

    with progress_bar(None, "joint calibration", args.quiet) as bar:
        result = calibrate_jointly(worlds=args.worlds, seed=args.seed, candidates=args.candidates, rounds=args.rounds,
                                   bootstrap=args.bootstrap, search_factor=min(args.search_factor, 2.0),
                                   fit_worlds=args.fit_worlds,
                                   progress=lambda line: (bar.describe(line), bar.update(1)))
    text = result.summary()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot write the joint fit ({error.strerror or type(error).__name__})",
                         file=str(out), key="--out") from None
    print(text)
    print(f"\nWrote {out}.")
    return 0


def _cmd_calibrate(args) -> int:
    if args.fit_worlds is not None and args.fit_worlds < 1:
        raise InputError(f"expected a positive number of worlds, got {args.fit_worlds}", key="--fit-worlds")
    if args.joint:
        return _cmd_calibrate_jointly(args)
    if args.scenario is None:
        raise InputError("expected a scenario name or YAML path (or --joint)", key="SCENARIO")

    parameters = [p.strip() for p in args.parameters.split(",") if p.strip()] if args.parameters else None
    if args.parameters is not None and not parameters:
        raise InputError("expected at least one dotted parameter path", key="--parameters")
    from analysis.runs.guards import (
        check_days, check_fits, check_seed, chunk_bytes_per_world, fitting_worlds,
    )

    out = calibration_output(args.out, args.scenario)
    check_seed(args.seed)
    check_days(args.days)
    if args.worlds > 0 and args.candidates > 0:  # one vectorized batch of every candidate's worlds (events kept)
        check_fits(args.worlds * args.candidates, chunk_bytes_per_world(args.days or 500, False, True),
                   f"a round of {args.candidates:,} candidates in one batch", key="--worlds",
                   hint=f" ({fitting_worlds(chunk_bytes_per_world(args.days or 500, False, True) * args.candidates):,} "
                        "per candidate)")
    from analysis.calibration.fit import calibrate  # light: it checks its input before scipy's and the model's imports

    with progress_bar(args.rounds + args.bootstrap + 1, "calibrate", args.quiet) as bar:
        result = calibrate(args.scenario, args.targets, parameters, worlds=args.worlds, seed=args.seed,
                           candidates=args.candidates, rounds=args.rounds, bootstrap=args.bootstrap, days=args.days,
                           search_factor=args.search_factor, fit_worlds=args.fit_worlds, progress=bar.describe,
                           tick=bar.update)
    original = Path(args.scenario)
    extends = str(original.resolve()) if original.suffix in (".yaml", ".yml") else result.scenario.name
    note = ""
    if original.suffix in (".yaml", ".yml"):  # `extends:` reaches the calibrated file's folder (or --scenario-path)
        folder = out.parent.resolve()
        if original.resolve().is_relative_to(folder):
            extends = str(original.resolve().relative_to(folder))
        else:
            note = f"; load it with --scenario-path {original.resolve().parent}"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(result.yaml_text(extends), encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot write the calibrated scenario ({error.strerror or type(error).__name__})",
                         file=str(out), key="--out") from None
    print(result.summary())
    print(f"\nWrote {out} (extends {extends}{note}).")
    return 0


def _cmd_facts(args) -> int:
    from analysis.runs.guards import check_days, check_fits, check_seed, chunk_bytes_per_world

    check_seed(args.seed)
    check_days(args.days)
    if args.worlds > 0:
        check_fits(args.worlds, chunk_bytes_per_world(args.days or 500, False, True), "a scenario's worlds in one batch",
                   key="--worlds")
    from analysis.calibration.facts import check_facts, facts_report  # light: the model is imported to run it

    with progress_bar(None, "facts", args.quiet, unit="run") as bar:
        checks = check_facts(args.scenarios or None, worlds=args.worlds, seed=args.seed, days=args.days,
                             progress=lambda label: (bar.describe(label), bar.update(1)))
    print(facts_report(checks, args.worlds, args.seed))
    return 0
