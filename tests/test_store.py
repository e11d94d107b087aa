"""The results store: atomic parts, resume after SIGKILL and Ctrl-C, refusal of a different spec."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

import analysis
from analysis.runs.store import StoreWriter, open_results, part_name, write_parquet_atomic
from sim.errors import InputError

SPEC = {
    "name": "resumable",
    "scenarios": ["baseline"],
    "parameters": {
        "united_states.strike_threshold": {"lo": 1.0, "hi": 5.0, "levels": 4},
        "context.external_grievance": {"values": [0.0, 4.0]},
    },
    "design": {"kind": "grid"},
    "replicates": 50,
    "days": 60,
    "seed": 11,
}
CHUNK = 20  # 400 worlds in 20 chunks: slow enough to interrupt, fast enough for a test


def _write_spec(path: Path, **changes) -> Path:
    path.write_text(yaml.safe_dump(dict(SPEC, **changes)))
    return path


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The sweep run straight through, in this process, with series."""
    directory = tmp_path_factory.mktemp("straight")
    spec = _write_spec(directory / "spec.yaml")
    return analysis.sweep(spec, out=directory / "out", workers=1, chunk_size=400, series=True, quiet=True)


def _assert_equal_results(left, right):
    pd.testing.assert_frame_equal(left.outcomes(), right.outcomes(), check_exact=True)
    pd.testing.assert_frame_equal(left.series(), right.series(), check_exact=True)


def _parts(out: Path, table: str = "outcomes") -> list[Path]:
    return sorted((out / table).glob("part-*.parquet"))


def _start_and_wait_for_parts(escalation, args: list[str], out: Path, cwd: Path, minimum: int = 2) -> subprocess.Popen:
    process = subprocess.Popen(escalation.command(*args), cwd=cwd, env=escalation.environment(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while len(_parts(out)) < minimum:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no parts appeared"
        time.sleep(0.05)
    return process


@pytest.mark.parametrize("workers", ["1", "2"])
def test_resume_after_sigkill_equals_an_uninterrupted_run(uninterrupted, tmp_path, workers, escalation):
    spec = _write_spec(tmp_path / "spec.yaml")
    out = tmp_path / "out"
    args = ["sweep", spec, "--out", out, "--workers", workers, "--chunk-size", CHUNK, "--series"]
    process = _start_and_wait_for_parts(escalation, args, out, tmp_path)
    os.killpg(process.pid, signal.SIGKILL)  # the whole process tree, as a crash would
    process.wait()
    stored = _parts(out)
    assert 0 < len(stored) < 400 // CHUNK, "the kill should land mid-sweep"
    for part in stored:  # every part present is complete and readable
        assert pq.read_metadata(part).num_rows == CHUNK
    interrupted = open_results(out)
    assert not interrupted.complete
    assert interrupted.manifest["finished_at"] is None

    resumed = escalation(*args, "--quiet", cwd=tmp_path, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    results = open_results(out)
    assert results.complete
    assert results.manifest["runs"][-1]["worlds_stored_before"] == len(stored) * CHUNK
    assert not list(out.rglob(".*.tmp-*"))
    _assert_equal_results(results, uninterrupted)


def test_ctrl_c_stops_cleanly_keeping_only_complete_parts(uninterrupted, tmp_path, escalation):
    spec = _write_spec(tmp_path / "spec.yaml")
    out = tmp_path / "out"
    args = ["sweep", spec, "--out", out, "--workers", "2", "--chunk-size", CHUNK, "--series"]
    process = _start_and_wait_for_parts(escalation, args, out, tmp_path)
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground process group
    try:
        _, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:  # a hang is the failure; the hung command must not outlive the test
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail("the command did not end within 30 s of Ctrl-C")
    assert process.returncode == 130, stderr
    assert "interrupted; only complete results were kept" in stderr.decode()
    assert "Traceback" not in stderr.decode()
    results = open_results(out)
    assert results.manifest["runs"][-1]["status"] == "interrupted"
    assert not results.complete
    assert not list(out.rglob(".*.tmp-*"))
    assert [p.name for p in _parts(out, "series")] == [p.name for p in _parts(out)]
    resumed = analysis.sweep(spec, out=out, workers=1, series=True, quiet=True)
    _assert_equal_results(resumed, uninterrupted)


def test_a_different_spec_is_refused_and_nothing_is_mixed(uninterrupted, tmp_path):
    out = uninterrupted.path
    before = uninterrupted.outcomes()
    other = _write_spec(tmp_path / "other.yaml", replicates=60)
    with pytest.raises(InputError) as caught:
        analysis.sweep(other, out=out, workers=1, series=True, quiet=True)
    assert "refusing to mix results" in str(caught.value)
    assert "spec.replicates: stored 50, now 60" in str(caught.value)
    with pytest.raises(InputError, match="tables.series: stored true, now false"):
        analysis.sweep(_write_spec(tmp_path / "same.yaml"), out=out, workers=1, quiet=True)
    pd.testing.assert_frame_equal(open_results(out).outcomes(), before)


def test_an_edited_scenario_file_is_refused(tmp_path):
    scenario = tmp_path / "variant.yaml"
    scenario.write_text(yaml.safe_dump({"extends": "baseline", "name": "variant", "sources": ["test"]}))
    out = tmp_path / "out"
    analysis.batch([str(scenario)], worlds=5, days=20, out=out, workers=1, quiet=True)
    scenario.write_text(yaml.safe_dump({"extends": "baseline", "name": "variant", "sources": ["test"],
                                        "united_states": {"hawkishness": 1.0}}))
    with pytest.raises(InputError, match="scenario_sha256"):
        analysis.batch([str(scenario)], worlds=5, days=20, out=out, workers=1, quiet=True)


def test_a_complete_store_is_not_rerun(uninterrupted):
    before = {p: p.stat().st_mtime_ns for p in _parts(uninterrupted.path)}
    again = analysis.sweep(_write_spec(uninterrupted.path.parent / "spec.yaml"), out=uninterrupted.path, workers=1,
                           series=True, quiet=True)
    assert again.complete
    assert {p: p.stat().st_mtime_ns for p in _parts(uninterrupted.path)} == before


def test_orphans_of_an_unfinished_chunk_are_removed_on_resume(uninterrupted, tmp_path):
    out = tmp_path / "out"
    spec = _write_spec(tmp_path / "spec.yaml")
    first = analysis.sweep(spec, out=out, workers=1, chunk_size=400, series=True, quiet=True)
    # simulate a crash after the series part and before the outcomes part of worlds 0-99
    (out / "outcomes" / part_name(0, 399)).unlink()
    stale = out / "series" / part_name(0, 399)
    assert stale.exists()
    (out / "outcomes" / ".part-000000000-000000099.parquet.tmp-1").write_bytes(b"half a file")
    assert not open_results(out).complete
    resumed = analysis.sweep(spec, out=out, workers=1, chunk_size=100, series=True, quiet=True)
    assert not stale.exists()
    assert not list(out.rglob(".*.tmp-*"))
    assert len(_parts(out)) == 4
    _assert_equal_results(resumed, first)


def test_a_failed_write_leaves_no_file(tmp_path):
    target = tmp_path / "part.parquet"
    unconvertible = pd.DataFrame({"x": [1, "two", 3.0]})  # mixed objects: Arrow refuses the column
    with pytest.raises(Exception):
        write_parquet_atomic(unconvertible, target)
    assert list(tmp_path.iterdir()) == []


def test_a_second_writer_is_refused(tmp_path):
    identity = {"kind": "batch", "spec": {"x": 1}}
    first = StoreWriter(tmp_path / "store", identity, {"kind": "batch", "name": "x", "worlds_total": 1,
                                                       "tables": {}}).open()
    try:
        with pytest.raises(InputError, match="another escalation process is writing"):
            StoreWriter(tmp_path / "store", identity, {}).open()
    finally:
        first.close()


def test_reading_api_reports_misuse_clearly(uninterrupted, tmp_path):
    with pytest.raises(InputError, match="not a results directory"):
        open_results(tmp_path)
    manifest = json.loads((uninterrupted.path / "manifest.json").read_text())
    assert manifest["package_version"]
    assert manifest["tables"] == {"series": True, "events": False}
    with pytest.raises(InputError, match="did not collect events"):
        uninterrupted.events()
    subset = uninterrupted.outcomes(columns=["world", "outcome"], worlds=[3, 250])
    assert subset["world"].tolist() == [3, 250]
    assert list(subset.columns) == ["world", "outcome"]
    series = uninterrupted.series(worlds=[250])
    assert series["day"].tolist() == list(range(60))
    points = uninterrupted.points()
    assert len(points) == 8 and points["point"].tolist() == list(range(8))
    assert repr(uninterrupted).startswith("Results(")


def test_a_batch_of_scenarios_with_different_factions_reads_back(tmp_path):
    """Scenarios with other factions write other ``attacks_<faction>`` columns; that is not a damaged part.

    The batch is written in this process (``analysis.batch``, what ``escalation batch`` runs): the store is what
    is tested here, and the command has subprocess tests of its own.
    """
    from analysis import batch
    from analysis.runs.store import open_results

    extra = tmp_path / "six_factions.yaml"
    extra.write_text("name: six_factions\nextends: baseline\nsources: [test]\n"
                     "militias:\n  extra_front:\n    name: Extra Front\n")
    batch(["baseline", str(extra)], worlds=30, out=tmp_path / "mixed", workers=1, quiet=True)

    outcomes = open_results(tmp_path / "mixed").outcomes()
    assert set(outcomes["scenario"]) == {"baseline", "six_factions"} and len(outcomes) == 60
    assert outcomes.loc[outcomes["scenario"] == "baseline", "attacks_extra_front"].isna().all()


def test_results_thesis_is_the_thesis_command(uninterrupted, escalation):
    """``Results.thesis()`` gives the verdicts, text and exit code ``escalation thesis DIR`` prints."""
    test = uninterrupted.thesis(threshold=0.05)
    done = escalation("thesis", str(uninterrupted.path), "--threshold", "0.05")
    assert done.stdout == test.text + "\n" and done.returncode == test.exit_code
    assert str(test) == test.text and test.verdict in ("holds", "fails", "inconclusive")
    row = test.table.iloc[0]
    assert len(test.table) == len(set(uninterrupted.outcomes(columns=["scenario"])["scenario"]))
    assert row["worlds"] == uninterrupted.worlds_done and row["lower"] <= row["share"] <= row["upper"]
    assert row["other_definition"] == "broad" and row["points"] == 8
    assert uninterrupted.thesis(definition="broad").table.iloc[0]["other_definition"] == "shipped"
    with pytest.raises(InputError, match="definition"):
        uninterrupted.thesis(definition="narrow")
    with pytest.raises(InputError, match="threshold"):
        uninterrupted.thesis(threshold=1.5)
