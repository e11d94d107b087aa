"""An outside war as a state: a war outside Iraq that factions take up, switched by the timeline (issue 11).

The Gaza war of 2023-24 is the case [DoDBriefings2024]: attacks on US forces in Iraq, Syria and Jordan went from
none in Oct 1-16, 2023 to ~27 in Oct 17-31 and ~50 a month, stopped within a day of the Gaza truce of Nov 24
and resumed within a day of its end on Dec 1. ``outside_war`` timeline events (:mod:`sim.timeline`) start,
pause, resume and end it; between them the level ramps linearly toward the war's intensity over
``militia_dynamics.outside_war_ramp_days`` (and down to 0 after its end). Nothing here draws at random, and
without an ``outside_war`` event the model never consults it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model import EscalationModel


class OutsideWar:
    """The outside war's state, shared by the worlds' actors: its level per world, whether it is paused.

    Attributes:
        on: an outside war has started in this run (until then the actors skip it).
        level: the war's level per world, ramping toward ``intensity``.
        intensity: the level it ramps toward (0 after its end).
        paused: a truce in that war holds (the factions that took it up stand down).
        joined: per faction, whether it took the war up.
    """

    def __init__(self, model: "EscalationModel"):
        self.model = model
        n = model.n_worlds
        self.on = False
        self.level = np.zeros(n)
        self.intensity = 0.0
        self.ramp_step = np.zeros(n)
        self.paused = False
        self.joined = np.zeros(len(model.scenario.militias), dtype=bool)

    def start(self, intensity: float, factions: list[str] | None) -> None:
        """The war starts (or flares to a new intensity); the named factions take it up (default: all)."""
        keys = self.model.scenario.faction_keys
        self.on = True
        self.paused = False
        self.intensity = float(intensity)
        self.joined = np.array([factions is None or key in factions for key in keys])
        self._set_ramp(abs(self.intensity - self.level))

    def pause(self) -> None:
        """A truce in the outside war: participating factions stand down from today."""
        self.paused = True

    def resume(self) -> None:
        """The truce ends: the factions come back today at the level they had reached."""
        self.paused = False

    def end(self) -> None:
        """The war ends: its level ramps down to 0."""
        self.paused = False
        self.intensity = 0.0
        self._set_ramp(self.level)

    def _set_ramp(self, distance: np.ndarray) -> None:
        days = self.model.params.militia_dynamics.outside_war_ramp_days
        self.ramp_step = np.asarray(distance, dtype=float) / days

    def step(self) -> None:
        """Move the level one day's ramp toward the intensity."""
        if not self.on:
            return
        gap = self.intensity - self.level
        self.level = self.level + np.clip(gap, -self.ramp_step, self.ramp_step)

    def rate_factor(self, index: int) -> float | np.ndarray:
        """Attack-rate multiplier of faction ``index``: ``outside_war_multiplier ** level`` if it took the war up.

        Mechanism: an outside war that the factions' patron and allies fight (the Axis's "unity of fronts")
        gives them a cause and an audience; the rate rose about tenfold within two weeks [DoDBriefings2024].
        """
        if not self.joined[index]:
            return 1.0
        return np.power(self.model.params.militia_dynamics.outside_war_multiplier, self.level)

    def pause_factor(self, index: int) -> float:
        """Multiplier of faction ``index``'s whole rate: ``outside_war_pause_factor`` during a truce, else 1."""
        if self.paused and self.joined[index]:
            return self.model.params.militia_dynamics.outside_war_pause_factor
        return 1.0

    def rate_factors(self, rows: slice = slice(None)) -> np.ndarray:
        """:meth:`rate_factor` of the given factions at once, (factions, worlds): exactly 1 where one did not join."""
        power = np.power(self.model.params.militia_dynamics.outside_war_multiplier, self.level)
        return np.where(self.joined[rows][:, None], power, 1.0)

    def pause_factors(self, rows: slice = slice(None)) -> np.ndarray:
        """:meth:`pause_factor` of the given factions at once, (factions, 1) or (factions, worlds)."""
        factor = self.model.params.militia_dynamics.outside_war_pause_factor
        return np.where((self.joined[rows] & self.paused)[:, None], factor, 1.0)
