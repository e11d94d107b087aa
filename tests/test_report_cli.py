"""``escalation report`` and ``escalation thesis`` end to end, in subprocesses.

Stores are written in the documented layout (manifest.json + outcomes/part-*.parquet, see
analysis/runs/store.py) from synthetic outcomes, so every verdict and exit code is known in advance; one test
also runs a small real batch through ``escalation batch``.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.runs.store import part_name, write_parquet_atomic

@pytest.fixture
def escalation(escalation):
    """The command line with Python's warnings silenced (their lines would break the one-line-error checks)."""
    return lambda *args, **kwargs: escalation(*args, env={"PYTHONWARNINGS": "ignore"}, **kwargs)


def first_days(rng, n: int, share: float, days: int) -> pd.Series:
    """Nullable first-event days: the event happens in ``share`` of worlds, NA elsewhere."""
    happened = rng.random(n) < share
    return pd.Series(rng.integers(0, days, n), dtype="Int32").where(happened)


def outcome_rows(n: int, confrontations: int, scenario: str = "baseline", first_world: int = 0, seed: int = 0,
                 days: int = 90) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    outcome = np.array(["provocation"] * n, dtype=object)
    outcome[rng.choice(n, size=confrontations, replace=False)] = "confrontation"
    max_rung = np.where(outcome == "confrontation", 7, rng.integers(2, 5, n))
    attacks = rng.poisson(20, n)
    return pd.DataFrame({
        "world": np.arange(first_world, first_world + n), "seed": rng.integers(0, 2**63, n).astype(np.uint64),
        "scenario": scenario, "days": np.int32(days), "max_rung": max_rung.astype(np.int8),
        "attacks": attacks, "us_strikes": rng.binomial(attacks, 0.05), "us_killed": rng.poisson(0.3, n),
        "militia_killed": rng.poisson(5, n),
        "first_day_us_strike": first_days(rng, n, 0.6, days),
        "first_day_us_killed": first_days(rng, n, 0.2, days),
        "outcome": outcome, "point": 0, "replicate": np.arange(n),
    })


def write_store(path: Path, outcomes: pd.DataFrame, kind: str = "batch", design: dict | None = None) -> Path:
    (path / "outcomes").mkdir(parents=True)
    manifest = {"kind": kind, "name": path.name, "worlds_total": len(outcomes), "seed": 0,
                "tables": {"series": False, "events": False}, "design": design,
                "scenarios": [{"name": s} for s in outcomes["scenario"].unique()]}
    (path / "manifest.json").write_text(json.dumps(manifest))
    write_parquet_atomic(outcomes, path / "outcomes" / part_name(int(outcomes["world"].min()),
                                                                   int(outcomes["world"].max())))
    return path


def grid_sweep(path: Path, fail_corner: bool) -> Path:
    """2 x 3 grid, 100 worlds per point; optionally 30 % confrontation at one corner."""
    frames, point = [], 0
    for leash in (0.2, 0.8):
        for threshold in (1.0, 2.0, 3.0):
            k = 30 if fail_corner and leash == 0.2 and threshold == 1.0 else 0
            frame = outcome_rows(100, k, first_world=point * 100, seed=point).assign(
                point=point, design_row=point, **{"quds_force.leash_strength": leash,
                                                  "united_states.strike_threshold": threshold})
            frames.append(frame)
            point += 1
    design = {"kind": "grid", "parameters": [{"path": "quds_force.leash_strength"},
                                             {"path": "united_states.strike_threshold"}],
              "salib_problem": None, "rows": 6, "settings": {}}
    return write_store(path, pd.concat(frames, ignore_index=True), kind="sweep", design=design)


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    root = tmp_path_factory.mktemp("stores")
    return {
        "holds": write_store(root / "holds", outcome_rows(400, 0)),            # upper 0.75 % < 5 %
        "fails": write_store(root / "fails", outcome_rows(400, 60)),           # lower 11.7 % > 5 %
        "inconclusive": write_store(root / "inconclusive", outcome_rows(60, 2)),  # [0.4 %, 11.5 %]
        "sweep_holds": grid_sweep(root / "sweep_holds", fail_corner=False),
        "sweep_fails": grid_sweep(root / "sweep_fails", fail_corner=True),
    }


# what a command line looks like: a command, a flag, an exit code (the report is read, not typed)
COMMAND_TEXT = re.compile(r"escalation (run|batch|sweep|report|thesis|hindcast|calibrate|app|facts)\b|"
                          r"(?<![\w-])--[a-z]|Exit code|rerun")


EXPECTED = {
    # store: (exit code, overall word, text the verdict must contain)
    "holds": (0, "HOLDS", "0/400 worlds in confrontation; P(confrontation) = 0.00%, 95 % interval [0.00%, 0.75%]"),
    "fails": (1, "FAILS", "60/400 worlds in confrontation"),
    "inconclusive": (3, "INCONCLUSIVE", "2/60 worlds in confrontation"),
    "sweep_holds": (0, "HOLDS", "holds on 100.0% of the sampled space"),
    "sweep_fails": (1, "FAILS", "holds on 83.3% of the sampled space, fails on 16.7%"),  # 1 of 6 points fails
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_thesis_exit_codes_and_verdicts(stores, name, escalation):
    code, word, text = EXPECTED[name]
    result = escalation("thesis", stores[name])
    assert result.returncode == code, result.stderr
    meaning = {"HOLDS": "holds in every scenario", "FAILS": "fails in at least one scenario",
               "INCONCLUSIVE": "fails nowhere but is unsettled somewhere"}[word]
    assert f"Exit code {code}: " in result.stdout and meaning in result.stdout and text in result.stdout
    assert "never pooled" in result.stdout
    assert "Clopper-Pearson" in result.stdout and "rung 7" in result.stdout  # rule and definition printed
    if name == "inconclusive":
        assert "thesis --settle" in result.stdout


def test_thesis_combines_directories_and_reads_the_threshold(stores, escalation):
    assert escalation("thesis", stores["holds"], stores["inconclusive"]).returncode == 3
    # 60/400 = 15 %: below a threshold of 0.5 the thesis holds, and the fails store no longer fails
    result = escalation("thesis", stores["fails"], stores["holds"], "--threshold", "0.5")
    assert result.returncode == 0 and "< 0.5 (50.0%)" in result.stdout


def test_bad_input_in_a_subprocess_is_one_line_on_stderr_and_exit_2(tmp_path, escalation):
    result = escalation("report", tmp_path / "missing", "--out", tmp_path / "out")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == f"escalation report: error: {tmp_path / 'missing'}: no such results directory"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args,message", [
    (("/no/such/dir",), "no such results directory"),
    (("{tmp}",), "not a results directory"),
    (("{holds}", "--threshold", "abc"), "threshold"),
    (("{holds}", "--threshold", "1"), "threshold"),
    (("{holds}", "--threshold", "0"), "threshold"),
])
def test_bad_input_is_one_line_and_exit_2(stores, tmp_path, capsys, args, message):
    from analysis.cli.main import main

    args = [a.format(tmp=tmp_path, holds=stores["holds"]) for a in args]
    for command in ("thesis", "report"):
        extra = ["--out", str(tmp_path / "out")] if command == "report" else []
        assert main([command, *args, *extra]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and message in err
        assert not (tmp_path / "out").exists()
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]  # no temp dir left behind


@pytest.fixture(scope="module")
def report_of_four(stores, tmp_path_factory):
    """``escalation report`` of holds, fails, inconclusive and sweep_fails: (the finished command, its --out).

    One report serves the test of what the command writes and the test of the answer it leads with.
    """
    out = tmp_path_factory.mktemp("report_of_four") / "report"
    result = subprocess.run([sys.executable, "-m", "analysis.cli.main", "report", str(stores["holds"]),
                             str(stores["fails"]), str(stores["inconclusive"]), str(stores["sweep_fails"]),
                             "--out", str(out)], capture_output=True, text=True, timeout=600,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return result, out


def test_report_writes_html_figures_and_tables(report_of_four):
    result, out = report_of_four
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # stderr is a pipe, not a terminal: no progress bar
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 8 and "src='figures" not in html  # self-contained
    assert "Overall" not in html and "FAILS" in html  # no verdict pooled across unlike scenarios
    assert html.index("id='the-answer'") < html.index("id='outcome-classes'")  # the answer leads
    anchors = set(re.findall(r"<h[23] id='([^']+)'", html))
    assert anchors and anchors <= set(re.findall(r"<a href='#([^']+)'", html))  # every section in the contents
    assert not COMMAND_TEXT.search(html), COMMAND_TEXT.search(html)
    pngs = sorted((out / "figures").glob("*.png"))
    assert len(pngs) == len(list((out / "figures").glob("*.svg"))) >= 8
    tables = {p.name for p in (out / "tables").glob("*.csv")}
    assert {"outcome-shares.csv", "strike-ratio.csv", "time-to-event.csv"} <= tables
    shares = pd.read_csv(out / "tables" / "outcome-shares.csv")
    row = shares[(shares["label"] == "fails: baseline") & (shares["outcome"] == "confrontation")].iloc[0]
    assert row["count"] == 60 and row["worlds"] == 400
    assert "No fan chart for" in html  # series were not stored: said, not silent
    assert any("prim" in p.name for p in pngs)  # the planted failing corner is discovered


def test_report_replaces_an_earlier_report_but_not_other_directories(stores, tmp_path):
    from analysis.report.html import build_report
    from sim.errors import InputError

    out = tmp_path / "report"
    build_report([stores["inconclusive"]], out)
    (out / "stale.txt").write_text("from the earlier report")
    build_report([stores["inconclusive"]], out)
    assert (out / "report.html").is_file() and not (out / "stale.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["report"]  # no temp or old directory left
    other = tmp_path / "precious"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="not an earlier report"):
        build_report([stores["inconclusive"]], other)
    assert (other / "notes.txt").read_text() == "keep me"


def test_report_of_a_real_batch_with_series(tmp_path, escalation):
    import analysis

    # the batch is only the input (escalation batch has subprocess tests of its own): written in this process
    analysis.batch(["baseline"], worlds=24, days=40, series=True, quiet=True, workers=1, out=tmp_path / "batch")
    result = escalation("report", tmp_path / "batch", "--out", tmp_path / "report")
    assert result.returncode == 0, result.stderr
    names = [p.name for p in (tmp_path / "report" / "figures").glob("*.png")]
    assert any("fan-chart" in n for n in names) and any("level-shares" in n for n in names)
    assert escalation("thesis", tmp_path / "batch").returncode in (0, 3)  # 24 worlds: 0 confrontations can't settle


def answer_of(page: str) -> str:
    """The text of the report's first section, "The answer", up to the next top-level section."""
    start = page.index("id='the-answer'")
    return page[start:page.index("<h2", start + 1)]


def test_the_answer_gives_each_verdict_with_its_interval_and_where_it_breaks(report_of_four):
    result, out = report_of_four
    assert result.returncode == 0, result.stderr
    page = (out / "report.html").read_text()
    answer = answer_of(page)
    rows = re.findall(r"<tr><td>([^<]+)</td><td class='(\w+)'>", answer)
    assert rows == [("holds: baseline", "holds"), ("fails: baseline", "fails"), ("inconclusive: baseline", "inconclusive"),
                    ("sweep_fails sweep (baseline)", "fails")]
    assert "0% to 0.75%" in answer and "0/400" not in answer  # plain numbers: 0 / 400 worlds
    assert "0 / 400 worlds" in answer and "2 / 60 worlds" in answer
    assert "more worlds would settle it" in answer and "--settle" not in page
    # no ensemble results here: no empty column, and the page says why the second interval is missing
    assert "posterior-predictive 95 % interval</th>" not in answer and "No calibrated-ensemble results" in answer
    # the planted corner (leash 0.2, threshold 1.0: 30 % confrontation) is where it breaks
    breaks = answer[answer.index("Where it breaks"):]
    assert "sweep_fails sweep (baseline)" in breaks and "a break" in breaks
    assert "Which policies keep it holding" not in answer  # no robust-policy results: the slot is skipped


def test_the_answer_shows_an_ensemble_interval_and_robust_policies_when_they_exist(stores, tmp_path):
    from analysis.report.answer import answer_section, ensemble_interval
    from analysis.report.writer import Writer
    from analysis.runs.resultsets import load_result_sets
    from analysis.stats import thesis

    robust_dir = tmp_path / "with_robust"
    robust_dir.mkdir()
    store = write_store(robust_dir / "store", outcome_rows(200, 1))
    pd.DataFrame({"policy": ["restrained US", "hair trigger"], "holds_in": [1.0, 0.4]}).to_csv(
        store / "robust.csv", index=False)
    sets = load_result_sets([stores["holds"], store])
    verdicts = [thesis.evaluate(s, 0.05) for s in sets]
    verdicts[0].ensemble = {"share": 0.004, "lower": 0.001, "upper": 0.031, "verdict": "holds", "members": 40}
    assert ensemble_interval(verdicts[0])["upper"] == 0.031 and ensemble_interval(verdicts[1]) is None
    (tmp_path / "w").mkdir()
    writer = Writer(tmp_path / "w")
    answer_section(writer, verdicts, 0.05)
    page = "".join(writer.parts)
    assert "calibrated ensemble: posterior-predictive 95 % interval</th>" in page
    assert "0.10% to 3.10%" in page and "not available" in page  # the second set has no ensemble
    assert "over 40 calibrated parameter sets" in page
    assert "Which policies keep it holding" in page and "restrained US" in page
    assert (tmp_path / "w" / "tables" / "robust-store-robust.csv").is_file()


def test_report_progress_bar_on_a_terminal_only_and_never_with_quiet(stores, tmp_path):
    import pty

    def run(*extra):
        leader, follower = pty.openpty()
        process = subprocess.run([sys.executable, "-m", "analysis.cli.main", "report", str(stores["inconclusive"]),
                                  "--out", str(tmp_path / f"r{len(extra)}"), *extra], stderr=follower,
                                 stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"},
                                 timeout=300)
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal is closed once everything was read
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        assert process.returncode == 0
        return b"".join(chunks).decode(errors="replace")

    shown = run()
    assert "report " in shown and "outcome comparison" in shown  # a bar with its count and stage
    assert run("--quiet") == ""
    # not a terminal: nothing on stderr (test_report_writes_html_figures_and_tables checks a piped stderr)


def test_shares_of_design_points_never_round_to_all_or_nothing():
    from analysis.report.answer import _share

    assert [_share(v) for v in (0.0, 1.0, 0.5, 0.996, 0.004, 0.00001, 0.99999)] == [
        "0%", "100%", "50%", "99.6%", "0.4%", "under 0.1%", "over 99.9%"]
