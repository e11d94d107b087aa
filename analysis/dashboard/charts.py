"""The dashboard's figures: matplotlib, drawn off-screen and shown as PNG (no JavaScript chart library).

Each panel (escalation level, attacks per faction, casualties, hostility per dyad [Richardson1960], leash
and US pressure) is a :class:`Chart` of one world, sized for one panel of the page's two-column grid. A
chart is built once per world and updated in place each frame. On the page (``live=True``) it blits: the
parts that do not change from day to day (axes, ticks, labels, firebreaks) are drawn once into a cached
background, and each frame only restores it and draws the data (lines, dots, bars, legends, counts) on
top; the background is redrawn only when an axis range changes. Axis ranges grow in round steps
(:func:`nice_ceiling`: 33.4 becomes 35), so that happens rarely and the axes do not wobble while the world plays. A frame
of all five charts draws in a fraction of the time of five fresh figures; the pictures are the same.
The ``*_figure`` functions give the same charts as plain figures (tests, one-off pictures).
"""

from __future__ import annotations

import io
import math
from typing import Any, Hashable

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.artist import Artist  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from PIL import Image  # noqa: E402

from analysis.dashboard.world import attacks_by_faction, faction_names  # noqa: E402
from analysis.report import palette  # noqa: E402
from sim.ladder import Firebreak, Rung  # noqa: E402
from sim.model import EscalationModel  # noqa: E402

CHART_SIZE = (6.0, 3.9)  # inches at 100 dpi: one panel of the page's two-column grid
CHART_DPI = 100
PNG_COMPRESSION = 1  # zlib level of the page's PNGs: 1 is ~5x faster to write than 6, and ~2% larger

HOSTILITY_LINES = (  # series column, label, actor holding the hostility, line style
    ("hostility_militias_us", "militias → US", "militias", "-"),
    ("hostility_us_militias", "US → militias", "united_states", "-"),
    ("hostility_iran_us", "Iran → US", "iran", "--"),
    ("hostility_us_iran", "US → Iran", "united_states", "--"),
)
CASUALTY_LINES = (  # series column, label, actor, line style
    ("us_killed", "Americans killed", "united_states", "-"),
    ("us_wounded", "Americans wounded", "united_states", ":"),
    ("militia_killed", "militia members killed", "militias", "-"),
)


def nice_ceiling(value: float) -> float:
    """``value`` rounded up to a multiple of half its power of ten (33.4 -> 35, 8.6 -> 9, 0.42 -> 0.45)."""
    if not np.isfinite(value) or value <= 0:
        return 0.0
    unit = 10.0 ** math.floor(math.log10(value)) / 2
    return float(round(math.ceil(value / unit * (1 - 1e-12)) * unit, 12))


def _figure(left: float = 0.65, right: float = 0.15, bottom: float = 0.5, top: float = 0.3) -> Figure:
    """A panel-sized figure with fixed margins in inches (a layout engine would double the drawing time)."""
    width, height = CHART_SIZE
    with palette.style_context():
        figure = Figure(figsize=CHART_SIZE, dpi=CHART_DPI)
    figure.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height,
                           hspace=0.15)
    return figure


def _png(figure: Figure) -> bytes:
    """A figure as PNG (a full draw)."""
    buffer = io.BytesIO()
    with palette.style_context():
        figure.savefig(buffer, format="png", dpi=CHART_DPI, pil_kwargs={"compress_level": PNG_COMPRESSION})
    return buffer.getvalue()


def _encode(canvas: FigureCanvasAgg) -> bytes:
    """What an Agg canvas holds now, as PNG."""
    width, height = canvas.get_width_height()
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    image.save(buffer, format="png", compress_level=PNG_COMPRESSION)
    return buffer.getvalue()


def _days_axis(ax, model: EscalationModel) -> None:
    ax.set_xlim(0, model.horizon)
    ax.set_xlabel(f"day (0 = {model.scenario.start_date})")


class Chart:
    """One panel's figure of one world: built once, then updated in place from the world.

    Args:
        model: the world.
        live: blit on :meth:`png` (the page): the artists in ``animated`` are drawn over a cached
            background of everything else, which is redrawn only when :meth:`update`'s key changes.
    """

    margins: dict[str, float] = {}

    def __init__(self, model: EscalationModel, live: bool = False):
        self.model = model
        self.live = live
        self.figure = _figure(**self.margins)
        self.canvas = FigureCanvasAgg(self.figure)
        self.animated: list[Artist] = []
        self._key: Hashable = None
        self._background = None
        with palette.style_context():
            self.build()
            if live:
                for artist in self.animated:
                    artist.set_animated(True)
            self.update()

    def _live(self, artist: Any) -> Any:
        """Mark an artist (or a list of them) as one that changes from frame to frame."""
        self.animated.extend(artist if isinstance(artist, (list, tuple)) else [artist])
        return artist

    def build(self) -> None:
        """Make the axes and every artist (data empty)."""
        raise NotImplementedError

    def update(self) -> Hashable:
        """Set the artists from the world; return what the background depends on (axis ranges)."""
        raise NotImplementedError

    def png(self) -> bytes:
        """The chart of the world as it is now, as PNG."""
        with palette.style_context():
            key = self.update()
            if not self.live:
                return _png(self.figure)
            if self._background is None or key != self._key:
                self.canvas.draw()  # everything but the animated artists
                self._background, self._key = self.canvas.copy_from_bbox(self.figure.bbox), key
            else:
                self.canvas.restore_region(self._background)
            for artist in sorted(self.animated, key=lambda a: a.get_zorder()):
                self.figure.draw_artist(artist)
        return _encode(self.canvas)


class LevelChart(Chart):
    """Highest rung acted each day (dots coloured by rung), the 30-day level, rung names and firebreaks."""

    margins = {"left": 2.0}

    def build(self) -> None:
        ax = self.ax = self.figure.subplots()
        self.level_30d = self._live(ax.step([], [], where="post", color=palette.GREY, lw=1.2)[0])
        self.dots = self._live(ax.scatter(np.empty(0), np.empty(0), s=22, edgecolors="#333333", linewidths=0.4,
                                          zorder=4))
        ax.set_yticks(range(len(Rung)), [f"{int(r)} {r.label}" for r in Rung])
        ax.set_ylim(-0.5, len(Rung) - 0.5)
        for rung in Rung:
            ax.axhspan(int(rung) - 0.5, int(rung) + 0.5, xmin=0, xmax=0.012, color=palette.rung_color(rung), lw=0)
        for firebreak in Firebreak:
            ax.axhline(firebreak.position, color=palette.OKABE_ITO["vermillion"], lw=1.0, ls=(0, (4, 3)))
            ax.annotate(f"firebreak: {firebreak.label}", (0.99, firebreak.position), xycoords=("axes fraction", "data"),
                        xytext=(0, 2), textcoords="offset points", ha="right", va="bottom", fontsize=8,
                        color=palette.OKABE_ITO["vermillion"])
        _days_axis(ax, self.model)
        ax.set_title("Escalation level")
        handles = [Line2D([], [], color=palette.GREY, lw=1.2, label="highest rung in the last 30 days"),
                   Line2D([], [], ls="", marker="o", markersize=5, markerfacecolor="white", markeredgecolor="#333333",
                          label="highest rung that day (coloured by rung)")]
        self._live(ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=False))

    def update(self) -> Hashable:
        series = self.model.series_frame()
        self.level_30d.set_data(series["day"].to_numpy(), series["level_30d"].to_numpy())
        acted = series[series["level"] > 0]
        self.dots.set_offsets(np.column_stack([acted["day"].to_numpy(), acted["level"].to_numpy()]))
        self.dots.set_facecolor([palette.rung_color(r) for r in acted["level"]])
        return ()


class AttacksChart(Chart):
    """Militia attacks so far per faction, stacked by rung (harassment, no casualties, casualties)."""

    margins = {"left": 1.85}

    def build(self) -> None:
        ax = self.ax = self.figure.subplots()
        keys = self.model.scenario.faction_keys
        names = faction_names(self.model)
        labels = [names[key] for key in keys]
        zeros = np.zeros(len(keys))
        self.bars = {}
        for rung in (1, 2, 3):
            bars = ax.barh(labels, zeros, left=zeros, color=palette.rung_color(rung), edgecolor="#333333",
                           linewidth=0.4, label=f"{rung} {Rung(rung).label}")
            self.bars[rung] = self._live(list(bars.patches))
        self.totals = self._live([ax.annotate("0", (0, y), xytext=(3, 0), textcoords="offset points", va="center",
                                              fontsize=8) for y in range(len(keys))])
        ax.invert_yaxis()
        ax.set_ylim(ax.get_ylim())  # fixed: later widths do not move the bars
        ax.set_xlabel("attacks so far")
        self.title = self._live(ax.set_title("Attacks per faction (0 in all)"))
        ax.grid(axis="y", visible=False)
        self._live(ax.legend(loc="lower right", fontsize=8, frameon=False))

    def update(self, events: pd.DataFrame | None = None) -> Hashable:
        table = attacks_by_faction(self.model, events)
        left = np.zeros(len(table))
        for rung in (1, 2, 3):
            values = table[rung].to_numpy()
            for bar, start, width in zip(self.bars[rung], left, values):
                bar.set_x(start)
                bar.set_width(width)
            left += values
        for y, (annotation, total) in enumerate(zip(self.totals, left)):
            annotation.set_text(f"{int(total)}")
            annotation.xy = (total, y)
        self.title.set_text(f"Attacks per faction ({int(left.sum())} in all)")
        right = max(5.0, nice_ceiling(left.max() * 1.15) if len(left) else 5.0)
        self.ax.set_xlim(0, right)
        return (right,)


class CasualtiesChart(Chart):
    """Cumulative Americans killed and wounded, and militia members killed."""

    def build(self) -> None:
        ax = self.ax = self.figure.subplots()
        self.lines = self._live([ax.step([], [], where="post", color=palette.actor_color(actor), ls=style, lw=1.6,
                                         label=f"{label}: 0")[0] for _, label, actor, style in CASUALTY_LINES])
        _days_axis(ax, self.model)
        ax.set_ylim(0, 5.0)
        ax.set_ylabel("people, cumulative")
        ax.set_title("Casualties")
        self.legend = self._live(ax.legend(loc="upper left", fontsize=8, frameon=False))

    def update(self) -> Hashable:
        series = self.model.series_frame()
        days = series["day"].to_numpy()
        highest = 0.0
        for (column, label, _, _), line, text in zip(CASUALTY_LINES, self.lines, self.legend.get_texts()):
            total = series[column].cumsum().to_numpy()
            last = int(total[-1]) if len(total) else 0
            line.set_data(days, total)
            text.set_text(f"{label}: {last}")
            highest = max(highest, float(total.max()) if len(total) else 0.0)
        top = max(5.0, nice_ceiling(highest * 1.15))
        self.ax.set_ylim(0, top)
        return (top,)


class HostilityChart(Chart):
    """Richardson hostility [Richardson1960] of each side toward the other, per dyad."""

    def build(self) -> None:
        ax = self.ax = self.figure.subplots()
        self.lines = self._live([ax.plot([], [], color=palette.actor_color(actor), ls=style, lw=1.5, label=label)[0]
                                 for _, label, actor, style in HOSTILITY_LINES])
        _days_axis(ax, self.model)
        ax.set_ylabel("hostility")
        ax.set_title("Hostility per dyad")
        self._live(ax.legend(loc="upper left", fontsize=8, frameon=False, ncols=2))

    def update(self) -> Hashable:
        series = self.model.series_frame()
        days = series["day"].to_numpy()
        highest = 0.0
        for (column, *_), line in zip(HOSTILITY_LINES, self.lines):
            values = series[column].to_numpy()
            line.set_data(days, values)
            highest = max(highest, float(np.nanmax(values)) if len(values) else 0.0)
        top = max(0.05, nice_ceiling(highest * 1.05))
        self.ax.set_ylim(0, top)
        return (top,)


class LeashPressureChart(Chart):
    """The Quds Force leash (top) and US pressure to respond against the strike threshold (bottom)."""

    def build(self) -> None:
        top, bottom = self.top, self.bottom = self.figure.subplots(2, 1, sharex=True, height_ratios=(1, 1.4))
        self.leash = self._live(top.plot([], [], color=palette.actor_color("quds_force"), lw=1.6)[0])
        top.set_ylim(0, 1.05)
        top.set_ylabel("leash")
        top.set_title("Quds Force leash and US pressure")
        self.pressure = self._live(bottom.plot([], [], color=palette.actor_color("united_states"), lw=1.6,
                                               label="US pressure to respond")[0])
        values = self.model.values
        self.threshold = float(np.asarray(values["united_states.strike_threshold"]).reshape(-1)[0]
                               - np.asarray(values["united_states.hawkishness"]).reshape(-1)[0])
        bottom.axhline(self.threshold, color=palette.actor_color("united_states"), ls=(0, (4, 3)), lw=1.0,
                       label="strike threshold (before sovereignty cost)")
        bottom.set_ylabel("pressure")
        self._live(bottom.legend(loc="upper left", fontsize=8, frameon=False))
        _days_axis(bottom, self.model)

    def update(self) -> Hashable:
        series = self.model.series_frame()
        days = series["day"].to_numpy()
        self.leash.set_data(days, series["leash_strength"].to_numpy())
        pressure = series["us_pressure"].to_numpy()
        self.pressure.set_data(days, pressure)
        highest = float(np.nanmax(pressure)) if len(pressure) else 0.0
        top = max(self.threshold * 1.5, nice_ceiling(highest * 1.1), 1.0)
        self.bottom.set_ylim(0, top)
        return (top,)


CHARTS: dict[str, type[Chart]] = {
    "level": LevelChart, "attacks": AttacksChart, "casualties": CasualtiesChart, "hostility": HostilityChart,
    "leash-pressure": LeashPressureChart,
}


def level_figure(model: EscalationModel) -> Figure:
    """Highest rung acted each day (dots coloured by rung), the 30-day level, rung names and firebreaks."""
    return LevelChart(model).figure


def attacks_figure(model: EscalationModel, events: pd.DataFrame | None = None) -> Figure:
    """Militia attacks so far per faction, stacked by rung (harassment, no casualties, casualties)."""
    chart = AttacksChart(model)
    if events is not None:
        chart.update(events)
    return chart.figure


def casualties_figure(model: EscalationModel) -> Figure:
    """Cumulative Americans killed and wounded, and militia members killed."""
    return CasualtiesChart(model).figure


def hostility_figure(model: EscalationModel) -> Figure:
    """Richardson hostility [Richardson1960] of each side toward the other, per dyad."""
    return HostilityChart(model).figure


def leash_pressure_figure(model: EscalationModel) -> Figure:
    """The Quds Force leash (top) and US pressure to respond against the strike threshold (bottom)."""
    return LeashPressureChart(model).figure
