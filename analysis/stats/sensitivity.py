"""Global sensitivity of sweep outputs to the swept parameters, through SALib [HermanUsher2017].

Sobol designs (Saltelli/Sobol sampling [Saltelli2010], sample order recorded in the manifest) get
first-order (S1) and total (ST) Sobol indices [Sobol2001] with bootstrap confidence intervals
(``SALib.analyze.sobol``). Any other design (grid, Latin hypercube, random) gets first-order indices S1
from the given sample by random-balance-design FAST ([Tarantola2006], on a given sample as in
[Plischke2010], bias-corrected as in [TissotPrieur2012]; ``SALib.analyze.rbd_fast``), which needs no
special sample structure, with a bootstrap interval. It says nothing about interactions (no total index);
the report says so. SALib is the maintained reference implementation of both, so the numbers can be
checked against the literature (tests use the Ishigami function [IshigamiHomma1990], whose indices are
known analytically). SALib's delta estimator was tried and rejected: in SALib 1.6 it takes ~40 s for
2,000 rows.

Full-factorial grids get exact first-order and total indices of the grid's discrete uniform distribution by
variance decomposition of the per-point means (``factorial_indices``; no sampler needed: every
combination of levels is present), with intervals from resampling the worlds within each point.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ISHIGAMI_A, ISHIGAMI_B = 7.0, 0.1


def ishigami(X: np.ndarray, a: float = ISHIGAMI_A, b: float = ISHIGAMI_B) -> np.ndarray:
    """The Ishigami test function on [-pi, pi]^3."""
    return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])


def ishigami_indices(a: float = ISHIGAMI_A, b: float = ISHIGAMI_B) -> dict[str, np.ndarray]:
    """Analytic first-order and total Sobol indices of the Ishigami function."""
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return {"S1": np.array([v1, v2, 0.0]) / total, "ST": np.array([v1 + v13, v2, v13]) / total}


def second_order_from_size(rows: int, parameters: int) -> bool:
    """Whether a Saltelli sample of ``rows`` rows was drawn with second-order terms.

    Raises:
        ValueError: if ``rows`` fits neither N*(2D+2) nor N*(D+2), or fits both (then say which).
    """
    with_second, without = 2 * parameters + 2, parameters + 2
    if rows % with_second == 0 and rows % without != 0:
        return True
    if rows % without == 0 and rows % with_second != 0:
        return False
    if rows % with_second == 0:
        raise ValueError(f"{rows} rows fit a Saltelli sample over {parameters} parameters with and without "
                         "second-order rows; pass calc_second_order")
    raise ValueError(f"{rows} rows do not form a Saltelli sample over {parameters} parameters")


def sobol_indices(problem: dict, Y: np.ndarray, calc_second_order: bool | None = None,
                  resamples: int = 200, seed: int = 0, noise_variance: float = 0.0) -> pd.DataFrame:
    """First-order and total Sobol indices with 95 % bootstrap intervals.

    When each output is a mean over replicates, independent replicate noise of variance ``noise_variance``
    (per point) inflates the sample variance V of the A and B rows by that amount and the total-order
    numerator by the same amount, and leaves the first-order numerator unbiased ([Saltelli2010]
    estimators); the indices are corrected accordingly: S1 * V / (V - noise), (ST * V - noise) / (V - noise),
    intervals scaled by V / (V - noise).

    Args:
        problem: the SALib problem (``num_vars``, ``names``, ``bounds``).
        Y: model output per sample row, in the order SALib's Sobol sampler produced the rows.
        calc_second_order: whether the sample had second-order rows (default: inferred from its size).
        resamples: bootstrap resamples for the intervals.
        seed: bootstrap seed.
        noise_variance: variance of each output due to finite replicates (0 for a deterministic model).

    Returns:
        Rows ``parameter``, ``index`` (S1 or ST), ``value``, ``conf`` (half-width of the 95 % interval),
        ``usable`` and ``reason`` (:func:`flag_usable`).

    Raises:
        ValueError: the sample size does not fit, or the noise is as large as the variance.
    """
    from SALib.analyze import sobol as salib_sobol  # SALib (with scipy.signal): only a sweep's report needs it

    Y = np.asarray(Y, dtype=float)
    if calc_second_order is None:
        calc_second_order = second_order_from_size(len(Y), problem["num_vars"])
    result = salib_sobol.analyze(problem, Y, calc_second_order=calc_second_order, num_resamples=resamples,
                                 conf_level=0.95, seed=seed)
    step = (2 if calc_second_order else 1) * problem["num_vars"] + 2
    variance = float(np.var(np.r_[Y[0::step], Y[step - 1::step]]))
    if noise_variance >= variance:
        raise ValueError(f"replicate noise ({noise_variance:.3g}) is as large as the output's variance "
                         f"({variance:.3g}): no variance to apportion")
    scale = variance / (variance - noise_variance)
    S1, S1_conf = np.asarray(result["S1"]) * scale, np.asarray(result["S1_conf"]) * scale
    ST = (np.asarray(result["ST"]) * variance - noise_variance) / (variance - noise_variance)
    ST_conf = np.asarray(result["ST_conf"]) * scale
    rows = []
    for name, s1, s1c, st, stc in zip(problem["names"], S1, S1_conf, ST, ST_conf):
        rows.append({"parameter": name, "index": "S1", "value": float(s1), "conf": float(s1c)})
        rows.append({"parameter": name, "index": "ST", "value": float(st), "conf": float(stc)})
    return flag_usable(pd.DataFrame(rows))


NEGATIVE = "negative beyond its interval"
TOTAL_BELOW_FIRST = "total index below the first-order index beyond their intervals"
NO_INTERVAL = "no interval"


def flag_usable(indices: pd.DataFrame) -> pd.DataFrame:
    """The indices with ``usable`` (bool) and ``reason`` columns: whether each can be read as a result.

    An index is not usable when its estimator has visibly failed on these data (a rare event, too few
    replicates, too small a sample): it is negative beyond its 95 % interval (a variance share cannot be
    negative), or it is an S1 or ST of a parameter whose total index lies below its first-order index beyond
    both intervals (ST >= S1 by definition), or it has no interval. A negative index whose interval reaches 0
    is usable: it reads as "about 0". The reason is "" for a usable index, else the failures joined by "; ".

    Args:
        indices: rows ``parameter``, ``index`` (S1, ST, ...), ``value``, ``conf`` (half-width).

    Returns:
        A copy with the two columns added (replaced if present).
    """
    table = indices.drop(columns=["usable", "reason"], errors="ignore").copy()
    value, conf = table["value"].to_numpy(dtype=float), table["conf"].to_numpy(dtype=float)
    reasons: list[list[str]] = [[] for _ in range(len(table))]
    for i in range(len(table)):
        if not np.isfinite(conf[i]) or not np.isfinite(value[i]):
            reasons[i].append(NO_INTERVAL)
        elif value[i] + conf[i] < 0:
            reasons[i].append(NEGATIVE)
    kinds = table["index"].to_numpy()
    names = table["parameter"].to_numpy()
    for name in dict.fromkeys(names):
        s1 = np.flatnonzero((names == name) & (kinds == "S1"))
        st = np.flatnonzero((names == name) & (kinds == "ST"))
        if len(s1) and len(st):
            i, j = s1[0], st[0]
            if value[j] + conf[j] < value[i] - conf[i]:
                reasons[i].append(TOTAL_BELOW_FIRST)
                reasons[j].append(TOTAL_BELOW_FIRST)
    table["usable"] = [not r for r in reasons]
    table["reason"] = ["; ".join(r) for r in reasons]
    return table


def usable_note(indices: pd.DataFrame) -> str:
    """One sentence naming the indices that are not usable, or "" when all are (see :func:`flag_usable`)."""
    table = indices if "usable" in indices.columns else flag_usable(indices)
    bad = table[~table["usable"].astype(bool)]
    if bad.empty:
        return ""
    items = [f"{row.parameter} {row.index} ({row.reason})" for row in bad.itertuples()]
    return (f"{len(bad)} of {len(table)} indices are not usable as results and are drawn hatched in grey: "
            + ", ".join(items) + ". The estimator has failed for them on these data (a rare outcome or too few "
            "worlds per point); read them as noise, not as effects.")


def rbd_fast_indices(problem: dict, X: np.ndarray, Y: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """First-order indices S1 from any sample (RBD-FAST), with 95 % bootstrap intervals.

    Args:
        problem: the SALib problem.
        X: sample, one column per parameter in ``problem["names"]`` order.
        Y: output per row.
        seed: bootstrap seed.

    Returns:
        Rows ``parameter``, ``index`` (S1), ``value``, ``conf``, ``usable``, ``reason``.
    """
    from SALib.analyze import rbd_fast as salib_rbd_fast

    result = salib_rbd_fast.analyze(problem, np.asarray(X, dtype=float), np.asarray(Y, dtype=float),
                                    conf_level=0.95, seed=seed)
    return flag_usable(pd.DataFrame([{"parameter": name, "index": "S1", "value": float(s1), "conf": float(s1c)}
                                     for name, s1, s1c in zip(problem["names"], result["S1"], result["S1_conf"])]))


def is_full_factorial(points: pd.DataFrame, parameters: list[str]) -> bool:
    """Whether every combination of the parameters' levels appears exactly once among the points."""
    levels = [points[p].nunique() for p in parameters]
    return (len(points) == int(np.prod(levels))
            and not points.duplicated(subset=parameters).any())


def _factorial_from_means(means: pd.DataFrame, parameters: list[str], column: str,
                          noise: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """S1 and ST from per-point means on a full grid, less the expected contribution of replicate noise.

    ``noise`` is the variance of a point mean due to finite replicates. With P points and L levels of a
    parameter (population variances), noise adds noise*(P-1)/P to Var(Y), noise*(L-1)/P to the variance of
    the level means and noise*(L-1)/L to each within-group variance; these are subtracted.
    """
    n_points = len(means)
    variance = means[column].var(ddof=0) - noise * (n_points - 1) / n_points
    first, total = [], []
    for name in parameters:
        levels = means[name].nunique()
        others = [p for p in parameters if p != name]
        between = means.groupby(name)[column].mean().var(ddof=0) - noise * (levels - 1) / n_points
        within = (means.groupby(others)[column].var(ddof=0).mean() if others
                  else means[column].var(ddof=0)) - noise * (levels - 1) / levels
        first.append(between / variance)
        total.append(within / variance)
    return np.array(first), np.array(total)


def between_point_p_value(worlds: pd.DataFrame, output: str) -> float:
    """One-way ANOVA p-value that the output's mean differs between design points (replicates as groups).

    Indices of an output that does not differ between points beyond replicate noise apportion noise;
    callers skip them. Returns 1.0 when there are no replicates to test with.
    """
    groups = [g.to_numpy(dtype=float) for _, g in worlds.groupby("point")[output]]
    if len(groups) < 2 or all(len(g) < 2 for g in groups):
        return 1.0
    if all(np.ptp(g) == 0 for g in groups):  # no within-point spread: any difference between points is signal
        return 0.0 if np.ptp([g[0] for g in groups]) > 0 else 1.0
    from scipy import stats

    return float(stats.f_oneway(*groups).pvalue)


def replicate_noise(worlds: pd.DataFrame, output: str) -> float:
    """Variance of a design point's mean output due to its finite replicates (mean of s^2 / n over points)."""
    return _replicate_noise([g.to_numpy(dtype=float) for _, g in worlds.groupby("point")[output]])


def _replicate_noise(values: list[np.ndarray]) -> float:
    """Mean over points of the variance of the point mean (s^2 / n)."""
    return float(np.mean([v.var(ddof=1) / len(v) if len(v) > 1 else 0.0 for v in values]))


def factorial_indices(worlds: pd.DataFrame, parameters: list[str], output: str, resamples: int = 200,
                      seed: int = 0, significance: float = 0.05) -> pd.DataFrame:
    """First-order and total indices on a full-factorial grid, by variance decomposition of point means.

    S1 of a parameter is Var(E[Y | its level]) / Var(Y) and ST is E[Var(Y | all other levels)] / Var(Y),
    with Y the mean output at a point and every point weighted equally (the grid's discrete uniform
    distribution). The variance that finite replicates add to the point means is estimated (s^2/n per
    point) and subtracted, so noise is not mistaken for interactions. Intervals: 1.96 bootstrap standard
    deviations, resampling worlds within each point (the grid itself is fixed).

    Args:
        worlds: one row per world with ``point``, the parameter columns and ``output``.
        parameters: the grid's parameters.
        output: the per-world output column (e.g. a 0/1 confrontation indicator or the highest rung).
        resamples: bootstrap resamples.
        seed: bootstrap seed.
        significance: level of the ANOVA test that the point means differ at all.

    Returns:
        Rows ``parameter``, ``index`` (S1 or ST), ``value``, ``conf``, ``usable``, ``reason``.

    Raises:
        ValueError: if the point means do not vary beyond replicate noise (ANOVA p > ``significance``).
    """
    p_value = between_point_p_value(worlds, output)
    if p_value > significance:
        raise ValueError(f"{output} does not differ between design points beyond replicate noise "
                         f"(one-way ANOVA p = {p_value:.2g})")
    grouped = worlds.groupby("point", sort=True)
    means = grouped.agg(**{p: (p, "first") for p in parameters}, y=(output, "mean")).reset_index()
    values = [group[output].to_numpy(dtype=float) for _, group in grouped]
    noise = _replicate_noise(values)
    if means["y"].var(ddof=0) - noise * (len(means) - 1) / len(means) <= 0:
        raise ValueError(f"{output} does not vary between points beyond replicate noise: no variance to apportion")
    first, total = _factorial_from_means(means, parameters, "y", noise)
    rng = np.random.default_rng(seed)
    boot_first, boot_total = [], []
    for _ in range(resamples):
        drawn = [v[rng.integers(0, len(v), len(v))] for v in values]
        resampled = means.assign(y=[d.mean() for d in drawn])
        resampled_noise = _replicate_noise(drawn)
        if resampled["y"].var(ddof=0) - resampled_noise * (len(means) - 1) / len(means) <= 0:
            continue
        f, t = _factorial_from_means(resampled, parameters, "y", resampled_noise)
        boot_first.append(f)
        boot_total.append(t)
    conf_first = 1.96 * np.std(boot_first, axis=0) if boot_first else np.full(len(parameters), np.nan)
    conf_total = 1.96 * np.std(boot_total, axis=0) if boot_total else np.full(len(parameters), np.nan)
    rows = []
    for i, name in enumerate(parameters):
        rows.append({"parameter": name, "index": "S1", "value": float(first[i]), "conf": float(conf_first[i])})
        rows.append({"parameter": name, "index": "ST", "value": float(total[i]), "conf": float(conf_total[i])})
    return flag_usable(pd.DataFrame(rows))


def problem_from_ranges(ranges: dict[str, tuple[float, float]]) -> dict:
    """A SALib problem from {parameter: (low, high)}."""
    names = list(ranges)
    return {"num_vars": len(names), "names": names, "bounds": [list(map(float, ranges[n])) for n in names]}


def sweep_sensitivity(points: pd.DataFrame, parameters: list[str], output: str, design: str,
                      problem: dict | None = None, calc_second_order: bool | None = None,
                      seed: int = 0, noise_variance: float = 0.0) -> tuple[pd.DataFrame, str]:
    """Sensitivity of a per-point output to the swept parameters, by the method the design allows.

    Args:
        points: one row per sweep point in sample order, with the parameter columns and ``output``.
        parameters: swept parameter names.
        output: column of ``points`` to analyse (e.g. the share of confrontation at the point).
        design: the design kind from the manifest (``sobol`` uses Sobol indices, anything else RBD-FAST).
        problem: the SALib problem from the manifest (default: built from the sampled ranges).
        calc_second_order: for Sobol designs, whether second-order rows were sampled.
        seed: bootstrap seed.
        noise_variance: variance of a point's output due to its finite replicates (Sobol correction).

    Returns:
        ``(indices, method)`` where ``method`` names the estimator in words for titles.

    Raises:
        ValueError: if the output does not vary over the points (nothing to apportion).
    """
    Y = points[output].to_numpy(dtype=float)
    if np.nanstd(Y) == 0:
        raise ValueError(f"{output} is the same at every point ({Y[0]:.3g}): no variance to apportion")
    if problem is None:
        problem = problem_from_ranges({p: (points[p].min(), points[p].max()) for p in parameters})
    note = ""
    if design == "sobol":
        try:
            corrected = ", corrected for replicate noise" if noise_variance > 0 else ""
            return (sobol_indices(problem, Y, calc_second_order, seed=seed, noise_variance=noise_variance),
                    f"Sobol indices (Saltelli estimator{corrected}, 95 % bootstrap interval)")
        except (ValueError, RuntimeError) as error:  # e.g. an interrupted sweep: not a full Saltelli sample
            note = f"; Sobol indices impossible here ({error})"
    X = points[problem["names"]].to_numpy(dtype=float)
    return (rbd_fast_indices(problem, X, Y, seed=seed),
            "first-order S1 by RBD-FAST from the given sample (95 % bootstrap interval; no total index)" + note)
