"""The dashboard page: watch one world escalate, change its parameters, or replay a stored world (Mesa SolaraViz).

Serve it with ``escalation app [SCENARIO]`` or ``escalation app --replay RESULTS_DIR --world K`` (see
``analysis/cli/dashboard.py``), which pass their choice to this page as JSON in the environment variable
``ESCALATION_APP_CONFIG``. ``solara run analysis.dashboard.page`` also works and opens the baseline scenario (ignore its
advice to upgrade solara: the pinned release is the one whose offline assets are published, and Mesa 3.3
needs Vuetify 2).

The page is a :class:`mesa.visualization.SolaraViz` (Mesa 3 [TerHoeven2025]) of :class:`~analysis.dashboard.world.DashboardModel` (an
``EscalationModel`` with one world) with a scenario picker, sliders for the key parameters, a seed,
step/play/reset, six panels (escalation level, attacks per faction, casualties, hostility per dyad, leash and
US pressure, event log) and a summary of the run. This module holds the Solara components; the model and its
tables are in :mod:`analysis.dashboard.world`, the figures in :mod:`analysis.dashboard.charts`, and what a
replay reruns in :mod:`analysis.dashboard.replay`. Colours come from ``analysis.report.palette`` (a leaf
module of colours only). The page is a view: the model itself knows nothing of it.
"""

from __future__ import annotations

import html
import warnings

import matplotlib

matplotlib.use("Agg")  # before Mesa's visualization imports pyplot

import solara  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

# Mesa 3.3's ComponentsView trips Solara's rules-of-hooks check (harmless: the hook order never changes).
warnings.filterwarnings("ignore", message=".*ComponentsView: `use_state` found despite early return")

from mesa.visualization import SolaraViz  # noqa: E402
from mesa.visualization.utils import update_counter  # noqa: E402

from analysis.dashboard.charts import (  # noqa: E402
    _png, attacks_figure, casualties_figure, hostility_figure, leash_pressure_figure, level_figure)
from analysis.dashboard.world import (  # noqa: E402
    AppConfig, DashboardModel, _format, changed_parameters, event_table, faction_names, initial_values, model_params,
    run_summary)
from analysis.report import palette  # noqa: E402
from sim.ladder import Rung  # noqa: E402
from sim.model import EscalationModel  # noqa: E402
from sim.scenario import list_scenarios, load_scenario  # noqa: E402

EVENT_LOG_ROWS = 200


# ------------------------------------------------------------------------------------------------
# Panels (functions of the model: SolaraViz re-renders them after every step)


def _chart(figure: Figure, name: str):
    return solara.Image(_png(figure), width="100%", classes=["escalation-chart", f"chart-{name}"])


def LevelPanel(model):
    """Escalation level over time."""
    update_counter.get()
    return _chart(level_figure(model), "level")


def AttacksPanel(model):
    """Attacks per faction."""
    update_counter.get()
    return _chart(attacks_figure(model), "attacks")


def CasualtiesPanel(model):
    """Casualties over time."""
    update_counter.get()
    return _chart(casualties_figure(model), "casualties")


def HostilityPanel(model):
    """Hostility per dyad over time."""
    update_counter.get()
    return _chart(hostility_figure(model), "hostility")


def LeashPressurePanel(model):
    """Leash strength and US pressure over time."""
    update_counter.get()
    return _chart(leash_pressure_figure(model), "leash-pressure")


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


def EventLogPanel(model):
    """The live event log."""
    update_counter.get()
    return solara.HTML(tag="div", unsafe_innerHTML=event_log_html(model), style={"width": "100%"})


COMPONENTS = [LevelPanel, AttacksPanel, CasualtiesPanel, HostilityPanel, LeashPressurePanel, EventLogPanel]


# ------------------------------------------------------------------------------------------------
# Side cards and the page


@solara.component
def RunCard(model: solara.Reactive):
    """Day, outcome so far and the parameter values of the world on screen."""
    update_counter.get()
    current = model.value
    summary = run_summary(current)
    with solara.Card("This run"):
        _line(f"Day {summary['days_done']} of {summary['horizon']} ({summary['date']})", "escalation-run-day")
        _line(f"Highest rung: {summary['max_rung']} {summary['max_rung_label']}")
        _line(f"Outcome so far: {summary['outcome']}")
        _line(f"{summary['attacks']} attacks, {summary['us_strikes']} US strikes, {summary['us_killed']} Americans "
              f"and {summary['militia_killed']} militia members killed")
        _line(f"World seed {summary['world_seed']}")
        if current.note:
            _line(current.note, style="color: #D55E00")
        changes = changed_parameters(current)
        text = ("Changed from the scenario: " + "; ".join(changes)) if changes else "All parameters at the scenario's values"
        _line(text, "escalation-run-parameters", "font-size: 12px; margin-top: 6px")


def _line(text: str, classes: str = "", style: str = "") -> solara.Element:
    """One line of text (a div, so consecutive lines stack)."""
    return solara.v.Html(tag="div", children=[text], class_=classes, style_=style)


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
            overrides = replay.get("overrides") or {}
            if overrides:
                _line("; ".join(f"{path} = {_format(value)}" for path, value in overrides.items()))
            stored = replay.get("stored")
            if stored:
                events = "" if stored.get("events") is None else f"{stored['events']} events, "
                _line(f"Stored result: {events}{stored['attacks']} attacks, {stored['us_killed']} Americans killed, "
                      f"highest rung {stored['max_rung']}, {stored['outcome']}", "escalation-replay-stored",
                      "font-size: 12px; margin-top: 4px")
        else:
            solara.Select("Scenario", value=scenario_name, values=choices)
            _line("Move the sliders, then press Reset to rerun with the new values.", style="font-size: 12px")
        if scenario.summary:
            _line(scenario.summary, style="font-size: 12px; color: #555; margin-top: 4px")


@solara.component
def Dashboard(config: AppConfig, scenario_name: solara.Reactive, choices: list[str]):
    """SolaraViz of one scenario (remounted when the scenario changes, so sliders take its values)."""
    params = solara.use_memo(lambda: model_params(config), [config.to_json()])
    model = solara.use_reactive(solara.use_memo(lambda: DashboardModel(**initial_values(params)), [params]))
    with solara.Sidebar():
        ScenarioCard(config, scenario_name, choices)
    title = (f"Escalation replay: world {config.replay['world']} of '{config.replay['name']}'" if config.replay
             else f"Escalation dashboard: {config.scenario}")
    SolaraViz(model, components=COMPONENTS, model_params=params, name=title, play_interval=50)
    with solara.Sidebar():
        RunCard(model)


@solara.component
def Page():
    """The dashboard page (one per browser session)."""
    base = solara.use_memo(AppConfig.from_env, [])
    choices = solara.use_memo(lambda: _scenario_choices(base.scenario), [])
    scenario_name = solara.use_reactive(base.scenario)
    config = AppConfig(scenario=scenario_name.value, seed=base.seed, replay=base.replay)
    Dashboard(config, scenario_name, choices).key(f"dashboard-{scenario_name.value}")


def _scenario_choices(current: str) -> list[str]:
    names = [info.name for info in list_scenarios()]
    return names if current in names else [current, *names]


page = Page()
