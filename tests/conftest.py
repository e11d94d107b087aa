"""Shared fixtures: small, seeded runs reused across tests, the repository root, and the command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sim.runner import simulate
from sim.scenario import load_scenario

REPO_ROOT = Path(__file__).resolve().parents[1]
CLI_TIMEOUT = 600  # seconds: far above any command the tests run, so only a hang trips it

# The suite runs on two pytest-xdist workers (`-n 2 --dist loadfile` in pyproject.toml). Each test module runs
# whole on one worker, so its module-scoped fixtures (a stored batch, 1,500 seeded worlds) are built once. The
# modules that start, watch and kill process trees (reading /proc), start local Dask clusters (which share
# /tmp/dask-scratch-space) or time Play in a real browser form one unit of work, SERIAL_GROUP: they never run
# at the same time as each other, only beside ordinary tests. That unit is the longest, so it is handed out
# first. (`--dist loadgroup` with xdist_group marks would do the same, but under pytest 9.2 pytest-xdist 3.8 can
# no longer append the group to the test ids (pytest-xdist issue 1386), so every test ends up alone; this
# scheduler reads module names.)
SERIAL_MODULES = frozenset({"test_lifecycle.py", "test_dask.py", "test_browser.py"})
SERIAL_GROUP = "processes"


def _is_serial(nodeid: str) -> bool:
    return Path(nodeid.split("::", 1)[0]).name in SERIAL_MODULES


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """With ``--dist loadfile``: one unit of work per module, the SERIAL_MODULES together as one."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SerialGroupFileScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return SERIAL_GROUP if _is_serial(nodeid) else super()._split_scope(nodeid)

    return SerialGroupFileScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    """On an xdist worker, the SERIAL_MODULES first: units are handed out in collection order
    (``--no-loadscope-reorder``), so the longest starts first."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=lambda item: not _is_serial(item.nodeid))


class Escalation:
    """The ``escalation`` command line of this source tree, run in a subprocess as a user runs it.

    ``escalation("run", "baseline", "--worlds", 40, cwd=tmp_path)`` runs ``python -m analysis.cli.main``
    (the ``escalation`` script's entry point) with this checkout first on ``PYTHONPATH`` and returns the
    ``CompletedProcess`` with text stdout and stderr. Arguments are turned into strings (paths, numbers).

    Args of a call:
        cwd: working directory (default: the test's).
        env: extra environment variables, added to this process's environment.
        timeout: seconds before the run counts as hung.
        prelude: Python run in the child before the command line (e.g. ``sys.modules['solara'] = None`` to
            hide an installed package); ``sys`` is imported.
        **kwargs: passed to :func:`subprocess.run`.
    """

    def __init__(self, root: Path = REPO_ROOT):
        self.root = root

    def command(self, *args, prelude: str | None = None) -> list[str]:
        """The argv that runs ``escalation ARGS`` (for :class:`subprocess.Popen`)."""
        if prelude is None:
            return [sys.executable, "-m", "analysis.cli.main", *map(str, args)]
        code = f"import sys; {prelude}; from analysis.cli.main import main; sys.exit(main(sys.argv[1:]))"
        return [sys.executable, "-c", code, *map(str, args)]

    def environment(self, **extra: str) -> dict[str, str]:
        """This process's environment with this checkout first on ``PYTHONPATH``, plus ``extra``."""
        path = os.pathsep.join(p for p in (str(self.root), os.environ.get("PYTHONPATH")) if p)
        return {**os.environ, "PYTHONPATH": path, **extra}

    def __call__(self, *args, cwd: str | Path | None = None, env: dict[str, str] | None = None,
                 timeout: float = CLI_TIMEOUT, prelude: str | None = None, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(*args, prelude=prelude), cwd=cwd, env=self.environment(**(env or {})),
                              capture_output=True, text=True, timeout=timeout, **kwargs)


RESTORED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGHUP)


class InProcessEscalation:
    """``analysis.cli.main.main(argv)`` (what the ``escalation`` script runs) called in this process.

    For the extra cases of a parametrized matrix of refused inputs, whose first case runs in a subprocess
    through the ``escalation`` fixture: a refusal's message and exit code do not depend on the process,
    and an interpreter start per case costs a second or more. ``escalation_in_process("calibrate", ...,
    cwd=tmp_path)`` runs in ``cwd``, with standard output and error captured, and returns a
    ``CompletedProcess`` like the ``escalation`` fixture's; the working directory, the environment and the
    signal handlers are restored afterwards (commands add ``--scenario-path`` folders to the environment and
    install a SIGTERM handler).

    Only for commands that run nothing or run with ``--workers 1``: a pool or a Dask cluster must never be
    started from inside a pytest worker, so ``--dask``, ``--scheduler`` and ``--workers`` above 1 are refused.
    """

    def __call__(self, *args, cwd: str | Path | None = None, env: dict[str, str] | None = None
                 ) -> subprocess.CompletedProcess:
        import contextlib
        import io

        from analysis.cli.main import main

        argv = [str(a) for a in args]
        assert not {"--dask", "--scheduler"} & set(argv), "a Dask cluster never starts inside a pytest worker"
        if "--workers" in argv:  # 1, or a count the command refuses (0, -1, x)
            workers = argv[argv.index("--workers") + 1]
            assert not (workers.isdigit() and int(workers) > 1), "a process pool never starts inside a pytest worker"
        saved_cwd, saved_env = os.getcwd(), dict(os.environ)
        saved_handlers = {number: signal.getsignal(number) for number in RESTORED_SIGNALS}
        out, err = io.StringIO(), io.StringIO()
        try:
            os.chdir(cwd or saved_cwd)
            os.environ.update(env or {})
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main(argv)
                except SystemExit as stop:  # argparse's usage errors and --help exit
                    code = stop.code if isinstance(stop.code, int) else 2
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
            for number, handler in saved_handlers.items():
                signal.signal(number, handler)
        return subprocess.CompletedProcess(["escalation", *argv], code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session")
def escalation_in_process() -> InProcessEscalation:
    """Run ``escalation ARGS`` in this process (extra cases of refused-input matrices only; see the class)."""
    return InProcessEscalation()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root directory (where README.md and scenarios/ are)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def escalation() -> Escalation:
    """Run the ``escalation`` command line in a subprocess: ``escalation(*args, cwd=..., env=...)``."""
    return Escalation(REPO_ROOT)


@pytest.fixture(scope="session")
def baseline():
    """The shipped baseline scenario."""
    return load_scenario("baseline")


@pytest.fixture(scope="session")
def baseline_run():
    """300 baseline worlds over 365 days, seed 11."""
    return simulate("baseline", n_worlds=300, seed=11)
