"""Adaptive settling: the stopping rule's error rate under repeated looks, measured by simulation."""

import numpy as np
import pytest

from analysis.stats.settle import look_alpha, look_verdict, settle_stream

THRESHOLD = 0.05
ALPHA = 0.05
RUNS = 2000


def _error_rates(p: float, spend: bool = True, max_worlds: int = 64_000, seed: int = 0):
    """Share of runs ending holds / fails when every world is a Bernoulli(p) draw."""
    rng = np.random.default_rng(seed)
    outcomes = []
    for _ in range(RUNS):
        draw = lambda start, stop: rng.binomial(stop - start, p)  # noqa: E731
        if spend:
            outcomes.append(settle_stream(draw, THRESHOLD, max_worlds, first=1000, alpha=ALPHA).verdict)
        else:  # the naive rule: the same 95 % interval at every look
            worlds = hits = 0
            target, verdict = 1000, "inconclusive"
            while True:
                hits += draw(worlds, target)
                worlds = target
                found, _, _ = look_verdict(hits, worlds, THRESHOLD, 1, alpha=ALPHA * np.pi ** 2 / 6)
                if found or worlds >= max_worlds:
                    verdict = found or "inconclusive"
                    break
                target = min(2 * worlds, max_worlds)
            outcomes.append(verdict)
    outcomes = np.array(outcomes)
    return (outcomes == "holds").mean(), (outcomes == "fails").mean()


def test_alpha_is_spent_over_all_looks():
    assert sum(look_alpha(k, ALPHA) for k in range(1, 100_000)) == pytest.approx(ALPHA, rel=1e-4)
    assert look_alpha(1, ALPHA) > look_alpha(2, ALPHA) > 0


def test_at_the_threshold_each_wrong_verdict_stays_below_half_alpha():
    """At P = threshold both verdicts are wrong; each must be at most alpha / 2 = 2.5 %.

    Tolerance: 2,000 runs give a binomial standard error of ~0.35 % at 2.5 %; the bound allows 3 SE.
    """
    holds, fails = _error_rates(THRESHOLD)
    assert holds <= ALPHA / 2 + 3 * np.sqrt(ALPHA / 2 * (1 - ALPHA / 2) / RUNS)
    assert fails <= ALPHA / 2 + 3 * np.sqrt(ALPHA / 2 * (1 - ALPHA / 2) / RUNS)


def test_the_naive_rule_without_spending_errs_more_often():
    """The same 95 % interval at each of up to 7 looks errs more often than the spent rule (the spending
    is what keeps repeated looks valid): measured on the same streams, with a margin of 3 SE."""
    spent = sum(_error_rates(THRESHOLD, spend=True, seed=1))
    naive = sum(_error_rates(THRESHOLD, spend=False, seed=1))
    assert naive > spent + 3 * np.sqrt(2 * 0.05 * 0.95 / RUNS)


def test_far_from_the_threshold_it_settles_fast_and_on_the_right_side():
    rng = np.random.default_rng(3)
    low = settle_stream(lambda a, b: rng.binomial(b - a, 0.005), THRESHOLD, 200_000)
    high = settle_stream(lambda a, b: rng.binomial(b - a, 0.2), THRESHOLD, 200_000)
    assert low.verdict == "holds" and low.worlds <= 2000
    assert high.verdict == "fails" and high.worlds <= 2000


def test_the_cap_leaves_it_inconclusive():
    settled = settle_stream(lambda a, b: int(round(0.05 * (b - a))), THRESHOLD, max_worlds=4000)
    assert settled.verdict == "inconclusive" and settled.worlds == 4000 and len(settled.looks) == 3


def test_thesis_settle_on_a_scenario(escalation):
    done = escalation("thesis", "--settle", "baseline", "--max-worlds", "2000", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "baseline: HOLDS after 1,000 worlds (1 look)" in done.stdout
    bad = escalation("thesis", "--settle", "no_such_scenario")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
