"""A refused command answers before it imports the heavy libraries.

Each command checks its cheap inputs (scenario names, files, results directories, option values) first and
imports scipy.stats, matplotlib, Mesa (the model), SALib, solara and pyarrow (with pandas) only once it has
work to do, so a mistyped name or an option out of range costs a fraction of a second instead of one to
three. Each case runs in a fresh interpreter (the command's own process), calls the entry point's ``main``
and reports the exit code, what went to stderr and which of those modules it imported; moving one of their
imports back to a module's top fails here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("scipy.stats", "matplotlib", "mesa", "SALib", "solara", "pyarrow")

REPORT = """
import contextlib, io, json, sys
from analysis.cli.main import main

stderr = io.StringIO()
with contextlib.redirect_stderr(stderr):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "stderr": stderr.getvalue(), "heavy": [m for m in HEAVY if m in sys.modules]}))
"""

ROBUST_SPEC = "robust_us_policy_crisis"
REFUSED = [
    (["run", "no_such"], "unknown scenario 'no_such'"),
    (["run", "baseline", "--worlds", "0"], "--worlds: expected a positive number of worlds, got 0"),
    (["validate", "no_such.yaml"], "file not found"),
    (["schema", "--out", "/dev/null/folder/reference.md"], "a file, not a directory"),
    (["batch", "baseline", "no_such", "--worlds", "3"], "unknown scenario 'no_such'"),
    (["batch", "baseline", "--worlds", "0"], "--worlds: expected a positive number of worlds, got 0"),
    (["batch", "baseline", "--worlds", "3", "--workers", "0"], "--workers: expected a positive number of workers"),
    (["batch", "baseline", "--worlds", "3", "--chunk-size", "0"], "--chunk-size: expected a positive chunk size"),
    (["batch", "baseline", "--worlds", "3", "--ensemble", "0"], "--ensemble: expected a positive whole number"),
    (["batch", "baseline", "--worlds", "3", "--point-worlds", "5"], "--point-worlds needs --ensemble M"),
    (["sweep", "no_such.yaml"], "sweep spec not found"),
    (["sweep", "crisis_corner", "--workers", "0"], "--workers: expected a positive number of workers"),
    (["sweep", ROBUST_SPEC], "run it with `escalation robust`"),
    (["robust", "no_such.yaml"], "sweep spec not found"),
    (["robust", "crisis_corner"], "not a robust-decision spec"),
    (["robust", ROBUST_SPEC, "--worlds-per-point", "0"], "--worlds-per-point: expected a positive number"),
    (["robust", ROBUST_SPEC, "--series"], "--series: a robust run stores outcomes only"),
    (["robust", ROBUST_SPEC, "--connect-timeout", "0"], "--connect-timeout: expected a positive number of seconds"),
    (["calibrate", "no_such"], "unknown scenario 'no_such'"),
    (["calibrate", "baseline", "--targets", "missing.yaml"], "targets file not found"),
    (["calibrate", "baseline", "--worlds", "0"], "--worlds: expected at least 10, got 0"),
    (["calibrate", "baseline", "--fit-worlds", "0"], "--fit-worlds: expected a positive number of worlds, got 0"),
    (["calibrate", "baseline", "--parameters", "no.such.path"], "unknown parameter path"),
    (["calibrate", "--joint", "baseline"], "takes no SCENARIO"),
    (["calibrate", "--joint", "--worlds", "0"], "expected at least 10, got 0"),
    (["calibrate", "--joint", "--fit-worlds", "0"], "--fit-worlds: expected a positive number of worlds, got 0"),
    (["calibrate", "--joint", "--search-factor", "0.5"], "--search-factor: expected a search factor above 1, got 0.5"),
    (["calibrate", "baseline", "--search-factor", "1"], "--search-factor: expected a search factor above 1, got 1.0"),
    (["facts", "no_such"], "unknown scenario 'no_such'"),
    (["facts", "--worlds", "5"], "--worlds: expected at least 10 worlds, got 5"),
    (["hindcast", "no_such"], "unknown scenario 'no_such'"),
    (["hindcast", "crisis_2019_2020", "--worlds", "0"], "--worlds: expected at least 1 world, got 0"),
    (["hindcast", "--targets", "missing.yaml"], "file not found"),
    (["app", "no_such", "--port", "0"], "unknown scenario 'no_such'"),
    (["app", "--replay", "no_such_dir", "--world", "0"], "no such results directory"),
    (["report", "no_such_dir"], "no such results directory"),
    (["report", "no_such_dir", "--threshold", "2"], "threshold must lie strictly between 0 and 1"),
    (["thesis", "no_such_dir"], "no such results directory"),
    (["thesis", "no_such_dir", "--threshold", "0"], "threshold must lie strictly between 0 and 1"),
    (["thesis", "--settle", "no_such"], "unknown scenario 'no_such'"),
    (["thesis", "--settle", "baseline", "--max-worlds", "0"], "--max-worlds: expected a positive number of worlds"),
    (["thesis", "--ensemble", "no_such"], "unknown scenario 'no_such'"),
    (["thesis", "--ensemble", "baseline", "--vectors", "0"], "--vectors: expected a positive number, got 0"),
]


def test_every_command_has_a_refused_case():
    from analysis.cli.main import build_parser

    commands = {action for action in build_parser()._subparsers._group_actions[0].choices}
    assert commands - {argv[0] for argv, _ in REFUSED} == {"scenarios"}  # which takes no input to refuse


@pytest.mark.parametrize("argv, message", REFUSED, ids=[" ".join(argv) for argv, _ in REFUSED])
def test_a_refused_command_is_one_line_and_imports_no_heavy_library(argv, message, repo_root, tmp_path):
    script = f"HEAVY = {HEAVY!r}\n" + REPORT
    done = subprocess.run([sys.executable, "-c", script, *argv], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(repo_root)})
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 2
    assert report["stderr"].count("\n") == 1 and message in report["stderr"], report["stderr"]
    assert report["stderr"].startswith(f"escalation {argv[0]}: error: "), report["stderr"]
    assert report["heavy"] == [], f"`escalation {' '.join(argv)}` imported {report['heavy']} before refusing"
    assert list(tmp_path.iterdir()) == []  # nothing written
