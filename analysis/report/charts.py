"""Figures of outcomes and of escalation over time; the shared figure style of every report chart.

Every function takes DataFrames (the contract tables, or summaries built from them) and returns a
matplotlib ``Figure``; nothing is shown or saved here, so the functions work the same in a notebook and
in ``escalation report``. The Agg backend is selected on import. Result sets compared side by side are
told apart by a ``label`` column (see ``analysis.report.sections``) or, in the frames the Python API returns
(``Results.outcomes()``, ``analysis.stats.intervals.outcome_shares()``, ``simulate(...).outcomes``), by their
``scenario`` column: a frame without ``label`` is labelled by scenario. Colours come from ``analysis.report.palette``.
The figures of sweeps, sensitivity and scenario discovery are in ``analysis.report.sweep_charts``.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from analysis.report import palette  # noqa: E402
from analysis.stats.survival import survival_curve  # noqa: E402
from sim.ladder import Firebreak, Rung  # noqa: E402

LABEL = "label"
FIREBREAK_COLOR = "#333333"
RUNGS = list(Rung)
FAN_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
DISTRIBUTION_COLUMNS = {
    "attacks": ("militia attacks", "attacks per world", "militias"),
    "us_strikes": ("US strikes on militia sites", "strikes per world", "united_states"),
    "us_killed": ("Americans killed", "people killed per world", "united_states"),
    "militia_killed": ("militia members killed", "people killed per world", "militias"),
}
TIME_TO_EVENT_COLUMNS = {
    "first_day_us_strike": ("first US strike on militia sites", "no US strike yet", "united_states"),
    "first_day_us_killed": ("first American killed", "no American killed yet", "militias"),
}


def _figure(width: float, height: float) -> Figure:
    """A new figure in the report style, not attached to pyplot (no global state, no show)."""
    with palette.style_context():
        figure = Figure(figsize=(width, height), layout="constrained")
    return figure


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with a ``label`` column: its own, else a copy of its ``scenario`` column.

    The report labels result sets itself; the Python API's frames carry ``scenario`` instead, so every chart
    takes either. A frame with neither (``Results.series()`` has no scenario column) raises ValueError with the fix.
    """
    if LABEL in frame.columns:
        return frame
    if "scenario" in frame.columns:
        return frame.assign(**{LABEL: frame["scenario"].astype(str)})
    raise ValueError("the frame needs a 'label' or a 'scenario' column to tell result sets apart; for daily series "
                     "add the scenario from the outcomes: series.merge(outcomes[['world', 'scenario']], on='world')")


def _labels(frame: pd.DataFrame) -> list[str]:
    """Labels in order of first appearance."""
    return list(dict.fromkeys(frame[LABEL].astype(str)))


def _styled(func):
    """Run a figure builder inside the report's rc context, so fonts and grids are consistent."""

    def wrapper(*args, **kwargs):
        with palette.style_context():
            return func(*args, **kwargs)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    wrapper.__wrapped__ = func
    return wrapper


def rung_tick_labels() -> list[str]:
    """``"0 rhetoric / threat"`` ... ``"7 sustained open war"``."""
    return [f"{int(r)} {r.label}" for r in RUNGS]


def _rung_axis(ax, axis: str = "y") -> None:
    """Rung names on an axis, with a colour key strip along it and both firebreaks marked."""
    ticks = [int(r) for r in RUNGS]
    if axis == "y":
        ax.set_yticks(ticks, rung_tick_labels())
        ax.set_ylim(-0.5, 7.5)
        for rung in RUNGS:
            ax.axhspan(int(rung) - 0.5, int(rung) + 0.5, xmin=0, xmax=0.012, color=palette.rung_color(rung),
                       lw=0, zorder=3)
        for firebreak in Firebreak:
            ax.axhline(firebreak.position, color=FIREBREAK_COLOR, lw=1.2, ls=(0, (4, 3)), zorder=2)
            ax.annotate(f"firebreak: {firebreak.label}", (1.0, firebreak.position), xycoords=("axes fraction", "data"),
                        xytext=(-4, 3), textcoords="offset points", ha="right", va="bottom", fontsize=8,
                        color=FIREBREAK_COLOR, fontweight="bold", zorder=5,
                        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})


SCRIPTED_COLOR = "#8c8c8c"
SCRIPTED_LABEL = "scripted history"
SCRIPTED_GAP_DAYS = 7  # scripted days closer than this are shaded as one stretch


def scripted_days(scripted: pd.DataFrame | None, label: str | None = None, kind: str | None = None) -> list[int]:
    """Sorted days of scripted history, for one label (None: every label) and one kind of event.

    Args:
        scripted: rows ``label``, ``day``, ``action``, ``killed`` (see ``analysis.report.sections.scripted_history``).
        label: the result set, or None for all.
        kind: None for every scripted event; ``us_strike`` for scripted US strikes on militia sites;
            ``us_killed`` for scripted attacks that killed Americans.
    """
    if scripted is None or scripted.empty:
        return []
    rows = scripted if label is None else scripted[scripted[LABEL].astype(str) == label]
    if kind == "us_strike":
        rows = rows[rows["action"].astype(str) == "strike_militia"]
    elif kind == "us_killed":
        rows = rows[(rows["action"].astype(str) == "attack") & (rows["killed"] > 0)]
    return sorted({int(d) for d in rows["day"]})


def _stretches(days: list[int]) -> list[tuple[int, int]]:
    stretches: list[list[int]] = []
    for day in days:
        if stretches and day - stretches[-1][1] < SCRIPTED_GAP_DAYS:
            stretches[-1][1] = day
        else:
            stretches.append([day, day])
    return [(a, b) for a, b in stretches]


def mark_scripted(ax, days: list[int], text: str = SCRIPTED_LABEL) -> bool:
    """Shade the stretches of scripted days on a time axis and label the first "scripted history".

    Returns whether anything was marked.
    """
    if not days:
        return False
    for number, (first, last) in enumerate(_stretches(days)):
        ax.axvspan(first - 0.5, last + 0.5, color=SCRIPTED_COLOR, alpha=0.22, lw=0, zorder=0.5)
        for day in days:
            if first <= day <= last:
                ax.axvline(day, color=SCRIPTED_COLOR, lw=0.7, alpha=0.9, zorder=0.6)
        if number == 0:
            ax.annotate(text, (last + 0.5, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -4),
                        textcoords="offset points", ha="left", va="top", fontsize=8, color="#444444", zorder=6,
                        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    return True


def _scripted_handle() -> Patch:
    return Patch(color=SCRIPTED_COLOR, alpha=0.35, label=f"{SCRIPTED_LABEL} (the scenario's timeline, every world)")


# ------------------------------------------------------------------------------------------------
# Outcome classes


@_styled
def outcome_shares_figure(shares: pd.DataFrame, threshold: float | None = 0.05) -> Figure:
    """Share of worlds in each outcome class with 95 % intervals, one panel per class.

    Args:
        shares: ``stats.outcome_shares(...)`` by ``label`` or by ``scenario`` (its default): label or scenario,
            outcome, worlds, count, share, lower, upper.
        threshold: thesis threshold drawn on the confrontation panel (None to omit).
    """
    shares = labelled(shares)
    labels = _labels(shares)
    classes = list(dict.fromkeys(shares["outcome"]))
    figure = _figure(2.3 * len(classes) + 1.8, 1.9 + 0.45 * len(labels))
    axes = figure.subplots(1, len(classes), sharey=True, sharex=True)
    axes = np.atleast_1d(axes)
    y = np.arange(len(labels))[::-1]
    # one axis for every panel: linear up to 1 %, logarithmic above, so a rare class and a common one are
    # read on the same scale and neither is flattened
    right = max(float(shares["upper"].max()) * 100 * 1.4, 1.0)
    if threshold is not None:
        right = max(right, threshold * 100 * 2)
    right = min(right, 100.0)
    axes[0].set_xscale("symlog", linthresh=1.0, linscale=0.8)
    axes[0].set_xlim(0, right)
    ticks = [t for t in (0, 0.5, 1, 2, 5, 10, 25, 100) if t <= right]
    axes[0].set_xticks(ticks, [f"{t:g}" for t in ticks])
    axes[0].xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    for ax, name in zip(axes, classes):
        part = shares[shares["outcome"] == name].set_index(LABEL).loc[labels]
        share, lo, hi = part["share"] * 100, part["lower"] * 100, part["upper"] * 100
        color = palette.OUTCOME_COLORS.get(name, palette.GREY)
        ax.errorbar(share, y, xerr=[share - lo, hi - share], fmt="o", color=color, ecolor=color, capsize=3, ms=6)
        to_axes = ax.transAxes.inverted()
        for yi, s, k, n in zip(y, share, part["count"], part["worlds"]):
            # the numbers go above the point, aligned so they stay inside the panel
            position = to_axes.transform(ax.transData.transform((s, yi)))[0]
            align = "left" if position < 0.3 else ("right" if position > 0.7 else "center")
            ax.annotate(f"{s:.1f}% ({k}/{n})", (s, yi), xytext=(0, 6), textcoords="offset points", va="bottom",
                        ha=align, fontsize=8)
        if name == "confrontation" and threshold is not None:
            ax.axvline(threshold * 100, color=palette.GREY, ls="--", lw=1)
            ax.annotate(f"thesis threshold {threshold:.0%}", (threshold * 100, 0.0), xycoords=("data", "axes fraction"),
                        xytext=(3, 3), textcoords="offset points", fontsize=8, color="#555555", va="bottom")
        ax.set_title(name.replace("_", " "), color="black")
        ax.set_xlabel("share of worlds (%)")
        ax.set_ylim(-0.6, len(labels) - 0.4)
    axes[0].set_yticks(y, labels)
    figure.suptitle("Outcome classes: share of worlds with 95 % interval (exact; one-sided bound at 0 events)\n"
                    "one axis for every panel: linear to 1 %, logarithmic above", fontsize=10)
    return figure


@_styled
def max_rung_figure(outcomes: pd.DataFrame) -> Figure:
    """Distribution of the highest rung reached per world, as 100 % stacked bars (one per label)."""
    outcomes = labelled(outcomes)
    labels = _labels(outcomes)
    figure = _figure(11, 1.9 + 0.5 * len(labels))
    ax = figure.subplots()
    y = np.arange(len(labels))[::-1]
    left = np.zeros(len(labels))
    for rung in RUNGS:
        shares = np.array([(outcomes.loc[outcomes[LABEL] == lab, "max_rung"] == int(rung)).mean() * 100
                           for lab in labels])
        color = palette.rung_color(rung)
        ax.barh(y, shares, left=left, color=color, edgecolor="white", lw=0.5, height=0.6,
                label=f"{int(rung)} {rung.label}")
        for yi, l0, s in zip(y, left, shares):
            if s >= 4:
                dark = rung in (Rung.ATTACK_NO_CASUALTIES, Rung.LEADER_KILLING, Rung.STATE_ON_STATE_STRIKE,
                                Rung.OPEN_WAR)
                ax.text(l0 + s / 2, yi, f"{s:.0f}%", ha="center", va="center", fontsize=8,
                        color="white" if dark else "black")
        left += shares
    ax.set_yticks(y, labels)
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of worlds (%)")
    ax.grid(axis="y", visible=False)
    figure.legend(ncols=4, loc="outside lower center", frameon=False,
                  title="colour: highest rung reached over the horizon", title_fontsize=9)
    ax.set_title("Highest rung of the escalation ladder reached, share of worlds")
    return figure


@_styled
def distributions_figure(outcomes: pd.DataFrame, columns: dict | None = None) -> Figure:
    """Empirical CDFs of per-world counts (attacks, US strikes, Americans and militia members killed).

    Args:
        outcomes: outcomes rows with a ``label`` column.
        columns: {column: (title, x-axis label, actor)}; defaults to ``DISTRIBUTION_COLUMNS``.
    """
    outcomes = labelled(outcomes)
    columns = {c: v for c, v in (columns or DISTRIBUTION_COLUMNS).items() if c in outcomes.columns}
    labels = _labels(outcomes)
    figure = _figure(11, 6.8 + 0.25 * np.ceil(len(labels) / 4))
    axes = figure.subplots(2, 2).ravel()
    for ax, (column, (title, xlabel, _actor)) in zip(axes, columns.items()):
        for index, lab in enumerate(labels):
            values = np.sort(outcomes.loc[outcomes[LABEL] == lab, column].to_numpy(dtype=float))
            if len(values) == 0:
                continue
            share = np.arange(1, len(values) + 1) / len(values)
            style = palette.scenario_style(index)
            ax.step(np.r_[values[0], values], np.r_[0, share] * 100, where="post", lw=1.8, label=lab, **style)
        ax.set_title(f"{title}: cumulative distribution over worlds")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("worlds with at most x (%)")
        ax.set_ylim(0, 101)
        ax.set_xlim(left=0)
    for ax in axes[len(columns):]:
        ax.set_visible(False)
    handles, names = axes[0].get_legend_handles_labels()
    figure.legend(handles, names, loc="outside lower center", ncols=min(len(names), 4), frameon=False)
    figure.suptitle("Distributions of per-world totals over the horizon")
    return figure


# ------------------------------------------------------------------------------------------------
# Escalation over time


def fan_quantiles(series: pd.DataFrame, column: str = "level_30d") -> pd.DataFrame:
    """Per label and day: quantiles 5/25/50/75/95 % (observed values, no interpolation) and the mean."""
    series = labelled(series)
    grouped = series.groupby([LABEL, "day"], sort=True, observed=True)[column]
    mean = grouped.mean().rename("mean")
    pieces = [grouped.quantile(q, interpolation="lower" if q < 0.5 else "higher").rename(f"q{int(q * 100):02d}")
              for q in FAN_QUANTILES]
    return pd.concat([*pieces, mean], axis=1).reset_index()


@_styled
def fan_chart(series: pd.DataFrame, column: str = "level_30d", scripted: pd.DataFrame | None = None) -> Figure:
    """Escalation fan chart: median and 50 %/90 % bands of the 30-day level over time, per label.

    Args:
        series: daily series rows (``world``, ``day``, ``level_30d``) with a ``label`` column.
        column: the level column to draw.
        scripted: scripted history to shade (rows ``label``, ``day``, ``action``, ``killed``; see
            :func:`scripted_days`), or None.
    """
    series = labelled(series)
    quantiles = fan_quantiles(series, column)
    labels = _labels(series)
    ncols = min(len(labels), 2)
    nrows = int(np.ceil(len(labels) / ncols))
    figure = _figure(7.0 * ncols if ncols > 1 else 10, 4.4 * nrows)
    axes = np.atleast_1d(figure.subplots(nrows, ncols, sharey=True, squeeze=False)).ravel()
    band = palette.OKABE_ITO["blue"]
    marked = False
    half = 0.42  # levels are whole rungs: a band covers the rungs it spans, each drawn as a full cell
    for ax, lab in zip(axes, labels):
        q = quantiles[quantiles[LABEL] == lab]
        day = q["day"].to_numpy()
        ax.fill_between(day, q["q05"] - half, q["q95"] + half, step="post", color=band, alpha=0.16, lw=0,
                        label="rungs of the middle 90 % of worlds")
        ax.fill_between(day, q["q25"] - half, q["q75"] + half, step="post", color=band, alpha=0.38, lw=0,
                        label="rungs of the middle 50 % of worlds")
        ax.step(day, q["q50"], where="post", color="black", lw=2.2, label="median world")
        ax.plot(day, q["mean"], color=palette.OKABE_ITO["vermillion"], lw=1.3, label="mean level")
        marked = mark_scripted(ax, scripted_days(scripted, lab)) or marked
        _rung_axis(ax, "y")
        ax.set_xlim(day.min(), day.max())
        ax.set_xlabel("day of the horizon")
        ax.set_title(f"{lab}: highest rung in the trailing 30 days")
        ax.grid(axis="y", visible=False)
    for ax in axes[len(labels):]:
        ax.set_visible(False)
    handles, names = axes[0].get_legend_handles_labels()
    handles.append(Line2D([], [], color=FIREBREAK_COLOR, lw=1.2, ls=(0, (4, 3))))
    names.append("firebreak")
    if marked:
        handles.append(_scripted_handle())
        names.append(handles[-1].get_label())
    figure.legend(handles, names, loc="outside lower center", ncols=3 if marked else 5, frameon=False)
    figure.suptitle("Escalation fan chart: median and 50 % / 90 % bands across worlds")
    return figure


@_styled
def level_share_figure(series: pd.DataFrame, column: str = "level_30d", scripted: pd.DataFrame | None = None) -> Figure:
    """Share of worlds at each rung (30-day level) over time, stacked, one panel per label.

    ``scripted`` (as in :func:`fan_chart`) marks the days of scripted history above the stack.
    """
    series = labelled(series)
    labels = _labels(series)
    ncols = min(len(labels), 2)
    nrows = int(np.ceil(len(labels) / ncols))
    figure = _figure(7.0 * ncols if ncols > 1 else 10, 3.6 * nrows + 0.9)
    axes = np.atleast_1d(figure.subplots(nrows, ncols, sharey=True, squeeze=False)).ravel()
    for ax, lab in zip(axes, labels):
        part = series[series[LABEL] == lab]
        table = pd.crosstab(part["day"], part[column].astype(int), normalize="index") * 100
        table = table.reindex(columns=range(8), fill_value=0.0)
        ax.stackplot(table.index, [table[r] for r in range(8)], colors=palette.RUNG_COLORS, lw=0, step="post")
        days = scripted_days(scripted, lab)
        for day in days:
            ax.axvline(day, color="black", lw=0.8, ls=":", zorder=3)
        if days:
            ax.annotate(f"dotted: {SCRIPTED_LABEL}", (days[-1] + 0.5, 0.98), xycoords=("data", "axes fraction"),
                        xytext=(3, 0), textcoords="offset points", ha="left", va="top", fontsize=8, zorder=6,
                        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})
        ax.set_xlim(table.index.min(), table.index.max())
        ax.set_ylim(0, 100)
        ax.set_xlabel("day of the horizon")
        ax.set_ylabel("share of worlds (%)")
        ax.set_title(f"{lab}: worlds by highest rung in the trailing 30 days")
    for ax in axes[len(labels):]:
        ax.set_visible(False)
    handles = [Patch(color=palette.rung_color(r), label=f"{int(r)} {r.label}") for r in RUNGS]
    figure.legend(handles=handles, loc="outside lower center", ncols=4, frameon=False)
    figure.suptitle("Where the worlds stand on the ladder, day by day")
    return figure


@_styled
def time_to_event_figure(outcomes: pd.DataFrame, scripted: pd.DataFrame | None = None) -> Figure:
    """Kaplan-Meier curves [KaplanMeier1958]: share of worlds without a US strike / an American death, by day.

    ``scripted`` (as in :func:`fan_chart`) shades the days a scripted US strike, or a scripted attack that
    killed Americans, forces the curve down: history, not model output.
    """
    outcomes = labelled(outcomes)
    labels = _labels(outcomes)
    columns = {c: v for c, v in TIME_TO_EVENT_COLUMNS.items() if c in outcomes.columns}
    figure = _figure(11, 4.4 + 0.25 * np.ceil(len(labels) / 4))
    axes = np.atleast_1d(figure.subplots(1, len(columns)))
    kinds = {"first_day_us_strike": "us_strike", "first_day_us_killed": "us_killed"}
    marked = False
    for ax, (column, (title, ylabel, _actor)) in zip(axes, columns.items()):
        days = sorted({d for lab in labels for d in scripted_days(scripted, lab, kinds.get(column))})
        marked = mark_scripted(ax, days) or marked
        for index, lab in enumerate(labels):
            part = outcomes[outcomes[LABEL] == lab]
            curve = survival_curve(part[column], part["days"])
            style = palette.scenario_style(index)
            ax.fill_between(curve["time"], curve["lower"] * 100, curve["upper"] * 100, step="post",
                            color=style["color"], alpha=0.15, lw=0)
            ax.step(curve["time"], curve["survival"] * 100, where="post", lw=1.8, label=lab, **style)
        ax.set_title(f"Time to the {title}")
        ax.set_xlabel("days since the start of the horizon")
        ax.set_ylabel(f"worlds with {ylabel} (%)")
        ax.set_ylim(0, 101)
        ax.set_xlim(left=0)
    handles, names = axes[0].get_legend_handles_labels()
    if marked:
        handles.append(_scripted_handle())
        names.append(handles[-1].get_label())
    figure.legend(handles, names, loc="outside lower center", ncols=min(len(names), 4), frameon=False)
    figure.suptitle("Kaplan-Meier curves with 95 % band; worlds without the event are censored at the horizon")
    return figure


@_styled
def strike_ratio_figure(ratios: pd.DataFrame, observed_ceiling: float | None = 0.03) -> Figure:
    """US strikes per militia attack, pooled over worlds, with bootstrap 95 % intervals.

    Args:
        ratios: label, ratio, lower, upper, attacks, us_strikes (see ``analysis.report.sections.strike_ratios``).
        observed_ceiling: the 2020-21 observed ceiling [PressReports] drawn for reference (None to omit).
    """
    ratios = labelled(ratios)
    labels = list(ratios[LABEL])
    figure = _figure(9, 1.6 + 0.45 * len(labels))
    ax = figure.subplots()
    y = np.arange(len(labels))[::-1]
    r, lo, hi = ratios["ratio"] * 100, ratios["lower"] * 100, ratios["upper"] * 100
    color = palette.actor_color("united_states")
    ax.errorbar(r, y, xerr=[(r - lo).fillna(0), (hi - r).fillna(0)], fmt="o", color=color, capsize=3)
    for yi, value, l, h, s, a in zip(y, r, lo, hi, ratios["us_strikes"], ratios["attacks"]):
        text = ("no attacks" if not np.isfinite(value) else
                f"{value:.1f}% [{l:.1f}, {h:.1f}] ({int(s):,} strikes / {int(a):,} attacks)")
        ax.annotate(text, (0 if not np.isfinite(h) else h, yi), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=8)
    if observed_ceiling is not None:
        ax.axvspan(0, observed_ceiling * 100, color=palette.OKABE_ITO["bluish_green"], alpha=0.12, lw=0)
        ax.annotate(f"observed 2020-21: < {observed_ceiling:.0%}", (observed_ceiling * 100, 1.0),
                    xycoords=("data", "axes fraction"), xytext=(3, -10), textcoords="offset points", fontsize=8)
    top = np.nanmax(np.r_[hi.to_numpy(dtype=float), (observed_ceiling or 0) * 100, 1.0])
    ax.set_xlim(0, top * 2.3)  # room for the numbers written right of each interval
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.set_xlabel("US strikes on militia sites per militia attack (%)")
    ax.set_title("US-strike-to-attack ratio, pooled over worlds, with bootstrap 95 % interval")
    return figure
