"""Calibration: targets file, named statistics, the vectorized fit, bad input, the CLI."""

import datetime as dt
import re

import numpy as np
import pytest
import yaml

from analysis.calibration.fit import Calibration, calibrate, resolve_knobs, run_candidates
from analysis.calibration.statistics import STATISTICS, Measured, Worlds, measure
from analysis.calibration.targets import load_targets
from sim.errors import InputError
from sim.runner import simulate
from sim.scenario import load_scenario, parameter_paths

def write_targets(path, **overrides):
    entry = {"name": "rate", "quantity": "attacks per month", "scenario": "baseline", "statistic": "attacks_per_month",
             "value": 5, "range": [4, 6], "role": "fit", "confidence": "M", "source": "test"}
    entry.update(overrides)
    path.write_text(yaml.safe_dump({"targets": [entry]}), encoding="utf-8")
    return path


def test_shipped_targets_are_sourced_and_name_known_statistics():
    targets = load_targets()
    assert len(targets) >= 20
    for target in targets:
        assert target.statistic in STATISTICS and target.source and target.confidence in "HML"
        assert target.low <= target.value <= target.high
        load_scenario(target.scenario)  # every target names a shipped scenario
    assert {t.scenario for t in targets if t.role == "fit"} == {"baseline", "crisis_2019_2020", "talks_2021"}


def test_common_random_numbers_make_candidates_with_equal_values_identical():
    scenario = load_scenario("baseline")
    knobs = resolve_knobs(scenario, ["militias.*.base_attack_rate"])
    targets = [t for t in load_targets() if t.name == "baseline_attacks_per_month"]
    batch = run_candidates(scenario, knobs, np.array([[1.0], [2.0], [1.0]]), targets, worlds=40, seed=3, days=90)
    values = batch.values()[0]
    assert values[0] == values[2]  # same parameters, same seeds: the very same worlds
    assert values[1] > 1.5 * values[0]  # doubling every base rate roughly doubles the attacks
    alone = simulate(scenario, n_worlds=40, seed=3, days=90, collect_series=False)
    measured = measure(Worlds.from_run(scenario, alone, 90), targets)[0]
    assert measured.value == pytest.approx(values[0])


def test_calibration_recovers_a_known_attack_rate_multiplier(tmp_path):
    scenario = load_scenario("baseline")
    truth = 1.6
    base = {p: v * truth for p, v in zip(*[(k.paths, k.originals) for k in
                                           resolve_knobs(scenario, ["militias.*.base_attack_rate"])][0])}
    observed = simulate(scenario, n_worlds=2000, seed=99, days=120, overrides=base, collect_series=False)
    rate = measure(Worlds.from_run(scenario, observed, 120), [t for t in load_targets() if t.name == "baseline_attacks_per_month"])[0]
    targets = write_targets(tmp_path / "t.yaml", value=round(rate.value, 3), range=[rate.value * 0.95, rate.value * 1.05])
    result = calibrate("baseline", targets, ["militias.*.base_attack_rate"], worlds=150, candidates=8, rounds=2,
                       bootstrap=60, fit_worlds=400, days=120)
    fitted = result.knobs[0]
    assert fitted.lower <= truth <= fitted.upper
    assert abs(fitted.value - truth) < 0.15
    assert result.fit[0].holds
    text = result.yaml_text("baseline")
    data = yaml.safe_load(text)
    assert data["extends"] == "baseline" and any("calibrated" in s for s in data["sources"])
    shipped = scenario.militias["kataib_hezbollah"].base_attack_rate
    assert data["militias"]["kataib_hezbollah"]["base_attack_rate"] == pytest.approx(shipped * fitted.value, rel=1e-3)


@pytest.mark.parametrize("change, message", [
    ({"statistic": "attacks_per_mnth"}, "unknown statistic 'attacks_per_mnth' (did you mean 'attacks_per_month'?)"),
    ({"range": [6, 7]}, "expected low <= value <= high"),
    ({"confidence": "X"}, "expected confidence H, M or L"),
    ({"role": "sett"}, "expected role 'fit', 'check' or 'set', got 'sett'"),
    ({"role": "set"}, "a target with role 'set' needs a 'note' naming the parameter"),
])
def test_bad_targets_raise_input_errors(tmp_path, change, message):
    with pytest.raises(InputError, match=re.escape(message)):
        load_targets(write_targets(tmp_path / "t.yaml", **change))


# Targets whose value was written into a parameter from the same record (docs/calibration.md, "Roles and
# facts that hold by construction"): matching them is not evidence.
SET_FROM_THE_RECORD = {
    "baseline_response_lag": "united_states.response_lag_mean",
    "crisis_iran_answers": "iran.warned_salvo_cost",
    "crisis_salvo_without_us_dead": "iran.salvo_kill_probability_warned",
    "crisis_salvo_wounded": "iran.salvo_wounded_mean",
}


def test_targets_set_from_the_record_have_role_set_and_name_the_parameter_that_holds_them():
    targets = {t.name: t for t in load_targets()}
    assert {name for name, t in targets.items() if t.role == "set"} == set(SET_FROM_THE_RECORD)
    for name, path in SET_FROM_THE_RECORD.items():
        target = targets[name]
        assert path in target.note and target.note.startswith("set from the record")
        named = set(re.findall(r"\b(?:united_states|iran)\.[a-z_]+", target.note))
        assert named and named <= set(parameter_paths(load_scenario(target.scenario))), name
    assert load_scenario("crisis_2019_2020").iran.salvo_wounded_mean == targets["crisis_salvo_wounded"].value
    assert load_scenario("baseline").united_states.response_lag_mean == targets["baseline_response_lag"].value


def test_a_set_target_parses_with_its_note(tmp_path):
    target, = load_targets(write_targets(tmp_path / "t.yaml", role="set", note="iran.salvo_wounded_mean holds it"))
    assert target.role == "set" and target.note == "iran.salvo_wounded_mean holds it"
    assert load_targets(write_targets(tmp_path / "u.yaml"))[0].role == "fit"  # the default role


def _calibration(tmp_path, values):
    """A Calibration with one target of each role measured at the given values (no simulation)."""
    entries = [{"name": f"{role}_target", "quantity": "q", "scenario": "baseline", "statistic": "attacks_per_month",
                "value": 5, "range": [4, 6], "role": role, "confidence": "M", "source": "test",
                **({"note": "iran.salvo_wounded_mean holds it"} if role == "set" else {})}
               for role in ("fit", "check", "set")]
    path = tmp_path / "roles.yaml"
    path.write_text(yaml.safe_dump({"targets": entries}), encoding="utf-8")
    fit = [Measured(t, v, v - 0.1, v + 0.1, 100.0) for t, v in zip(load_targets(path), values)]
    return Calibration(load_scenario("baseline"), str(path), [], fit, 0.0, 10, 4, 1, 0, 90, 0, 100)


def test_the_fit_table_prints_set_targets_apart_and_the_summary_counts_fit_and_check_only(tmp_path):
    text = _calibration(tmp_path, [5.0, 5.5, 9.0]).summary()  # the set target misses: not counted
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if "Set from the record, not evidence" in line)
    assert [i for i, line in enumerate(lines) if "fit_target" in line][0] < header
    assert [i for i, line in enumerate(lines) if "check_target" in line][0] < header
    set_rows = [i for i, line in enumerate(lines) if line.lstrip().startswith("set_target")]
    assert set_rows and min(set_rows) > header and "(set, M;" in lines[set_rows[0]]
    assert "set_target: iran.salvo_wounded_mean holds it" in text
    assert lines[-1] == "Every target in range (1 fitted and 1 check targets counted; 1 set from the record, not counted)."
    missed = _calibration(tmp_path, [5.0, 7.0, 5.0]).summary().splitlines()[-1]
    assert missed == "Out of range: check_target (1 fitted and 1 check targets counted; 1 set from the record, not counted)."
    written = _calibration(tmp_path, [5.0, 5.5, 9.0]).yaml_text("baseline")
    assert "# Every target in range" in written and "Set from the record, not evidence" in written
    assert yaml.safe_load(written)["extends"] == "baseline"


def test_a_targets_file_with_a_duplicate_key_is_refused(tmp_path):
    path = write_targets(tmp_path / "t.yaml")
    path.write_text(path.read_text(encoding="utf-8") + "targets: []\n", encoding="utf-8")
    with pytest.raises(InputError, match="duplicate key 'targets'"):
        load_targets(path)


def test_unknown_parameter_path_suggests_the_nearest():
    with pytest.raises(InputError, match=r"did you mean 'united_states.strike_threshold'"):
        resolve_knobs(load_scenario("baseline"), ["united_states.strike_treshold"])


def test_calibrate_cli_prints_the_fit_and_writes_a_loadable_scenario(tmp_path, escalation):
    done = escalation("calibrate", "baseline", "--parameters", "militias.*.base_attack_rate", "--worlds", "40",
                      "--candidates", "8", "--rounds", "1", "--bootstrap", "20", "--fit-worlds", "40", "--days", "90",
                      "--out", "cal.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Fitted values" in done.stdout and "baseline_attacks_per_month" in done.stdout
    assert "95%" in done.stdout and "Wrote cal.yaml" in done.stdout
    calibrated = load_scenario(tmp_path / "cal.yaml")
    assert calibrated.name == "baseline_calibrated"
    assert calibrated.militias["badr"].base_attack_rate != load_scenario("baseline").militias["badr"].base_attack_rate


# The first case of each refusal matrix runs in a subprocess, as a user runs it; the others call the entry
# point in this process (conftest.InProcessEscalation): the message and exit code are the same, without an
# interpreter start per case.
@pytest.mark.parametrize("args, message, in_subprocess", [
    (["--targets", "missing.yaml"], "missing.yaml: targets file not found", True),
    (["--parameters", "united_states.strike_treshold"], "did you mean 'united_states.strike_threshold'", False),
    (["--targets", "bad.yaml"], "unknown statistic", False),
    (["--parameters", "militias.*.nope"], "militias.*.nope: the pattern matches no parameter path", False),
    (["--days", "30", "--targets", "late.yaml"], "late: period 2020-07-01 to 2020-09-30 lies outside the simulated horizon",
     False),
])
def test_calibrate_cli_bad_input_is_one_line_and_exit_2(tmp_path, args, message, in_subprocess, escalation,
                                                         escalation_in_process):
    write_targets(tmp_path / "bad.yaml", statistic="no_such_statistic")
    write_targets(tmp_path / "late.yaml", name="late", period=[dt.date(2020, 7, 1), dt.date(2020, 9, 30)])
    run = escalation if in_subprocess else escalation_in_process
    done = run("calibrate", "baseline", *args, "--worlds", "20", cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr and not (tmp_path / "baseline_calibrated.yaml").exists()


# -- issue 14: where calibrate writes, what it writes, and its progress ----------------------------------------


def test_calibrate_writes_only_under_out_with_integers_and_its_bootstrap_ensemble(tmp_path, escalation):
    done = escalation("calibrate", "baseline", "--parameters", "militias.*.base_attack_rate,united_states.refractory_days",
                      "--worlds", "30", "--candidates", "8", "--rounds", "1", "--bootstrap", "5", "--fit-worlds", "30",
                      "--days", "90", "--out", "fits", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no progress bar when standard error is not a terminal
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["fits/baseline_calibrated.yaml"]
    text = (tmp_path / "fits" / "baseline_calibrated.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data["united_states"]["refractory_days"], int)  # the strict schema refuses 30.0 for days
    calibrated = load_scenario(tmp_path / "fits" / "baseline_calibrated.yaml")
    ensemble = calibrated.ensembles["baseline"]  # the refit replaces the shipped baseline ensemble
    assert ensemble.knobs == ["militias.*.base_attack_rate", "united_states.refractory_days"]
    assert len(ensemble.members) == 5 and all(len(m) == 2 for m in ensemble.members)
    assert "united_states.refractory_days" not in calibrated.priors  # fitted now, so its prior is dropped
    assert "iran.war_cost" in calibrated.priors
    assert "- [" in text  # one member per line


@pytest.mark.parametrize("out, message, in_subprocess", [
    ("afile/cal.yaml", "'afile' is a file; expected a directory or a .yaml file", True),
    ("afile/sub/cal.yaml", "is under 'afile', a file, not a directory", False),
    ("afile", "is a file; expected a directory or a .yaml file", False),
    ("adir.yaml", "is a directory; expected a .yaml file to write", False),
])
def test_calibrate_refuses_an_unusable_out_before_the_fit(tmp_path, out, message, in_subprocess, escalation,
                                                           escalation_in_process):
    """The shipped sizes (3 rounds x 32 candidates x 200 worlds, 200 bootstrap fits) take minutes; the refusal
    comes at once, in one line (the subprocess case within its 60 s timeout)."""
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    (tmp_path / "adir.yaml").mkdir()
    if in_subprocess:
        done = escalation("calibrate", "baseline", "--out", out, cwd=tmp_path, timeout=60)
    else:
        done = escalation_in_process("calibrate", "baseline", "--out", out, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "--out" in done.stderr and done.stderr.count("\n") == 1


def _under_a_terminal(command: list[str], env: dict, cwd) -> str:
    """Run a command with standard error on a pseudo-terminal; return what it wrote there (it must exit 0)."""
    import fcntl
    import os
    import pty
    import select
    import struct
    import subprocess
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a terminal 120 columns wide
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=slave, env=env, cwd=cwd)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    process.wait(timeout=300)
    os.close(master)
    shown = b"".join(chunks).decode(errors="replace")
    assert process.returncode == 0, shown
    return shown


def test_calibrate_and_facts_show_a_progress_bar_on_a_terminal(tmp_path, escalation):
    """The bars, and (the calibration run without ``--out``) the default out, under ``results/``."""
    env = escalation.environment()
    shown = _under_a_terminal(escalation.command("calibrate", "talks_2021", "--worlds", "20", "--candidates", "4",
                                                 "--rounds", "1", "--bootstrap", "3", "--fit-worlds", "20"),
                              env, tmp_path)
    assert "calibrate" in shown and "5/5" in shown  # 1 round + 3 bootstrap fits + the fit check
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()] == [
        "results/calibrate-talks_2021/talks_2021_calibrated.yaml"]
    shown = _under_a_terminal(escalation.command("facts", "talks_2021", "--worlds", "30", "--days", "200"), env, tmp_path)
    assert "facts" in shown and "run" in shown
    quiet = _under_a_terminal(escalation.command("facts", "talks_2021", "--worlds", "30", "--days", "200", "--quiet"),
                              env, tmp_path)
    assert "facts" not in quiet
