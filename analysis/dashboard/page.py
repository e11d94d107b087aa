"""The dashboard page: watch one world escalate, change its parameters, or replay a stored world.

Serve it with ``escalation app [SCENARIO]`` or ``escalation app --replay RESULTS_DIR --world K`` (see
``analysis/cli/dashboard.py``), which pass their choice to this page as JSON in the environment variable
``ESCALATION_APP_CONFIG``. ``solara run analysis.dashboard.page`` also works and opens the baseline scenario (ignore its
advice to upgrade solara: the pinned release is the one whose offline assets are published, and it serves
the Vuetify 2 widgets this page uses).

The page is laid out like Mesa's SolaraViz (Mesa 3 [TerHoeven2025]: an app bar, a sidebar of cards, a grid
of draggable panels) around a :class:`~analysis.dashboard.world.DashboardModel` (an ``EscalationModel``
with one world), but with this model's controls only: a scenario picker, a seed, sliders for the key
parameters that show their value, unit and range, Step (a chosen number of days), Play/Pause at a chosen
number of days a second, and Reset, which reruns exactly the scenario, seed and values on screen. Six
panels (escalation level, attacks per faction, casualties, hostility per dyad, leash and US pressure,
event log) and a summary of the run follow the world day by day. A replay shows the stored world's
parameters instead of inputs.

Play is paced in days per wall-clock second, not in frames: the loop steps the world to where the clock
says it should be and redraws, so a frame that takes long to draw covers more days and a year takes
``horizon / speed`` seconds on any machine (12 s at the default 30 days a second).

This module holds the Solara components; the model and its tables are in
:mod:`analysis.dashboard.world`, the figures in :mod:`analysis.dashboard.charts`, and what a replay reruns
in :mod:`analysis.dashboard.replay`. Colours come from ``analysis.report.palette`` (a leaf module of
colours only). The page is a view: the model itself knows nothing of it.
"""

from __future__ import annotations

import html
import threading
import time
from typing import Any, Callable

import matplotlib

matplotlib.use("Agg")

import solara  # noqa: E402

from analysis.dashboard.charts import CHARTS  # noqa: E402
from analysis.dashboard.world import (  # noqa: E402
    AppConfig, DashboardModel, ParameterInput, _format, build_model, changed_parameters, event_table,
    faction_names, parameter_inputs, run_summary, stored_parameters)
from analysis.report import palette  # noqa: E402
from sim.ladder import Rung  # noqa: E402
from sim.model import EscalationModel  # noqa: E402
from sim.scenario import list_scenarios, load_scenario  # noqa: E402

EVENT_LOG_ROWS = 200
PLAY_SPEED = 30  # days a second while playing (a year in about 12 s)
PLAY_SPEEDS = (1, 90, 1)  # min, max, step of the play-speed slider (days a second)
STEP_DAYS = (1, 90, 1)  # min, max, step of the days-per-Step slider
PLAY_TICK = 0.02  # seconds the play loop waits when the clock has not reached the next day yet
FRAME_TIMEOUT = 30.0  # seconds the play loop waits for a frame to be drawn before it stops

# ------------------------------------------------------------------------------------------------
# Panels (functions of the world and a frame number: each redraws when the frame number changes)


def _locked(model: EscalationModel, compute: Callable[[], Any]) -> Any:
    """``compute()`` while the play loop is not stepping the world."""
    lock = getattr(model, "lock", None)
    if lock is None:
        return compute()
    with lock:
        return compute()


@solara.component
def ChartPanel(name: str, model: EscalationModel, frame: int = 0):
    """The chart ``name`` of :data:`analysis.dashboard.charts.CHARTS`, built once per world, redrawn each frame."""
    chart = solara.use_memo(lambda: CHARTS[name](model, live=True), [name, model])
    png = solara.use_memo(lambda: _locked(model, chart.png), [chart, frame])
    return solara.Image(png, width="100%", classes=["escalation-chart", f"chart-{name}"])


def LevelPanel(model: EscalationModel, frame: int = 0):
    """Escalation level over time."""
    return ChartPanel("level", model, frame)


def AttacksPanel(model: EscalationModel, frame: int = 0):
    """Attacks per faction."""
    return ChartPanel("attacks", model, frame)


def CasualtiesPanel(model: EscalationModel, frame: int = 0):
    """Casualties over time."""
    return ChartPanel("casualties", model, frame)


def HostilityPanel(model: EscalationModel, frame: int = 0):
    """Hostility per dyad over time."""
    return ChartPanel("hostility", model, frame)


def LeashPressurePanel(model: EscalationModel, frame: int = 0):
    """Leash strength and US pressure over time."""
    return ChartPanel("leash-pressure", model, frame)


def casualties_text(killed: int, wounded: int) -> str:
    """``"2 killed, 4 wounded"``, or an empty string."""
    parts = [f"{n} {word}" for n, word in ((killed, "killed"), (wounded, "wounded")) if n]
    return ", ".join(parts)


def event_log_html(model: EscalationModel, rows: int = EVENT_LOG_ROWS) -> str:
    """The latest events, newest first, as an HTML table: day, actor, action, rung, casualties, claimed by.

    The rung shows as its number on its colour (the level chart names the rungs; hovering shows the name).
    """
    events = event_table(model)
    names = faction_names(model)
    total = len(events)
    latest = events.iloc[::-1].head(rows)
    cells = []
    for row in latest.itertuples(index=False):
        rung = int(row.rung)
        swatch = (f'<span style="display:inline-block;width:9px;height:9px;margin-right:4px;'
                  f'background:{palette.rung_color(rung)};border:1px solid #555"></span>')
        action = row.action.replace("_", " ") + (f" ({row.weapon.replace('_', ' ')})" if row.weapon else "")
        target = names.get(row.target, row.target).replace("_", " ")
        claimed = names.get(row.claimed_by, row.claimed_by) if row.claimed_by else ""
        values = (int(row.day), html.escape(names.get(row.actor, row.actor)), html.escape(f"{action} → {target}"),
                  f'<span title="{html.escape(Rung(rung).label)}">{swatch}{rung}</span>',
                  casualties_text(int(row.killed), int(row.wounded)),
                  html.escape(claimed))
        cells.append("<tr>" + "".join(f"<td>{value}</td>" for value in values) + "</tr>")
    header = "".join(f"<th>{h}</th>" for h in ("day", "actor", "action → target", "rung", "casualties", "claimed by"))
    shown = f"latest {len(latest)} shown, newest first" if total > len(latest) else "newest first"
    return (
        f'<div class="escalation-event-log" data-events="{total}" style="font-size:11.5px;width:100%">'
        f'<div style="font-weight:600;font-size:14px;margin:2px 0 6px">Event log: {total} events ({shown})</div>'
        f'<div style="max-height:340px;overflow:auto">'
        f'<table style="border-collapse:collapse;width:100%">'
        f'<thead style="position:sticky;top:0;background:#fff;text-align:left"><tr>{header}</tr></thead>'
        f'<tbody>{"".join(cells)}</tbody></table></div>'
        f"<style>.escalation-event-log td,.escalation-event-log th{{padding:2px 4px;border-bottom:1px solid #eee;"
        f"vertical-align:top;line-height:1.25}}"
        f".escalation-event-log td:nth-child(-n+2),.escalation-event-log td:nth-child(4),"
        f".escalation-event-log td:nth-child(5){{white-space:nowrap}}</style></div>"
    )


@solara.component
def EventLogPanel(model: EscalationModel, frame: int = 0):
    """The live event log."""
    text = solara.use_memo(lambda: _locked(model, lambda: event_log_html(model)), [model, frame])
    return solara.HTML(tag="div", unsafe_innerHTML=text, style={"width": "100%"})


COMPONENTS = [LevelPanel, AttacksPanel, CasualtiesPanel, HostilityPanel, LeashPressurePanel, EventLogPanel]


def grid_layout(count: int) -> list[dict[str, Any]]:
    """Two columns of panels, as Mesa's SolaraViz lays them out (each 6 of 12 columns wide, 10 rows high)."""
    return [{"i": i, "w": 6, "h": 10, "moved": False, "x": 6 * (i % 2), "y": 16 * (i - i % 2)} for i in range(count)]


# ------------------------------------------------------------------------------------------------
# Side cards


def _line(text: str, classes: str = "", style: str = "", attributes: dict[str, str] | None = None) -> solara.Element:
    """One line of text (a div, so consecutive lines stack)."""
    return solara.v.Html(tag="div", children=[text], class_=classes, style_=style, attributes=attributes or {})


@solara.component
def RunCard(model: EscalationModel, frame: int = 0):
    """Day, outcome so far and the parameter values of the world on screen."""
    summary = solara.use_memo(lambda: _locked(model, lambda: run_summary(model)), [model, frame])
    with solara.Card("This run"):
        _line(f"Day {summary['days_done']} of {summary['horizon']} ({summary['date']})", "escalation-run-day")
        _line(f"Highest rung: {summary['max_rung']} {summary['max_rung_label']}")
        _line(f"Outcome so far: {summary['outcome']}")
        _line(f"{summary['attacks']} attacks, {summary['us_strikes']} US strikes, {summary['us_killed']} Americans "
              f"and {summary['militia_killed']} militia members killed")
        seed = "" if summary["seed"] is None or getattr(model, "world_seed", None) is not None else f"seed {summary['seed']}, "
        _line(f"Scenario {summary['scenario']}, {seed}world seed {summary['world_seed']}", "escalation-run-world")
        if getattr(model, "note", ""):
            _line(model.note, style="color: #D55E00")
        if isinstance(model, DashboardModel) and getattr(model, "world_seed", None) is None:
            changes = changed_parameters(model)
            text = ("Changed from the scenario: " + "; ".join(changes)) if changes else "All parameters at the scenario's values"
            _line(text, "escalation-run-parameters", "font-size: 12px; margin-top: 6px")


@solara.component
def ScenarioCard(config: AppConfig, scenario_name: solara.Reactive, choices: list[str]):
    """The scenario picker (explore mode) or what is being replayed (replay mode)."""
    scenario = solara.use_memo(lambda: load_scenario(config.scenario), [config.scenario])
    with solara.Card("Scenario"):
        if config.replay:
            replay = config.replay
            _line(f"Replay of world {replay['world']} of {replay.get('kind', 'batch')} '{replay['name']}'",
                  "escalation-replay")
            _line(f"from {replay['results']}; scenario {config.scenario}, world seed {replay['world_seed']}")
            stored = replay.get("stored")
            if stored:
                events = "" if stored.get("events") is None else f"{stored['events']} events, "
                _line(f"Stored result: {events}{stored['attacks']} attacks, {stored['us_killed']} Americans killed, "
                      f"highest rung {stored['max_rung']}, {stored['outcome']}", "escalation-replay-stored",
                      "font-size: 12px; margin-top: 4px")
        else:
            solara.Select("Scenario", value=scenario_name, values=choices)
        if scenario.summary:
            _line(scenario.summary, style="font-size: 12px; color: #555; margin-top: 4px")


@solara.component
def LabelledSlider(label: str, value: float, shown: str, low: str, high: str, on_value: Callable[[float], None],
                   min: float, max: float, step: float, doc: str = "", name: str = "", integer: bool = False,
                   range_text: str = ""):
    """A slider with its label, its value and unit on the right, and the ends of its range under it (hover: ``doc``)."""
    cast = int if integer else float
    with solara.v.Html(tag="div", class_="escalation-input", style_="margin: 4px 0 2px",
                       attributes={"data-name": name, "title": doc}):
        with solara.Row(justify="space-between", gap="4px", style={"font-size": "13.5px", "line-height": "1.2"}):
            solara.v.Html(tag="span", children=[label], class_="escalation-input-label")
            solara.v.Html(tag="span", children=[shown], class_="escalation-input-value",
                          style_="font-weight: 600; white-space: nowrap")
        solara.v.Slider(v_model=value, on_v_model=lambda v: on_value(cast(v)), min=min, max=max, step=step,
                        dense=True, hide_details=True, thumb_label=False, class_="escalation-slider",
                        style_="margin: 0")
        with solara.Row(justify="space-between", style={"font-size": "11px", "color": "#777", "margin-top": "-6px"}):
            solara.v.Html(tag="span", children=[low])
            solara.v.Html(tag="span", children=[high], class_="escalation-input-range",
                          attributes={"title": f"range: {range_text or f'{low} to {high}'}"})


@solara.component
def ParameterSlider(item: ParameterInput, values: solara.Reactive):
    """The input of one key parameter: a slider with value, unit and range, or a checkbox."""
    value = values.value.get(item.path, item.value)

    def set_value(new):
        values.value = {**values.value, item.path: new}

    if item.kind == "bool":
        with solara.v.Html(tag="div", class_="escalation-input", attributes={"data-name": item.path, "title": item.doc}):
            solara.Checkbox(label=f"{item.label} ({item.show(value)})", value=bool(value),
                            on_value=lambda v: set_value(bool(v)))
        return
    LabelledSlider(item.label, float(value), item.show(value), _format(item.min), _format(item.max),
                   set_value, item.min, item.max, item.step, doc=_slider_doc(item), name=item.path,
                   range_text=item.show_range())


def _slider_doc(item: ParameterInput) -> str:
    """The hover text of a slider: the schema's explanation, the scenario's value and the allowed range."""
    allowed = ""
    if item.lo is not None or item.hi is not None:
        lo = "" if item.lo is None else _format(item.lo)
        hi = "" if item.hi is None else _format(item.hi)
        allowed = f" The schema allows {lo} to {hi}." if lo and hi else (f" At least {lo}." if lo else f" At most {hi}.")
    return f"{item.doc} Scenario's value: {item.show(item.value)}.{allowed} ({item.path})"


@solara.component
def ParametersCard(inputs: list[ParameterInput], seed: solara.Reactive, values: solara.Reactive):
    """The seed and the key parameters (explore mode): they apply on Reset."""
    with solara.Card("Model parameters"):
        _line("Set the seed and move the sliders, then press Reset to rerun with them.",
              style="font-size: 12px; color: #555; margin-bottom: 4px")
        solara.InputText("Seed (whole number)", value=seed, continuous_update=True)
        for item in inputs:
            ParameterSlider(item, values)


@solara.component
def StoredParametersCard(model: EscalationModel, config: AppConfig):
    """What a replayed world ran with (replay mode: nothing to change)."""
    replay = config.replay or {}
    overrides = replay.get("overrides") or {}
    rows = solara.use_memo(lambda: stored_parameters(model, overrides), [model])
    days = replay.get("days")
    with solara.Card("Stored parameters"):
        _line(f"Scenario {config.scenario}; world seed {replay.get('world_seed')}; "
              f"{days if days is not None else model.horizon} days", style="font-size: 13px")
        if overrides:
            _line("* set by the run (its design point); the others are the scenario's values",
                  "escalation-replay-overrides", "font-size: 12px; margin: 4px 0; color: #555")
        else:
            _line("Every parameter at the scenario's value", "escalation-replay-overrides",
                  "font-size: 12px; margin: 4px 0; color: #555")
        with solara.v.Html(tag="table", class_="escalation-stored-parameters",
                           style_="font-size: 12.5px; border-collapse: collapse; width: 100%"):
            for label, shown, swept in rows:
                with solara.v.Html(tag="tr"):
                    solara.v.Html(tag="td", children=[label + (" *" if swept else "")], style_="padding: 1px 4px 1px 0")
                    solara.v.Html(tag="td", children=[shown],
                                  style_="padding: 1px 0; text-align: right; white-space: nowrap; "
                                         + ("font-weight: 600" if swept else ""))


@solara.component
def ControlsCard(model: EscalationModel, frame: solara.Reactive, playing: solara.Reactive, step_days: solara.Reactive,
                 speed: solara.Reactive, on_reset: Callable[[], None], on_step: Callable[[], None]):
    """Reset, Play/Pause and Step, with the days per Step and the play speed."""
    frame.value  # noqa: B018  (read: the buttons follow the world's running flag frame by frame)
    running = bool(model.running)
    with solara.Card("Controls"):
        with solara.Row(justify="space-between", style={"margin-bottom": "8px"}):
            solara.Button(label="Reset", color="primary", on_click=on_reset)
            solara.Button(label="❚❚" if playing.value else "▶", color="primary", disabled=not running,
                          on_click=lambda: playing.set(not playing.value))
            solara.Button(label="Step", color="primary", on_click=on_step, disabled=playing.value or not running)
        days = step_days.value
        LabelledSlider("Step advances", days, f"{days} day{'s' if days != 1 else ''}", str(STEP_DAYS[0]),
                       str(STEP_DAYS[1]), step_days.set, *STEP_DAYS, doc="Days one press of Step runs.",
                       name="step-days", integer=True)
        LabelledSlider("Play speed", speed.value, f"{speed.value} days/s", str(PLAY_SPEEDS[0]), str(PLAY_SPEEDS[1]),
                       speed.set, *PLAY_SPEEDS, name="play-speed", integer=True,
                       doc="Days Play runs per second; the panels redraw as often as they can keep up.")


# ------------------------------------------------------------------------------------------------
# The page


class Frames:
    """The number of the last frame drawn, for the play loop to wait on (the page draws it in some thread)."""

    def __init__(self):
        self.drawn = -1
        self._changed = threading.Condition()

    def mark(self, number: int) -> None:
        with self._changed:
            self.drawn = max(self.drawn, number)
            self._changed.notify_all()

    def wait(self, number: int, timeout: float, cancel: threading.Event | None = None) -> bool:
        """Wait until frame ``number`` is drawn (False: not within ``timeout`` seconds, or cancelled)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.drawn < number:
                left = deadline - time.monotonic()
                if left <= 0 or (cancel is not None and cancel.is_set()):
                    return False
                self._changed.wait(min(left, 0.1))
        return True


def play(model: solara.Reactive, playing: solara.Reactive, speed: solara.Reactive, frame: solara.Reactive,
         frames: Frames, cancel: threading.Event, clock: Callable[[], float] = time.monotonic) -> None:
    """Step the world on screen at ``speed`` days a second and redraw, until paused, cancelled or done.

    Each round steps the world to where the clock says it should be (at least one day), asks for a new
    frame and waits until it is drawn: a frame that takes long to draw makes the next one cover more days,
    so the pace in days a second holds on any machine. Days not drawn are still simulated: the world is
    the same whatever the speed.
    """
    world = model.value
    owed, last = 1.0, clock()  # the first day at once
    while playing.value and world.running and not cancel.is_set() and model.value is world:
        now = clock()
        owed += max(1, speed.value) * (now - last)
        last = now
        days = int(owed)
        if days < 1:
            time.sleep(PLAY_TICK)
            continue
        owed -= days
        with world.lock:
            for _ in range(days):
                world.step()
                if not world.running:
                    break
        if model.value is not world:
            break
        frame.value += 1
        if not frames.wait(frame.value, timeout=FRAME_TIMEOUT, cancel=cancel):
            break  # cancelled, or nobody draws any more (the browser went away)
    if not world.running and model.value is world:
        playing.value = False


@solara.component
def Heading(config: AppConfig, model: EscalationModel, frame: solara.Reactive):
    """The page's title (app bar, browser tab) and the heading over the panels: what world, which day."""
    summary = solara.use_memo(lambda: _locked(model, lambda: run_summary(model)), [model, frame.value])
    if config.replay:
        title = f"Escalation replay: world {config.replay['world']} of '{config.replay['name']}'"
        heading = f"Replay of world {config.replay['world']}: {summary['scenario']}"
    else:
        title = f"Escalation dashboard: {summary['scenario']}"
        heading = f"{summary['scenario']}, seed {summary['seed']}"
    day = f"day {summary['days_done']} of {summary['horizon']} ({summary['date']})"
    solara.Title(heading)
    with solara.AppBar():
        solara.AppBarTitle(title)
    _line(f"{heading}: {day}", "escalation-page-title", "font-size: 20px; font-weight: 500; margin: 14px 8px 0",
          attributes={"data-day": str(summary["days_done"]), "data-scenario": summary["scenario"],
                      "data-seed": str(summary["seed"]), "data-horizon": str(summary["horizon"])})


@solara.component
def Panels(model: EscalationModel, frame: solara.Reactive, frames: Frames):
    """The six panels in a grid of two columns (drag to move, drag a corner to resize)."""
    number = frame.value
    layout, set_layout = solara.use_state(grid_layout(len(COMPONENTS)))
    solara.use_effect(lambda: frames.mark(number), [number])  # after this frame is drawn
    solara.GridDraggable(items=[panel(model, number) for panel in COMPONENTS], grid_layout=layout,
                         resizable=True, draggable=True, on_grid_layout=set_layout)


@solara.component
def RunCardOf(model: EscalationModel, frame: solara.Reactive):
    """:func:`RunCard` of the frame on screen."""
    RunCard(model, frame.value)


@solara.component
def Dashboard(config: AppConfig, scenario_name: solara.Reactive, seed: solara.Reactive, choices: list[str]):
    """The page for one scenario (remounted when the scenario changes, so the sliders take its values).

    Only the parts that change with the day (heading, controls, run card, panels) read ``frame``, so a
    frame redraws those and leaves the inputs alone.
    """
    inputs = solara.use_memo(lambda: [] if config.replay else parameter_inputs(config.scenario), [config.to_json()])
    values = solara.use_reactive({item.path: item.value for item in inputs})
    model = solara.use_reactive(solara.use_memo(lambda: build_model(config, seed.value, values.value), []))
    frame = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    step_days = solara.use_reactive(STEP_DAYS[0])
    speed = solara.use_reactive(PLAY_SPEED)
    frames = solara.use_memo(Frames, [])
    world = model.value

    def reset():
        """A new world from exactly what the inputs show: scenario, seed, parameter values."""
        playing.value = False
        model.value = build_model(config, seed.value, values.value)
        frame.value += 1

    def step():
        with world.lock:
            for _ in range(step_days.value):
                if not world.running:
                    break
                world.step()
        frame.value += 1

    solara.use_thread(lambda cancel: play(model, playing, speed, frame, frames, cancel) if playing.value else None,
                      dependencies=[playing.value, world], intrusive_cancel=False)

    with solara.Sidebar(), solara.Column():
        ScenarioCard(config, scenario_name, choices)
        ControlsCard(world, frame, playing, step_days, speed, reset, step)
        RunCardOf(world, frame)
        if config.replay:
            StoredParametersCard(world, config)
        else:
            ParametersCard(inputs, seed, values)
    with solara.Column(style={"padding": "0 8px"}):
        Heading(config, world, frame)
        Panels(world, frame, frames)


@solara.component
def Page():
    """The dashboard page (one per browser session)."""
    base = solara.use_memo(AppConfig.from_env, [])
    choices = solara.use_memo(lambda: _scenario_choices(base.scenario), [])
    scenario_name = solara.use_reactive(base.scenario)
    seed = solara.use_reactive(str(base.seed))  # kept when the scenario changes
    config = AppConfig(scenario=scenario_name.value, seed=base.seed, replay=base.replay)
    Dashboard(config, scenario_name, seed, choices).key(f"dashboard-{scenario_name.value}")


def _scenario_choices(current: str) -> list[str]:
    names = [info.name for info in list_scenarios()]
    return names if current in names else [current, *names]


page = Page()
