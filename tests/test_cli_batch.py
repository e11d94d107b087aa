"""`escalation batch` and `escalation sweep` as a user runs them (subprocesses)."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

import analysis

SPEC = {
    "name": "cli_sweep",
    "scenarios": ["baseline"],
    "parameters": {"quds_force.leash_strength": {"lo": 0.4, "hi": 0.8, "levels": 2}},
    "design": {"kind": "grid"},
    "replicates": 10,
    "days": 30,
    "seed": 4,
}


def write_spec(path: Path, **changes) -> Path:
    spec = dict(SPEC, **changes)
    path.write_text(yaml.safe_dump(spec))
    return path


def test_batch_writes_the_store_with_plain_progress_lines_when_not_a_terminal(tmp_path, escalation):
    done = escalation("batch", "baseline", "--worlds", "40", "--seed", "2", "--days", "30", "--workers", "2",
                      "--chunk-size", "10", "--events", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "results" / "batch-baseline-n40-s2"
    assert done.stdout.splitlines()[0] == "results/batch-baseline-n40-s2: 40/40 worlds"
    assert done.stdout.splitlines()[1].startswith("  baseline (40 worlds): quiet ")
    assert "contained_exchange" in done.stdout and "confrontation" in done.stdout
    lines = done.stderr.splitlines()
    assert "40 worlds to run in 4 chunks on local process pool, 2 workers" in lines[0]
    assert any("worlds/s, ETA" in line and "40/40 worlds (100%)" in line for line in lines)
    assert "\r" not in done.stderr
    results = analysis.open_results(out)
    assert results.complete and len(results.outcomes()) == 40
    assert set(results.events()["world"]) <= set(range(40))


CLASSES = ("quiet", "provocation", "crisis", "contained_exchange", "confrontation")


def closing_shares(line: str) -> dict[str, str]:
    """``{class: share text}`` of one scenario's line of the closing summary."""
    return dict(part.rsplit(" ", 1) for part in line.split("): ", 1)[1].split(", "))


def test_batch_summary_is_per_scenario_never_pooled(tmp_path, escalation):
    """Two unlike scenarios: one line each, each matching that scenario's own stored outcomes."""
    done = escalation("batch", "baseline", "crisis_2019_2020", "--worlds", "30", "--seed", "1", "--days", "120",
                      "--workers", "1", "--out", "b", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "b: 60/60 worlds" and len(lines) == 3
    outcomes = analysis.open_results(tmp_path / "b").outcomes()
    for line, scenario in zip(lines[1:], ("baseline", "crisis_2019_2020")):
        assert line.startswith(f"  {scenario} (30 worlds): ")
        mine = outcomes.loc[outcomes["scenario"] == scenario, "outcome"].astype(str).value_counts(normalize=True)
        shares = closing_shares(line)
        assert list(shares) == list(CLASSES)
        assert shares == {name: f"{100 * mine.get(name, 0.0):.1f}%" for name in CLASSES}
    # unlike worlds: the crisis scripts a leader killing (rung 5) on day 94, the baseline none (seed 1: no
    # baseline world goes past provocation in 120 days), so a pooled line would show neither
    assert closing_shares(lines[1])["provocation"] == "100.0%"
    assert closing_shares(lines[2])["quiet"] == closing_shares(lines[2])["provocation"] == "0.0%"


def test_sweep_summary_gives_each_scenario_the_range_over_its_points(tmp_path, escalation):
    spec = write_spec(tmp_path / "s.yaml", scenarios=["baseline", "us_drawdown"], days=10,
                      parameters={"quds_force.leash_strength": {"lo": 0.0, "hi": 1.0, "levels": 2}})
    done = escalation("sweep", str(spec), "--workers", "1", "--out", "o", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "o: 40/40 worlds" and len(lines) == 3
    outcomes = analysis.open_results(tmp_path / "o").outcomes()
    for line, scenario in zip(lines[1:], ("baseline", "us_drawdown")):
        assert line.startswith(f"  {scenario} (2 points, 20 worlds; lowest-highest share of a point): ")
        mine = outcomes[outcomes["scenario"] == scenario]
        per_point = pd.crosstab(mine["point"], mine["outcome"].astype(str), normalize="index")
        per_point = per_point.reindex(columns=list(CLASSES), fill_value=0.0)
        for name, text in closing_shares(line).items():
            low, high = f"{100 * per_point[name].min():.1f}", f"{100 * per_point[name].max():.1f}"
            assert text == (f"{low}%" if low == high else f"{low}-{high}%")
    assert "quiet 20.0-40.0%" in lines[1]  # seed 4, 10 days: the points differ (a range, not one share)


def test_a_terminal_gets_a_progress_bar(tmp_path, escalation):
    leader, follower = pty.openpty()
    process = subprocess.Popen(escalation.command("batch", "baseline", "--worlds", "30", "--days", "20", "--workers", "1",
                                                  "--chunk-size", "10", "--out", tmp_path / "o"),
                               cwd=tmp_path, env=escalation.environment(), stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    output = b""
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the terminal closes when the process exits
            break
        if not data:
            break
        output += data
    process.wait(timeout=60)
    os.close(leader)
    text = output.decode()
    assert process.returncode == 0
    assert "\r" in text and "[##########" in text and "30/30 worlds (100%)" in text


def test_quiet_prints_nothing(tmp_path, escalation):
    done = escalation("sweep", str(write_spec(tmp_path / "s.yaml")), "--quiet", "--workers", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
    assert analysis.open_results(tmp_path / "results" / "cli_sweep").complete


def test_sweep_resumes_a_finished_store_and_refuses_a_different_spec(tmp_path, escalation):
    spec = write_spec(tmp_path / "s.yaml")
    first = escalation("sweep", str(spec), "--out", "o", "--workers", "1", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    again = escalation("sweep", str(spec), "--out", "o", cwd=tmp_path)
    assert again.returncode == 0
    assert "all 20 worlds already stored in o" in again.stderr
    other = escalation("sweep", str(write_spec(tmp_path / "t.yaml", seed=5)), "--out", "o", cwd=tmp_path)
    assert other.returncode == 2
    assert other.stderr.strip() == (
        "escalation sweep: error: o: holds a different sweep (spec.seed: stored 4, now 5; spec_sha256: stored "
        + other.stderr.split("spec_sha256: stored ")[1].split(")")[0]
        + "); refusing to mix results: use another --out or delete it")


def test_shipped_sweeps_are_found_by_name(tmp_path, escalation):
    done = escalation("sweep", "sobol_main_uncertainties", "--dry-run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("sobol_main_uncertainties: sobol design, 2,816 points x 100 replicates = 281,600 worlds")


def test_dry_run_prints_the_design_size(tmp_path, escalation):
    done = escalation("sweep", str(write_spec(tmp_path / "s.yaml")), "--dry-run", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.strip() == ("cli_sweep: grid design, 2 points x 10 replicates = 20 worlds over 1 parameters; "
                                   "scenarios baseline")
    assert not (tmp_path / "results").exists()


BAD_SPECS = {
    "unknown_path": ({"parameters": {"quds_force.leash_strenght": {"lo": 0.1, "hi": 0.5}}},
                     "parameters.quds_force.leash_strenght: unknown parameter path in scenario 'baseline' "
                     "(did you mean 'quds_force.leash_strength'?)"),
    "lo_above_hi": ({"parameters": {"quds_force.leash_strength": {"lo": 0.9, "hi": 0.2}}},
                    "parameters.quds_force.leash_strength: lo (0.9) is greater than hi (0.2)"),
    "sobol_size": ({"parameters": {"quds_force.leash_strength": {"lo": 0.2, "hi": 0.9},
                                   "context.external_grievance": {"lo": 0.0, "hi": 3.0}},
                    "design": {"kind": "sobol", "samples": 48}},
                   "design.samples: Sobol sample size must be a power of two (got 48; try 32 or 64)"),
    "no_replicates": ({"replicates": 0}, "replicates: expected a positive integer (worlds per design point), got 0"),
}


# In each matrix of refused inputs below, the first case runs in a subprocess, as a user runs it; the others
# call the entry point in this process (conftest.InProcessEscalation): the same message and exit code, without
# an interpreter start per case.
@pytest.mark.parametrize("name", sorted(BAD_SPECS))
def test_bad_specs_exit_2_with_one_line_and_nothing_written(tmp_path, name, escalation, escalation_in_process):
    changes, message = BAD_SPECS[name]
    spec = write_spec(tmp_path / "bad.yaml", **changes)
    run = escalation if name == min(BAD_SPECS) else escalation_in_process
    done = run("sweep", str(spec), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == f"escalation sweep: error: {spec}: {message}\n"
    assert not (tmp_path / "results").exists()


BAD_ARGUMENTS = [
    (["sweep", "missing.yaml"], "missing.yaml: sweep spec not found; expected a YAML file or a shipped sweep: "),
    (["sweep", "leash_vs_us_treshold"], "did you mean 'leash_vs_us_threshold'?"),
    (["sweep", "broken.yaml"], "broken.yaml: YAML syntax error at line 2, column 1"),
    (["batch", "baselin", "--worlds", "5"], "unknown scenario 'baselin'"),
    (["batch", "baseline", "--worlds", "0"], "--worlds: expected a positive number of worlds, got 0"),
    (["batch", "baseline", "--worlds", "5", "--workers", "0"], "--workers: expected a positive number of workers"),
    (["batch", "baseline", "--worlds", "5", "--chunk-size", "-1"], "--chunk-size: expected a positive chunk size"),
]


@pytest.mark.parametrize("args, message", BAD_ARGUMENTS)
def test_bad_arguments_exit_2_with_one_line(tmp_path, args, message, escalation, escalation_in_process):
    (tmp_path / "broken.yaml").write_text("name: x\n: : :\n")
    run = escalation if args == BAD_ARGUMENTS[0][0] else escalation_in_process
    done = run(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith(f"escalation {args[0]}: error: ")
    assert message in done.stderr
    assert not (tmp_path / "results").exists()


def test_the_charts_draw_the_frames_the_python_api_returns(tmp_path):
    """``Results.outcomes()`` and ``outcome_shares()`` carry ``scenario``, not the report's ``label``: every chart
    of analysis.report.charts draws them, one entry per scenario; the daily series (no scenario column) take
    the scenario from the outcomes, as the charts' error says."""
    import io

    from matplotlib.figure import Figure

    from analysis.report import charts
    from analysis.stats.intervals import outcome_shares

    results = analysis.batch(["baseline", "us_drawdown"], 24, seed=3, days=40, out=tmp_path / "b", workers=1,
                             series=True, quiet=True)
    outcomes = results.outcomes()
    shares = outcome_shares(outcomes)
    assert "scenario" in shares.columns and "label" not in shares.columns and "label" not in outcomes.columns

    def png(figure) -> bytes:
        assert isinstance(figure, Figure)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()

    figure = charts.outcome_shares_figure(shares)
    assert [tick.get_text() for tick in figure.axes[0].get_yticklabels()] == ["baseline", "us_drawdown"]
    assert png(figure).startswith(b"\x89PNG")
    for draw in (charts.max_rung_figure, charts.distributions_figure, charts.time_to_event_figure):
        figure = draw(outcomes)
        legend_texts = {text.get_text() for legend in figure.legends + [ax.get_legend() for ax in figure.axes]
                        if legend is not None for text in legend.get_texts()}
        tick_texts = {tick.get_text() for ax in figure.axes for tick in ax.get_yticklabels()}
        assert {"baseline", "us_drawdown"} <= legend_texts | tick_texts, draw.__name__
        assert png(figure).startswith(b"\x89PNG")
    series = results.series()
    with pytest.raises(ValueError, match="series.merge"):
        charts.fan_chart(series)
    with_scenario = series.merge(outcomes[["world", "scenario"]], on="world")
    for draw in (charts.fan_chart, charts.level_share_figure):
        assert png(draw(with_scenario)).startswith(b"\x89PNG")
