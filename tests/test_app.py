"""The dashboard without a browser: its model, panels, replay of stored worlds and the `app` command's errors."""

from __future__ import annotations

import pandas as pd
import pytest

import analysis
from analysis.cli.dashboard import app_config
from analysis.dashboard.replay import replay_spec
from sim.errors import InputError
from sim.ladder import Rung
from sim.scenario import load_scenario, parameter_paths

app = pytest.importorskip("analysis.dashboard.page", reason="the dashboard needs the app extra (solara)", exc_type=ImportError)
from analysis.dashboard import charts as app_charts, world as app_world  # noqa: E402  (after the skip)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categoricals as strings, a fresh index: tables compare by value."""
    frame = frame.copy()
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.CategoricalDtype) or frame[column].dtype == object:
            frame[column] = frame[column].astype(str)
    return frame.reset_index(drop=True)


def _run(model, days: int | None = None):
    while model.running and (days is None or model.steps < days):
        model.step()
    return model


@pytest.fixture(scope="module")
def stepped():
    """The page's opening model (baseline, seed 0) after 120 days."""
    return _run(app_world.build_model(app_world.AppConfig()), 120)


def test_key_parameters_are_real_paths_with_the_scenarios_values():
    for name in ("baseline", "talks_2021", "no_leash"):
        scenario = load_scenario(name)
        infos = parameter_paths(scenario)
        params = app_world.model_params(app_world.AppConfig(scenario=name))
        inputs = {k: v for k, v in params.items() if isinstance(v, dict) and k != "seed"}
        assert "quds_force.leash_strength" in inputs and "iran.talks_active" in inputs
        assert {f"militias.{key}.obedience" for key in scenario.militias} <= set(inputs)
        for path, spec in inputs.items():
            info = infos[path]
            assert spec["value"] == info.default, path
            if spec["type"] == "SliderFloat":
                assert spec["min"] <= spec["value"] <= spec["max"]
                ticks = (spec["value"] - spec["min"]) / spec["step"]
                assert ticks == pytest.approx(round(ticks)), f"{path}: the slider would snap the scenario's value"
                assert app_world._decimals(spec["value"]) <= app_world._decimals(spec["step"]), f"{path}: Vuetify would round it"
                assert info.lo is None or spec["min"] >= info.lo
                assert info.hi is None or spec["max"] <= info.hi


def test_the_model_applies_slider_values_and_the_seed():
    model = app_world.DashboardModel(scenario="baseline", seed="7", **{"quds_force.leash_strength": 0.25,
                                                                  "iran.talks_active": True})
    assert model.values["quds_force.leash_strength"] == 0.25 and model.values["iran.talks_active"] == 1.0
    assert model.master_seed == 7 and model.n_worlds == 1
    _run(model, 30)
    assert model.series_frame()["leash_strength"].iloc[0] == pytest.approx(0.25)
    assert app_world.changed_parameters(model) == [
        "Quds Force leash strength (share) 0.25 (scenario: 0.8)", "Nuclear talks under way on day 0 on (scenario: off)"]
    same = _run(app_world.DashboardModel(scenario="baseline", seed=7, **{"quds_force.leash_strength": 0.25,
                                                                   "iran.talks_active": True}), 30)
    pd.testing.assert_frame_equal(_plain(model.events_frame()), _plain(same.events_frame()))
    bad = app_world.DashboardModel(scenario="baseline", seed="twelve")
    assert bad.master_seed == 0 and "expected a whole number" in bad.note
    with pytest.raises(InputError, match="expected a whole number"):
        app_world.parse_seed("-3")


def test_the_page_shows_the_same_world_as_escalation_run(stepped):
    from sim.runner import simulate

    alone = simulate("baseline", n_worlds=3, seed=0, days=365)
    first = alone.events[(alone.events["world"] == 0) & (alone.events["day"] < 120)]
    pd.testing.assert_frame_equal(_plain(stepped.events_frame()), _plain(first))


def test_panels_build_from_the_model(stepped):
    events = app_world.event_table(stepped)
    assert len(events) > 0 and events["actor"].map(type).eq(str).all()
    table = app_world.attacks_by_faction(stepped)
    assert list(table.index) == stepped.scenario.faction_keys and list(table.columns) == [1, 2, 3]
    assert table.to_numpy().sum() == stepped.outcome_counts["attacks"][0]
    assert table.sum(axis=1).tolist() == stepped.attacks_by_faction[0].tolist()

    level = app_charts.level_figure(stepped)
    ax = level.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"{int(r)} {r.label}" for r in Rung]
    firebreaks = [t.get_text() for t in ax.texts if t.get_text().startswith("firebreak")]
    assert firebreaks == ["firebreak: American dead", "firebreak: Iranian soil / forces"]
    assert ax.get_xlim() == (0, 365)
    hostility = app_charts.hostility_figure(stepped).axes[0]
    assert [line.get_label() for line in hostility.get_lines()] == [label for _, label, *_ in app_charts.HOSTILITY_LINES]
    leash, pressure = app_charts.leash_pressure_figure(stepped).axes
    assert leash.get_lines()[0].get_ydata()[0] == pytest.approx(0.8)
    casualties = app_charts.casualties_figure(stepped).axes[0]
    killed = stepped.outcome_counts["us_killed"][0]
    assert casualties.get_legend().get_texts()[0].get_text() == f"Americans killed: {killed}"
    for figure in (level, app_charts.attacks_figure(stepped)):
        png = app_charts._png(figure)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000

    html = app.event_log_html(stepped)
    assert f'data-events="{len(events)}"' in html
    assert html.count("<tr>") == min(len(events), app.EVENT_LOG_ROWS) + 1  # rows and the header
    last = events.iloc[-1]
    assert f"<td>{int(last['day'])}</td>" in html.split("<tbody>")[1].split("</tr>")[0]  # newest first

    summary = app_world.run_summary(stepped)
    assert summary["days_done"] == 120 and summary["date"] == "2020-01-28"
    assert summary["max_rung"] == int(stepped.max_rung[0]) and summary["events"] == len(events)
    assert summary["outcome"] in {"quiet", "provocation", "crisis", "confrontation"}


def test_every_panel_returns_an_element(stepped):
    import reacton.core

    for panel in app.COMPONENTS:
        assert isinstance(panel(stepped), reacton.core.Element), panel.__name__
    assert isinstance(app.Page(), reacton.core.Element)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Two scenarios x 6 worlds over 150 days, with events and series."""
    out = tmp_path_factory.mktemp("batch") / "b"
    return analysis.batch(["baseline", "crisis_2019_2020"], worlds=6, seed=5, days=150, out=out, workers=1,
                          series=True, events=True, quiet=True)


@pytest.mark.parametrize("world", [3, 10])
def test_a_replayed_batch_world_equals_the_stored_world(batch, world):
    spec = replay_spec(batch.path, world)
    assert spec["world"] == world and spec["days"] == 150 and spec["warnings"] == []
    assert spec["scenario"] == ("baseline" if world < 6 else "crisis_2019_2020")
    config = app_world.AppConfig(scenario=spec["scenario"], replay=spec)
    params = app_world.model_params(config)
    assert not any(isinstance(v, dict) and "type" in v for v in params.values()), "a replay has no inputs"
    model = _run(app_world.build_model(config))
    assert model.steps == 150
    stored_events = batch.events(worlds=[world])
    assert len(stored_events) > 0
    pd.testing.assert_frame_equal(_plain(model.events_frame()), _plain(stored_events), check_dtype=False)
    stored_series = batch.series(worlds=[world])
    pd.testing.assert_frame_equal(_plain(model.series_frame()), _plain(stored_series), check_dtype=False)
    stored = batch.outcomes(worlds=[world]).iloc[0]
    assert int(model.seeds[0]) == int(stored["seed"])
    summary = app_world.run_summary(model)
    assert spec["stored"] == {"max_rung": summary["max_rung"], "outcome": summary["outcome"],
                              "attacks": summary["attacks"], "us_killed": summary["us_killed"],
                              "events": summary["events"]}
    assert summary["outcome"] == stored["outcome"] and summary["days_done"] == 150


def test_a_replayed_sweep_world_carries_its_parameter_values(tmp_path):
    spec = {"name": "tiny", "scenarios": ["baseline"], "design": {"kind": "grid"}, "replicates": 2, "days": 90,
            "seed": 3, "parameters": {"quds_force.leash_strength": {"lo": 0.2, "hi": 0.9, "levels": 3},
                                      "iran.talks_active": {"values": [False, True]}}}
    results = analysis.sweep(spec, out=tmp_path / "s", workers=1, events=True, quiet=True)
    world = 7
    replay = replay_spec(results.path, world)
    assert set(replay["overrides"]) == {"quds_force.leash_strength", "iran.talks_active"}
    model = _run(app_world.build_model(app_world.AppConfig(scenario=replay["scenario"], replay=replay)))
    assert model.values["quds_force.leash_strength"] == pytest.approx(replay["overrides"]["quds_force.leash_strength"])
    pd.testing.assert_frame_equal(_plain(model.events_frame()), _plain(results.events(worlds=[world])),
                                  check_dtype=False)


def test_bad_replay_input_raises_input_errors(batch, tmp_path):
    with pytest.raises(InputError, match="no such results directory"):
        replay_spec(tmp_path / "missing", 0)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="not a results directory"):
        replay_spec(tmp_path / "empty", 0)
    with pytest.raises(InputError, match="world 12 is out of range: this batch has worlds 0 to 11"):
        replay_spec(batch.path, 12)
    with pytest.raises(InputError, match="out of range"):
        replay_spec(batch.path, -1)
    with pytest.raises(InputError, match="needs --world"):
        replay_spec(batch.path, None)
    with pytest.raises(InputError, match="not both"):
        app_config("baseline", replay=str(batch.path), world=0)
    with pytest.raises(InputError, match="--world needs --replay"):
        app_config("baseline", world=0)
    with pytest.raises(InputError, match="unknown scenario|no scenario|not found"):
        app_config("no_such_scenario")
    assert app_config("talks_2021", seed=4).scenario == "talks_2021"


@pytest.mark.parametrize("args, message", [
    (("app", "no_such_scenario"), "no_such_scenario"),
    (("app", "--replay", "does/not/exist", "--world", "0"), "no such results directory"),
    (("app", "--world", "3"), "--world needs --replay"),
])
def test_the_app_command_reports_bad_input_in_one_line_with_exit_2(args, message, escalation, repo_root):
    done = escalation(*args, cwd=repo_root, timeout=120)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("escalation app: error:") and message in lines[0]


def test_the_app_command_asks_for_the_app_extra_when_solara_is_missing(escalation, repo_root):
    # Make `import solara` fail in the child, as in an install without the extra.
    done = escalation("app", prelude="sys.modules['solara'] = None", cwd=repo_root, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == ('escalation app: error: the dashboard needs the app extra: '
                                   'pip install "escalation-sim[app]" (or pip install -e ".[app]")')
