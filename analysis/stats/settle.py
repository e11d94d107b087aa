"""Adaptive settling of the thesis verdict: add seeded worlds until the verdict is settled or a cap is hit.

The stopping rule stays valid under repeated looks by spending the error rate across them (a
Bonferroni split of alpha over the looks): look k (k = 1, 2, ...) tests with an exact Clopper-Pearson interval
[ClopperPearson1934] at the two-sided level ``1 - alpha_k`` with ``alpha_k = alpha * 6 / (pi^2 k^2)``,
whose sum over all looks is ``alpha``. So whatever the true P(confrontation), the chance that any look
ever declares the wrong side of the threshold is at most ``alpha / 2`` per side, however many looks are
taken (a union bound; the test suite measures it by simulation). The verdict is **holds** once the upper
bound is below the threshold, **fails** once the lower bound is above it, and **inconclusive** if the cap
is reached first; worlds double at each look, so a share far from the threshold settles in a few
thousand worlds and one close to it runs to the cap.

World k of a settling run has the seed ``derive_seeds(seed, k)``, as in ``escalation batch``: the worlds of
look k are the first worlds of look k+1, and any world can be replayed alone.

This replaces the old "worlds to settle" projection, which assumed the observed share would hold and
pointed the wrong way when it did not (1,000 crisis worlds projected "it would hold"; 200,000 failed).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from analysis.stats.intervals import proportion_interval
from analysis.stats.sweeps import EVENTS

DEFAULT_ALPHA = 0.05
DEFAULT_FIRST = 1_000
DEFAULT_MAX_WORLDS = 200_000


def look_alpha(look: int, alpha: float = DEFAULT_ALPHA) -> float:
    """The error rate spent at look ``look`` (1-based): ``alpha * 6 / (pi^2 look^2)``; they sum to alpha."""
    if look < 1:
        raise ValueError("looks are numbered from 1")
    return alpha * 6.0 / (math.pi ** 2 * look ** 2)


def look_verdict(hits: int, worlds: int, threshold: float, look: int, alpha: float = DEFAULT_ALPHA):
    """The verdict at one look: ``(verdict, lower, upper)`` with verdict holds, fails or None (go on)."""
    lower, upper = proportion_interval(hits, worlds, confidence=1.0 - look_alpha(look, alpha))
    lower, upper = float(lower), float(upper)
    if upper < threshold:
        return "holds", lower, upper
    if lower > threshold:
        return "fails", lower, upper
    return None, lower, upper


@dataclass
class Settled:
    """The outcome of a settling run.

    Attributes:
        verdict: holds, fails, or inconclusive (the cap was reached).
        worlds: worlds simulated in all.
        hits: worlds counted as confrontation.
        lower, upper: the last look's interval (at that look's spent level).
        looks: ``(worlds, hits, lower, upper)`` per look.
    """

    verdict: str
    worlds: int
    hits: int
    lower: float
    upper: float
    looks: list[tuple[int, int, float, float]] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.hits / self.worlds


def settle_stream(draw: Callable[[int, int], int], threshold: float, max_worlds: int = DEFAULT_MAX_WORLDS,
                  first: int = DEFAULT_FIRST, alpha: float = DEFAULT_ALPHA,
                  report: Callable[[str], None] | None = None) -> Settled:
    """Settle a verdict on a stream of worlds.

    Args:
        draw: ``draw(start, stop)`` simulates worlds ``start..stop-1`` and returns how many count.
        threshold: the thesis threshold on P(confrontation).
        max_worlds: the cap.
        first: worlds at the first look (then doubling, the last look at the cap).
        alpha: total two-sided error rate over all looks.
        report: called with one line per look (progress).
    """
    if max_worlds < 1 or first < 1:
        raise ValueError("need at least one world")
    worlds = hits = 0
    target = min(first, max_worlds)
    looks: list[tuple[int, int, float, float]] = []
    look = 0
    while True:
        hits += int(draw(worlds, target))
        worlds = target
        look += 1
        verdict, lower, upper = look_verdict(hits, worlds, threshold, look, alpha)
        looks.append((worlds, hits, lower, upper))
        if report:
            report(f"look {look}: {hits:,}/{worlds:,} = {hits / worlds:.3%}, interval at level "
                   f"{1 - look_alpha(look, alpha):.4f}: [{lower:.3%}, {upper:.3%}]"
                   + (f" -> {verdict.upper()}" if verdict else ""))
        if verdict or worlds >= max_worlds:
            return Settled(verdict or "inconclusive", worlds, hits, lower, upper, looks)
        target = min(worlds * 2, max_worlds)


def settle_scenario(scenario: str, threshold: float = 0.05, max_worlds: int = DEFAULT_MAX_WORLDS, seed: int = 0,
                    first: int = DEFAULT_FIRST, alpha: float = DEFAULT_ALPHA, definition: str = "shipped",
                    chunk: int = 20_000, report: Callable[[str], None] | None = None) -> Settled:
    """Settle the thesis verdict for a scenario by simulating seeded worlds (outcomes only) in chunks."""
    from analysis.stats.thesis import DEFINITIONS
    from sim.runner import simulate
    from sim.scenario import load_scenario
    from sim.seeds import derive_seeds

    loaded = load_scenario(scenario)
    counted = EVENTS[DEFINITIONS[definition][0]]

    def draw(start: int, stop: int) -> int:
        total = 0
        for low in range(start, stop, chunk):
            ids = np.arange(low, min(low + chunk, stop))
            result = simulate(loaded, world_seeds=derive_seeds(seed, ids), world_ids=ids, collect_events=False,
                              collect_series=False)
            total += int(result.outcomes["outcome"].astype(str).isin(counted).sum())
        return total

    return settle_stream(draw, threshold, max_worlds, first, alpha, report)
