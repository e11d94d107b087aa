"""The ``escalation`` command line: one sub-command per module in ``COMMAND_MODULES``.

Bad input of any command is one line on stderr (``escalation CMD: error: file: key: what was expected``)
and exit code 2, with nothing written; Ctrl-C (also while starting up) is one line and exit code 130; a
closed standard output (``escalation run baseline | head -3``) ends the command quietly (exit code 141).

Commands that load scenarios take ``--scenario-path DIR`` (repeatable): folders whose YAML files a
scenario's ``extends:`` may name besides its own folder and the shipped scenarios (the same as the
environment variable ``ESCALATION_SCENARIO_PATH``, folders separated by ``os.pathsep``).
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys

from sim.errors import InputError

COMMAND_MODULES = [
    "analysis.cli.core",
    "analysis.cli.runs",
    "analysis.cli.dashboard",
    "analysis.cli.report",
    "analysis.cli.calibration",
    "analysis.cli.hindcast",
    "analysis.cli.robust",
]


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (with a pointer to --help) and exit code 2.

    Options must be spelled out: argparse's prefix matching would silently take ``--world 10`` as
    ``--worlds 10``, so abbreviations are off (sub-command parsers are of this class too).
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered sub-command."""
    parser = OneLineParser(
        prog="escalation",
        description="Agent-based simulator of militia-US-Iran signalling in Iraq: provocation or confrontation?",
    )
    parser.add_argument("--version", action=_VersionAction)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    for name, sub in subparsers.choices.items():
        if name in SCENARIO_COMMANDS:
            sub.add_argument("--scenario-path", action="append", default=None, metavar="DIR",
                             help="a folder whose scenarios `extends:` may name, besides the scenario's own folder "
                                  "and the shipped ones (repeatable; also $ESCALATION_SCENARIO_PATH)")
    return parser


class _VersionAction(argparse.Action):
    """``--version``, which looks the installed version up only when asked (importlib.metadata: 50 ms a command)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help="show program's version number and exit"):
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"{parser.prog} {_version()}")
        parser.exit()


def _version() -> str:
    """The installed package's version (the source tree's when run from a checkout without installing)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("escalation-sim")
    except PackageNotFoundError:
        return "unknown (not installed)"


SCENARIO_COMMANDS = {"run", "validate", "batch", "sweep", "calibrate", "facts", "app", "robust"}
_OS_INPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EISDIR,
                    errno.EEXIST, errno.ENOENT, errno.ENAMETOOLONG, errno.EFBIG}


def _use_scenario_path(folders: list[str] | None) -> None:
    """Add ``--scenario-path`` folders to ``$ESCALATION_SCENARIO_PATH`` (read by the loader and by workers)."""
    from pathlib import Path

    if not folders:
        return
    for folder in folders:
        if not Path(folder).is_dir():
            raise InputError("not a directory; expected a folder of scenario YAML files", file=folder,
                             key="--scenario-path")
    variable = "ESCALATION_SCENARIO_PATH"
    os.environ[variable] = os.pathsep.join([*folders, *filter(None, os.environ.get(variable, "").split(os.pathsep))])


def _quiet_stdout() -> None:
    """Point standard output at /dev/null (its reader is gone), so that no later flush fails."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (2 for bad input, 130 interrupted, 141 output closed)."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
    except KeyboardInterrupt:
        print("escalation: interrupted while starting; nothing was run", file=sys.stderr)
        return 130
    prog = f"escalation {args.command}"
    warmed = _warm_local_cluster(args)
    try:
        _use_scenario_path(getattr(args, "scenario_path", None))
        code = int(args.func(args) or 0)
        sys.stdout.flush()
        return code
    except InputError as error:
        print(f"{prog}: error: {error.one_line()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; only complete results were kept", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of standard output went away (e.g. `| head -3`): stop quietly
        _quiet_stdout()
        return 141
    except RuntimeError as error:
        if type(error).__name__ != "WorkerLost":  # analysis.runs.executors.WorkerLost: a worker died (OOM, kill)
            raise
        print(f"{prog}: error: {' '.join(str(error).split())}", file=sys.stderr)  # says what was kept, how to resume
        return 1
    except MemoryError:
        print(f"{prog}: error: out of memory; use fewer worlds (or a smaller --chunk-size)", file=sys.stderr)
        return 2
    except OSError as error:
        if error.errno not in _OS_INPUT_ERRNOS:
            raise
        where = f"{error.filename}: " if error.filename else ""
        print(f"{prog}: error: {where}{error.strerror or type(error).__name__}", file=sys.stderr)
        return 2
    finally:
        if warmed:  # the fork server outlives nothing: killed whether the command ran, failed or was refused
            from analysis.runs.executors import stop_fork_server

            stop_fork_server()


def _warm_local_cluster(args) -> bool:
    """For a command that will start a local Dask cluster, start its fork server before anything else.

    The server's imports (about a second) then overlap the command's own imports and input checks.
    """
    if not getattr(args, "dask", False) or getattr(args, "scheduler", None):
        return False
    from analysis.runs.executors import warm_fork_server

    return warm_fork_server()


if __name__ == "__main__":
    sys.exit(main())
