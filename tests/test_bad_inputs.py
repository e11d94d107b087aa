"""Bad input, as a hostile tester hands it over: one line on stderr, exit code 2, no traceback, nothing written.

The table (``CASES``) runs the real command line (``analysis.cli.main.main``, the ``escalation`` entry
point) in one subprocess for all cases, each in its own empty working directory, so the whole table
costs one interpreter start (so do the resumes of the damaged stores); the cases that need a process of
their own (a closed pipe, Ctrl-C, a full disk, a read-only directory, worker counts) run through the
``escalation`` fixture one by one. Mutated copies of the shipped scenarios (hypothesis) either load or raise
one InputError line, never anything else.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import InputError
from sim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SECRET = "TOPSECRET-4711"  # a value of a file outside the scenario's folder: never read, never echoed
HUGE_SWEEP = "name: huge\nscenarios: [baseline]\nparameters:\n  quds_force.leash_strength: {lo: 0.2, hi: 0.9, levels: 1000}\n" \
             "  united_states.strike_threshold: {lo: 1, hi: 5, levels: 1000}\nreplicates: 1000000\ndays: 30\n"
SWEEP = "name: small\nscenarios: [baseline]\nparameters:\n  quds_force.leash_strength: {lo: 0.2, hi: 0.9, levels: 2}\n" \
        "replicates: 2\n"
CHILD = "name: child\nextends: baseline\n"
ROBUST = ("name: r\nscenario: crisis_2019_2020\nlevers:\n  united_states.strike_threshold: {}\npolicies:\n  today: {}\n"
          "uncertainties:\n  iran.direct_weight: {lo: 0.5, hi: 2.0}\ndesign: {kind: lhs, samples: 2}\nreplicates: 2\n")

# file name -> contents (bytes or text), written to the inputs folder
FILES = {
    "nonutf8.yaml": b"name: x\nsources: [a]\ntitle: caf\xe9\n",
    "binary.yaml": bytes(range(256)) * 8,
    "nul.yaml": b"name: x\nsources: [a]\x00\n",
    "deep_list.yaml": "name: d\nsources: [a]\nx: " + "[" * 20_000 + "]" * 20_000 + "\n",
    "deep_map.yaml": "name: d\nsources: [a]\nx: " + "{a: " * 20_000 + "1" + "}" * 20_000 + "\n",
    "bad_date.yaml": CHILD + "start_date: 2019-13-45\n",
    "sources_list.yaml": CHILD + "sources: [[a, b]]\n",
    "dup_key.yaml": CHILD + "iran:\n  talks_active: true\niran:\n  talks_active: false\n",
    "bool_yes.yaml": CHILD + "iran:\n  talks_active: yes\n",
    "bool_int.yaml": CHILD + "iran:\n  talks_active: 1\n",
    "number_string.yaml": CHILD + "quds_force:\n  leash_strength: '0.5'\n",
    "float_for_int.yaml": CHILD + "united_states:\n  max_sites: 3.5\n",
    "out_of_order.yaml": CHILD + "timeline:\n  - {date: 2020-01-05, type: talks, status: start}\n"
                                 "  - {date: 2020-01-03, type: talks, status: end}\n",
    "past_horizon.yaml": CHILD + "days: 30\ntimeline:\n  - {day: 45, type: talks, status: start}\n",
    "escaping_name.yaml": "name: x/../../../tmp/escaped\nextends: baseline\n",
    "extends_absolute.yaml": None,  # written by the fixture (needs the secret's absolute path)
    "extends_parent.yaml": None,  # idem (a relative path up and out of the folder)
    "extends_etc.yaml": "name: child\nextends: /etc/passwd\n",
    "list_value.yaml": CHILD + f"quds_force:\n  leash_strength: [{SECRET}]\n",
    "long_value.yaml": CHILD + f"quds_force:\n  leash_strength: '{SECRET * 10}'\n",
    "sweep_huge.yaml": HUGE_SWEEP,
    "sweep_days.yaml": SWEEP + "days: 100000000\n",
    "sweep_seed.yaml": SWEEP + "seed: 18446744073709551616\n",
    "sweep_dup.yaml": SWEEP + "replicates: 3\n",
    "sweep_nonutf8.yaml": SWEEP.encode() + b"description: \xff\xfe\n",
    "sweep_bool.yaml": SWEEP.replace("levels: 2}", "levels: 2}\n  iran.talks_active: {values: [yes, no]}"),
    "targets_dup.yaml": "targets:\n  - name: a\ntargets:\n  - name: b\n",
    "robust_both.yaml": ROBUST.replace("levers:\n", "levers:\n  iran.direct_weight: {}\n"),
    "robust_unknown.yaml": ROBUST.replace("levers:\n", "levers:\n  united_states.strike_treshold: {}\n"),
    "robust_no_policy.yaml": ROBUST.replace("policies:\n  today: {}\n", "policies: {}\n"),
    "robust_ok.yaml": ROBUST,
    "afile": "a file, not a directory\n",
}
STORES = {  # store name -> how it is damaged (see _damage)
    "manifest_list": "[]", "manifest_empty": "{}", "manifest_types": "types", "manifest_binary": "binary",
    "manifest_deep": "deep", "part_truncated": "truncated", "part_empty": "empty", "part_garbage": "garbage",
    "part_schema": "schema", "part_rows": "rows",
}
PART = "outcomes/part-000000010-000000019.parquet"


def _cases() -> dict[str, tuple[list[str], list[str]]]:
    """case id -> (argv with {in} for the inputs folder, fragments the error line must contain)."""
    cases = {
        # unreadable files: the file and the byte offset
        "scenario not UTF-8": (["validate", "{in}/nonutf8.yaml"], ["nonutf8.yaml", "not UTF-8 text (byte 31 is 0xe9)"]),
        "scenario binary": (["run", "{in}/binary.yaml", "--worlds", "2"], ["binary.yaml", "not UTF-8 text (byte 128 is 0x80)"]),
        "scenario NUL byte": (["run", "{in}/nul.yaml"], ["nul.yaml", "NUL byte at offset 20"]),
        "sweep not UTF-8": (["sweep", "{in}/sweep_nonutf8.yaml", "--dry-run"], ["sweep_nonutf8.yaml", "not UTF-8 text (byte"]),
        "nesting 20,000 deep (lists)": (["validate", "{in}/deep_list.yaml"], ["deep_list.yaml", "nesting deeper than 64"]),
        "nesting 20,000 deep (maps)": (["run", "{in}/deep_map.yaml"], ["deep_map.yaml", "nesting deeper than 64"]),
        "impossible date": (["validate", "{in}/bad_date.yaml"], ["bad_date.yaml", "impossible date '2019-13-45'", "YYYY-MM-DD"]),
        "list in sources with extends": (["validate", "{in}/sources_list.yaml"], ["sources: expected a list of citations"]),
        # silently accepted before
        "duplicate key (scenario)": (["run", "{in}/dup_key.yaml"], ["duplicate key 'iran' (first at line 3)"]),
        "duplicate key (sweep)": (["sweep", "{in}/sweep_dup.yaml", "--dry-run"], ["duplicate key 'replicates'"]),
        "duplicate key (targets)": (["calibrate", "baseline", "--targets", "{in}/targets_dup.yaml"],
                                    ["targets_dup.yaml", "duplicate key 'targets'"]),
        "yes for a boolean": (["validate", "{in}/bool_yes.yaml"], ["iran.talks_active: expected a valid boolean", "got 'yes'"]),
        "1 for a boolean": (["validate", "{in}/bool_int.yaml"], ["iran.talks_active: expected a valid boolean", "got 1"]),
        "yes for a boolean (sweep)": (["sweep", "{in}/sweep_bool.yaml", "--dry-run"],
                                      ["iran.talks_active.values: expected true/false values", "got 'yes'"]),
        "numeric string": (["validate", "{in}/number_string.yaml"],
                           ["quds_force.leash_strength: expected a valid number (unquoted), got '0.5'"]),
        "float for an integer": (["validate", "{in}/float_for_int.yaml"], ["united_states.max_sites: expected a valid integer"]),
        "events out of date order": (["validate", "{in}/out_of_order.yaml"],
                                     ["timeline[1].date: 2020-01-03", "comes before timeline[0]", "date order"]),
        "event past the horizon": (["validate", "{in}/past_horizon.yaml"], ["timeline[0].day: day 45 is past the horizon"]),
        "--days past the schema": (["run", "baseline", "--days", "100000"], ["--days: expected a horizon of 1 to 3,650 days"]),
        "sweep days past the schema": (["sweep", "{in}/sweep_days.yaml", "--dry-run"],
                                       ["sweep_days.yaml: days: expected a horizon of 1 to 3,650 days"]),
        "--seed 2**64": (["run", "baseline", "--worlds", "2", "--seed", str(2 ** 64)],
                         ["--seed: expected an integer seed from 0 to 2**64 - 1"]),
        "--seed 2**64 (batch)": (["batch", "baseline", "--worlds", "2", "--seed", str(2 ** 64)], ["--seed:", "2**64 - 1"]),
        "--seed 2**64 (app)": (["app", "--seed", str(2 ** 64)], ["--seed:"]),
        "--seed -1": (["run", "baseline", "--seed", "-1"], ["--seed:"]),
        "sweep seed 2**64": (["sweep", "{in}/sweep_seed.yaml", "--dry-run"], ["sweep_seed.yaml: seed:", "2**64 - 1"]),
        # memory
        "--worlds 10**15": (["run", "baseline", "--worlds", str(10 ** 15)],
                            ["--worlds: 1,000,000,000,000,000 worlds do not fit in memory", "at most"]),
        "--worlds 10**15 (literal)": (["run", "baseline", "--worlds", "10**15"], ["invalid int value: '10**15'"]),
        "--worlds 10**15 (batch)": (["batch", "baseline", "--worlds", str(10 ** 15)], ["do not fit in memory", "per scenario"]),
        "10^12 sweep worlds": (["sweep", "{in}/sweep_huge.yaml"],
                               ["sweep_huge.yaml: replicates: 1,000,000,000,000 worlds do not fit in memory", "at most"]),
        "10^12 sweep worlds (dry run)": (["sweep", "{in}/sweep_huge.yaml", "--dry-run"], ["do not fit in memory"]),
        "chunk beyond memory": (["batch", "baseline", "--worlds", "10", "--series", "--days", "3650", "--chunk-size",
                                 str(10 ** 9)], ["--chunk-size: 1,000,000,000 worlds per chunk do not fit in memory"]),
        "facts beyond memory": (["facts", "--worlds", str(10 ** 12)], ["--worlds:", "do not fit in memory"]),
        # paths
        "--out under a file": (["run", "baseline", "--worlds", "2", "--days", "5", "--out", "{in}/afile/sub"],
                               ["--out:", "afile', a file, not a directory"]),
        "--out under a file (batch)": (["batch", "baseline", "--worlds", "2", "--out", "{in}/afile/x/y"], ["a file, not a directory"]),
        "report --out under a file": (["report", "{in}/stores/good", "--out", "{in}/afile/report"], ["a file, not a directory"]),
        "--connect-timeout -1": (["batch", "baseline", "--worlds", "2", "--connect-timeout", "-1"],
                                 ["--connect-timeout: expected a positive number of seconds, got -1.0"]),
        "escaping scenario name": (["run", "{in}/escaping_name.yaml", "--worlds", "2", "--days", "5"],
                                   ["name: expected 1-100 letters, digits, '_' or '-'"]),
        "extends an absolute path": (["validate", "{in}/extends_absolute.yaml"],
                                     ["extends:", "outside the allowed folders", "--scenario-path"]),
        "extends ../": (["validate", "{in}/extends_parent.yaml"], ["extends: '../elsewhere", "secret.yaml' is outside"]),
        "extends /etc/passwd": (["run", "{in}/extends_etc.yaml"], ["extends: '/etc/passwd' is outside"]),
        "--scenario-path not a folder": (["validate", "{in}/extends_parent.yaml", "--scenario-path", "{in}/nope"],
                                         ["--scenario-path: not a directory"]),
        "a list is not echoed": (["validate", "{in}/list_value.yaml"], ["quds_force.leash_strength: expected a valid number, got a list"]),
        "a long value is not echoed": (["validate", "{in}/long_value.yaml"], ["got a text of 140 characters"]),
        # robust-decision specs (escalation robust)
        "robust: a lever that is also an uncertainty": (["robust", "{in}/robust_both.yaml"], [
            "robust_both.yaml: levers.iran.direct_weight: is also listed under uncertainties"]),
        "robust: an unknown lever": (["robust", "{in}/robust_unknown.yaml", "--dry-run"], [
            "levers.united_states.strike_treshold: unknown parameter path (did you mean"]),
        "robust: no policy": (["robust", "{in}/robust_no_policy.yaml"], ["policies: expected at least one policy"]),
        "robust: a robust spec given to sweep": (["sweep", "{in}/robust_ok.yaml", "--dry-run"], [
            "robust_ok.yaml: levers: a robust-decision spec", "run it with `escalation robust`"]),
    }
    for store, how in STORES.items():
        expected = ["manifest.json"] if store.startswith("manifest") else [PART, "damaged Parquet part"]
        cases[f"thesis: {store}"] = (["thesis", f"{{in}}/stores/{store}"], expected)
        cases[f"report: {store}"] = (["report", f"{{in}}/stores/{store}", "--out", "report"], expected)
        cases[f"resume: {store}"] = (["batch", "baseline", "--worlds", "20", "--days", "20", "--out",
                                      f"{{in}}/stores/{store}"], ["manifest.json"]) if store.startswith("manifest") else None
        cases[f"replay: {store}"] = (["app", "--replay", f"{{in}}/stores/{store}", "--world", "15"], expected)
    return {name: case for name, case in cases.items() if case is not None}


CASES = _cases()
MANIFEST_EXPECTED = {"manifest_list": "expected a JSON object, got a list", "manifest_empty": "name: expected text",
                     "manifest_types": "worlds_total: expected a number of worlds, got 'many'",
                     "manifest_binary": "not UTF-8 text (byte 0 is 0xff)", "manifest_deep": "JSON nested too deeply"}
PART_EXPECTED = {"part_truncated": "magic bytes", "part_empty": "size is 0 bytes", "part_garbage": "damaged",
                 "part_schema": "no column 'outcome'", "part_rows": "3 rows for worlds 10-19"}

DRIVER = r"""
import io, json, os, sys, traceback
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from analysis.cli.main import main

cases, inputs, work = json.loads(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
environment = dict(os.environ)

def snapshot(root):
    return sorted(f"{p.relative_to(root)} {p.stat().st_size} {p.stat().st_mtime_ns}" for p in root.rglob("*"))

results = {}
for index, (name, argv) in enumerate(cases.items()):
    cwd = work / f"case{index:03d}"
    cwd.mkdir()
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(environment)
    before = snapshot(inputs)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main([a.replace("{in}", str(inputs)) for a in argv])
        except SystemExit as stop:
            code = stop.code
        except BaseException:
            traceback.print_exc()
            code = "traceback"
    results[name] = {"code": code, "stdout": out.getvalue(), "stderr": err.getvalue(),
                     "written": [str(p.relative_to(cwd)) for p in cwd.rglob("*")],
                     "inputs_changed": before != snapshot(inputs)}
json.dump(results, sys.stdout)
"""


def _damage(store: Path, how: str) -> None:
    import pyarrow.parquet as pq

    manifest, part = store / "manifest.json", store / PART
    if how in ("[]", "{}"):
        manifest.write_text(how)
    elif how == "types":
        data = json.loads(manifest.read_text())
        manifest.write_text(json.dumps(dict(data, worlds_total="many")))
    elif how == "binary":
        manifest.write_bytes(b"\xff\xfe{\x00" * 10)
    elif how == "deep":
        manifest.write_text("[" * 20_000 + "]" * 20_000)
    elif how == "truncated":
        part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    elif how == "empty":
        part.write_bytes(b"")
    elif how == "garbage":
        data = bytearray(part.read_bytes())
        data[4:-8] = bytes((b ^ 0x5A) for b in data[4:-8])  # magic bytes intact, everything else scrambled
        part.write_bytes(bytes(data))
    elif how == "schema":
        frame = pd.read_parquet(part).drop(columns=["outcome"])
        pq.write_table(__import__("pyarrow").Table.from_pandas(frame, preserve_index=False), part)
    elif how == "rows":
        frame = pd.read_parquet(part).head(3)
        pq.write_table(__import__("pyarrow").Table.from_pandas(frame, preserve_index=False), part)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """The bad files, a good store of 20 worlds (two chunks) and its damaged copies.

    The good store is written in this process by ``analysis.batch`` (what ``escalation batch`` runs, here with
    one worker): it is only the input of the cases, and the command itself is run by the resumes below.
    """
    import shutil

    import analysis

    root = tmp_path_factory.mktemp("inputs")
    elsewhere = tmp_path_factory.mktemp("elsewhere")  # a folder beside the scenarios' folder, not under it
    secret = elsewhere / "secret.yaml"
    secret.write_text(f"name: secret\nsources: [x]\nquds_force: {{leash_strength: {SECRET}}}\n")
    generated = {"extends_absolute.yaml": f"name: child\nextends: {secret}\n",
                 "extends_parent.yaml": f"name: child\nextends: ../{elsewhere.name}/secret.yaml\n"}
    for name, content in FILES.items():
        if content is None:
            content = generated[name]
        (root / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    good = root / "stores" / "good"
    analysis.batch(["baseline"], worlds=20, days=20, chunk_size=10, workers=1, out=good, quiet=True)
    for store, how in STORES.items():
        shutil.copytree(good, root / "stores" / store)
        _damage(root / "stores" / store, how)
    return root


@pytest.fixture(scope="module")
def table(inputs, escalation, tmp_path_factory) -> dict:
    """Every case of CASES run once, all in one subprocess (each in its own empty working directory)."""
    work = tmp_path_factory.mktemp("work")
    argvs = {name: argv for name, (argv, _) in CASES.items()}
    done = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(argvs), str(inputs), str(work)],
                          capture_output=True, text=True, env=escalation.environment(), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_exit_2_and_nothing_written(case, table):
    argv, expected = CASES[case]
    result = table[case]
    stderr = result["stderr"]
    if case.startswith("replay:") and "app extra" in stderr:
        pytest.skip("the dashboard's app extra is not installed")
    assert result["code"] == 2, result
    assert "Traceback" not in stderr and stderr.count("\n") == 1 and stderr.endswith("\n"), stderr
    assert stderr.startswith(f"escalation {argv[0]}: error: "), stderr
    store = next((s for s in STORES if case.endswith(f": {s}")), None)
    for fragment in [*expected, *([MANIFEST_EXPECTED.get(store) or PART_EXPECTED.get(store)] if store else [])]:
        assert fragment in stderr, (fragment, stderr)
    assert SECRET not in stderr and "input_value" not in stderr
    assert result["stdout"] == "" and result["written"] == [] and not result["inputs_changed"], result


# ------------------------------------------------------------------------------------------------
# Cases that need a process of their own


def test_a_closed_pipe_ends_quietly(tmp_path, escalation):
    process = subprocess.Popen(escalation.command("scenarios"), cwd=tmp_path, env=escalation.environment(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before the first line: `escalation scenarios | head -0`
    stderr = process.stderr.read().decode()
    process.wait(timeout=120)
    assert process.returncode == 141 and stderr == ""


@pytest.mark.parametrize("head, code", [("-3", (0, 141)), ("-n 0", (141,))])
def test_run_into_head_ends_quietly(tmp_path, escalation, head, code):
    command = " ".join(escalation.command("run", "baseline", "--worlds", "4", "--days", "10", "--workers", "1",
                                          "--out", "o", "--quiet"))
    done = subprocess.run(["bash", "-o", "pipefail", "-c", f"{command} | head {head} >/dev/null"], cwd=tmp_path,
                          capture_output=True, text=True, env=escalation.environment(), timeout=300)
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr and done.stderr == "", done.stderr
    assert done.returncode in code, done.stderr


def test_ctrl_c_while_starting_up_is_one_line(tmp_path, escalation):
    # a real SIGINT, delivered while the parser imports the sub-commands' modules
    prelude = ("import importlib, os, signal; _import = importlib.import_module\n"
               "def _interrupting(name, package=None):\n"
               "    if name == 'analysis.cli.runs': os.kill(os.getpid(), signal.SIGINT)\n"
               "    return _import(name, package)\n"
               "importlib.import_module = _interrupting")
    done = escalation("batch", "baseline", "--worlds", "10", cwd=tmp_path, prelude=prelude)
    assert done.returncode == 130, done.stderr
    assert done.stderr == "escalation: interrupted while starting; nothing was run\n"
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_says_what_was_kept_and_the_rerun_resumes(tmp_path, escalation):
    prelude = ("import errno, analysis.runs.store as store; _write = store.write_parquet_atomic; _calls = [0]\n"
               "def _full(frame, path):\n"
               "    _calls[0] += 1\n"
               "    if _calls[0] > 1: raise OSError(errno.ENOSPC, 'No space left on device', str(path))\n"
               "    return _write(frame, path)\n"
               "store.write_parquet_atomic = _full")
    args = ("batch", "baseline", "--worlds", "20", "--days", "10", "--chunk-size", "10", "--workers", "1",
            "--out", "o", "--quiet")
    done = escalation(*args, cwd=tmp_path, prelude=prelude)
    assert done.returncode == 2 and "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert "disk full (no space left on device) while writing" in done.stderr
    assert "kept 10 of 20 worlds" in done.stderr and "rerun the same command to resume" in done.stderr
    again = escalation(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert len(pd.read_parquet(tmp_path / "o" / "outcomes")) == 20


def test_a_lost_worker_is_one_line_and_the_rerun_resumes(tmp_path, escalation):
    prelude = "import os, analysis.runs.execute as execute\ndef _die(task): os._exit(9)\nexecute.run_chunk = _die"
    args = ("batch", "baseline", "--worlds", "20", "--days", "5", "--chunk-size", "10", "--workers", "2", "--out", "o",
            "--quiet")
    done = escalation(*args, cwd=tmp_path, prelude=prelude)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert "exited with code 9" in done.stderr and "running the same command again resumes" in done.stderr
    assert escalation(*args, cwd=tmp_path).returncode == 0


def test_a_read_only_directory_is_refused_before_anything_runs(tmp_path, escalation):
    (tmp_path / "ro").mkdir()
    prelude = (f"import os; _statvfs = os.statvfs; _ro = {str(tmp_path / 'ro')!r}\n"
               "class _ReadOnly:\n"
               "    def __init__(self, real): self.real = real\n"
               "    def __getattr__(self, name): return os.ST_RDONLY | self.real.f_flag if name == 'f_flag' "
               "else getattr(self.real, name)\n"
               "os.statvfs = lambda path: _ReadOnly(_statvfs(path)) if str(path).startswith(_ro) else _statvfs(path)")
    done = escalation("run", "baseline", "--worlds", "2", "--days", "5", "--out", tmp_path / "ro" / "out",
                      cwd=tmp_path, prelude=prelude)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "--out:" in done.stderr and "(read-only file system)" in done.stderr
    assert list((tmp_path / "ro").iterdir()) == []


def test_resume_sets_a_damaged_part_aside_and_reruns_its_chunk(inputs, tmp_path, escalation):
    """Each damage, resumed by the same batch command, then read by ``escalation thesis``.

    The ten commands run through the entry point in one subprocess (DRIVER, as the table does), not ten.
    """
    import shutil

    good = pd.read_parquet(inputs / "stores" / "good" / "outcomes")
    damages = ("truncated", "empty", "garbage", "schema", "rows")
    for how in damages:
        shutil.copytree(inputs / "stores" / "good", tmp_path / "stores" / how)
        _damage(tmp_path / "stores" / how, how)
    commands = {}
    for how in damages:
        commands[f"resume {how}"] = ["batch", "baseline", "--worlds", "20", "--days", "20", "--chunk-size", "10",
                                     "--workers", "1", "--out", str(tmp_path / "stores" / how), "--quiet"]
        commands[f"thesis {how}"] = ["thesis", str(tmp_path / "stores" / how)]  # after its resume: dicts keep order
    (tmp_path / "work").mkdir()
    ran = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(commands), str(tmp_path / "stores"),
                          str(tmp_path / "work")], capture_output=True, text=True, env=escalation.environment(),
                         timeout=600)
    assert ran.returncode == 0, ran.stderr[-3000:]
    results = json.loads(ran.stdout)
    for how in damages:
        store, stderr = tmp_path / "stores" / how, results[f"resume {how}"]["stderr"]
        assert results[f"resume {how}"]["code"] == 0, stderr
        assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
        assert stderr.startswith(f"escalation batch: note: {store / PART}: damaged part (")
        assert "moved aside to damaged/outcomes/part-000000010-000000019.parquet.damaged; worlds 10-19 run again" \
            in stderr
        assert (store / "damaged" / (PART + ".damaged")).is_file()
        repaired = pd.read_parquet(store / "outcomes")  # a table's folder holds only its parts
        pd.testing.assert_frame_equal(repaired.reset_index(drop=True), good.reset_index(drop=True))
        assert results[f"thesis {how}"]["code"] != 2, results[f"thesis {how}"]["stderr"]


def test_more_workers_than_cpus_are_capped_with_a_note(tmp_path, escalation):
    from analysis.runs.guards import usable_cpus

    cpus = usable_cpus()
    done = escalation("batch", "baseline", "--worlds", "4", "--days", "5", "--workers", "1000", "--out", "a", "--quiet",
                      cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == (f"escalation batch: note: --workers 1,000 is more than the {cpus} CPUs available; using "
                           f"{cpus} (--force-workers to start 1,000)\n")
    forced = escalation("batch", "baseline", "--worlds", "4", "--days", "5", "--workers", str(cpus + 1),
                        "--force-workers", "--out", "b", "--quiet", cwd=tmp_path)
    assert forced.returncode == 0 and forced.stderr == "", forced.stderr


def test_scenario_path_lets_extends_reach_another_folder(inputs, tmp_path, escalation):
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "common.yaml").write_text("name: common\nextends: baseline\niran: {talks_active: true}\n")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "child.yaml").write_text("name: child\nextends: ../library/common.yaml\n")
    refused = escalation("validate", tmp_path / "mine" / "child.yaml", cwd=tmp_path)
    assert refused.returncode == 2 and "is outside the allowed folders" in refused.stderr
    allowed = escalation("validate", tmp_path / "mine" / "child.yaml", "--scenario-path", tmp_path / "library", cwd=tmp_path)
    assert allowed.returncode == 0 and allowed.stdout.startswith("1 file valid: "), allowed.stderr
    by_env = escalation("validate", tmp_path / "mine" / "child.yaml", cwd=tmp_path,
                        env={"ESCALATION_SCENARIO_PATH": str(tmp_path / "library")})
    assert by_env.returncode == 0, by_env.stderr


def test_integers_are_fine_for_floats_and_true_false_for_flags(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(CHILD + "quds_force:\n  leash_strength: 1\niran:\n  talks_active: true\n")
    scenario = load_scenario(path)
    assert scenario.quds_force.leash_strength == 1.0 and isinstance(scenario.quds_force.leash_strength, float)
    assert scenario.iran.talks_active is True
    (tmp_path / "text.yaml").write_text(CHILD + "militias:\n  badr:\n    front_name: no\n")
    assert load_scenario(tmp_path / "text.yaml").militias["badr"].front_name == "no"  # YAML 1.2: text, not false


# ------------------------------------------------------------------------------------------------
# Mutated shipped scenarios: they load, or they raise one InputError line, never anything else

SHIPPED = sorted(SCENARIOS.glob("*.yaml"))
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["yes", "no", "0.5", "1e3", "2019-13-45", "baseline", "../x.yaml", "/etc/passwd", "~", "[]", ""]),
    st.dates(),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(max_size=8), SCALARS, max_size=3))


def _paths(node, prefix=()):
    """Every path into a parsed YAML document (keys of mappings, indices of lists)."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _mutate(data, kind: str, path: tuple, value):
    if not path:
        return value if kind == "replace" else data
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if kind == "drop":
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return data


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_shipped_scenarios_load_or_raise_one_input_error(data):
    source = data.draw(st.sampled_from(SHIPPED), label="scenario")
    text = source.read_text()
    kind = data.draw(st.sampled_from(["drop", "replace", "duplicate", "garbage"]), label="mutation")
    if kind in ("drop", "replace"):
        document = yaml.safe_load(text)
        path = data.draw(st.sampled_from(list(_paths(document))[1:]), label="path")
        document = _mutate(document, kind, path, data.draw(VALUES, label="value") if kind == "replace" else None)
        raw = yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode()
    elif kind == "duplicate":
        lines = text.splitlines(keepends=True)
        keyed = [i for i, line in enumerate(lines) if ":" in line and not line.lstrip().startswith(("#", "-"))]
        i = data.draw(st.sampled_from(keyed), label="line")
        raw = "".join([*lines[: i + 1], lines[i], *lines[i + 1:]]).encode()
    else:
        raw = text.encode()
        at = data.draw(st.integers(0, len(raw)), label="offset")
        raw = raw[:at] + data.draw(st.binary(min_size=1, max_size=12), label="garbage") + raw[at:]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mutant.yaml"
        path.write_bytes(raw)
        try:
            load_scenario(path)
        except InputError as error:  # ScenarioError is an InputError
            line = error.one_line()
            assert line and "\n" not in line and "input_value" not in line
