"""Intervals, the thesis verdict and the worlds needed to settle it, against known binomial values."""

import numpy as np
import pandas as pd
import pytest

from analysis.stats.intervals import (
    check_threshold,
    outcome_shares,
    proportion_interval,
    ratio_interval,
    thesis_verdict,
    worlds_to_settle,
)
from sim.errors import InputError

# [Newcombe1998], Table I: exact (Clopper-Pearson) and Wilson score 95 % intervals.
NEWCOMBE = [
    # k, n, CP low, CP high, Wilson low, Wilson high
    (81, 263, 0.2527, 0.3676, 0.2553, 0.3662),
    (15, 148, 0.0578, 0.1617, 0.0624, 0.1605),
    (1, 29, 0.0009, 0.1776, 0.0061, 0.1718),
]


@pytest.mark.parametrize("k,n,cp_lo,cp_hi,w_lo,w_hi", NEWCOMBE)
def test_intervals_match_published_values(k, n, cp_lo, cp_hi, w_lo, w_hi):
    lo, hi = proportion_interval(k, n)
    assert (round(float(lo), 4), round(float(hi), 4)) == (cp_lo, cp_hi)
    lo, hi = proportion_interval(k, n, method="wilson")
    assert (round(float(lo), 4), round(float(hi), 4)) == (w_lo, w_hi)


def test_zero_events_use_the_exact_one_sided_upper_bound():
    lo, hi = proportion_interval(0, 20)
    assert float(lo) == 0.0
    assert float(hi) == pytest.approx(1 - 0.05 ** (1 / 20))  # 0.1391, not the two-sided 0.1684
    # rule of three: about 3/n for large n
    assert float(proportion_interval(0, 1000)[1]) == pytest.approx(3 / 1000, rel=0.01)


def test_all_events_use_the_exact_one_sided_lower_bound():
    lo, hi = proportion_interval(20, 20)
    assert float(hi) == 1.0
    assert float(lo) == pytest.approx(0.05 ** (1 / 20))


def test_intervals_are_vectorised_and_reject_impossible_counts():
    lo, hi = proportion_interval(np.array([0, 5, 10]), np.array([10, 10, 10]))
    assert lo.shape == (3,) and np.all(lo <= np.array([0, 0.5, 1])) and np.all(hi >= np.array([0, 0.5, 1]))
    with pytest.raises(ValueError):
        proportion_interval(11, 10)
    with pytest.raises(ValueError):
        proportion_interval(0, 0)


def test_clopper_pearson_covers_at_least_nominal_rate():
    # 4,000 seeded binomial draws at p = 0.03, n = 200: the exact interval should cover p in >= 95 % of
    # draws (it is conservative); the Monte-Carlo standard error is ~0.35 %, so 94 % is a safe floor.
    rng = np.random.default_rng(12345)
    p, n = 0.03, 200
    k = rng.binomial(n, p, size=4000)
    lo, hi = proportion_interval(k, np.full_like(k, n))
    coverage = np.mean((lo <= p) & (p <= hi))
    assert coverage >= 0.94


@pytest.mark.parametrize("k,n,expected", [
    (0, 100, "holds"),         # upper 2.95 % < 5 %
    (3, 100, "inconclusive"),  # [0.62 %, 8.52 %]
    (10, 100, "inconclusive"),  # lower 4.90 % < 5 %
    (12, 100, "fails"),        # lower 6.36 % > 5 %
    (0, 58, "inconclusive"),   # one-sided upper 5.03 %
    (0, 59, "holds"),          # one-sided upper 4.95 %
])
def test_thesis_verdict(k, n, expected):
    verdict = thesis_verdict(k, n, 0.05)
    assert verdict.verdict == expected
    assert verdict.lower <= k / n <= verdict.upper
    assert (verdict.worlds_to_settle is not None) == (expected == "inconclusive")


def test_worlds_to_settle_is_the_smallest_settling_number():
    assert worlds_to_settle(0.0, 0.05) == 59  # ln 0.05 / ln 0.95 = 58.4
    for share in (0.01, 0.03, 0.08, 0.2):
        n = worlds_to_settle(share, 0.05)
        lo, hi = proportion_interval(share * n, n)
        lo_before, hi_before = proportion_interval(share * (n - 1), n - 1)
        if share < 0.05:
            assert hi < 0.05 <= hi_before
        else:
            assert lo > 0.05 >= lo_before
    assert worlds_to_settle(0.05, 0.05) is None


def test_inconclusive_verdict_reports_total_worlds_at_least_those_run():
    verdict = thesis_verdict(3, 100, 0.05)
    assert verdict.worlds_to_settle == worlds_to_settle(0.03, 0.05, at_least=100)
    assert verdict.worlds_to_settle > 100
    assert thesis_verdict(*[int(0.03 * verdict.worlds_to_settle), verdict.worlds_to_settle]).verdict == "holds"


@pytest.mark.parametrize("bad", ["abc", 0, 1, 1.5, -0.1, "nan", None])
def test_bad_thresholds_are_input_errors(bad):
    with pytest.raises(InputError):
        check_threshold(bad)


def test_outcome_shares_count_every_class_per_group():
    outcomes = pd.DataFrame({
        "scenario": ["a"] * 10 + ["b"] * 4,
        "outcome": ["provocation"] * 9 + ["crisis"] + ["quiet"] * 4,
    })
    table = outcome_shares(outcomes, by="scenario")
    assert list(table["outcome"][:5]) == ["quiet", "provocation", "crisis", "contained_exchange", "confrontation"]
    assert table.groupby("scenario")["count"].sum().to_dict() == {"a": 10, "b": 4}
    row = table[(table["scenario"] == "a") & (table["outcome"] == "confrontation")].iloc[0]
    assert row["count"] == 0 and row["upper"] == pytest.approx(1 - 0.05 ** 0.1)


def test_ratio_interval_brackets_the_pooled_ratio():
    rng = np.random.default_rng(1)
    attacks = rng.poisson(50, 500)
    strikes = rng.binomial(attacks, 0.04)
    ratio, lo, hi = ratio_interval(strikes, attacks)
    assert ratio == pytest.approx(strikes.sum() / attacks.sum())
    assert lo < ratio < hi and hi - lo < 0.01
    assert np.isnan(ratio_interval([0, 0], [0, 0])[0])


def test_ratio_interval_does_not_depend_on_its_block_size(monkeypatch):
    """The bootstrap is drawn in blocks so a million worlds fit in memory; blocks change nothing."""
    from analysis.stats import intervals

    rng = np.random.default_rng(5)
    num, den = rng.poisson(3, 4000), rng.poisson(50, 4000) + 1
    whole = intervals.ratio_interval(num, den)
    monkeypatch.setattr(intervals, "BOOTSTRAP_BLOCK_INDICES", 4000 * 7)
    assert intervals.ratio_interval(num, den) == whole
