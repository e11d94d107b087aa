"""The dashboard: watch one world escalate, change its parameters, or replay a stored world (Mesa SolaraViz).

Serve it with ``escalation app [SCENARIO]`` or ``escalation app --replay RESULTS_DIR --world K`` (see
``analysis/cli/dashboard.py``), which pass their choice to this page as JSON in the environment variable
``ESCALATION_APP_CONFIG``. ``solara run analysis.dashboard.page`` also works and opens the baseline scenario (ignore its
advice to upgrade solara: the pinned release is the one whose offline assets are published, and Mesa 3.3
needs Vuetify 2).

The page is a :class:`mesa.visualization.SolaraViz` of :class:`DashboardModel` (an ``EscalationModel`` with
one world) with a scenario picker, sliders for the key parameters, a seed, step/play/reset, six panels
(escalation level, attacks per faction, casualties, hostility per dyad, leash and US pressure, event log)
and a summary of the run. Colours come from ``analysis.report.palette`` (a leaf module of colours only), the one
import from ``analysis``: the page is a view, and the model itself knows nothing of it.
"""

from __future__ import annotations

import html
import io
import json
import os
import warnings
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import solara  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

# Mesa 3.3's ComponentsView trips Solara's rules-of-hooks check (harmless: the hook order never changes).
warnings.filterwarnings("ignore", message=".*ComponentsView: `use_state` found despite early return")

from mesa.visualization import SolaraViz  # noqa: E402
from mesa.visualization.utils import update_counter  # noqa: E402

from analysis.report import palette  # noqa: E402
from sim.errors import InputError  # noqa: E402
from sim.ladder import Firebreak, Rung, classify_outcome  # noqa: E402
from sim.model import EscalationModel  # noqa: E402
from sim.scenario import Scenario, list_scenarios, load_scenario, parameter_paths  # noqa: E402

CONFIG_ENV = "ESCALATION_APP_CONFIG"
EVENT_LOG_ROWS = 200
CHART_SIZE = (6.0, 3.9)  # inches at 100 dpi: one panel of Mesa's two-column grid
CHART_DPI = 100

# The key parameters shown as inputs: (dotted path, label, (min, max, step) of the slider or "bool").
# "militias.*.obedience" expands to one slider per faction of the scenario. Slider ranges are clipped
# to the schema's bounds and widened to include the scenario's own value.
KEY_PARAMETERS: tuple[tuple[str, str, Any], ...] = (
    ("quds_force.leash_strength", "Quds Force leash strength (share)", (0.0, 1.0, 0.05)),
    ("united_states.hawkishness", "US hawkishness (lowers thresholds)", (-5.0, 5.0, 0.25)),
    ("united_states.strike_threshold", "US strike threshold (pressure)", (0.0, 20.0, 0.2)),
    ("united_states.war_aversion", "US war aversion (pressure)", (0.0, 40.0, 1.0)),
    ("context.external_grievance", "External grievance (regional shock)", (0.0, 10.0, 0.5)),
    ("iran.talks_active", "Nuclear talks under way on day 0", "bool"),
    ("militias.*.obedience", "Obedience: {name}", (0.0, 1.0, 0.05)),
)

HOSTILITY_LINES = (  # series column, label, actor holding the hostility, line style
    ("hostility_militias_us", "militias → US", "militias", "-"),
    ("hostility_us_militias", "US → militias", "united_states", "-"),
    ("hostility_iran_us", "Iran → US", "iran", "--"),
    ("hostility_us_iran", "US → Iran", "united_states", "--"),
)


# ------------------------------------------------------------------------------------------------
# Configuration passed by `escalation app`


@dataclass
class AppConfig:
    """What the page opens: a scenario to explore, or one stored world to replay.

    Args:
        scenario: scenario name or YAML path.
        seed: master seed of the explored world (world 0 of ``escalation run --seed S``).
        replay: for a replay, the stored world: ``results``, ``name``, ``world``, ``world_seed``,
            ``overrides`` (dotted path -> value) and ``days`` (None: the scenario's).
    """

    scenario: str = "baseline"
    seed: int = 0
    replay: dict[str, Any] | None = None

    def to_json(self) -> str:
        """The configuration as JSON (for the environment variable)."""
        return json.dumps({"scenario": self.scenario, "seed": self.seed, "replay": self.replay})

    @classmethod
    def from_env(cls) -> "AppConfig":
        """The configuration set by ``escalation app`` (defaults: the baseline scenario, seed 0)."""
        raw = os.environ.get(CONFIG_ENV)
        if not raw:
            return cls()
        data = json.loads(raw)
        return cls(scenario=data.get("scenario", "baseline"), seed=int(data.get("seed", 0)),
                   replay=data.get("replay"))


# ------------------------------------------------------------------------------------------------
# The model behind the page


def parse_seed(value: Any) -> int:
    """A master seed from a text input: a whole number >= 0.

    Raises:
        InputError: the value is not a whole number >= 0.
    """
    text = str(value).strip().replace("_", "").replace(",", "")
    if not text.isdigit():
        raise InputError(f"expected a whole number >= 0, got {str(value)!r}", key="seed")
    return int(text)


class DashboardModel(EscalationModel):
    """One world of a scenario, built from the flat keyword arguments SolaraViz passes on reset.

    Args:
        scenario: scenario name or YAML path.
        seed: master seed (text or int); the world's seed is ``derive_seeds(seed, 0)``.
        days: horizon (default: the scenario's).
        world_seed: an explicit 64-bit world seed (replay); overrides ``seed``.
        world_id: the id written in the ``world`` column (replay: the stored world's id).
        **kwargs: parameter values by dotted path (e.g. ``quds_force.leash_strength=0.5``).
    """

    def __init__(self, scenario: str | Scenario = "baseline", seed: int | str = 0, days: int | None = None,
                 world_seed: int | None = None, world_id: int = 0, **kwargs):
        try:
            self.master_seed = parse_seed(seed)
            self.note = ""
        except InputError as error:
            self.master_seed, self.note = 0, f"{error.one_line()}; using seed 0"
        self.world_seed = world_seed
        self.parameter_values = {path: _plain(value) for path, value in kwargs.items()}
        super().__init__(
            scenario, n_worlds=1, seed=self.master_seed, days=days,
            world_seeds=None if world_seed is None else np.array([int(world_seed)], dtype=np.uint64),
            world_ids=np.array([int(world_id)], dtype=np.int64), overrides=self.parameter_values,
        )


def _plain(value: Any) -> float | bool:
    """A JSON- and slider-friendly scalar."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    return float(value)


def key_parameters(scenario: Scenario) -> list[tuple[str, str, Any]]:
    """The key parameters of a scenario: (dotted path, label, range or "bool"), factions expanded."""
    expanded = []
    for path, label, spec in KEY_PARAMETERS:
        if "*" in path:
            for key, faction in scenario.militias.items():
                expanded.append((path.replace("*", key), label.format(name=faction.name), spec))
        else:
            expanded.append((path, label, spec))
    return expanded


def model_params(config: AppConfig) -> dict[str, Any]:
    """SolaraViz ``model_params``: fixed values and the user inputs (sliders, checkbox, seed).

    A replay fixes everything (scenario, seed, days and parameter values) to the stored world's.
    """
    if config.replay:
        replay = config.replay
        return {
            "scenario": config.scenario, "days": replay.get("days"), "world_seed": int(replay["world_seed"]),
            "world_id": int(replay["world"]), **replay.get("overrides", {}),
        }
    scenario = load_scenario(config.scenario)
    infos = parameter_paths(scenario)
    params: dict[str, Any] = {
        "scenario": config.scenario,
        "seed": {"type": "InputText", "value": str(config.seed), "label": "Seed (whole number)"},
    }
    for path, label, spec in key_parameters(scenario):
        info = infos[path]
        if spec == "bool":
            params[path] = {"type": "Checkbox", "value": bool(info.default), "label": label}
            continue
        lo, hi, step = spec
        default = float(info.default)
        lo = max(lo, info.lo) if info.lo is not None else lo
        hi = min(hi, info.hi) if info.hi is not None else hi
        # The slider snaps to min + k * step, rounded to the step's decimals: refine the step until it can
        # show the scenario's own value, and shift the grid so that the value lies on it.
        if _decimals(default) > _decimals(step):
            step = 10.0 ** -_decimals(default)
        below, above = max(0.0, default - lo), max(0.0, hi - default)
        low = round(float(default - np.floor(below / step + 1e-9) * step), 10)
        high = round(float(default + np.floor(above / step + 1e-9) * step), 10)
        params[path] = {"type": "SliderFloat", "value": default, "min": low, "max": high, "step": step,
                        "label": label}
    return params


def _decimals(value: float) -> int:
    """Decimal places of a number as written (at most 6)."""
    text = f"{round(float(value), 6):.6f}".rstrip("0")
    return len(text.split(".")[1])


def initial_values(params: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments SolaraViz passes to the model before any input changes."""
    return {name: (spec["value"] if isinstance(spec, dict) and "type" in spec else spec)
            for name, spec in params.items()}


def build_model(config: AppConfig) -> DashboardModel:
    """The model the page opens with."""
    return DashboardModel(**initial_values(model_params(config)))


# ------------------------------------------------------------------------------------------------
# Tables for the panels


def faction_names(model: EscalationModel) -> dict[str, str]:
    """Display names of every actor key (factions by their scenario names)."""
    names = dict(palette.ACTOR_LABELS)
    names.update({key: faction.name for key, faction in model.scenario.militias.items()})
    return names


def event_table(model: EscalationModel) -> pd.DataFrame:
    """The events so far as plain strings and numbers (categoricals decoded)."""
    events = model.events_frame()
    for column in events.columns:
        if isinstance(events[column].dtype, pd.CategoricalDtype):
            events[column] = events[column].astype(str)
    return events


def attacks_by_faction(model: EscalationModel, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Militia attacks so far: one row per faction (scenario order), one column per rung 1-3."""
    events = event_table(model) if events is None else events
    attacks = events[(events["action"] == "attack") & events["actor"].isin(model.scenario.faction_keys)]
    table = pd.crosstab(attacks["actor"], attacks["rung"].astype(int)) if len(attacks) else pd.DataFrame()
    return table.reindex(index=model.scenario.faction_keys, columns=[1, 2, 3], fill_value=0).fillna(0).astype(int)


def run_summary(model: EscalationModel) -> dict[str, Any]:
    """Day, date, highest rung and outcome class so far, and the run's totals."""
    series = model.series_frame()
    events = model.events_frame()
    day = int(series["day"].max()) + 1 if len(series) else 0
    max_rung = int(model.max_rung[0])
    outcome = str(classify_outcome(model.max_rung, model.outcome_counts["us_strikes_on_iran"] > 0,
                                   model.outcome_counts["iran_direct_strikes"] > 0)[0])
    counts = {name: int(values[0]) for name, values in model.outcome_counts.items()}
    return {
        "days_done": day, "horizon": model.horizon,
        "date": str(model.scenario.start_date + pd.Timedelta(days=max(day - 1, 0)).to_pytimedelta()),
        "max_rung": max_rung, "max_rung_label": Rung(max_rung).label, "outcome": outcome,
        "events": len(events), "world_seed": int(model.seeds[0]), **counts,
    }


# ------------------------------------------------------------------------------------------------
# Figures (matplotlib, drawn off-screen and shown as PNG: no JavaScript chart library is needed)


def _figure(left: float = 0.65, right: float = 0.15, bottom: float = 0.5, top: float = 0.3) -> Figure:
    """A panel-sized figure with fixed margins in inches (a layout engine would double the drawing time)."""
    width, height = CHART_SIZE
    with palette.style_context():
        figure = Figure(figsize=CHART_SIZE, dpi=CHART_DPI)
    figure.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height,
                           hspace=0.15)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    with palette.style_context():
        figure.savefig(buffer, format="png", dpi=CHART_DPI)
    return buffer.getvalue()


def _days_axis(ax, model: EscalationModel) -> None:
    ax.set_xlim(0, model.horizon)
    ax.set_xlabel(f"day (0 = {model.scenario.start_date})")


def level_figure(model: EscalationModel) -> Figure:
    """Highest rung acted each day (dots coloured by rung), the 30-day level, rung names and firebreaks."""
    series = model.series_frame()
    figure = _figure(left=2.0)
    with palette.style_context():
        ax = figure.subplots()
        acted = series[series["level"] > 0]
        if len(series):
            ax.step(series["day"], series["level_30d"], where="post", color=palette.GREY, lw=1.2)
        ax.scatter(acted["day"], acted["level"], c=[palette.rung_color(r) for r in acted["level"]], s=22,
                   edgecolors="#333333", linewidths=0.4, zorder=4)
        ax.set_yticks(range(len(Rung)), [f"{int(r)} {r.label}" for r in Rung])
        ax.set_ylim(-0.5, len(Rung) - 0.5)
        for rung in Rung:
            ax.axhspan(int(rung) - 0.5, int(rung) + 0.5, xmin=0, xmax=0.012, color=palette.rung_color(rung), lw=0)
        for firebreak in Firebreak:
            ax.axhline(firebreak.position, color=palette.OKABE_ITO["vermillion"], lw=1.0, ls=(0, (4, 3)))
            ax.annotate(f"firebreak: {firebreak.label}", (0.99, firebreak.position), xycoords=("axes fraction", "data"),
                        xytext=(0, 2), textcoords="offset points", ha="right", va="bottom", fontsize=8,
                        color=palette.OKABE_ITO["vermillion"])
        _days_axis(ax, model)
        ax.set_title("Escalation level")
        handles = [Line2D([], [], color=palette.GREY, lw=1.2, label="highest rung in the last 30 days"),
                   Line2D([], [], ls="", marker="o", markersize=5, markerfacecolor="white", markeredgecolor="#333333",
                          label="highest rung that day (coloured by rung)")]
        ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=False)
    return figure


def attacks_figure(model: EscalationModel, events: pd.DataFrame | None = None) -> Figure:
    """Militia attacks so far per faction, stacked by rung (harassment, no casualties, casualties)."""
    table = attacks_by_faction(model, events)
    names = faction_names(model)
    figure = _figure(left=1.85)
    with palette.style_context():
        ax = figure.subplots()
        labels = [names[key] for key in table.index]
        left = np.zeros(len(table))
        for rung in (1, 2, 3):
            values = table[rung].to_numpy()
            ax.barh(labels, values, left=left, color=palette.rung_color(rung), edgecolor="#333333", linewidth=0.4,
                    label=f"{rung} {Rung(rung).label}")
            left += values
        for y, total in enumerate(left):
            ax.annotate(f"{int(total)}", (total, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, max(5.0, left.max() * 1.15 if len(left) else 5.0))
        ax.set_xlabel("attacks so far")
        ax.set_title(f"Attacks per faction ({int(left.sum())} in all)")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    return figure


def casualties_figure(model: EscalationModel) -> Figure:
    """Cumulative Americans killed and wounded, and militia members killed."""
    series = model.series_frame()
    figure = _figure()
    with palette.style_context():
        ax = figure.subplots()
        lines = (("us_killed", "Americans killed", "united_states", "-"),
                 ("us_wounded", "Americans wounded", "united_states", ":"),
                 ("militia_killed", "militia members killed", "militias", "-"))
        for column, label, actor, style in lines:
            total = series[column].cumsum()
            last = int(total.iloc[-1]) if len(total) else 0
            ax.step(series["day"], total, where="post", color=palette.actor_color(actor), ls=style, lw=1.6,
                    label=f"{label}: {last}")
        _days_axis(ax, model)
        ax.set_ylim(bottom=0, top=max(5.0, float(series[[c for c, *_ in lines]].cumsum().max().max() or 0) * 1.15))
        ax.set_ylabel("people, cumulative")
        ax.set_title("Casualties")
        ax.legend(loc="upper left", fontsize=8, frameon=False)
    return figure


def hostility_figure(model: EscalationModel) -> Figure:
    """Richardson hostility of each side toward the other, per dyad."""
    series = model.series_frame()
    figure = _figure()
    with palette.style_context():
        ax = figure.subplots()
        for column, label, actor, style in HOSTILITY_LINES:
            ax.plot(series["day"], series[column], color=palette.actor_color(actor), ls=style, lw=1.5, label=label)
        _days_axis(ax, model)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("hostility")
        ax.set_title("Hostility per dyad")
        ax.legend(loc="upper left", fontsize=8, frameon=False, ncols=2)
    return figure


def leash_pressure_figure(model: EscalationModel) -> Figure:
    """The Quds Force leash (top) and US pressure to respond against the strike threshold (bottom)."""
    series = model.series_frame()
    figure = _figure()
    with palette.style_context():
        top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(1, 1.4))
        top.plot(series["day"], series["leash_strength"], color=palette.actor_color("quds_force"), lw=1.6)
        top.set_ylim(0, 1.05)
        top.set_ylabel("leash")
        top.set_title("Quds Force leash and US pressure")
        bottom.plot(series["day"], series["us_pressure"], color=palette.actor_color("united_states"), lw=1.6,
                    label="US pressure to respond")
        threshold = model.values["united_states.strike_threshold"] - model.values["united_states.hawkishness"]
        bottom.axhline(threshold, color=palette.actor_color("united_states"), ls=(0, (4, 3)), lw=1.0,
                       label="strike threshold (before sovereignty cost)")
        bottom.set_ylim(bottom=0, top=max(threshold * 1.5, float(series["us_pressure"].max() or 0) * 1.1, 1.0))
        bottom.set_ylabel("pressure")
        bottom.legend(loc="upper left", fontsize=8, frameon=False)
        _days_axis(bottom, model)
    return figure


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


def changed_parameters(model: DashboardModel) -> list[str]:
    """``"label: value (scenario: default)"`` for each parameter of the run that differs from its scenario."""
    infos = parameter_paths(model.scenario)
    labels = {path: label for path, label, _ in key_parameters(model.scenario)}
    lines = []
    for path, value in model.parameter_values.items():
        default = infos[path].default if path in infos else None
        if default is not None and not np.isclose(float(value), float(default)):
            lines.append(f"{labels.get(path, path)} {_format(value)} (scenario: {_format(default)})")
    return lines


def _line(text: str, classes: str = "", style: str = "") -> solara.Element:
    """One line of text (a div, so consecutive lines stack)."""
    return solara.v.Html(tag="div", children=[text], class_=classes, style_=style)


def _format(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "on" if value else "off"
    value = float(value)
    return f"{value:g}"


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
