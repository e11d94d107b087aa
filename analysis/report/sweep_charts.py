"""Figures of sweeps, sensitivity indices and scenario discovery (PRIM).

Like ``analysis.report.charts`` (whose figure style they share), every function takes DataFrames and
returns a matplotlib ``Figure`` without showing or saving it. Sensitivity indices are those of
``analysis.stats.sensitivity`` [Saltelli2010] [Tarantola2006]; PRIM boxes those of ``analysis.stats.prim``
[FriedmanFisher1999] [BryantLempert2010].
"""

from __future__ import annotations

import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from analysis.report import palette
from analysis.report.charts import _figure, _styled  # also selects the Agg backend


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
    # the colour scale fits the cells shown (0 to the largest share), so small shares are not all one dark
    # colour; the threshold is read from each cell's verdict mark, not from the colour
    vmax = float(np.nanmax(grid.to_numpy())) if grid.notna().any().any() else 0.0
    vmax = vmax if vmax > 0 else 0.01
    image = ax.imshow(grid.to_numpy() * 100, origin="lower", aspect="auto", cmap=palette.CONTINUOUS_CMAP,
                      vmin=0, vmax=vmax * 100)
    marks = {"holds": "\u2713", "fails": "\u2717", "inconclusive": "?"}
    # enough decimals that the cells' labels differ where their colours do (shares of a few in 10,000)
    decimals = 1 if vmax >= 0.01 else 2 if vmax >= 0.001 else 3
    for _, cell in cells.iterrows():
        i, j = ys.index(cell["y_bin"]), xs.index(cell["x_bin"])
        light = cell["share"] < vmax * 0.55
        ax.text(j, i, f"{cell['share'] * 100:.{decimals}f}%\n[{cell['lower'] * 100:.{decimals}f}\u2013"
                      f"{cell['upper'] * 100:.{decimals}f}]\n"
                      f"{marks.get(cell['verdict'], '')} n={int(cell['worlds'])}",
                ha="center", va="center", fontsize=7.5, color="white" if light else "black", linespacing=1.15)
    ax.set_xticks(range(len(xs)), xs, rotation=30, ha="right")
    ax.set_yticks(range(len(ys)), ys)
    ax.grid(False)
    ax.set_xlabel(_parameter_label(x, units))
    ax.set_ylabel(_parameter_label(y, units))
    colorbar = figure.colorbar(image, ax=ax)
    colorbar.set_label(f"P({event_label}) (%), scale fitted to these cells")
    if threshold <= vmax:
        colorbar.ax.axhline(threshold * 100, color="white", lw=1.5)
        colorbar.ax.annotate(f"{threshold:.0%}", (0.5, threshold * 100), xycoords=("axes fraction", "data"),
                             xytext=(0, 2), textcoords="offset points", ha="center", va="bottom", fontsize=7,
                             color="white")
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
    """Horizontal bars of sensitivity indices with confidence intervals; unusable indices greyed and hatched.

    Indices that ``analysis.stats.sensitivity.flag_usable`` marks as not usable (negative beyond their
    interval, a total index below the first-order one beyond their intervals, no interval) are drawn as grey
    hatched bars, not in their index's colour, and a note under the axes names them and why: they are the
    estimator failing, not results.

    Args:
        indices: rows ``parameter``, ``index`` (e.g. S1, ST, delta), ``value``, ``conf`` (half-width), and
            optionally ``usable`` and ``reason`` (computed here when absent).
        title: what output the indices are of and by which method.
    """
    from analysis.stats.sensitivity import flag_usable, usable_note

    if "usable" not in indices.columns:
        indices = flag_usable(indices)
    parameters = list(dict.fromkeys(indices.sort_values("value", ascending=False)["parameter"]))
    kinds = list(dict.fromkeys(indices["index"]))
    colors = [palette.OKABE_ITO["blue"], palette.OKABE_ITO["orange"], palette.OKABE_ITO["bluish_green"]]
    note = usable_note(indices)
    figure = _figure(9, 1.5 + 0.42 * len(parameters) * max(1, len(kinds)) ** 0.5 + (0.9 if note else 0.0))
    ax = figure.subplots()
    height = 0.8 / len(kinds)
    y = np.arange(len(parameters))[::-1]
    for k, kind in enumerate(kinds):
        part = indices[indices["index"] == kind].set_index("parameter").reindex(parameters)
        usable = part["usable"].fillna(True).astype(bool).to_numpy()
        color = colors[k % len(colors)]
        bars = ax.barh(y + (len(kinds) / 2 - k - 0.5) * height, part["value"], height=height, xerr=part["conf"],
                       color=[color if ok else palette.LIGHT_GREY for ok in usable], capsize=2, label=kind,
                       error_kw={"lw": 1})
        for bar, ok in zip(bars, usable):
            if not ok:
                bar.set_hatch("///")
                bar.set_edgecolor(palette.GREY)
                bar.set_gid("not-usable")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, parameters)
    ax.set_xlabel("index value (share of the output's variance)")
    handles, names = ax.get_legend_handles_labels()
    if note:
        from matplotlib.patches import Patch

        handles.append(Patch(facecolor=palette.LIGHT_GREY, edgecolor=palette.GREY, hatch="///"))
        names.append("not usable (see note)")
        lines = _wrap(note, 130)
        figure.text(0.01, 0.005, "\n".join(lines), fontsize=7.5, va="bottom", ha="left", color="black",
                    gid="usable-note")
        bottom = 0.02 + 0.11 * len(lines) / figure.get_figheight()  # ~0.11 in per line of 7.5 pt text
        figure.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))
    ax.legend(handles, names, loc="lower right", frameon=True)
    ax.set_title(title, fontsize=10)
    return figure


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width)


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
                      target_label: str = "confrontation", base_rate: float | None = None,
                      threshold: float | None = None) -> Figure:
    """The PRIM boxes' limits on each restricted parameter, drawn within the parameter's full range.

    Args:
        boxes: ``analysis.stats.prim.PrimBox`` objects.
        ranges: {parameter: (low, high)} of the sampled space.
        units: {parameter: unit}.
        target_label: what the target worlds are.
        base_rate: the target's share over all worlds (for the title).
        threshold: the thesis threshold; when given, each box's legend entry ends with its verdict against it
            (``analysis.stats.prim.break_verdict``: break, possible break, not a break).
    """
    from analysis.stats.prim import break_verdict

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
                    + (f": {break_verdict(box, threshold)} at {threshold:.0%}" if threshold is not None else "")
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
