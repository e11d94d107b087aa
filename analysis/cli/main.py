"""The ``escalation`` command line: one sub-command per module in ``COMMAND_MODULES``."""

from __future__ import annotations

import argparse
import importlib
import sys

from sim.errors import InputError

COMMAND_MODULES = [
    "analysis.cli.core",
    "analysis.cli.runs",
    "analysis.cli.dashboard",
    "analysis.cli.report",
    "analysis.cli.calibration",
]


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (with a pointer to --help) and exit code 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered sub-command."""
    parser = OneLineParser(
        prog="escalation",
        description="Agent-based simulator of militia-US-Iran signalling in Iraq: provocation or confrontation?",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (2 for bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except InputError as error:
        print(f"escalation {args.command}: error: {error.one_line()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"escalation {args.command}: interrupted; only complete results were kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
