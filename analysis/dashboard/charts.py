"""The dashboard's figures: matplotlib, drawn off-screen and shown as PNG (no JavaScript chart library).

Each figure is a function of the model on screen (escalation level, attacks per faction, casualties,
hostility per dyad [Richardson1960], leash and US pressure), sized for one panel of Mesa's two-column grid.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from analysis.dashboard.world import attacks_by_faction, faction_names  # noqa: E402
from analysis.report import palette  # noqa: E402
from sim.ladder import Firebreak, Rung  # noqa: E402
from sim.model import EscalationModel  # noqa: E402

CHART_SIZE = (6.0, 3.9)  # inches at 100 dpi: one panel of Mesa's two-column grid
CHART_DPI = 100

HOSTILITY_LINES = (  # series column, label, actor holding the hostility, line style
    ("hostility_militias_us", "militias → US", "militias", "-"),
    ("hostility_us_militias", "US → militias", "united_states", "-"),
    ("hostility_iran_us", "Iran → US", "iran", "--"),
    ("hostility_us_iran", "US → Iran", "united_states", "--"),
)


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
    """Richardson hostility [Richardson1960] of each side toward the other, per dyad."""
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
