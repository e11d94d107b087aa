"""A refused command answers before it imports the heavy libraries.

Each command checks its cheap inputs (scenario names, files, results directories, option values) first and
imports scipy.stats, matplotlib, Mesa (the model), SALib and solara only once it has work to do, so a
mistyped name costs a fraction of a second instead of one to three. Each case runs in a fresh interpreter
(the command's own process), calls the entry point's ``main`` and reports the exit code and which of those
modules it imported; moving one of their imports back to a module's top fails here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("scipy.stats", "matplotlib", "mesa", "SALib", "solara")

REPORT = """
import contextlib, io, json, sys
from analysis.cli.main import main

stderr = io.StringIO()
with contextlib.redirect_stderr(stderr):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "stderr": stderr.getvalue(), "heavy": [m for m in HEAVY if m in sys.modules]}))
"""

REFUSED = [
    (["run", "no_such"], "unknown scenario 'no_such'"),
    (["batch", "baseline", "no_such", "--worlds", "3"], "unknown scenario 'no_such'"),
    (["sweep", "no_such.yaml"], "sweep spec not found"),
    (["robust", "no_such.yaml"], "sweep spec not found"),
    (["validate", "no_such.yaml"], "file not found"),
    (["calibrate", "no_such"], "unknown scenario 'no_such'"),
    (["calibrate", "baseline", "--targets", "missing.yaml"], "targets file not found"),
    (["calibrate", "--joint", "baseline"], "takes no SCENARIO"),
    (["facts", "no_such"], "unknown scenario 'no_such'"),
    (["hindcast", "no_such"], "unknown scenario 'no_such'"),
    (["app", "no_such", "--port", "0"], "unknown scenario 'no_such'"),
    (["app", "--replay", "no_such_dir", "--world", "0"], "no such results directory"),
    (["report", "no_such_dir"], "no such results directory"),
    (["thesis", "no_such_dir"], "no such results directory"),
    (["thesis", "--settle", "no_such"], "unknown scenario 'no_such'"),
    (["thesis", "--ensemble", "no_such"], "unknown scenario 'no_such'"),
]


@pytest.mark.parametrize("argv, message", REFUSED, ids=[" ".join(argv) for argv, _ in REFUSED])
def test_a_refused_command_is_one_line_and_imports_no_heavy_library(argv, message, repo_root, tmp_path):
    script = f"HEAVY = {HEAVY!r}\n" + REPORT
    done = subprocess.run([sys.executable, "-c", script, *argv], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={**__import__("os").environ, "PYTHONPATH": str(repo_root)})
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 2
    assert report["stderr"].count("\n") == 1 and message in report["stderr"], report["stderr"]
    assert report["heavy"] == [], f"`escalation {' '.join(argv)}` imported {report['heavy']} before refusing"
    assert list(tmp_path.iterdir()) == []  # nothing written
