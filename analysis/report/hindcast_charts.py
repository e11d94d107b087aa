"""Hindcast charts: simulated militia attacks per period against the record's counts, with its dated events.

:func:`hindcast_figure` draws one hindcast (:class:`analysis.calibration.hindcast.Hindcast`): per record
period the simulated median and 50 % / 90 % bands of attacks (as a monthly rate, so periods of different
lengths share one scale), the record's count with its accepted range (filled when it lies inside the
simulated 10-90 % band, the table's test), the months the record leaves open in grey, truces and lulls
shaded, and the record's dated events as vertical lines labelled in a strip above; with factions, one
small panel per faction on the same y axis. :func:`hindcasts_figure` stacks one panel per era scenario
(the report's panel). :func:`hindcast_section` adds that panel and its table to ``escalation report``
for every stored batch whose scenario has a shipped record. Colours come from ``analysis.report.palette``.
"""

from __future__ import annotations

import datetime as dt

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.textpath import TextPath  # noqa: E402

from analysis.calibration.hindcast import INSIDE_BAND, Hindcast, band  # noqa: E402
from analysis.report import palette  # noqa: E402

BAND_COLOR = palette.OKABE_ITO["blue"]
OPEN_COLOR = palette.GREY
RECORD_COLOR = palette.OKABE_ITO["vermillion"]
EVENT_COLOR = "#333333"
LULL_COLOR = "#FBF8DC"  # a pale Okabe-Ito yellow
EVENT_FONT = 8.0
ROW_INCHES = 0.19  # height of one row of event labels
PANEL_INCHES = 3.4
FACTION_INCHES = 1.9


def _num(day: dt.date) -> float:
    return mdates.date2num(dt.datetime.combine(day, dt.time()))


def _edges(h: Hindcast, index: int) -> tuple[float, float]:
    b = h.bins[index]
    return _num(b.start), _num(b.end) + 1.0


def _label_rows(h: Hindcast, width_inches: float) -> list[tuple[float, int, str, str]]:
    """Event labels placed in rows so that no label overlaps another or is crossed by an event's line.

    Returns (x, row, text, horizontal alignment) per event in date order. Labels are placed latest first;
    each goes one row above the highest label it would meet (an event line or a label within its span), so
    in a cluster of events the earliest label sits highest and every line ends below the labels it passes.
    """
    lo, hi = _num(h.start_date), _num(h.horizon_end) + 1.0
    days_per_inch = (hi - lo) / max(width_inches, 1.0)
    xs = [_num(e.date) + 0.5 for e in h.events]
    placed: list[tuple[float, int, str, str, float, float]] = []
    for event, x in zip(reversed(h.events), reversed(xs)):
        text = f"{event.date.day} {event.date:%b} {event.label}"
        width = (TextPath((0, 0), text, size=EVENT_FONT).get_extents().width / 72 + 0.12) * days_per_inch
        options = []
        if x + width <= hi:
            options.append((x, "left"))
        # to the left of its line only where no earlier event's line would cross the label
        if x - width >= lo and not any(x - width <= other < x for other in xs):
            options.append((x - width, "right"))
        best = None
        for start, align in options or [(x - width, "right")]:
            end = start + width
            met = [row for px, row, _, _, ps, pe in placed if start <= px <= end or (ps < end and start < pe)]
            row = max(met) + 1 if met else 0
            if best is None or row < best[1]:
                best = (x, row, text, align, start, end)
        placed.append(best)
    return [item[:4] for item in placed[::-1]]


def _draw_events(strip, ax_list, h: Hindcast, placed) -> None:
    rows = max((row for _, row, _, _ in placed), default=-1) + 1
    for x, row, text, align in placed:
        y = row + 0.5
        strip.plot([x, x], [0, y - 0.25], color=EVENT_COLOR, lw=0.7)
        strip.text(x + (0.6 if align == "left" else -0.6), y, text, ha=align, va="center", fontsize=EVENT_FONT,
                   color=EVENT_COLOR)
        for k, ax in enumerate(ax_list):
            ax.axvline(x, color=EVENT_COLOR, lw=0.8 if k == 0 else 0.6, ls=(0, (4, 3)), alpha=0.75 if k == 0 else 0.4,
                       zorder=1)
    strip.set_ylim(0, max(rows, 1))
    strip.axis("off")


def _draw_bands(ax, h: Hindcast, counts: np.ndarray, with_record: bool) -> None:
    """Bands, median and (optionally) the record, per bin, as rates per month."""
    q = band(counts)
    low_q, high_q = INSIDE_BAND
    for i, b in enumerate(h.bins):
        x0, x1 = _edges(h, i)
        months = b.months
        recorded = b.period is not None
        color = BAND_COLOR if recorded else OPEN_COLOR
        if recorded and b.period.lull:
            ax.axvspan(x0, x1, color=LULL_COLOR, lw=0, zorder=0)
        ax.fill_between([x0, x1], q[0.05][i] / months, q[0.95][i] / months, color=color,
                        alpha=0.2 if recorded else 0.14, lw=0, zorder=2)
        ax.fill_between([x0, x1], q[0.25][i] / months, q[0.75][i] / months, color=color,
                        alpha=0.45 if recorded else 0.3, lw=0, zorder=2)
        ax.hlines(q[0.50][i] / months, x0, x1, color="black" if recorded else "#555555", lw=2.0, zorder=3)
        if recorded:
            ax.hlines([q[low_q][i] / months, q[high_q][i] / months], x0, x1, color=BAND_COLOR, lw=0.9,
                      ls=(0, (1, 1.5)), zorder=3)
        if with_record and recorded:
            p = b.period
            is_inside = q[low_q][i] <= p.attacks <= q[high_q][i]
            mid = (x0 + x1) / 2
            value = p.attacks / months
            ax.errorbar([mid], [value], yerr=[[value - p.low / months], [p.high / months - value]], fmt="D",
                        ms=6.5, color=RECORD_COLOR, mfc=RECORD_COLOR if is_inside else "white", mew=1.6,
                        elinewidth=1.6, capsize=4, zorder=5, clip_on=False)
            if p.lull and p.label:
                ax.text(mid, 0.97, p.label, transform=ax.get_xaxis_transform(), ha="center", va="top",
                        fontsize=8, color="#555555", zorder=6)


def _date_axis(ax, h: Hindcast) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=12)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlim(_num(h.start_date), _num(h.horizon_end) + 1.0)
    ax.grid(axis="x", visible=False)


def _legend_handles(h: Hindcast | None = None) -> tuple[list, list[str]]:
    low, high = (int(q * 100) for q in INSIDE_BAND)
    handles = [Patch(color=BAND_COLOR, alpha=0.2, lw=0), Patch(color=BAND_COLOR, alpha=0.45, lw=0),
               Line2D([], [], color="black", lw=2.0), Line2D([], [], color=BAND_COLOR, lw=0.9, ls=(0, (1, 1.5))),
               Line2D([], [], color=RECORD_COLOR, marker="D", ls="", ms=6.5, mew=1.6),
               Line2D([], [], color=RECORD_COLOR, marker="D", ls="", ms=6.5, mfc="white", mew=1.6),
               Patch(color=OPEN_COLOR, alpha=0.3, lw=0), Patch(color=LULL_COLOR, lw=0),
               Line2D([], [], color=EVENT_COLOR, lw=0.8, ls=(0, (4, 3)))]
    names = ["simulated, middle 90 % of worlds", "simulated, middle 50 %", "simulated median",
             f"simulated {low}-{high} % (the table's test)", f"record count and range, inside {low}-{high} %",
             "record outside it", "simulated month, no record", "truce / lull (record)", "record event"]
    return handles, names


def _panel(figure, spec, h: Hindcast, width_inches: float, by_faction: bool, sharey=None):
    """One hindcast in a sub-grid: event strip, main panel, faction panels. Returns the main axes."""
    placed = _label_rows(h, width_inches)
    rows = max((row for _, row, _, _ in placed), default=-1) + 1
    factions = list(h.factions) if by_faction else []
    ncols = 3 if len(factions) > 4 else max(len(factions), 1)
    frows = int(np.ceil(len(factions) / ncols)) if factions else 0
    heights = [max(rows, 1) * ROW_INCHES + 0.1, PANEL_INCHES, *([FACTION_INCHES] * frows)]
    grid = spec.subgridspec(len(heights), ncols, height_ratios=heights, hspace=0.05)
    main = figure.add_subplot(grid[1, :], sharey=sharey)
    strip = figure.add_subplot(grid[0, :], sharex=main)
    _draw_bands(main, h, h.counts, with_record=True)
    _date_axis(main, h)
    main.set_ylabel("attacks per month\n(period count / its months)")
    table = h.table()
    strip.set_title(f"{h.title}\nmodel-made militia attacks in {h.n_worlds:,} worlds against {h.record.name}: "
                    f"{int(table['inside'].sum())} of {len(table)} periods inside", loc="left")
    axes = [main]
    for k, faction in enumerate(factions):
        ax = figure.add_subplot(grid[2 + k // ncols, k % ncols], sharey=main)
        _draw_bands(ax, h, h.factions[faction], with_record=False)
        _date_axis(ax, h)
        ax.set_title(h.faction_names.get(faction, faction), fontsize=9, loc="left")
        if k % ncols:
            ax.tick_params(labelleft=False)
        else:
            ax.set_ylabel("per month")
        axes.append(ax)
    _draw_events(strip, axes, h, placed)
    return main


@palette.style_context()
def hindcast_figure(h: Hindcast, by_faction: bool | None = None) -> Figure:
    """The chart of one hindcast (factions in panels below when counted and ``by_faction`` is not False)."""
    by_faction = bool(h.factions) if by_faction is None else by_faction and bool(h.factions)
    width = 11.0
    rows = max((row for _, row, _, _ in _label_rows(h, width - 1.2)), default=-1) + 1
    factions = len(h.factions) if by_faction else 0
    frows = int(np.ceil(factions / (3 if factions > 4 else max(factions, 1)))) if factions else 0
    height = 1.1 + max(rows, 1) * ROW_INCHES + 0.1 + PANEL_INCHES + frows * (FACTION_INCHES + 0.3)
    figure = Figure(figsize=(width, height), layout="constrained")
    spec = figure.add_gridspec(1, 1)[0]
    _panel(figure, spec, h, width - 1.2, by_faction).set_ylim(bottom=0)
    handles, names = _legend_handles(h)
    figure.legend(handles, names, loc="outside lower center", ncols=5, frameon=False, fontsize=8)
    return figure


@palette.style_context()
def hindcasts_figure(hindcasts: list[Hindcast]) -> Figure:
    """One panel per hindcast (era scenario), stacked, on a shared y axis (attacks per month)."""
    width = 11.0
    heights = []
    for h in hindcasts:
        rows = max((row for _, row, _, _ in _label_rows(h, width - 1.2)), default=-1) + 1
        heights.append(max(rows, 1) * ROW_INCHES + 0.1 + PANEL_INCHES + 0.5)
    figure = Figure(figsize=(width, sum(heights) + 0.9), layout="constrained")
    grid = figure.add_gridspec(len(hindcasts), 1, height_ratios=heights)
    first = None
    for index, h in enumerate(hindcasts):
        main = _panel(figure, grid[index], h, width - 1.2, False, sharey=first)
        first = first or main
    first.set_ylim(bottom=0)  # after every panel: the shared axis spans all of them
    handles, names = _legend_handles()
    figure.legend(handles, names, loc="outside lower center", ncols=5, frameon=False, fontsize=8)
    return figure


def report_hindcasts(sets) -> tuple[list[Hindcast], list[str]]:
    """Hindcasts of the stored batches whose scenario a shipped record names (from their stored events).

    Returns:
        (the hindcasts, labels of such batches stored without events, which cannot be drawn).
    """
    from analysis.calibration.hindcast import hindcast_from_events, load_record, shipped_records
    from sim.errors import InputError
    from sim.scenario import load_scenario

    records = {}
    for path in shipped_records():
        try:
            record = load_record(path)
        except InputError:
            continue
        for name in record.scenarios:
            records.setdefault(name, record)
    hindcasts, without_events = [], []
    for s in sets:
        if s.kind != "batch" or s.scenario not in records:
            continue
        if not (s.manifest.get("tables") or {}).get("events"):
            without_events.append(s.label)
            continue
        try:
            scenario = load_scenario(s.scenario)
            worlds = s.outcomes["world"].to_numpy()
            events = s.handle.events(columns=["world", "day", "actor", "action", "scripted"], worlds=worlds)
            h = hindcast_from_events(scenario, records[s.scenario], events, worlds, days=s.days,
                                     seed=s.manifest.get("seed"))
        except InputError:
            continue
        h.title = s.label
        hindcasts.append(h)
    return hindcasts, without_events


def hindcast_section(w, sets) -> None:
    """The report's hindcast section: one panel per stored era batch with a shipped record, and its table.

    Nothing is written when no batch's scenario has a record; a batch stored without events gets a note.
    """
    import pandas as pd

    hindcasts, without_events = report_hindcasts(sets)
    if not hindcasts and not without_events:
        return
    w.heading("Hindcast against the record")
    w.paragraph("Model-made militia attacks per period of the public record (scripted timeline attacks excluded), "
                "as a monthly rate: the simulated median with 50 % and 90 % bands, and the record's count with its "
                "accepted range (filled when it lies in the simulated 10-90 % band). Records: "
                "scenarios/targets/record_*.yaml.")
    if hindcasts:
        w.figure(hindcasts_figure(hindcasts), "hindcast", "Simulated attacks per record period against the "
                 "record, one panel per era scenario (shared y axis); the record's dated events above each panel.")
        tables = []
        for h in hindcasts:
            table = h.table()
            table.insert(0, "scenario", h.title)
            tables.append(table)
        w.table(pd.concat(tables, ignore_index=True), "hindcast",
                "Per record period: the record's count and range, the simulated median and 10-90 % band of "
                "model-made attacks, and whether the record lies inside the band.")
    if without_events:
        w.paragraph("No hindcast panel for " + ", ".join(without_events) + ": these worlds were stored without "
                    "their event logs, which the hindcast counts attacks from.", "note")
