"""The ``report`` and ``thesis`` sub-commands (thin wrappers over :mod:`analysis.report.html` and :mod:`analysis.stats.thesis`)."""

from __future__ import annotations

import sys

THRESHOLD_HELP = "largest P(confrontation) compatible with the thesis, strictly between 0 and 1 (default 0.05)"


def register(subparsers) -> None:
    """Add ``report`` and ``thesis``."""
    report = subparsers.add_parser(
        "report", help="write a self-contained HTML report (plus PNG/SVG figures and CSV tables) of results",
        description="Lead with the answer (per scenario the thesis verdict with its intervals, where it breaks, "
                    "and the typical paths into each outcome class), then compare one or more results "
                    "directories (batches or sweeps) side by side: outcome "
                    "classes with 95 % intervals, distributions, escalation fan charts, time to first strike "
                    "and first American death, strike-to-attack ratio; for sweeps also P(confrontation) over "
                    "the parameters, sensitivity indices and PRIM scenario discovery. The report is written to "
                    "a temporary directory and renamed into place.")
    report.add_argument("results", nargs="+", metavar="RESULTS_DIR", help="results directories (batch or sweep)")
    report.add_argument("--out", default="report", metavar="DIR",
                        help="output directory (default: ./report); replaced only if it holds an earlier report")
    report.add_argument("--threshold", default="0.05", metavar="P", help=THRESHOLD_HELP)
    report.add_argument("--quiet", action="store_true",
                        help="no progress bar on stderr (none is shown when stderr is not a terminal)")
    report.set_defaults(func=run_report)

    test = subparsers.add_parser(
        "thesis", help="test 'provocation, not confrontation': is P(confrontation) below the threshold?",
        description="Print, per scenario (and for a sweep, per share of the parameter space), whether the "
                    "thesis holds: the exact 95 % interval's upper bound for P(confrontation) below the "
                    "threshold -> holds; its lower bound above it -> fails; otherwise inconclusive. "
                    "With --settle, the arguments are scenarios and seeded worlds are added until the verdict "
                    "is settled or --max-worlds is reached, with an error rate spent across the looks so "
                    "that repeated looks stay valid. With stored events (batch --events) it also gives "
                    "the share of the confrontation and contained-exchange worlds by path (the chain of key "
                    "decisions into the class).",
        epilog="exit codes: 0 holds everywhere, 1 fails somewhere (a scenario or a sweep point), "
               "3 inconclusive (fails nowhere, unsettled somewhere), 2 bad input")
    test.add_argument("results", nargs="+", metavar="RESULTS_DIR",
                      help="results directories (batch or sweep); with --settle, scenario names or YAML paths")
    test.add_argument("--threshold", default="0.05", metavar="P", help=THRESHOLD_HELP)
    test.add_argument("--settle", action="store_true",
                      help="simulate seeded worlds (1,000, then doubling) until the verdict is settled or the cap")
    test.add_argument("--max-worlds", type=int, default=200_000, metavar="N",
                      help="cap on worlds per scenario with --settle (default 200,000)")
    test.add_argument("--seed", type=int, default=0, metavar="S", help="master seed with --settle (default 0)")
    test.add_argument("--quiet", action="store_true",
                      help="with --settle, no per-look lines on stderr; with --ensemble, no progress bar")
    uncertainty = test.add_argument_group(
        "parameter uncertainty (--ensemble)",
        "With --ensemble the arguments are scenarios: each world's parameters are drawn from the scenario's "
        "`ensembles:` (the calibration's bootstrap refits) and `priors:` (values set by judgement), keyed by the "
        "seed, and three numbers are printed per scenario: (i) P(confrontation) at the point estimate with its "
        "exact interval, (ii) the posterior-predictive P(confrontation) with an interval that includes parameter "
        "uncertainty, (iii) the share of parameter vectors for which the thesis holds, fails or is inconclusive. "
        "The exit code follows (ii). A store of `escalation batch --ensemble` prints the same three numbers.")
    uncertainty.add_argument("--ensemble", action="store_true",
                             help="draw parameter vectors from each scenario's ensembles and priors (see above)")
    uncertainty.add_argument("--vectors", type=int, default=40, metavar="M",
                             help="parameter vectors drawn per scenario (default 40)")
    uncertainty.add_argument("--worlds", type=int, default=500, metavar="K", help="worlds per vector (default 500)")
    uncertainty.add_argument("--point-worlds", type=int, default=20_000, metavar="N",
                             help="worlds at the point estimate (default 20,000)")
    uncertainty.add_argument("--days", type=int, default=None, help="horizon (default: each scenario's)")
    test.add_argument("--definition", choices=("shipped", "broad"), default="shipped",
                      help="what counts as confrontation: 'shipped' (open war or an exchange that did not stop; "
                           "default) or 'broad' (any direct exchange, contained ones included)")
    test.set_defaults(func=run_thesis)


def run_report(args) -> int:
    """Build the report; prints where it went. Returns 0."""
    from analysis.report.html import build_report  # light: it checks its input before the charts' imports

    path = build_report(args.results, args.out, args.threshold, quiet=args.quiet)
    print(f"report written to {path}")
    return 0


def run_thesis(args) -> int:
    """Print the verdicts; the exit code is 0 holds, 1 fails, 3 inconclusive."""
    from analysis.stats.intervals import check_threshold

    threshold = check_threshold(args.threshold)
    if args.settle and args.ensemble:
        from sim.errors import InputError

        raise InputError("--settle and --ensemble do not combine; expected one of them", key="--ensemble")
    if args.settle:
        return settle_thesis(args, threshold)
    if args.ensemble:
        return ensemble_thesis(args, threshold)
    from analysis.runs.guards import check_result_dirs

    check_result_dirs(args.results)  # before the imports of the thesis test
    from analysis.runs.resultsets import load_result_sets
    from analysis.stats import thesis

    verdicts = [thesis.evaluate(s, threshold, args.definition) for s in load_result_sets(args.results)]
    sys.stdout.write(thesis.report_text(verdicts, threshold) + "\n")
    return thesis.EXIT_CODES[thesis.overall(verdicts)]


def settle_thesis(args, threshold: float) -> int:
    """``thesis --settle``: settle each scenario's verdict by adding seeded worlds (see analysis.stats.settle)."""
    from analysis.runs.guards import check_seed
    from sim.errors import InputError
    from sim.scenario import load_scenario

    if args.max_worlds < 1:
        raise InputError(f"expected a positive number of worlds, got {args.max_worlds}", key="--max-worlds")
    check_seed(args.seed)
    for name in args.results:  # every name is checked before any world runs (and before the model's imports)
        load_scenario(name)
    from analysis.stats import thesis
    from analysis.stats.settle import DEFAULT_ALPHA, settle_scenario

    verdicts = []
    for name in args.results:
        report = None if args.quiet else (lambda line, name=name: print(f"{name}: {line}", file=sys.stderr, flush=True))
        settled = settle_scenario(name, threshold, args.max_worlds, args.seed, definition=args.definition, report=report)
        verdicts.append(settled.verdict)
        print(f"{name}: {settled.verdict.upper()} after {settled.worlds:,} worlds "
              f"({len(settled.looks)} look{'s' if len(settled.looks) > 1 else ''}): "
              f"{settled.hits:,} in confrontation ({thesis.DEFINITIONS[args.definition][0]}), "
              f"P = {settled.share:.3%}, interval [{settled.lower:.3%}, {settled.upper:.3%}] at the last look's level; "
              f"total error rate {DEFAULT_ALPHA:.0%} spent across looks, seed {args.seed}")
    final = "fails" if "fails" in verdicts else "holds" if set(verdicts) == {"holds"} else "inconclusive"
    return thesis.EXIT_CODES[final]


def ensemble_thesis(args, threshold: float) -> int:
    """``thesis --ensemble``: the three numbers per scenario (see analysis.stats.thesis); exit code from (ii)."""
    import textwrap

    from analysis.calibration.ensemble import check_uncertain
    from analysis.runs.guards import check_days, check_seed
    from sim.errors import InputError
    from sim.scenario import load_scenario

    for key, value in (("--vectors", args.vectors), ("--worlds", args.worlds), ("--point-worlds", args.point_worlds)):
        if value < 1:
            raise InputError(f"expected a positive number, got {value}", key=key)
    check_seed(args.seed)
    check_days(args.days)
    for name in args.results:  # every scenario is checked before any world runs (and before the imports below)
        check_uncertain(load_scenario(name))
    from analysis.cli.calibration import progress_bar
    from analysis.stats import thesis

    print(textwrap.fill(thesis.rule(threshold), 100))
    print(textwrap.fill(f"Definition ({args.definition}): {thesis.DEFINITIONS[args.definition][1]}", 100) + "\n")
    verdicts = []
    for name in args.results:
        total = args.point_worlds + args.vectors * args.worlds
        with progress_bar(total, f"thesis {name}", args.quiet, unit="world") as bar:
            done = [0]

            def advance(worlds: int) -> None:
                bar.update(worlds - done[0])
                done[0] = worlds

            result, other = thesis.ensemble_thesis(name, args.vectors, args.worlds, args.point_worlds, args.seed,
                                                   threshold, args.definition, args.days, progress=advance)
        print("\n".join(result.lines() + [other.other_definition_line()]), flush=True)
        verdicts.append(result.verdict)
    final = "fails" if "fails" in verdicts else "holds" if set(verdicts) == {"holds"} else "inconclusive"
    print(f"\nExit code {thesis.EXIT_CODES[final]} from (ii), the posterior-predictive verdict (0 holds everywhere, "
          "1 fails somewhere, 3 inconclusive, 2 bad input).")
    return thesis.EXIT_CODES[final]
