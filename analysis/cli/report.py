"""The ``report`` and ``thesis`` sub-commands (thin wrappers over :mod:`analysis.report.html` and :mod:`analysis.stats.thesis`)."""

from __future__ import annotations

import sys

THRESHOLD_HELP = "largest P(confrontation) compatible with the thesis, strictly between 0 and 1 (default 0.05)"


def register(subparsers) -> None:
    """Add ``report`` and ``thesis``."""
    report = subparsers.add_parser(
        "report", help="write a self-contained HTML report (plus PNG/SVG figures and CSV tables) of results",
        description="Compare one or more results directories (batches or sweeps) side by side: outcome "
                    "classes with 95 % intervals, distributions, escalation fan charts, time to first strike "
                    "and first American death, strike-to-attack ratio; for sweeps also P(confrontation) over "
                    "the parameters, sensitivity indices and PRIM scenario discovery. The report is written to "
                    "a temporary directory and renamed into place.")
    report.add_argument("results", nargs="+", metavar="RESULTS_DIR", help="results directories (batch or sweep)")
    report.add_argument("--out", default="report", metavar="DIR",
                        help="output directory (default: ./report); replaced only if it holds an earlier report")
    report.add_argument("--threshold", default="0.05", metavar="P", help=THRESHOLD_HELP)
    report.set_defaults(func=run_report)

    test = subparsers.add_parser(
        "thesis", help="test 'provocation, not confrontation': is P(confrontation) below the threshold?",
        description="Print, per scenario (and for a sweep, per share of the parameter space), whether the "
                    "thesis holds: the exact 95 % interval's upper bound for P(confrontation) below the "
                    "threshold -> holds; its lower bound above it -> fails; otherwise inconclusive, with the "
                    "number of worlds that would settle it. With stored events (batch --events) it also gives "
                    "the share of the confrontation and contained-exchange worlds by path (the chain of key "
                    "decisions into the class).",
        epilog="exit codes: 0 holds everywhere, 1 fails somewhere (a scenario or a sweep point), "
               "3 inconclusive (fails nowhere, unsettled somewhere), 2 bad input")
    test.add_argument("results", nargs="+", metavar="RESULTS_DIR", help="results directories (batch or sweep)")
    test.add_argument("--threshold", default="0.05", metavar="P", help=THRESHOLD_HELP)
    test.add_argument("--definition", choices=("shipped", "broad"), default="shipped",
                      help="what counts as confrontation: 'shipped' (open war or an exchange that did not stop; "
                           "default) or 'broad' (any direct exchange, contained ones included)")
    test.set_defaults(func=run_thesis)


def run_report(args) -> int:
    """Build the report; prints where it went. Returns 0."""
    from analysis.report.html import build_report

    path = build_report(args.results, args.out, args.threshold)
    print(f"report written to {path}")
    return 0


def run_thesis(args) -> int:
    """Print the verdicts; the exit code is 0 holds, 1 fails, 3 inconclusive."""
    from analysis.stats import thesis
    from analysis.runs.resultsets import load_result_sets
    from analysis.stats.intervals import check_threshold

    threshold = check_threshold(args.threshold)
    verdicts = [thesis.evaluate(s, threshold, args.definition) for s in load_result_sets(args.results)]
    sys.stdout.write(thesis.report_text(verdicts, threshold) + "\n")
    return thesis.EXIT_CODES[thesis.overall(verdicts)]
