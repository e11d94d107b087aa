"""Iran: its posture toward the United States, its directive to the militias, and its direct strikes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.actors.base import Actor, decay_factor
from sim.ladder import Action, Posture, Rung
from sim.params import per_world, pick

if TYPE_CHECKING:
    from sim.model import EscalationModel

# Severity of a direct strike for the US's choice of whom to answer: its rung (plus the Americans killed),
# like every other action; fixed, because it only orders the candidates.
SALVO_SEVERITY = float(Rung.STATE_ON_STATE_STRIKE)


class Iran(Actor):
    """Iran: chooses restraint, calibrated pressure or escalation; can strike directly with warning.

    State per world: humiliation, nuclear talks, the posture of the day (a :class:`~sim.ladder.Posture`)
    and the directive it implies, a standing order, and a scheduled direct strike.
    """

    def __init__(self, model: "EscalationModel"):
        super().__init__(model, "iran")
        self.params = model.params.iran
        n = model.n_worlds
        self.humiliation = np.zeros(n)
        self.humiliation_decay = decay_factor(self.params.humiliation_half_life)
        self.talks = per_world(self.params.talks_active, n) > 0.5
        self.posture = np.full(n, int(Posture.PRESSURE))
        self.directive = np.ones(n)
        self.order_posture = np.full(n, -1)
        self.order_until = np.full(n, -1, dtype=np.int64)
        self.strike_due = np.full(n, -1, dtype=np.int64)
        self.strike_answered = np.zeros(n, dtype=bool)

    def choose_posture(self) -> None:
        """Posture from nuclear talks, economic exposure to Iraq and humiliation.

        Mechanism: compellence and signalling [Schelling1966]; Iran restrains its proxies during nuclear
        talks (the 2021 calm order [MilitiasRogue2021]), needs Iraq's economy (Iraq its second source of
        hard currency [DoubleGame2021]), and answers humiliation (its commander killed) with pressure:
        "provocation, not confrontation" [DoubleGame2021].
        """
        m = self.model
        p = self.params
        score = (
            p.baseline_pressure
            - p.talks_restraint * self.talks
            - p.economic_restraint * p.economic_exposure
            + p.humiliation_weight * (self.humiliation + m.hostility_iran_us)
        )
        posture = np.where(score > p.escalation_threshold, int(Posture.ESCALATION),
                           np.where(score < p.restraint_threshold, int(Posture.RESTRAINT), int(Posture.PRESSURE)))
        ordered = self.order_until >= m.day
        self.posture = np.where(ordered, self.order_posture, posture)
        self.directive = np.choose(self.posture, [p.directive_restraint, p.directive_pressure, p.directive_escalation])

    def step(self) -> None:
        """Let humiliation fade, then decide the posture of the day."""
        self.humiliation *= self.humiliation_decay
        self.choose_posture()

    def humiliate(self, worlds: np.ndarray, amount: np.ndarray) -> None:
        """Add humiliation; a new humiliation re-opens the question of a direct answer."""
        self.humiliation[worlds] += amount
        self.strike_answered[worlds] = False

    def react(self) -> None:
        """Schedule and make direct strikes: casualty-avoiding, with warning, one salvo.

        Mechanism: calibrated retaliation (Jan 8, 2020: 16 missiles on Ain al-Asad after warning, no
        deaths, ~110 brain injuries [PressReports]). Humiliation above a threshold schedules one salvo
        after a delay; a US strike on Iran is answered in kind with the counter-strike probability.
        """
        m = self.model
        p = self.params
        idle = m.active & (self.strike_due < 0) & ~self.strike_answered
        wants = idle & (self.humiliation > p.direct_strike_threshold)
        if wants.any():
            worlds = np.flatnonzero(wants)
            delay = 1 + self.poisson("strike_delay", pick(p.direct_strike_delay_mean, worlds) - 1.0, worlds)
            self.strike_due[worlds] = m.day + delay
        due = np.flatnonzero(m.active & (self.strike_due == m.day))
        if due.size:
            self.direct_strike(due)

    def direct_strike(self, worlds: np.ndarray) -> None:
        """A direct missile salvo on US forces (rung 6), usually warned in advance.

        The salvo answers most of the humiliation (``humiliation_after_salvo`` of it is left) and counts as
        one round of a direct exchange (:meth:`EscalationModel.exchange_strike`).
        """
        m = self.model
        p = self.params
        warned = self.uniform("warned", worlds) < pick(p.warning_probability, worlds)
        p_kill = np.where(warned, pick(p.salvo_kill_probability_warned, worlds),
                          pick(p.salvo_kill_probability_unwarned, worlds))
        kills = self.uniform("salvo_kills", worlds) < p_kill
        killed = np.where(kills, 1 + self.poisson("salvo_killed", np.maximum(pick(p.salvo_killed_mean, worlds) - 1, 0),
                                                  worlds), 0)
        wounded = self.poisson("salvo_wounded", pick(p.salvo_wounded_mean, worlds), worlds)
        m.record(
            worlds, self, Action.DIRECT_STRIKE, "us_forces", Rung.STATE_ON_STATE_STRIKE, weapon="ballistic_missiles",
            killed=killed, wounded=wounded, intended=Rung.STATE_ON_STATE_STRIKE, perceived=Rung.STATE_ON_STATE_STRIKE,
            side="iran", location="iraq",
        )
        m.count_casualties(worlds, killed, wounded)
        m.outcome_counts["iran_direct_strikes"][worlds] += 1
        self.strike_due[worlds] = -1
        self.strike_answered[worlds] = True
        self.humiliation[worlds] *= pick(p.humiliation_after_salvo, worlds)
        us = m.united_states.params
        m.united_states.perceive(
            worlds, pick(us.pressure_per_direct_strike, worlds) + pick(us.pressure_per_killed, worlds) * killed, -1,
            severity=SALVO_SEVERITY + killed, by_iran=True,
        )
        m.exchange_strike(worlds, side=1)

    def order(self, posture: int, until: int) -> None:
        """Tehran orders a posture (e.g. calm during talks) in every world until a day."""
        self.order_posture[:] = posture
        self.order_until[:] = until
