"""Scenario discovery with PRIM: the parameter region where an outcome (e.g. confrontation) becomes likely.

PRIM, the Patient Rule Induction Method [FriedmanFisher1999], as used for scenario discovery by
[BryantLempert2010]: starting from the whole sampled space, repeatedly peel off the ``alpha`` share
of points at the low or high end of one parameter, choosing the peel that raises the share of target
points in the box the most, until the box holds less than ``min_mass`` of the points. Each nested box on
this peeling trajectory trades **coverage** (share of all target points inside the box) against
**density** (share of the box's points that are targets). We pick the box with the best harmonic mean of
coverage and *normalised* density (rescaled so the whole space scores 0 and the densest box on the
trajectory 1, so a rare target is not judged on a scale it can never reach), or the best such box among
those reaching a density the caller asks for (``density_threshold``: the "where does P(target) pass the
threshold" question of :func:`break_boxes`); drop restrictions that a binomial test cannot tell from chance (the "quasi
p-value" of [BryantLempert2010], Bonferroni-adjusted for the parameters that competed; a box chosen for
reaching a threshold keeps a weak restriction it needs to stay above it); and repeat on the points left
outside for up to ``max_boxes`` boxes
(covering), keeping a further box only if its density beats both the rate left outside the earlier boxes
and the overall rate.

Why our own implementation: the ``PRIM`` package on PyPI is GPL-3 (this project is MIT) and pulls in
interactive plotting (mplcursors); ``ema_workbench``'s PRIM [Kwakkel2017] is good but brings scikit-learn, statsmodels,
seaborn and platypus for one function. The algorithm is short, tested on planted boxes. Boxes are stated
in words, with their verdict against the thesis threshold, by :func:`box_in_words`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

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


def _harmonic(trajectory: pd.DataFrame) -> pd.Series:
    """Harmonic mean of coverage and normalised density per step (0 where either is 0)."""
    cov, den = trajectory["coverage"], trajectory["density"]
    span = den.max() - den.iloc[0]
    lift = (den - den.iloc[0]) / span if span > 0 else den * 0
    return (2 * cov * lift / (cov + lift).replace(0, np.nan)).fillna(0.0)


def _prune_to_threshold(X: pd.DataFrame, y: np.ndarray, limits: dict, meets, level: float) -> dict:
    """Drop restrictions a binomial test cannot tell from chance (quasi p-value above ``level``, least
    significant first), but only while the box still meets the threshold (``meets(targets, points)``)."""
    limits = dict(limits)
    while limits:
        quasi = _quasi_p(X, y, limits)
        for name in sorted((p for p in quasi if quasi[p] > level), key=quasi.get, reverse=True):
            relaxed = in_box(X, {q: v for q, v in limits.items() if q != name})
            if meets(int(y[relaxed].sum()), int(relaxed.sum())):
                del limits[name]
                break
        else:
            return limits
    return limits


def _box_stats(X: pd.DataFrame, y: np.ndarray, limits: dict, total_targets: int, total_points: int) -> dict:
    mask = in_box(X, limits)
    k, n = int(y[mask].sum()), int(mask.sum())
    return {"coverage": k / max(total_targets, 1), "density": k / max(n, 1), "mass": n / total_points,
            "points": n, "targets": k}


def _quasi_p(X: pd.DataFrame, y: np.ndarray, limits: dict) -> dict[str, float]:
    """Per restriction: P(at least the box's targets | the density of the box without that restriction)."""
    from scipy import stats  # scipy.stats: imported by the code that tests a box, not by the report's import

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
         density_threshold: float | None = None, significance: float = 0.05, min_targets: int = 5,
         threshold_on: str = "density") -> list[PrimBox]:
    """Find up to ``max_boxes`` boxes where the target is concentrated.

    Args:
        X: parameter values (numeric columns).
        y: target indicator per row (bool or 0/1), e.g. ``outcome == "confrontation"``.
        alpha: peeling share per step.
        min_mass: smallest box, as a share of all points.
        max_boxes: boxes to find by covering (each on the points outside the earlier ones).
        density_threshold: choose, among the boxes on the trajectory that reach this density, the one with
            the best harmonic mean of coverage and normalised density; its restrictions are pruned by quasi
            p-value as below, but only while the box stays above the threshold (so a thin break region is not
            pruned away one individually weak restriction at a time; hold worlds out to test it:
            :func:`break_boxes`). Default: the box with the best harmonic mean over the whole trajectory.
        significance: restrictions whose quasi p-value exceeds this divided by the number of parameters
            (Bonferroni: every parameter competed for each peel) are dropped; a further box is kept only if
            its density beats the rate outside the earlier boxes at this level. The boxes are chosen on the
            same data they are tested on, so the p-values are a guard, not an exact test: PRIM is exploratory.
        min_targets: stop covering when fewer target points remain.
        threshold_on: with ``density_threshold``, what must reach it: ``"density"`` (the box's share of
            targets) or ``"lower"`` (the lower end of its exact 95 % interval, so the box is credibly above
            the threshold; when no box on the trajectory gets there, the boxes whose density does).

    Returns:
        The boxes, in order of discovery (possibly empty when there are too few targets).
    """
    from scipy import stats

    if threshold_on not in ("density", "lower"):
        raise ValueError(f"threshold_on must be 'density' or 'lower', not {threshold_on!r}")
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
        reaching = None
        if density_threshold is not None:
            reaching = trajectory["density"] >= density_threshold
            if threshold_on == "lower":
                lower = np.asarray(proportion_interval(trajectory["targets"].to_numpy(),
                                                       np.maximum(trajectory["points"].to_numpy(), 1))[0])
                if (lower > density_threshold).any():
                    reaching = pd.Series(lower > density_threshold, index=trajectory.index)
        if reaching is not None and reaching.any():
            if threshold_on == "lower" and (lower > density_threshold).any():
                def meets(k: int, n: int) -> bool:
                    return bool(proportion_interval(k, max(n, 1))[0] > density_threshold)
            else:
                def meets(k: int, n: int) -> bool:
                    return n > 0 and k / n >= density_threshold
            # among the boxes that reach the threshold, the best trade of coverage and density (as below)
            chosen = int(_harmonic(trajectory).where(reaching, -1.0).idxmax())
            limits = {p: v for p, v in steps[chosen]["limits"].items() if v != full[p]}
            limits = _prune_to_threshold(Xr, yr, limits, meets, significance / X.shape[1])
        else:
            chosen = int(_harmonic(trajectory).idxmax())
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


def boxes_table(boxes: list[PrimBox], threshold: float | None = None) -> pd.DataFrame:
    """One row per box and restricted parameter, for CSV and HTML.

    With ``threshold``, a ``verdict`` column gives each box's :func:`break_verdict` against it.
    """
    rows = []
    for number, box in enumerate(boxes, start=1):
        common = {"box": number, "coverage": box.coverage, "density": box.density,
                  "density_lower": box.density_lower, "density_upper": box.density_upper, "mass": box.mass,
                  "points": box.points, "targets": box.targets}
        if threshold is not None:
            common["verdict"] = break_verdict(box, threshold)
        if not box.limits:
            rows.append({**common, "parameter": "(none)", "low": np.nan, "high": np.nan, "quasi_p": np.nan})
        for name, (lo, hi) in box.limits.items():
            rows.append({**common, "parameter": name, "low": lo, "high": hi, "quasi_p": box.quasi_p.get(name)})
    return pd.DataFrame(rows)


# Words for the parameters the discovery sweeps restrict most; any other parameter is named by its path.
PARAMETER_WORDS = {
    "united_states.war_aversion": "US war aversion",
    "united_states.iran_strike_threshold": "the US bar for striking Iran",
    "united_states.pressure_per_killed": "US pressure per American killed",
    "united_states.pressure_per_direct_strike": "US pressure per Iranian direct strike",
    "united_states.leader_killing_threshold": "the US leader-killing bar",
    "united_states.quds_commander_share": "the share of US leader killings aimed at the Quds Force commander",
    "united_states.strike_threshold": "the US bar for striking militia sites",
    "hostility.reaction": "hostility's reaction",
    "hostility.proxy_blame": "the US blame of Iran for its proxies",
    "iran.direct_weight": "Iran's weight on a direct answer",
    "iran.surge_weight": "Iran's weight on a proxy surge",
    "iran.warned_salvo_cost": "Iran's cost of a warned salvo",
    "iran.unwarned_strike_cost": "Iran's cost of an unwarned strike",
    "iran.war_cost": "Iran's cost of war",
    "iran.us_answer_scale": "Iran's uncertainty about the US answer",
    "iran.repeat_discount": "Iran's repeat discount",
    "iran.round_cost": "Iran's cost per exchange round",
    "iran.us_round_cost": "the US's cost per exchange round",
    "iran.exchange_window": "the exchange window",
    "iran.war_after_rounds": "the rounds to open war",
    "iran.outside_war_weight": "the outside war's weight on Tehran",
    "iran.calm_order_bar": "Tehran's calm-order bar",
    "militia_dynamics.outside_war_multiplier": "the outside war's attack multiplier (its intensity)",
    "militias.kataib_hezbollah.rivalry": "Kataib Hezbollah's rivalry",
    "militias.harakat_al_nujaba.rivalry": "Harakat al-Nujaba's rivalry",
}

BREAK = "break"
POSSIBLE_BREAK = "possible break"
NOT_A_BREAK = "not a break"


def break_verdict(box: PrimBox, threshold: float = 0.05) -> str:
    """Whether a box is a region where the thesis breaks: its P(target) against the threshold.

    Args:
        box: a PRIM box whose target is the outcome the thesis rules out (e.g. confrontation).
        threshold: the thesis threshold (5 % in ``escalation thesis``).

    Returns:
        ``"break"`` when the lower end of the box's exact 95 % interval is above the threshold,
        ``"possible break"`` when its density is at or above the threshold but the interval reaches below it,
        ``"not a break"`` when its density is below the threshold (however much it concentrates the target).
    """
    if box.density_lower > threshold:
        return BREAK
    if box.density >= threshold:
        return POSSIBLE_BREAK
    return NOT_A_BREAK


def _number(value: float) -> str:
    return f"{value:.3g}"


def restriction_in_words(name: str, low: float, high: float, sampled: tuple[float, float] | None = None,
                         words: dict[str, str] | None = None) -> str:
    """One restriction in words: "US war aversion <= 9.5", ">= 1.2" or "between 0.5 and 1.1".

    A bound within 0.5 % of the span of an end of the sampled range is no restriction and is left out (PRIM
    peels at least ``alpha`` of the box per step, so a real restriction is never that close; the design's
    extreme values lie just inside the spec's range); without ``sampled`` both bounds are stated.
    """
    label = {**PARAMETER_WORDS, **(words or {})}.get(name, name)
    tolerance = 0.005 * (sampled[1] - sampled[0]) if sampled is not None else 0.0
    at_low = sampled is not None and low <= sampled[0] + tolerance
    at_high = sampled is not None and high >= sampled[1] - tolerance
    if at_low and not at_high:
        return f"{label} <= {_number(high)}"
    if at_high and not at_low:
        return f"{label} >= {_number(low)}"
    if at_low and at_high:
        return f"{label} anywhere in its range"
    return f"{label} between {_number(low)} and {_number(high)}"


def _excluded_share(bounds: tuple[float, float], sampled: tuple[float, float] | None) -> float:
    if sampled is None or sampled[1] <= sampled[0]:
        return 0.0
    return 1.0 - (min(bounds[1], sampled[1]) - max(bounds[0], sampled[0])) / (sampled[1] - sampled[0])


def box_in_words(box: PrimBox, threshold: float = 0.05, target: str = "confrontation",
                 sampled: dict[str, tuple[float, float]] | None = None, words: dict[str, str] | None = None,
                 base_rate: float | None = None, max_conditions: int | None = None) -> str:
    """A PRIM box as one sentence, with its coverage, density and verdict against the thesis threshold.

    Example: "P(confrontation) 7.1 % [6.0, 8.3] when Iran's weight on a direct answer >= 1.55 and Iran's
    repeat discount <= 0.6: coverage 38 % (of all confrontation worlds), density 7.1 % (of the box's worlds),
    mass 2.1 % of the worlds (4,200 worlds, 298 of them confrontation): a break (credibly above the 5%
    threshold)."

    Args:
        box: a box from :func:`prim` (or :func:`break_boxes`), found with the target ``target``.
        threshold: the thesis threshold the density is judged against (see :func:`break_verdict`).
        target: what the target worlds are, for the text.
        sampled: {parameter: (low, high)} of the sampled space, so that a bound at a range's end is read as
            "at most" or "at least"; without it both bounds of every restriction are stated.
        words: {parameter path: words} overriding :data:`PARAMETER_WORDS` (unknown paths are named as is).
        base_rate: the target's share over all worlds, stated for contrast when given.
        max_conditions: state at most this many restrictions, the strongest first (by the share of the
            sampled range they exclude), and count the rest; None states them all.

    Returns:
        The sentence, ending with the verdict: "a break", "a possible break" (density at or above the
        threshold, its interval reaching below it) or "not a break" (density below the threshold).
    """
    if box.limits:
        order = list(box.limits)
        if sampled:  # strongest restriction first: the share of the sampled range it excludes
            order.sort(key=lambda name: -_excluded_share(box.limits[name], sampled.get(name)))
        stated = order if max_conditions is None else order[:max_conditions]
        condition = " and ".join(restriction_in_words(name, *box.limits[name], (sampled or {}).get(name), words)
                                 for name in stated)
        if len(stated) < len(order):
            rest = order[len(stated):]
            widest = max(_excluded_share(box.limits[n], (sampled or {}).get(n)) for n in rest)
            condition += (f" (and {len(rest)} slighter restriction{'s' if len(rest) > 1 else ''}, each excluding at "
                          f"most {widest:.0%} of its range)" if sampled else
                          f" (and {len(rest)} further restriction{'s' if len(rest) > 1 else ''})")
    else:
        condition = "anywhere in the sampled space (PRIM restricted nothing)"
    verdict = break_verdict(box, threshold)
    verdict_words = {BREAK: f"a break (credibly above the {threshold:.0%} threshold)",
                     POSSIBLE_BREAK: f"a possible break (at or above the {threshold:.0%} threshold, but its "
                                     "interval reaches below it)",
                     NOT_A_BREAK: f"not a break (below the {threshold:.0%} threshold)"}[verdict]
    overall = "" if base_rate is None else f", against {base_rate:.2%} overall"
    when = "" if not box.limits else "when "
    return (f"P({target}) {box.density:.2%} [{box.density_lower:.2%}, {box.density_upper:.2%}] {when}{condition}"
            f"{overall}: coverage {box.coverage:.1%} (of all {target} worlds), density {box.density:.2%} "
            f"(of the box's worlds), mass {box.mass:.1%} of the worlds ({box.points:,} worlds, "
            f"{box.targets:,} of them {target}): {verdict_words}.")


def break_boxes(X: pd.DataFrame, y, threshold: float = 0.05, min_mass: float = 0.02, max_boxes: int = 3,
                alpha: float = 0.05, holdout: np.ndarray | None = None,
                groups: np.ndarray | None = None) -> list[tuple[PrimBox, dict]]:
    """Scenario discovery for "P(target) above the threshold": PRIM aimed at boxes above the threshold.

    PRIM peels towards the densest region; on each trajectory it takes, among the boxes whose exact 95 %
    lower bound is above ``threshold`` (else among those whose density reaches it), the best trade of
    coverage and density, and keeps the restrictions it needs to stay above; when no box gets there, the box
    of the best trade over the whole trajectory (which then is "not a break", see :func:`break_verdict`).
    A box's density is P(target) averaged over the design points in the box. The box is chosen
    on the same worlds its density is measured on, which flatters it; pass ``holdout`` (a boolean mask of
    worlds kept out of the search, e.g. odd replicates) to measure each box afresh on worlds PRIM did not see.

    Args:
        X: parameter values per world (numeric columns).
        y: target indicator per world (e.g. confrontation).
        threshold: the thesis threshold.
        min_mass: smallest box, as a share of the search worlds.
        max_boxes: boxes to find by covering.
        alpha: peeling share per step.
        holdout: worlds to hold out of the search and score the boxes on (None: no holdout).
        groups: the design point of each world. Held-out replicates share their points with the search, so
            they cannot tell a region from one extreme point inside it; with ``groups`` each box also says how
            much of it its most confrontational point carries (``top_group``, ``top_group_share`` of the box's
            targets, all worlds) and its density without that point (``density_without_top_group``).

    Returns:
        ``(box, check)`` pairs: ``check`` holds, with a holdout, the box's ``points``, ``targets``,
        ``density``, ``density_lower``, ``density_upper`` and ``verdict`` on the held-out worlds, and with
        ``groups`` the keys above; {} with neither.
    """
    X = X.reset_index(drop=True).astype(float)
    y = np.asarray(y, dtype=float)
    search = np.ones(len(X), dtype=bool) if holdout is None else ~np.asarray(holdout, dtype=bool)
    boxes = prim(X[search], y[search], alpha=alpha, min_mass=min_mass, max_boxes=max_boxes,
                 density_threshold=threshold, threshold_on="lower")
    results = []
    for box in boxes:
        check: dict = {}
        if holdout is not None:
            mask = in_box(X, box.limits) & ~search
            k, n = int(y[mask].sum()), int(mask.sum())
            lo, hi = proportion_interval(k, max(n, 1))
            density = k / max(n, 1)
            held = PrimBox(limits=box.limits, coverage=np.nan, density=density, density_lower=float(lo),
                           density_upper=float(hi), mass=np.nan, points=n, targets=k)
            check = {"points": n, "targets": k, "density": density, "density_lower": float(lo),
                     "density_upper": float(hi), "verdict": break_verdict(held, threshold)}
        if groups is not None:
            mask = in_box(X, box.limits)
            counts = pd.Series(y[mask]).groupby(np.asarray(groups)[mask]).sum()
            top = counts.idxmax() if len(counts) and counts.max() > 0 else None
            if top is not None:
                rest = mask & (np.asarray(groups) != top)
                check.update(top_group=top, top_group_share=float(counts[top] / counts.sum()),
                             density_without_top_group=float(y[rest].mean()) if rest.any() else float("nan"))
        results.append((box, check))
    return results


def densest_on_trajectory(box: PrimBox) -> dict:
    """The densest nested box on the peeling trajectory a box was chosen from, with its exact 95 % interval.

    It bounds what PRIM could find at that ``min_mass``: when even this box's density is below the threshold,
    no box of at least that mass along the trajectory is above it.

    Returns:
        {} when the box has no trajectory, else ``step``, ``density``, ``density_lower``, ``density_upper``,
        ``mass``, ``points``, ``targets``, ``restricted``.
    """
    if box.trajectory is None or box.trajectory.empty:
        return {}
    step = int(box.trajectory["density"].idxmax())
    row = box.trajectory.loc[step]
    lo, hi = proportion_interval(int(row["targets"]), max(int(row["points"]), 1))
    return {"step": step, "density": float(row["density"]), "density_lower": float(lo), "density_upper": float(hi),
            "mass": float(row["mass"]), "points": int(row["points"]), "targets": int(row["targets"]),
            "restricted": int(row["restricted"])}
