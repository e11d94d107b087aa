"""Figures of outcomes, escalation over time, sweeps, sensitivity and scenario discovery.

Every function takes DataFrames (the contract tables, or summaries built from them) and returns a
matplotlib ``Figure``; nothing is shown or saved here, so the functions work the same in a notebook and
in ``escalation report``. The Agg backend is selected on import. Result sets compared side by side are
told apart by a ``label`` column (see ``analysis.report.html``); colours come from ``analysis.report.palette``.
"""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.ticker  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from scipy import stats as scistats  # noqa: E402

from analysis.report import palette  # noqa: E402
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


# ------------------------------------------------------------------------------------------------
# Outcome classes


@_styled
def outcome_shares_figure(shares: pd.DataFrame, threshold: float | None = 0.05) -> Figure:
    """Share of worlds in each outcome class with 95 % intervals, one panel per class.

    Args:
        shares: ``stats.outcome_shares(..., by="label")``: label, outcome, worlds, count, share, lower, upper.
        threshold: thesis threshold drawn on the confrontation panel (None to omit).
    """
    labels = _labels(shares)
    classes = list(dict.fromkeys(shares["outcome"]))
    figure = _figure(11, 1.6 + 0.45 * len(labels))
    axes = figure.subplots(1, len(classes), sharey=True)
    axes = np.atleast_1d(axes)
    y = np.arange(len(labels))[::-1]
    for ax, name in zip(axes, classes):
        part = shares[shares["outcome"] == name].set_index(LABEL).loc[labels]
        share, lo, hi = part["share"] * 100, part["lower"] * 100, part["upper"] * 100
        color = palette.OUTCOME_COLORS.get(name, palette.GREY)
        ax.errorbar(share, y, xerr=[share - lo, hi - share], fmt="o", color=color, ecolor=color, capsize=3, ms=6)
        right = max(float(hi.max()) * 1.3, 1.0)
        if name == "confrontation" and threshold is not None:
            right = max(right, threshold * 100 * 1.6)
        right = min(right, 100)
        for yi, s, k, n in zip(y, share, part["count"], part["worlds"]):
            # the numbers go above the point, aligned so they stay inside the panel
            align = "left" if s < 0.3 * right else ("right" if s > 0.7 * right else "center")
            ax.annotate(f"{s:.1f}% ({k}/{n})", (s, yi), xytext=(0, 6), textcoords="offset points", va="bottom",
                        ha=align, fontsize=8)
        if name == "confrontation" and threshold is not None:
            ax.axvline(threshold * 100, color=palette.GREY, ls="--", lw=1)
            ax.annotate(f"thesis threshold {threshold:.0%}", (threshold * 100, 0.0), xycoords=("data", "axes fraction"),
                        xytext=(3, 3), textcoords="offset points", fontsize=8, color="#555555", va="bottom")
        ax.set_xlim(0, right)
        ax.set_title(name, color="black")
        ax.set_xlabel("share of worlds (%)")
        ax.set_ylim(-0.6, len(labels) - 0.4)
    axes[0].set_yticks(y, labels)
    figure.suptitle("Outcome classes: share of worlds with 95 % interval (exact; one-sided bound at 0 events)")
    return figure


@_styled
def max_rung_figure(outcomes: pd.DataFrame) -> Figure:
    """Distribution of the highest rung reached per world, as 100 % stacked bars (one per label)."""
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
    grouped = series.groupby([LABEL, "day"], sort=True, observed=True)[column]
    mean = grouped.mean().rename("mean")
    pieces = [grouped.quantile(q, interpolation="lower" if q < 0.5 else "higher").rename(f"q{int(q * 100):02d}")
              for q in FAN_QUANTILES]
    return pd.concat([*pieces, mean], axis=1).reset_index()


@_styled
def fan_chart(series: pd.DataFrame, column: str = "level_30d") -> Figure:
    """Escalation fan chart: median and 50 %/90 % bands of the 30-day level over time, per label.

    Args:
        series: daily series rows (``world``, ``day``, ``level_30d``) with a ``label`` column.
        column: the level column to draw.
    """
    quantiles = fan_quantiles(series, column)
    labels = _labels(series)
    ncols = min(len(labels), 2)
    nrows = int(np.ceil(len(labels) / ncols))
    figure = _figure(7.0 * ncols if ncols > 1 else 10, 4.4 * nrows)
    axes = np.atleast_1d(figure.subplots(nrows, ncols, sharey=True, squeeze=False)).ravel()
    band = palette.OKABE_ITO["blue"]
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
    figure.legend(handles, names, loc="outside lower center", ncols=5, frameon=False)
    figure.suptitle("Escalation fan chart: median and 50 % / 90 % bands across worlds")
    return figure


@_styled
def level_share_figure(series: pd.DataFrame, column: str = "level_30d") -> Figure:
    """Share of worlds at each rung (30-day level) over time, stacked, one panel per label."""
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


def survival_curve(event_day: pd.Series, horizon: pd.Series | int, confidence: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier share of worlds without the event, right-censored at the horizon.

    The event on day ``d`` (0-based) counts as happening at time ``d + 1`` days; a world without the event
    is censored at its horizon. Uses ``scipy.stats.ecdf`` (Greenwood variance, log-log interval).

    Returns:
        Columns ``time`` (days elapsed), ``survival``, ``lower``, ``upper``, starting at time 0 with 1.
    """
    days = pd.array(event_day, dtype="Int64")
    horizon = np.broadcast_to(np.asarray(horizon, dtype=float), (len(days),))
    observed = ~days.isna()
    times = days.to_numpy(dtype=float, na_value=np.nan) + 1
    start = pd.DataFrame({"time": [0.0], "survival": [1.0], "lower": [1.0], "upper": [1.0]})
    if observed.sum() == 0:
        return pd.concat([start, pd.DataFrame({"time": [float(horizon.max())], "survival": [1.0],
                                                "lower": [float(1 - 0.05 ** (1 / max(len(days), 1)))],
                                                "upper": [1.0]})], ignore_index=True)
    data = scistats.CensoredData(uncensored=times[observed], right=horizon[~observed])
    result = scistats.ecdf(data)
    with warnings.catch_warnings():  # undefined where the survival reaches 0; filled with the estimate below
        warnings.simplefilter("ignore", RuntimeWarning)
        interval = result.sf.confidence_interval(confidence, method="log-log")
    survival = result.sf.probabilities
    curve = pd.DataFrame({
        "time": result.sf.quantiles,
        "survival": survival,
        "lower": np.where(np.isnan(interval.low.probabilities), survival, interval.low.probabilities),
        "upper": np.where(np.isnan(interval.high.probabilities), survival, interval.high.probabilities),
    })
    end = curve.iloc[[-1]].assign(time=float(horizon.max()))
    return pd.concat([start, curve, end], ignore_index=True)


@_styled
def time_to_event_figure(outcomes: pd.DataFrame) -> Figure:
    """Kaplan-Meier curves: share of worlds without a US strike / an American death, by day."""
    labels = _labels(outcomes)
    columns = {c: v for c, v in TIME_TO_EVENT_COLUMNS.items() if c in outcomes.columns}
    figure = _figure(11, 4.4 + 0.25 * np.ceil(len(labels) / 4))
    axes = np.atleast_1d(figure.subplots(1, len(columns)))
    for ax, (column, (title, ylabel, _actor)) in zip(axes, columns.items()):
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
    figure.legend(handles, names, loc="outside lower center", ncols=min(len(names), 4), frameon=False)
    figure.suptitle("Kaplan-Meier curves with 95 % band; worlds without the event are censored at the horizon")
    return figure


@_styled
def strike_ratio_figure(ratios: pd.DataFrame, observed_ceiling: float | None = 0.03) -> Figure:
    """US strikes per militia attack, pooled over worlds, with bootstrap 95 % intervals.

    Args:
        ratios: label, ratio, lower, upper, attacks, us_strikes (see ``analysis.report.html.strike_ratios``).
        observed_ceiling: the 2020-21 observed ceiling drawn for reference (None to omit).
    """
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


# ------------------------------------------------------------------------------------------------
# Sweeps


def _parameter_label(name: str, units: dict | None) -> str:
    unit = (units or {}).get(name)
    return f"{name} ({unit})" if unit else name


@_styled
def sweep_heatmap(cells: pd.DataFrame, x: str, y: str, units: dict | None = None, threshold: float = 0.05,
                  event_label: str = "confrontation") -> Figure:
    """Heatmap of P(event) over two parameters, with each cell's verdict against the threshold.

    Args:
        cells: one row per cell: ``x_bin``, ``y_bin`` (ordered bin labels), ``share``, ``lower``, ``upper``,
            ``worlds``, ``verdict`` (see ``analysis.stats.sweeps.binned_shares``).
        x: parameter on the x axis (for the label).
        y: parameter on the y axis.
        units: {parameter: unit} for axis labels.
        threshold: thesis threshold (for the legend text).
        event_label: what the probability is of.
    """
    xs = list(dict.fromkeys(cells.sort_values("x_order")["x_bin"]))
    ys = list(dict.fromkeys(cells.sort_values("y_order")["y_bin"]))
    grid = cells.pivot_table(index="y_bin", columns="x_bin", values="share", aggfunc="first").reindex(index=ys, columns=xs)
    figure = _figure(max(7.5, 1.0 + 0.95 * len(xs)), max(5.0, 1.8 + 0.55 * len(ys)))
    ax = figure.subplots()
    vmax = max(float(np.nanmax(grid.to_numpy())) if grid.notna().any().any() else 0.0, threshold * 2, 0.01)
    image = ax.imshow(grid.to_numpy() * 100, origin="lower", aspect="auto", cmap=palette.CONTINUOUS_CMAP,
                      vmin=0, vmax=vmax * 100)
    marks = {"holds": "\u2713", "fails": "\u2717", "inconclusive": "?"}
    for _, cell in cells.iterrows():
        i, j = ys.index(cell["y_bin"]), xs.index(cell["x_bin"])
        light = cell["share"] < vmax * 0.55
        ax.text(j, i, f"{cell['share'] * 100:.1f}%\n[{cell['lower'] * 100:.1f}\u2013{cell['upper'] * 100:.1f}]\n"
                      f"{marks.get(cell['verdict'], '')} n={int(cell['worlds'])}",
                ha="center", va="center", fontsize=7.5, color="white" if light else "black", linespacing=1.15)
    ax.set_xticks(range(len(xs)), xs, rotation=30, ha="right")
    ax.set_yticks(range(len(ys)), ys)
    ax.grid(False)
    ax.set_xlabel(_parameter_label(x, units))
    ax.set_ylabel(_parameter_label(y, units))
    colorbar = figure.colorbar(image, ax=ax)
    colorbar.set_label(f"P({event_label}) (%)")
    ax.set_title(f"P({event_label}) over {x} and {y}\n"
                 f"cell: share [95 % interval] (%), worlds n, verdict: \u2713 upper bound < {threshold:.0%},\n"
                 f"\u2717 lower bound > {threshold:.0%}, ? inconclusive (other parameters pooled)", fontsize=10)
    return figure


@_styled
def sweep_lines(binned: pd.DataFrame, units: dict | None = None, threshold: float | None = 0.05) -> Figure:
    """P(event) against each parameter (others pooled), with 95 % bands; one panel per parameter.

    Args:
        binned: rows with ``parameter``, ``x`` (bin centre), ``event`` (e.g. confrontation), ``share``,
            ``lower``, ``upper``, ``worlds``.
        units: {parameter: unit}.
        threshold: thesis threshold line (None to omit).
    """
    parameters = list(dict.fromkeys(binned["parameter"]))
    ncols = min(3, len(parameters))
    nrows = int(np.ceil(len(parameters) / ncols))
    figure = _figure(4.2 * ncols + 0.6, 3.3 * nrows + 0.6)
    axes = np.atleast_1d(figure.subplots(nrows, ncols, squeeze=False, sharey=True)).ravel()
    events = list(dict.fromkeys(binned["event"]))
    event_colors = {"confrontation": palette.OUTCOME_COLORS["confrontation"],
                    "crisis or worse": palette.OUTCOME_COLORS["crisis"]}
    for ax, name in zip(axes, parameters):
        for event in events:
            part = binned[(binned["parameter"] == name) & (binned["event"] == event)].sort_values("x")
            color = event_colors.get(event, palette.GREY)
            ax.fill_between(part["x"], part["lower"] * 100, part["upper"] * 100, color=color, alpha=0.18, lw=0)
            ax.plot(part["x"], part["share"] * 100, "o-", color=color, ms=3.5, lw=1.6, label=f"P({event})")
        if threshold is not None:
            ax.axhline(threshold * 100, color=palette.GREY, ls="--", lw=1)
        ax.set_xlabel(_parameter_label(name, units))
        ax.set_ylabel("probability (%)")
        ax.set_title(name.rsplit(".", 1)[-1], fontsize=10)
    top = max(float(binned["upper"].max()) * 100, (threshold or 0) * 100, 1.0)
    axes[0].set_ylim(0, top * 1.08)  # axes share y: set once, after every panel is drawn
    for ax in axes[len(parameters):]:
        ax.set_visible(False)
    handles, names = axes[0].get_legend_handles_labels()
    if threshold is not None:
        handles.append(Line2D([], [], color=palette.GREY, ls="--"))
        names.append(f"thesis threshold {threshold:.0%}")
    figure.legend(handles, names, loc="outside lower center", ncols=len(names), frameon=False)
    figure.suptitle("Probability of escalation along each swept parameter (others pooled), 95 % band")
    return figure


@_styled
def sensitivity_figure(indices: pd.DataFrame, title: str) -> Figure:
    """Horizontal bars of sensitivity indices with confidence intervals.

    Args:
        indices: rows ``parameter``, ``index`` (e.g. S1, ST, delta), ``value``, ``conf`` (half-width).
        title: what output the indices are of and by which method.
    """
    parameters = list(dict.fromkeys(indices.sort_values("value", ascending=False)["parameter"]))
    kinds = list(dict.fromkeys(indices["index"]))
    colors = [palette.OKABE_ITO["blue"], palette.OKABE_ITO["orange"], palette.OKABE_ITO["bluish_green"]]
    figure = _figure(9, 1.5 + 0.42 * len(parameters) * max(1, len(kinds)) ** 0.5)
    ax = figure.subplots()
    height = 0.8 / len(kinds)
    y = np.arange(len(parameters))[::-1]
    for k, kind in enumerate(kinds):
        part = indices[indices["index"] == kind].set_index("parameter").reindex(parameters)
        ax.barh(y + (len(kinds) / 2 - k - 0.5) * height, part["value"], height=height, xerr=part["conf"],
                color=colors[k % len(colors)], capsize=2, label=kind, error_kw={"lw": 1})
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, parameters)
    ax.set_xlabel("index value (share of the output's variance)")
    ax.legend(loc="lower right", frameon=True)
    ax.set_title(title, fontsize=10)
    return figure


@_styled
def prim_trajectory_figure(trajectory: pd.DataFrame, chosen: int | None = None,
                           final: tuple[float, float] | None = None) -> Figure:
    """PRIM peeling trajectory: coverage against density, coloured by the number of restricted parameters.

    Args:
        trajectory: ``coverage``, ``density``, ``restricted`` per nested box.
        chosen: index of the chosen box on the trajectory (circled).
        final: (coverage, density) of the final box after dropping restrictions (starred).
    """
    figure = _figure(7.5, 4.6)
    ax = figure.subplots()
    dims = trajectory["restricted"].to_numpy()
    ax.plot(trajectory["coverage"] * 100, trajectory["density"] * 100, color=palette.GREY, lw=1, zorder=1)
    points = ax.scatter(trajectory["coverage"] * 100, trajectory["density"] * 100, c=dims, s=20, zorder=2,
                        cmap=palette.CONTINUOUS_CMAP, vmin=0, vmax=max(int(dims.max()), 1))
    colorbar = figure.colorbar(points, ax=ax)
    colorbar.set_label("parameters restricted")
    colorbar.locator = matplotlib.ticker.MaxNLocator(integer=True)
    colorbar.update_ticks()
    if chosen is not None:
        row = trajectory.iloc[chosen]
        ax.scatter([row["coverage"] * 100], [row["density"] * 100], s=140, facecolors="none",
                   edgecolors="black", lw=1.5, zorder=3)
        ax.annotate("chosen on the trajectory", (row["coverage"] * 100, row["density"] * 100), xytext=(8, 8),
                    textcoords="offset points", fontsize=9)
    if final is not None:
        ax.scatter([final[0] * 100], [final[1] * 100], marker="*", s=220, color=palette.OKABE_ITO["vermillion"],
                   edgecolors="black", zorder=4)
        ax.annotate("final box", (final[0] * 100, final[1] * 100), xytext=(8, -14), textcoords="offset points",
                    fontsize=9)
    ax.set_xlabel("coverage: share of all target worlds inside the box (%)")
    ax.set_ylabel("density: share of worlds in the box that are targets (%)")
    ax.set_xlim(0, 102)
    ax.set_ylim(bottom=0)
    ax.set_title("PRIM peeling trajectory (each point a nested box)")
    return figure


@_styled
def prim_boxes_figure(boxes: list, ranges: dict[str, tuple[float, float]], units: dict | None = None,
                      target_label: str = "confrontation", base_rate: float | None = None) -> Figure:
    """The PRIM boxes' limits on each restricted parameter, drawn within the parameter's full range.

    Args:
        boxes: ``analysis.stats.prim.PrimBox`` objects.
        ranges: {parameter: (low, high)} of the sampled space.
        units: {parameter: unit}.
        target_label: what the target worlds are.
        base_rate: the target's share over all worlds (for the title).
    """
    parameters = list(dict.fromkeys(p for box in boxes for p in box.limits))
    figure = _figure(9.5, 1.8 + 0.5 * max(1, len(parameters)) * max(1, len(boxes)) ** 0.5)
    ax = figure.subplots()
    y = np.arange(len(parameters))[::-1]
    height = 0.7 / max(1, len(boxes))
    colors = [palette.OKABE_ITO["vermillion"], palette.OKABE_ITO["blue"], palette.OKABE_ITO["bluish_green"]]
    ax.barh(y, 1.0, left=0.0, color=palette.LIGHT_GREY, height=0.8, label="sampled range")
    for b, box in enumerate(boxes):
        for yi, name in zip(y, parameters):
            if name not in box.limits:
                continue
            lo, hi = box.limits[name]
            full_lo, full_hi = ranges[name]
            span = (full_hi - full_lo) or 1.0
            left, right = (lo - full_lo) / span, (hi - full_lo) / span
            offset = (len(boxes) / 2 - b - 0.5) * height
            ax.barh(yi + offset, right - left, left=left, height=height, color=colors[b % len(colors)],
                    label=f"box {b + 1}: coverage {box.coverage:.1%}, density {box.density:.1%} (mass {box.mass:.1%})"
                    if yi == y[[parameters.index(p) for p in box.limits][0]] else None)
            ax.annotate(f"{lo:.3g} \u2013 {hi:.3g}", (right, yi + offset), xytext=(3, 0), textcoords="offset points",
                        va="center", fontsize=8)
    ax.set_yticks(y, [_parameter_label(p, units) for p in parameters])
    ax.set_xlim(0, 1.25)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["low end", "25%", "50%", "75%", "high end"])
    ax.set_xlabel("position within the sampled range of each parameter")
    ax.grid(axis="y", visible=False)
    figure.legend(loc="outside lower center", frameon=False, ncols=1, fontsize=8)
    overall = "" if base_rate is None else f" (overall rate {base_rate:.1%})"
    ax.set_title(f"Scenario discovery (PRIM): where {target_label} concentrates{overall}")
    return figure
