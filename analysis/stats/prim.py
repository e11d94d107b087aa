"""Scenario discovery with PRIM: the parameter region where an outcome (e.g. confrontation) becomes likely.

PRIM, the Patient Rule Induction Method [FriedmanFisher1999], as used for scenario discovery by
[BryantLempert2010]: starting from the whole sampled space, repeatedly peel off the ``alpha`` share
of points at the low or high end of one parameter, choosing the peel that raises the share of target
points in the box the most, until the box holds less than ``min_mass`` of the points. Each nested box on
this peeling trajectory trades **coverage** (share of all target points inside the box) against
**density** (share of the box's points that are targets). We pick the box with the best harmonic mean of
coverage and *normalised* density (rescaled so the whole space scores 0 and the densest box on the
trajectory 1, so a rare target is not judged on a scale it can never reach), or the widest box reaching a
density the caller asks for; drop restrictions that a binomial test cannot tell from chance (the "quasi
p-value" of [BryantLempert2010], Bonferroni-adjusted for the parameters that competed); and repeat on the points left outside for up to ``max_boxes`` boxes
(covering), keeping a further box only if its density beats both the rate left outside the earlier boxes
and the overall rate.

Why our own implementation: the ``PRIM`` package on PyPI is GPL-3 (this project is MIT) and pulls in
interactive plotting (mplcursors); ``ema_workbench``'s PRIM [Kwakkel2017] is good but brings scikit-learn, statsmodels,
seaborn and platypus for one function. The algorithm is short; this module is about 200 lines, tested on
a planted box.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from analysis.stats.intervals import proportion_interval


@dataclass
class PrimBox:
    """One box found by PRIM.

    Attributes:
        limits: {parameter: (low, high)} for the restricted parameters only (inclusive bounds).
        coverage: share of all target points that lie in this box.
        density: share of the box's points that are targets.
        density_lower: lower end of the exact 95 % interval for the density.
        density_upper: upper end of the interval.
        mass: share of all points that lie in the box.
        points: points in the box.
        targets: target points in the box.
        quasi_p: {parameter: binomial p-value that the restriction adds nothing}.
        trajectory: the peeling trajectory this box was chosen from.
        chosen_step: index of the chosen box on the trajectory (before dropping restrictions).
    """

    limits: dict[str, tuple[float, float]]
    coverage: float
    density: float
    density_lower: float
    density_upper: float
    mass: float
    points: int
    targets: int
    quasi_p: dict[str, float] = field(default_factory=dict)
    trajectory: pd.DataFrame | None = None
    chosen_step: int | None = None

    def describe(self) -> str:
        """The box as one line of conditions."""
        if not self.limits:
            return "the whole sampled space (no restriction)"
        return " and ".join(f"{lo:.4g} <= {name} <= {hi:.4g}" for name, (lo, hi) in self.limits.items())


def in_box(X: pd.DataFrame, limits: dict[str, tuple[float, float]]) -> np.ndarray:
    """Boolean mask of the rows of ``X`` inside the box."""
    mask = np.ones(len(X), dtype=bool)
    for name, (lo, hi) in limits.items():
        values = X[name].to_numpy(dtype=float)
        mask &= (values >= lo) & (values <= hi)
    return mask


def _peel_candidates(values: np.ndarray, y: np.ndarray, alpha: float):
    """Yield (keep mask, side) for peeling the low and the high end of one parameter within the box."""
    if len(values) == 0 or values.min() == values.max():
        return
    low_cut = np.quantile(values, alpha, method="lower")
    keep = values > low_cut
    if keep.any():
        yield keep, "low"
    high_cut = np.quantile(values, 1 - alpha, method="higher")
    keep = values < high_cut
    if keep.any():
        yield keep, "high"


def peel(X: pd.DataFrame, y: np.ndarray, alpha: float = 0.05, min_mass: float = 0.05,
         total_targets: int | None = None, total_points: int | None = None) -> list[dict]:
    """The PRIM peeling trajectory.

    Args:
        X: parameter values, one numeric column per parameter.
        y: 1 for target points, 0 otherwise.
        alpha: share of the box's points peeled per step.
        min_mass: stop when the box would hold less than this share of ``total_points``.
        total_targets: targets for coverage (default: ``y.sum()``).
        total_points: points for mass (default: ``len(X)``).

    Returns:
        One dict per nested box: ``limits`` (all parameters), ``coverage``, ``density``, ``mass``,
        ``points``, ``targets``.
    """
    y = np.asarray(y, dtype=float)
    total_targets = int(y.sum()) if total_targets is None else total_targets
    total_points = len(X) if total_points is None else total_points
    values = {name: X[name].to_numpy(dtype=float) for name in X.columns}
    inside = np.ones(len(X), dtype=bool)
    limits = {name: (float(v.min()), float(v.max())) for name, v in values.items()}
    full = dict(limits)

    def record() -> dict:
        k, n = float(y[inside].sum()), int(inside.sum())
        return {"limits": dict(limits), "coverage": k / max(total_targets, 1), "density": k / max(n, 1),
                "mass": n / total_points, "points": n, "targets": int(k),
                "restricted": sum(limits[p] != full[p] for p in limits)}

    trajectory = [record()]
    while True:
        best = None
        index = np.flatnonzero(inside)
        for name, column in values.items():
            for keep, side in _peel_candidates(column[index], y[index], alpha):
                kept = keep.sum()
                if kept / total_points < min_mass:
                    continue
                density = y[index][keep].mean()
                score = (density, kept)  # highest density; ties: keep more points
                if best is None or score > best[0]:
                    best = (score, name, keep, side)
        if best is None:
            break
        _, name, keep, side = best
        new_inside = np.zeros_like(inside)
        new_inside[index[keep]] = True
        inside = new_inside
        kept_values = values[name][inside]
        lo, hi = limits[name]
        limits[name] = (float(kept_values.min()), hi) if side == "low" else (lo, float(kept_values.max()))
        trajectory.append(record())
    return trajectory


def _box_stats(X: pd.DataFrame, y: np.ndarray, limits: dict, total_targets: int, total_points: int) -> dict:
    mask = in_box(X, limits)
    k, n = int(y[mask].sum()), int(mask.sum())
    return {"coverage": k / max(total_targets, 1), "density": k / max(n, 1), "mass": n / total_points,
            "points": n, "targets": k}


def _quasi_p(X: pd.DataFrame, y: np.ndarray, limits: dict) -> dict[str, float]:
    """Per restriction: P(at least the box's targets | the density of the box without that restriction)."""
    mask = in_box(X, limits)
    k, n = int(y[mask].sum()), int(mask.sum())
    result = {}
    for name in limits:
        relaxed = {p: v for p, v in limits.items() if p != name}
        relaxed_mask = in_box(X, relaxed)
        p0 = y[relaxed_mask].mean() if relaxed_mask.any() else 0.0
        result[name] = float(stats.binom.sf(k - 1, n, p0)) if n else 1.0
    return result


def prim(X: pd.DataFrame, y, alpha: float = 0.05, min_mass: float = 0.05, max_boxes: int = 3,
         density_threshold: float | None = None, significance: float = 0.05, min_targets: int = 5) -> list[PrimBox]:
    """Find up to ``max_boxes`` boxes where the target is concentrated.

    Args:
        X: parameter values (numeric columns).
        y: target indicator per row (bool or 0/1), e.g. ``outcome == "confrontation"``.
        alpha: peeling share per step.
        min_mass: smallest box, as a share of all points.
        max_boxes: boxes to find by covering (each on the points outside the earlier ones).
        density_threshold: choose the widest box with at least this density; default: the box with the
            best harmonic mean of coverage and normalised density.
        significance: restrictions whose quasi p-value exceeds this divided by the number of parameters
            (Bonferroni: every parameter competed for each peel) are dropped; a further box is kept only if
            its density beats the rate outside the earlier boxes at this level. The boxes are chosen on the
            same data they are tested on, so the p-values are a guard, not an exact test: PRIM is exploratory.
        min_targets: stop covering when fewer target points remain.

    Returns:
        The boxes, in order of discovery (possibly empty when there are too few targets).
    """
    X = X.reset_index(drop=True).astype(float)
    y = np.asarray(y, dtype=float)
    if len(X) != len(y):
        raise ValueError("X and y need the same number of rows")
    total_targets, total_points = int(y.sum()), len(X)
    full = {name: (float(X[name].min()), float(X[name].max())) for name in X.columns}
    boxes: list[PrimBox] = []
    remaining = np.ones(len(X), dtype=bool)
    while len(boxes) < max_boxes and y[remaining].sum() >= min_targets:
        Xr, yr = X[remaining].reset_index(drop=True), y[remaining]
        steps = peel(Xr, yr, alpha, min_mass, total_targets, total_points)
        trajectory = pd.DataFrame([{k: v for k, v in s.items() if k != "limits"} for s in steps])
        if density_threshold is not None and (trajectory["density"] >= density_threshold).any():
            chosen = int(trajectory.index[trajectory["density"] >= density_threshold][0])
        else:
            cov, den = trajectory["coverage"], trajectory["density"]
            span = den.max() - den.iloc[0]
            lift = (den - den.iloc[0]) / span if span > 0 else den * 0
            harmonic = 2 * cov * lift / (cov + lift).replace(0, np.nan)
            chosen = int(harmonic.fillna(0).idxmax())
        limits = {p: v for p, v in steps[chosen]["limits"].items() if v != full[p]}
        while limits:  # drop the least significant restriction while one is not significant
            quasi = _quasi_p(Xr, yr, limits)
            worst = max(quasi, key=quasi.get)
            if quasi[worst] <= significance / X.shape[1]:  # Bonferroni over the parameters that competed
                break
            del limits[worst]
        quasi = _quasi_p(Xr, yr, limits) if limits else {}
        box_stats = _box_stats(Xr, yr, limits, total_targets, total_points)
        outside_rate = yr.mean()
        significant = stats.binom.sf(box_stats["targets"] - 1, box_stats["points"], outside_rate) <= significance
        if boxes and box_stats["density"] <= total_targets / total_points:
            break  # a further box must concentrate the target beyond its overall rate
        if not limits or not significant:
            if not boxes:
                boxes.append(_make_box(limits, box_stats, quasi, trajectory, chosen))
            break
        boxes.append(_make_box(limits, box_stats, quasi, trajectory, chosen))
        remaining &= ~in_box(X, limits)
    return boxes


def _make_box(limits, box_stats, quasi, trajectory, chosen) -> PrimBox:
    lo, hi = proportion_interval(box_stats["targets"], max(box_stats["points"], 1))
    return PrimBox(limits=limits, coverage=box_stats["coverage"], density=box_stats["density"],
                   density_lower=float(lo), density_upper=float(hi), mass=box_stats["mass"],
                   points=box_stats["points"], targets=box_stats["targets"], quasi_p=quasi,
                   trajectory=trajectory, chosen_step=chosen)


def boxes_table(boxes: list[PrimBox]) -> pd.DataFrame:
    """One row per box and restricted parameter, for CSV and HTML."""
    rows = []
    for number, box in enumerate(boxes, start=1):
        common = {"box": number, "coverage": box.coverage, "density": box.density,
                  "density_lower": box.density_lower, "density_upper": box.density_upper, "mass": box.mass,
                  "points": box.points, "targets": box.targets}
        if not box.limits:
            rows.append({**common, "parameter": "(none)", "low": np.nan, "high": np.nan, "quasi_p": np.nan})
        for name, (lo, hi) in box.limits.items():
            rows.append({**common, "parameter": name, "low": lo, "high": hi, "quasi_p": box.quasi_p.get(name)})
    return pd.DataFrame(rows)
