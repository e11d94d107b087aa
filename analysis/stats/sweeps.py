"""Summaries of sweep outcomes: per design point, per parameter bin and per cell of two parameters.

Sweep outcome rows carry ``point``, ``replicate`` and one column per swept parameter (see
``analysis.runs.store``). Every share comes with its exact interval and, where a threshold is given, the
thesis verdict of ``analysis.stats.intervals.thesis_verdict`` for the worlds pooled in that point, bin or cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.stats.intervals import CONFIDENCE, proportion_interval, thesis_verdict, worlds_to_settle

EVENTS = {
    "confrontation": ("confrontation",),
    # the broader definition of `escalation thesis --definition broad`: any direct exchange counts
    "any direct exchange": ("contained_exchange", "confrontation"),
    "crisis or worse": ("crisis", "contained_exchange", "confrontation"),
}
MAX_DISTINCT_AS_LEVELS = 12


def event_indicator(outcomes: pd.DataFrame, event: str = "confrontation") -> np.ndarray:
    """1.0 for worlds whose outcome class counts as ``event`` (see ``EVENTS``), else 0.0."""
    return outcomes["outcome"].astype(str).isin(EVENTS[event]).to_numpy(dtype=float)


def _verdicts(table: pd.DataFrame, threshold: float | None) -> pd.DataFrame:
    lo, hi = proportion_interval(table["count"].to_numpy(), table["worlds"].to_numpy())
    table = table.assign(share=table["count"] / table["worlds"], lower=lo, upper=hi)
    if threshold is not None:
        table["verdict"] = np.where(hi < threshold, "holds", np.where(lo > threshold, "fails", "inconclusive"))
    return table


def point_table(outcomes: pd.DataFrame, parameters: list[str], event: str = "confrontation",
                threshold: float | None = None) -> pd.DataFrame:
    """One row per design point: parameter values, worlds, count, share, lower, upper (and verdict).

    Args:
        outcomes: sweep outcome rows with ``point`` and the parameter columns.
        parameters: the swept parameters.
        event: which outcome classes count (key of ``EVENTS``).
        threshold: thesis threshold for a per-point verdict (None: no verdict column).
    """
    frame = outcomes.assign(_hit=event_indicator(outcomes, event))
    keys = ["point", *(["design_row"] if "design_row" in frame.columns else [])]
    table = (frame.groupby(keys, sort=True)
             .agg(**{p: (p, "first") for p in parameters}, worlds=("_hit", "size"), count=("_hit", "sum"))
             .reset_index())
    table["count"] = table["count"].astype(int)
    return _verdicts(table, threshold)


def parameter_bins(values: pd.Series, bins: int = 8) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Bin a parameter: its own levels if it has few distinct values, else equal-count quantile bins.

    Returns:
        ``(label, order, centre)`` per row: a readable bin label, the bin's rank and its mean value.
    """
    numeric = pd.to_numeric(values, errors="coerce")
    distinct = values.nunique(dropna=False)
    if distinct <= MAX_DISTINCT_AS_LEVELS or numeric.isna().any():
        levels = sorted(values.unique(), key=lambda v: (str(type(v)), v))
        order = values.map({v: i for i, v in enumerate(levels)})
        label = values.map(lambda v: f"{v:.3g}" if isinstance(v, (float, np.floating)) else str(v))
        centre = numeric if not numeric.isna().any() else order.astype(float)
        return label, order, centre
    codes, edges = pd.qcut(numeric, q=bins, labels=False, retbins=True, duplicates="drop")
    label = codes.map(lambda c: f"{edges[int(c)]:.2g} to {edges[int(c) + 1]:.2g}")
    centre = numeric.groupby(codes).transform("mean")
    return label, codes.astype(int), centre


def binned_shares(outcomes: pd.DataFrame, parameters: list[str], events=("confrontation", "crisis or worse"),
                  bins: int = 8) -> pd.DataFrame:
    """P(event) per bin of each parameter, pooling all other parameters, with exact intervals.

    Returns:
        Rows ``parameter``, ``event``, ``bin``, ``x`` (bin centre), ``worlds``, ``count``, ``share``,
        ``lower``, ``upper``.
    """
    rows = []
    for name in parameters:
        label, order, centre = parameter_bins(outcomes[name], bins)
        for event in events:
            hit = event_indicator(outcomes, event)
            grouped = pd.DataFrame({"bin": label, "order": order, "x": centre, "hit": hit}).groupby("order")
            part = grouped.agg(bin=("bin", "first"), x=("x", "mean"), worlds=("hit", "size"), count=("hit", "sum"))
            part = part.reset_index(drop=True).assign(parameter=name, event=event)[
                ["parameter", "event", "bin", "x", "worlds", "count"]]
            rows.append(part)
    table = pd.concat(rows, ignore_index=True)
    table["count"] = table["count"].astype(int)
    return _verdicts(table, None)


def cell_table(outcomes: pd.DataFrame, x: str, y: str, threshold: float | None, event: str = "confrontation",
               bins: int = 6) -> pd.DataFrame:
    """P(event) per cell of two binned parameters, with intervals and the thesis verdict per cell."""
    x_label, x_order, _ = parameter_bins(outcomes[x], bins)
    y_label, y_order, _ = parameter_bins(outcomes[y], bins)
    frame = pd.DataFrame({"x_bin": x_label, "x_order": x_order, "y_bin": y_label, "y_order": y_order,
                          "hit": event_indicator(outcomes, event)})
    table = (frame.groupby(["x_order", "y_order"])
             .agg(x_bin=("x_bin", "first"), y_bin=("y_bin", "first"), worlds=("hit", "size"), count=("hit", "sum"))
             .reset_index())
    table["count"] = table["count"].astype(int)
    return _verdicts(table, threshold)


def explained_by_cells(cells: pd.DataFrame) -> float:
    """Share of the event indicator's variance explained by the cells, less what noise alone would give.

    ``(chi2 - df) / N`` for the cells x (event, no event) table: 0 when the cells do not differ beyond
    chance, up to 1 when each cell is all-or-nothing.
    """
    n, k = cells["worlds"].sum(), cells["count"].sum()
    if k == 0 or k == n or len(cells) < 2:
        return 0.0
    expected = cells["worlds"] * k / n
    p = k / n
    chi2 = float((((cells["count"] - expected) ** 2) / (expected * (1 - p))).sum())
    return (chi2 - (len(cells) - 1)) / n


def most_contrasting_pair(outcomes: pd.DataFrame, parameters: list[str], event: str = "confrontation",
                          bins: int = 6) -> tuple[str, str, float]:
    """The pair of parameters whose binned cells differ most in P(event) (see ``explained_by_cells``)."""
    best = None
    for i, x in enumerate(parameters):
        for y in parameters[i + 1:]:
            score = explained_by_cells(cell_table(outcomes, x, y, None, event, bins))
            if best is None or score > best[2]:
                best = (x, y, score)
    return best


def space_verdict_shares(points: pd.DataFrame, threshold: float, confidence: float = CONFIDENCE) -> dict:
    """Share of design points where the thesis holds, fails or is inconclusive, and what would settle the rest.

    Each design point stands for an equal share of the sampled space (true for grid, random, LHS and
    Saltelli samples; approximately for Morris trajectories).

    Returns:
        ``holds``, ``fails``, ``inconclusive`` (shares of points), ``points``, ``replicates`` (median
        worlds per point), ``replicates_to_settle`` (median and maximum worlds per point that would settle
        the inconclusive points at their observed shares; None where no number would).
    """
    counts = points["verdict"].value_counts()
    n = len(points)
    unsettled = points[points["verdict"] == "inconclusive"]
    needed = [worlds_to_settle(s, threshold, confidence, at_least=int(w))
              for s, w in zip(unsettled["share"], unsettled["worlds"])]
    finite = [v for v in needed if v is not None]
    return {
        "points": n,
        "holds": counts.get("holds", 0) / n,
        "fails": counts.get("fails", 0) / n,
        "inconclusive": counts.get("inconclusive", 0) / n,
        "replicates": float(points["worlds"].median()),
        "replicates_to_settle_median": float(np.median(finite)) if finite else None,
        "replicates_to_settle_max": int(max(finite)) if finite else None,
        "unsettleable_points": len(needed) - len(finite),
    }


def pooled_verdict(outcomes: pd.DataFrame, threshold: float, event: str = "confrontation"):
    """The thesis verdict for all worlds of the sweep pooled (P(confrontation) averaged over the design)."""
    hits = event_indicator(outcomes, event)
    return thesis_verdict(int(hits.sum()), len(hits), threshold)
