"""Honest numbers: binomial intervals, the thesis verdict and the worlds needed to settle it.

Intervals are exact (Clopper-Pearson [ClopperPearson1934], from ``scipy.special.betaincinv``, the inverse
regularised incomplete beta function: the values of ``scipy.stats.beta.ppf``, bit for bit, without
importing ``scipy.stats``) unless Wilson [Wilson1927] is asked for. With zero
events in ``n`` worlds the upper bound is the exact *one-sided* bound ``1 - alpha ** (1 / n)`` (about
``3 / n`` at 95 %, the "rule of three"); with ``n`` events in ``n`` worlds the lower bound is the exact
one-sided ``alpha ** (1 / n)``. Both cases use the full ``alpha`` on the one side that can be wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from sim.errors import InputError

IntervalMethod = Literal["clopper-pearson", "wilson"]
Verdict = Literal["holds", "fails", "inconclusive"]

CONFIDENCE = 0.95
OUTCOME_CLASSES = ("quiet", "provocation", "crisis", "contained_exchange", "confrontation")  # sim.ladder.OutcomeClass


def proportion_interval(
    successes, trials, confidence: float = CONFIDENCE, method: IntervalMethod = "clopper-pearson"
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval for a binomial proportion (vectorised).

    Args:
        successes: events counted (scalar or array).
        trials: worlds (scalar or array, > 0).
        confidence: two-sided confidence level, e.g. 0.95.
        method: ``"clopper-pearson"`` (exact) or ``"wilson"`` (score interval).

    Returns:
        ``(lower, upper)`` as float arrays (0-d for scalar input). With 0 events the upper bound is the
        exact one-sided bound ``1 - alpha**(1/n)``; with n events the lower bound is ``alpha**(1/n)``.
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    if np.any(n <= 0) or np.any(k < 0) or np.any(k > n):
        raise ValueError("need 0 <= successes <= trials and trials > 0")
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie strictly between 0 and 1")
    alpha = 1.0 - confidence
    # imported here: the verdict rules and threshold checks of this module are used by commands that must
    # answer bad input before paying for scipy (and scipy.special, not scipy.stats: a third of the import time)
    from scipy import special

    if method == "clopper-pearson":
        with np.errstate(invalid="ignore", divide="ignore"):
            lower = special.betaincinv(k, n - k + 1, alpha / 2)  # = scipy.stats.beta.ppf
            upper = special.betaincinv(k + 1, n - k, 1 - alpha / 2)
    elif method == "wilson":
        z = special.ndtri(1 - alpha / 2)  # = scipy.stats.norm.ppf
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        lower, upper = centre - half, centre + half
    else:
        raise ValueError(f"unknown interval method {method!r}; use 'clopper-pearson' or 'wilson'")
    lower = np.where(k == 0, 0.0, lower)
    upper = np.where(k == 0, 1.0 - alpha ** (1.0 / n), upper)
    upper = np.where(k == n, 1.0, upper)
    lower = np.where((k == n) & (k > 0), alpha ** (1.0 / n), lower)
    return np.clip(lower, 0.0, 1.0), np.clip(upper, 0.0, 1.0)


def outcome_shares(outcomes: pd.DataFrame, by: str | list[str] | None = "scenario",
                   confidence: float = CONFIDENCE, method: IntervalMethod = "clopper-pearson") -> pd.DataFrame:
    """Share of worlds in each outcome class, with intervals.

    Args:
        outcomes: the outcomes table (needs an ``outcome`` column).
        by: grouping column(s), or None for one group.
        confidence: two-sided confidence level.
        method: interval method.

    Returns:
        One row per group and outcome class: group columns, ``outcome``, ``worlds``, ``count``,
        ``share``, ``lower``, ``upper`` (classes in the order quiet, provocation, crisis, confrontation;
        classes never seen get count 0).
    """
    keys = [by] if isinstance(by, str) else list(by or [])
    frame = outcomes.assign(_all="all") if not keys else outcomes
    group_keys = keys or ["_all"]
    rows = []
    for group, part in frame.groupby(group_keys, sort=False, observed=True):
        group = group if isinstance(group, tuple) else (group,)
        counts = part["outcome"].astype(str).value_counts()
        n = len(part)
        for name in OUTCOME_CLASSES:
            k = int(counts.get(name, 0))
            lo, hi = proportion_interval(k, n, confidence, method)
            rows.append({**dict(zip(group_keys, group)), "outcome": name, "worlds": n, "count": k,
                         "share": k / n, "lower": float(lo), "upper": float(hi)})
    import pandas as pd

    table = pd.DataFrame(rows)
    return table.drop(columns="_all") if not keys else table


@dataclass(frozen=True)
class ThesisVerdict:
    """The thesis test for one set of worlds.

    Attributes:
        verdict: ``holds`` (upper bound < threshold), ``fails`` (lower bound > threshold) or ``inconclusive``.
        confrontations: worlds that ended in confrontation.
        worlds: worlds run.
        share: observed share of confrontation.
        lower: lower bound of the interval for P(confrontation).
        upper: upper bound of the interval.
        threshold: the threshold tested.
        worlds_to_settle: total worlds that would settle an inconclusive verdict if the observed share
            held (None when settled, or when the share equals the threshold and no number settles it).
    """

    verdict: Verdict
    confrontations: int
    worlds: int
    share: float
    lower: float
    upper: float
    threshold: float
    worlds_to_settle: int | None


def check_threshold(threshold: float) -> float:
    """Validate a probability threshold; raises InputError unless 0 < threshold < 1."""
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        raise InputError(f"threshold must be a number between 0 and 1 (exclusive), got {threshold!r}") from None
    if not (0.0 < value < 1.0) or math.isnan(value):
        raise InputError(f"threshold must lie strictly between 0 and 1, got {threshold!r}")
    return value


def thesis_verdict(confrontations: int, worlds: int, threshold: float = 0.05,
                   confidence: float = CONFIDENCE, method: IntervalMethod = "clopper-pearson") -> ThesisVerdict:
    """Decide "provocation, not confrontation" from a count of confrontations.

    Holds when the interval's upper bound for P(confrontation) is below ``threshold``; fails when the
    lower bound is above it; otherwise inconclusive.

    Args:
        confrontations: worlds that ended in confrontation.
        worlds: worlds run.
        threshold: the largest P(confrontation) compatible with the thesis.
        confidence: confidence level of the interval.
        method: interval method.
    """
    threshold = check_threshold(threshold)
    if worlds <= 0:
        raise InputError("no worlds to test: the results hold no outcome rows")
    lo, hi = (float(v) for v in proportion_interval(confrontations, worlds, confidence, method))
    if hi < threshold:
        verdict: Verdict = "holds"
    elif lo > threshold:
        verdict = "fails"
    else:
        verdict = "inconclusive"
    to_settle = None
    if verdict == "inconclusive":
        to_settle = worlds_to_settle(confrontations / worlds, threshold, confidence, method, at_least=worlds)
    return ThesisVerdict(verdict, int(confrontations), int(worlds), confrontations / worlds, lo, hi,
                         threshold, to_settle)


def worlds_to_settle(share: float, threshold: float, confidence: float = CONFIDENCE,
                     method: IntervalMethod = "clopper-pearson", at_least: int = 1,
                     limit: int = 10**9) -> int | None:
    """Smallest number of worlds whose interval excludes the threshold if the observed share held.

    The count of events is taken as ``share * n`` (a real number, so the beta quantiles stay smooth);
    this is the planning answer "run about this many worlds in total", not a guarantee.

    Args:
        share: the observed share of confrontation.
        threshold: the thesis threshold.
        confidence: confidence level of the interval.
        method: interval method.
        at_least: start the search here (the worlds already run).
        limit: give up beyond this many worlds.

    Returns:
        The number of worlds, or None if the share equals the threshold or more than ``limit`` are needed.
    """
    if abs(share - threshold) < 1e-12:
        return None

    def settled(n: int) -> bool:
        k = share * n
        lo, hi = proportion_interval(min(k, n), n, confidence, method)
        return bool(hi < threshold) if share < threshold else bool(lo > threshold)

    low = max(1, int(at_least))
    if settled(low):
        return low
    high = low
    while not settled(high):
        low = high
        high *= 2
        if high > limit:
            return None
    while high - low > 1:
        middle = (low + high) // 2
        if settled(middle):
            high = middle
        else:
            low = middle
    return high


BOOTSTRAP_BLOCK_INDICES = 16_000_000


def ratio_interval(numerators: np.ndarray, denominators: np.ndarray, confidence: float = CONFIDENCE,
                   resamples: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """Pooled ratio sum(num)/sum(den) with a percentile bootstrap interval over worlds [Efron1979].

    Args:
        numerators: per-world numerator (e.g. US strikes).
        denominators: per-world denominator (e.g. militia attacks).
        confidence: confidence level.
        resamples: bootstrap resamples.
        seed: random seed for the bootstrap (fixed, so reports are reproducible).

    Returns:
        ``(ratio, lower, upper)``; NaNs when the denominators sum to zero.
    """
    num = np.asarray(numerators, dtype=float)
    den = np.asarray(denominators, dtype=float)
    if den.sum() <= 0:
        return float("nan"), float("nan"), float("nan")
    ratio = num.sum() / den.sum()
    rng = np.random.default_rng(seed)
    # resamples drawn in blocks that hold ~16 million indices each, so a million worlds fit in memory (one
    # (resamples x worlds) index was 55 GiB for a 3.7-million-world sweep); the same generator draws the
    # same indices in the same order, so the interval does not depend on the block size
    block = max(1, min(resamples, BOOTSTRAP_BLOCK_INDICES // max(len(num), 1)))
    parts = []
    for start in range(0, resamples, block):
        index = rng.integers(0, len(num), size=(min(block, resamples - start), len(num)))
        with np.errstate(invalid="ignore", divide="ignore"):
            parts.append(num[index].sum(axis=1) / den[index].sum(axis=1))
    boot = np.concatenate(parts)
    boot = boot[np.isfinite(boot)]
    alpha = 1 - confidence
    lower, upper = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
    return float(ratio), float(lower), float(upper)
