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
        inputs = {item.path: item for item in app_world.parameter_inputs(name)}
        assert "quds_force.leash_strength" in inputs and "iran.talks_active" in inputs
        assert {f"militias.{key}.obedience" for key in scenario.militias} <= set(inputs)
        args = app_world.model_args(app_world.AppConfig(scenario=name, seed=3))
        assert args == {"scenario": name, "seed": "3", **{path: item.value for path, item in inputs.items()}}
        for path, item in inputs.items():
            info = infos[path]
            assert item.value == info.default and item.doc == info.doc, path
            if item.kind == "float":
                assert item.unit == info.unit and item.unit, path
                assert item.min <= item.value <= item.max
                ticks = (item.value - item.min) / item.step
                assert ticks == pytest.approx(round(ticks)), f"{path}: the slider would snap the scenario's value"
                assert app_world._decimals(item.value) <= app_world._decimals(item.step), f"{path}: Vuetify would round it"
                assert info.lo is None or item.min >= info.lo
                assert info.hi is None or item.max <= info.hi
                assert not str(item.min).startswith("-0"), path


def test_sliders_show_their_value_unit_and_range():
    inputs = {item.path: item for item in app_world.parameter_inputs("baseline")}
    leash = inputs["quds_force.leash_strength"]
    assert (leash.show(leash.value), leash.show_range()) == ("0.80 share", "0 to 1 share")
    assert leash.show(0.5) == "0.50 share"
    threshold = inputs["united_states.strike_threshold"]
    assert (threshold.show(threshold.value), threshold.show_range()) == ("3.598 pressure", "0 to 20 pressure")
    assert inputs["united_states.hawkishness"].show_range() == "-5 to 5 pressure"
    assert inputs["iran.talks_active"].show(True) == "on"
    doc = app._slider_doc(leash)
    assert leash.doc in doc and "0 to 1" in doc and "quds_force.leash_strength" in doc


def test_the_model_applies_slider_values_and_the_seed():
    model = app_world.DashboardModel(scenario="baseline", seed="7", **{"quds_force.leash_strength": 0.25,
                                                                  "iran.talks_active": True})
    assert model.values["quds_force.leash_strength"] == 0.25 and model.values["iran.talks_active"] == 1.0
    assert model.master_seed == 7 and model.n_worlds == 1
    _run(model, 30)
    assert model.series_frame()["leash_strength"].iloc[0] == pytest.approx(0.25)
    assert app_world.changed_parameters(model) == [
        "Quds Force leash strength 0.25 share (scenario: 0.8)", "Nuclear talks under way on day 0 on (scenario: off)"]
    same = _run(app_world.DashboardModel(scenario="baseline", seed=7, **{"quds_force.leash_strength": 0.25,
                                                                   "iran.talks_active": True}), 30)
    pd.testing.assert_frame_equal(_plain(model.events_frame()), _plain(same.events_frame()))
    bad = app_world.DashboardModel(scenario="baseline", seed="twelve")
    assert bad.master_seed == 0 and "expected a whole number" in bad.note
    with pytest.raises(InputError, match="expected a whole number"):
        app_world.parse_seed("-3")


def test_reset_builds_exactly_the_scenario_seed_and_values_on_screen():
    # Issue 14: Reset after picking crisis_2019_2020 and seed 4 ran the baseline at seed 0.
    config = app_world.AppConfig(scenario="crisis_2019_2020", seed=0)
    model = app_world.build_model(config, seed="4")
    assert model.scenario.name == "crisis_2019_2020" and model.master_seed == 4 and model.horizon == 457
    _run(model, 100)
    from sim.runner import simulate

    alone = simulate("crisis_2019_2020", n_worlds=1, seed=4, days=100)
    pd.testing.assert_frame_equal(_plain(model.events_frame()), _plain(alone.events))
    killings = model.events_frame()
    killings = killings[(killings["day"] == 94) & (killings["action"].astype(str) == "leader_killing")]
    assert set(killings["target"].astype(str)) == {"quds_force", "kataib_hezbollah"}
    changed = app_world.build_model(config, seed=4, values={"quds_force.leash_strength": 0.5})
    assert changed.values["quds_force.leash_strength"] == 0.5 and changed.scenario.name == "crisis_2019_2020"


def test_play_keeps_its_pace_in_days_a_second_whatever_the_frames_cost():
    import threading

    import solara

    model = solara.reactive(app_world.build_model(app_world.AppConfig()))
    playing, speed, frame = solara.reactive(True), solara.reactive(30), solara.reactive(0)
    frames = app.Frames()
    frame.subscribe(frames.mark)  # "drawn" at once
    now = [0.0]

    def clock(cost=0.25):  # every frame costs a quarter of a second
        now[0] += cost
        return now[0]

    app.play(model, playing, speed, frame, frames, threading.Event(), clock=clock)
    assert model.value.steps == 365 and not model.value.running and playing.value is False
    assert now[0] == pytest.approx(365 / 30, abs=0.6)  # a year in about 12 s
    assert 30 <= frame.value <= 60  # a frame every 7-8 days
    # Paused: the loop stops at once; the world is the one escalation run shows, whatever was drawn.
    model.value = app_world.build_model(app_world.AppConfig())
    playing.value = False
    app.play(model, playing, speed, frame, frames, threading.Event(), clock=clock)
    assert model.value.steps == 0


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
    attacks = app_charts.attacks_figure(stepped).axes[0]
    assert attacks.get_title() == f"Attacks per faction ({table.to_numpy().sum()} in all)"
    assert [t.get_text() for t in attacks.texts] == [str(n) for n in table.sum(axis=1)]
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
        assert isinstance(panel(stepped, 3), reacton.core.Element), panel.__name__
    assert isinstance(app.Page(), reacton.core.Element)


def test_nice_ceiling_rounds_up_to_half_a_power_of_ten():
    values = (33.35, 16.5, 8.6, 0.42, 5.0, 0.0575, 120.0)
    assert [app_charts.nice_ceiling(v) for v in values] == [35.0, 20.0, 9.0, 0.45, 5.0, 0.06, 150.0]
    assert app_charts.nice_ceiling(0.0) == 0.0


def test_live_charts_blit_the_same_pictures_and_rarely_redraw_their_axes():
    """The page's charts (a cached background, data drawn on top) look like fresh figures, and are cheap."""
    import io

    import numpy as np
    from PIL import Image

    model = app_world.build_model(app_world.AppConfig())
    live = {name: chart(model, live=True) for name, chart in app_charts.CHARTS.items()}
    redraws = dict.fromkeys(live, 0)
    frames = 0
    while model.running:
        for _ in range(10):
            model.step()
        frames += 1
        for name, chart in live.items():
            before = chart._key
            png = chart.png()
            redraws[name] += chart._key != before
    assert frames == 37
    assert redraws["level"] == 1 and all(count <= 15 for count in redraws.values()), redraws
    for name, chart in live.items():
        fresh = np.asarray(Image.open(io.BytesIO(app_charts._png(app_charts.CHARTS[name](model).figure))).convert("RGB"),
                           dtype=int)
        shown = np.asarray(Image.open(io.BytesIO(chart.png())).convert("RGB"), dtype=int)
        assert shown.shape == fresh.shape == (390, 600, 3)
        differ = (np.abs(shown - fresh).sum(axis=2) > 60).mean()
        assert differ < 0.01, f"{name}: {differ:.2%} of the pixels differ"  # only where lines cross, drawn in another order
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


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
    # A replay fixes everything: a seed or values from the page change nothing.
    assert app_world.model_args(config, seed=99, values={"quds_force.leash_strength": 0.1}) == app_world.model_args(config)
    model = _run(app_world.build_model(config, seed=99, values={"quds_force.leash_strength": 0.1}))
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
    # The replay's parameter card: every key parameter, the stored ones marked.
    rows = {label: (shown, stored) for label, shown, stored in app_world.stored_parameters(model, replay["overrides"])}
    leash = replay["overrides"]["quds_force.leash_strength"]
    assert rows["Quds Force leash strength"] == (f"{leash:.2f} share", True)
    assert rows["Nuclear talks under way on day 0"] == ("on" if replay["overrides"]["iran.talks_active"] else "off", True)
    assert rows["US strike threshold"] == ("3.598 pressure", False)
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


# A port in use: tests/test_cli.py::test_app_on_a_port_in_use_is_one_line_and_exit_2 (a listening server and a
# socket only bound to the port).


def test_the_app_command_asks_for_the_app_extra_when_solara_is_missing(escalation, repo_root):
    # Make `import solara` fail in the child, as in an install without the extra.
    done = escalation("app", prelude="sys.modules['solara'] = None", cwd=repo_root, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == ('escalation app: error: the dashboard needs the app extra: '
                                   'pip install "escalation-sim[app]" (or pip install -e ".[app]")')
