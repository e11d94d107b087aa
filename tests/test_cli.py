"""The command line, run as a user would: in a subprocess."""

import pandas as pd
import pytest


def test_run_prints_a_summary_and_writes_three_parquet_tables(tmp_path, escalation):
    done = escalation("run", "crisis_2019_2020", "--worlds", "40", "--seed", "3", "--days", "200",
                      "--out", "out", "--workers", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "40 worlds x 200 days" in text and "Clopper-Pearson" in text
    for name in ("quiet", "provocation", "crisis", "confrontation"):
        assert name in text
    assert "Highest rung reached" in text and "Key events of world 0" in text
    assert "leader killing quds force" in text  # the scripted 2020-01-03 killing
    tables = {name: pd.concat(pd.read_parquet(p) for p in sorted((tmp_path / "out" / name).glob("*.parquet")))
              for name in ("events", "series", "outcomes")}
    assert len(tables["outcomes"]) == 40 and len(tables["series"]) == 40 * 200
    assert tables["events"]["world"].nunique() == 40


def test_scenarios_lists_one_line_each(tmp_path, escalation):
    done = escalation("scenarios", cwd=tmp_path)
    assert done.returncode == 0
    lines = done.stdout.strip().splitlines()
    assert len(lines) >= 9 and any(line.startswith("talks_2021 ") for line in lines)


def test_validate_accepts_good_files_and_rejects_bad_ones_with_exit_2(tmp_path, escalation, repo_root):
    good = escalation("validate", str(repo_root / "scenarios" / "baseline.yaml"), cwd=tmp_path)
    assert good.returncode == 0 and good.stdout.startswith("ok")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nextends: baseline\nunited_states:\n  hawkishnes: 2\n")
    done = escalation("validate", str(bad), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "did you mean 'hawkishness'" in done.stderr


@pytest.mark.parametrize("args, message", [
    (("run", "baselin"), "did you mean 'baseline'"),
    (("run", "missing.yaml"), "missing.yaml: file not found"),
    (("run", "baseline", "--worlds", "0"), "--worlds: expected a positive number of worlds"),
    (("run", "baseline", "--days", "-1"), "--days: expected a positive number of days"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, args, message, escalation):
    done = escalation(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "results").exists()


def test_schema_prints_the_reference(tmp_path, escalation):
    done = escalation("schema", cwd=tmp_path)
    assert done.returncode == 0 and "`militias.<faction>.obedience`" in done.stdout


@pytest.mark.parametrize("args", [("run",), ("batch", "baseline", "--worlds", "x"), ("nosuch",)])
def test_usage_errors_are_one_line_with_exit_2(tmp_path, args, escalation):
    done = escalation(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "error:" in done.stderr and "--help" in done.stderr


def test_version_and_no_abbreviated_options(escalation):
    version = escalation("--version")
    assert version.returncode == 0 and version.stdout.startswith("escalation ")
    abbreviated = escalation("run", "baseline", "--world", "10")
    assert abbreviated.returncode == 2
    assert abbreviated.stderr.count("\n") == 1 and "unrecognized arguments: --world 10" in abbreviated.stderr
