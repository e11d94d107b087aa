"""Shared fixtures: small, seeded runs reused across tests, the repository root, and the command line."""

from __future__ import annotations

import os
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
