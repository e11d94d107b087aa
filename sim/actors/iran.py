"""Iran: its posture toward the United States, its directive to the militias, and its answer to humiliation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import seeds as keyed
from sim.actors.base import Actor, choose, decay_factor
from sim.ladder import Action, DirectAnswer, Posture, Rung
from sim.params import per_world, pick

if TYPE_CHECKING:
    from sim.model import EscalationModel

# Severity of a direct strike for the US's choice of whom to answer: its rung (plus the Americans killed),
# like every other action; fixed, because it only orders the candidates.
SALVO_SEVERITY = float(Rung.STATE_ON_STATE_STRIKE)
# What opens the question of an answer, by code (0: nothing yet); kept per world in `Iran.question_source`.
HUMILIATION_SOURCES = ("", "commander_killed", "us_strike_on_iran")
# The options in the order of the utility columns (the DirectAnswer values).
ANSWERS = tuple(DirectAnswer)
# The rung each kind of direct strike is meant as (the event table's `intended`): a warned salvo is meant to
# hurt nobody (an attack without casualties, rung 2); an unwarned strike is the state-on-state strike it is.
INTENDED_WARNED = int(Rung.ATTACK_NO_CASUALTIES)
INTENDED_UNWARNED = int(Rung.STATE_ON_STATE_STRIKE)


def _logistic(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), finite for x = +-inf and free of overflow warnings."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


class Iran(Actor):
    """Iran: chooses restraint, calibrated pressure or escalation; answers humiliation by a readable choice.

    State per world: humiliation and the number of humiliating events so far, nuclear talks, the posture
    of the day (a :class:`~sim.ladder.Posture`) and the directive it implies, a standing order (scripted,
    or a proxy surge of its own), and a pending decision on how to answer (its day and what opened it).
    """

    def __init__(self, model: "EscalationModel"):
        super().__init__(model, "iran")
        self.params = model.params.iran
        n = model.n_worlds
        self.humiliation = np.zeros(n)
        self.humiliation_decay = decay_factor(self.params.humiliation_half_life)
        self.humiliations = np.zeros(n, dtype=np.int64)
        self.question_source = np.zeros(n, dtype=np.int64)
        self.decision_due = np.full(n, -1, dtype=np.int64)
        self.talks = per_world(self.params.talks_active, n) > 0.5
        self.posture = np.full(n, int(Posture.PRESSURE))
        self.directive = np.ones(n)
        self.order_posture = np.full(n, -1)
        self.order_until = np.full(n, -1, dtype=np.int64)
        self.order_day = np.full(n, -1, dtype=np.int64)  # the day the standing order was issued

    # -- posture -----------------------------------------------------------------------------------------

    def choose_posture(self) -> None:
        """Posture from nuclear talks, economic exposure to Iraq and humiliation.

        Mechanism: compellence and signalling [Schelling1966]; Iran restrains its proxies during nuclear
        talks (the 2021 calm order [MilitiasRogue2021]), needs Iraq's economy (Iraq its second source of
        hard currency [DoubleGame2021]), and answers humiliation (its commander killed) with pressure:
        "provocation, not confrontation" [DoubleGame2021]. An outside war its allies fight adds
        ``outside_war_weight`` x its level (the Gaza war, 2023-24 [PressReports]; 0 by default).
        """
        m = self.model
        p = self.params
        score = (
            p.baseline_pressure
            - p.talks_restraint * self.talks
            - p.economic_restraint * p.economic_exposure
            + p.humiliation_weight * (self.humiliation + m.hostility_iran_us)
        )
        if m.outside_war.on:
            score = score + p.outside_war_weight * m.outside_war.level
        posture = np.where(score > p.escalation_threshold, int(Posture.ESCALATION),
                           np.where(score < p.restraint_threshold, int(Posture.RESTRAINT), int(Posture.PRESSURE)))
        ordered = self.order_until >= m.day
        self.posture = np.where(ordered, self.order_posture, posture)
        self.directive = choose(self.posture, [p.directive_restraint, p.directive_pressure, p.directive_escalation])

    def step(self) -> None:
        """Let humiliation fade, consider a calm order of its own, then decide the posture of the day."""
        self.humiliation *= self.humiliation_decay
        self.consider_calm_order()
        self.choose_posture()

    def order(self, posture: int, until: int) -> None:
        """Tehran orders a posture (e.g. calm during talks) in every world until a day."""
        self.order_posture[:] = posture
        self.order_until[:] = until
        self.order_day[:] = self.model.day

    def consider_calm_order(self) -> None:
        """Order the factions to lie low when American dead raise the risk of a US strike on Iran (issue 11).

        Where no order stands and Americans were killed yesterday, Iran orders restraint for
        ``calm_order_days`` (action ``calm_order``, the model's own) if US pressure plus US hostility toward
        Iran (what :meth:`expected_us_answer` weighs against the US's Iran-strike bar) is above
        ``calm_order_bar``. Mechanism: calibrated pressure under the shadow of war [Schelling1966]: Tehran
        keeps its proxies' campaign below what would bring the US onto Iran; on Jan 29, 2024, the day after
        three US soldiers were killed at Tower 22, the Quds Force commander told the factions in Baghdad to
        lie low [PressReports]. Off while ``calm_order_days`` is 0.
        """
        p = self.params
        if not np.any(p.calm_order_days):
            return
        m = self.model
        free = np.flatnonzero(m.active & (self.order_until < m.day) & (m.last_day_us_killed == m.day - 1))
        if not free.size:
            return
        risk = m.united_states.pressure[free] + m.hostility_us_iran[free]
        days = np.broadcast_to(np.asarray(pick(p.calm_order_days, free)).astype(np.int64), free.shape)
        ordering = (risk > pick(p.calm_order_bar, free)) & (days > 0)
        if not ordering.any():
            return
        worlds = free[ordering]
        self.order_posture[worlds] = int(Posture.RESTRAINT)
        self.order_until[worlds] = m.day + days[ordering] - 1
        self.order_day[worlds] = m.day
        m.record(worlds, self, Action.CALM_ORDER, "militias", Rung.RHETORIC, side="none")

    # -- the question of an answer -----------------------------------------------------------------------

    def humiliate(self, worlds: np.ndarray, amount, source: str = "commander_killed") -> None:
        """Add humiliation and open the question of an answer, decided after the deliberation delay.

        Args:
            worlds: world indices.
            amount: humiliation added (scalar or per world).
            source: what humiliates: ``"commander_killed"`` or ``"us_strike_on_iran"``.

        A question already open stays open (its decision day stands; the humiliation it weighs grows).
        """
        m = self.model
        self.humiliation[worlds] += amount
        self.humiliations[worlds] += 1
        self.question_source[worlds] = HUMILIATION_SOURCES.index(source)
        new = worlds[self.decision_due[worlds] < 0]
        if new.size:
            mean = pick(self.params.direct_strike_delay_mean, new) - 1.0
            self.decision_due[new] = m.day + 1 + self.poisson("decision_delay", mean, new)

    def react(self) -> None:
        """Make the decisions that are due today (see :meth:`answer_utilities`)."""
        m = self.model
        due = np.flatnonzero(m.active & (self.decision_due == m.day))
        if due.size:
            self.decide(due)

    def effective_humiliation(self, worlds: np.ndarray) -> np.ndarray:
        """Humiliation / (1 + repeat_discount x earlier humiliating events): diminishing reactions."""
        earlier = np.maximum(self.humiliations[worlds] - 1, 0)
        return self.humiliation[worlds] / (1.0 + pick(self.params.repeat_discount, worlds) * earlier)

    def posture_restraint(self, worlds: np.ndarray) -> np.ndarray:
        """Restraint from talks and economic exposure, in the posture score's own terms."""
        p = self.params
        return per_world(pick(p.talks_restraint, worlds) * self.talks[worlds]
                         + pick(p.economic_restraint, worlds) * pick(p.economic_exposure, worlds), worlds.size)

    def expected_us_answer(self, worlds: np.ndarray) -> np.ndarray:
        """Iran's probability that the US answers each option with a strike on Iran, (worlds, 4).

        The logistic of (US pressure + US hostility toward Iran + the pressure the option adds - the US's
        Iran-strike bar) / ``us_answer_scale``. The bar mirrors :meth:`UnitedStates.respond`'s:
        ``iran_strike_threshold + war_aversion`` + common-enemy forbearance - hawkishness: Iran reads the US's
        standing bar, not the round cost the US weighs inside a running exchange (which it cannot observe;
        with it, a US more restrained in long exchanges made Iran strike more, so the US round cost
        shortened exchanges instead of lengthening them). A direct strike adds
        ``pressure_per_direct_strike`` + ``pressure_per_killed`` x its expected dead (larger unwarned); a
        proxy surge adds nothing of itself (its attacks come later); no answer is never answered.
        """
        m = self.model
        p = self.params
        us = m.united_states
        up = us.params
        ctx = m.params.context
        bar = (pick(up.iran_strike_threshold, worlds) + pick(up.war_aversion, worlds)
               + pick(ctx.common_enemy_forbearance, worlds) * pick(ctx.common_enemy, worlds)
               - pick(up.hawkishness, worlds))
        now = us.pressure[worlds] + m.hostility_us_iran[worlds] - bar
        strike = pick(up.pressure_per_direct_strike, worlds)
        per_dead = pick(up.pressure_per_killed, worlds) * pick(p.salvo_killed_mean, worlds)
        warned = strike + per_dead * pick(p.salvo_kill_probability_warned, worlds)
        unwarned = strike + per_dead * pick(p.salvo_kill_probability_unwarned, worlds)
        scale = pick(p.us_answer_scale, worlds)
        q = np.zeros((worlds.size, len(ANSWERS)))
        q[:, DirectAnswer.PROXY_SURGE] = _logistic(now / scale)
        q[:, DirectAnswer.WARNED_SALVO] = _logistic((now + warned) / scale)
        q[:, DirectAnswer.UNWARNED_STRIKE] = _logistic((now + unwarned) / scale)
        return q

    def answer_utilities(self, worlds: np.ndarray) -> np.ndarray:
        """Utility of each :class:`~sim.ladder.DirectAnswer` per world, (worlds, 4); no answer is 0.

        With h the effective humiliation (:meth:`effective_humiliation`), R the posture restraint times
        ``restraint_weight``, q the expected US answer (:meth:`expected_us_answer`), W ``war_cost`` and C
        the exchange's round cost for Iran (``round_cost`` x rounds fought; infinite under a ceasefire):

        - proxy surge: ``surge_weight`` h - ``surge_cost`` - R - W q_surge;
        - warned salvo: ``direct_weight`` h - ``warned_salvo_cost`` - R - W q_warned - C;
        - unwarned strike: ``direct_weight`` h - ``unwarned_strike_cost`` - R - W q_unwarned - C.

        Mechanism: calibrated retaliation under the shadow of war [Schelling1966]: Iran answers humiliation
        but shapes the answer to avoid an American answer (Jan 8, 2020: 16 missiles after warning, no deaths
        [PressReports]), restrained by talks and by its need of Iraq's economy [DoubleGame2021].
        """
        m = self.model
        p = self.params
        h = self.effective_humiliation(worlds)
        restraint = pick(p.restraint_weight, worlds) * self.posture_restraint(worlds)
        q = self.expected_us_answer(worlds)
        war = pick(p.war_cost, worlds)
        rounds = m.exchange_round_cost(worlds, side=1)
        direct = pick(p.direct_weight, worlds) * h - restraint - rounds
        u = np.zeros((worlds.size, len(ANSWERS)))
        u[:, DirectAnswer.PROXY_SURGE] = (pick(p.surge_weight, worlds) * h - pick(p.surge_cost, worlds) - restraint
                                          - war * q[:, DirectAnswer.PROXY_SURGE])
        u[:, DirectAnswer.WARNED_SALVO] = (direct - pick(p.warned_salvo_cost, worlds)
                                           - war * q[:, DirectAnswer.WARNED_SALVO])
        u[:, DirectAnswer.UNWARNED_STRIKE] = (direct - pick(p.unwarned_strike_cost, worlds)
                                              - war * q[:, DirectAnswer.UNWARNED_STRIKE])
        return u

    def answer_probabilities(self, worlds: np.ndarray) -> np.ndarray:
        """Multinomial-logit choice probabilities of each answer, (worlds, 4), rows summing to 1."""
        u = self.answer_utilities(worlds)
        e = np.exp(u - u.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def decide(self, worlds: np.ndarray) -> None:
        """Choose an answer by one keyed draw (site ``direct_choice``) and carry it out."""
        m = self.model
        cumulative = np.cumsum(self.answer_probabilities(worlds), axis=1)
        u = self.uniform("direct_choice", worlds)
        choice = (u[:, None] >= cumulative[:, :-1]).sum(axis=1)
        self.decision_due[worlds] = -1
        none = worlds[choice == DirectAnswer.NONE]
        if none.size:
            m.record(none, self, Action.NO_DIRECT_ANSWER, "united_states", Rung.RHETORIC, side="none")
        surge = worlds[choice == DirectAnswer.PROXY_SURGE]
        if surge.size:
            self.surge(surge)
        for option, warned in ((DirectAnswer.WARNED_SALVO, True), (DirectAnswer.UNWARNED_STRIKE, False)):
            chosen = worlds[choice == option]
            if chosen.size:
                self.direct_strike(chosen, warned=warned)

    # -- the answers -------------------------------------------------------------------------------------

    def surge(self, worlds: np.ndarray) -> None:
        """A proxy surge: the factions' directive held at escalation for ``surge_days`` from tomorrow."""
        m = self.model
        days = np.asarray(pick(self.params.surge_days, worlds)).astype(np.int64)
        self.order_posture[worlds] = int(Posture.ESCALATION)
        self.order_until[worlds] = m.day + days
        self.order_day[worlds] = m.day
        m.record(worlds, self, Action.PROXY_SURGE, "militias", Rung.RHETORIC, side="none")

    def direct_strike(self, worlds: np.ndarray, warned: bool = True, size: int | None = None) -> None:
        """A direct missile salvo on US forces in Iraq (rung 6), warned and casualty-avoiding or not.

        Casualties scale with the salvo's size against ``salvo_size``: P(kill) = 1 - (1 - p)^s, the dead
        beyond the first and the wounded in proportion, with s = size / salvo_size. The salvo answers most of
        the humiliation (``humiliation_after_salvo`` of it is left), closes an open question, and counts as
        one round of a direct exchange (:meth:`EscalationModel.exchange_strike`). In the event table it is
        ``direct_strike`` with ``intended`` rung 2 if warned and 6 if not.
        """
        m = self.model
        p = self.params
        scale = 1.0 if size is None else size / pick(p.salvo_size, worlds)
        p_kill = pick(p.salvo_kill_probability_warned if warned else p.salvo_kill_probability_unwarned, worlds)
        p_kill = 1.0 - np.power(1.0 - p_kill, scale)
        kills = self.uniform("salvo_kills", worlds) < p_kill
        extra = np.maximum(pick(p.salvo_killed_mean, worlds) - 1, 0) * scale
        killed = np.where(kills, 1 + self.poisson("salvo_killed", extra, worlds), 0)
        wounded = self.poisson("salvo_wounded", pick(p.salvo_wounded_mean, worlds) * scale, worlds)
        m.record(
            worlds, self, Action.DIRECT_STRIKE, "us_forces", Rung.STATE_ON_STATE_STRIKE, weapon="ballistic_missiles",
            killed=killed, wounded=wounded, intended=INTENDED_WARNED if warned else INTENDED_UNWARNED,
            perceived=Rung.STATE_ON_STATE_STRIKE, side="iran", location="iraq",
        )
        m.count_casualties(worlds, killed, wounded)
        m.outcome_counts["iran_direct_strikes"][worlds] += 1
        self.decision_due[worlds] = -1
        self.humiliation[worlds] *= pick(p.humiliation_after_salvo, worlds)
        us = m.united_states.params
        m.united_states.perceive(
            worlds, pick(us.pressure_per_direct_strike, worlds) + pick(us.pressure_per_killed, worlds) * killed, -1,
            severity=SALVO_SEVERITY + killed, by_iran=True,
        )
        m.exchange_strike(worlds, side=1)
