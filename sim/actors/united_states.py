"""The United States: perceives attacks, accumulates pressure to answer, and answers after a lag."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.actors.base import Actor, decay_factor, monthly_rate_factor
from sim.actors.quds_force import QUDS_COMMANDER
from sim.attacks import TARGET_NAMES
from sim.ladder import Action, Posture, Rung
from sim.params import per_world, pick

if TYPE_CHECKING:
    from sim.model import EscalationModel

# What militias expect of the US saturates at this multiple of its strike threshold: the faction's own
# `fear` key sets how much the expectation weighs, so the cap only bounds the scale and stays fixed.
MAX_EXPECTED_RETALIATION = 5.0
# Guard against a zero strike threshold (its range starts at 0) in the militias' expectation.
MIN_STRIKE_THRESHOLD = 0.1
# Keeps the logistic decision noise finite at a draw of exactly 0 (numerical, not modelling).
LOGIT_EPSILON = 1e-12
# Severity of the pending attack at and above which its perceived rung no longer discounts the pressure:
# an attack with casualties (rung 3); Americans killed add one per death on top.
FULL_WEIGHT_SEVERITY = float(Rung.ATTACK_WITH_CASUALTIES)
NEVER_ANSWERED = -10_000  # day of the last kinetic answer before any was made
# The troop group each militia target exposes (issue 11's force posture in numbers). The embassy stays within
# reach and exposed as on day 0 whatever the troop numbers; convoys supply the Iraq group.
TARGET_GROUP = {"base_iraq": "iraq", "base_syria": "syria", "embassy": None, "convoy": "iraq", "base_jordan": "jordan"}


class UnitedStates(Actor):
    """The United States: perceives attacks, accumulates pressure, answers after a lag.

    State per world: pressure to respond, a pending response (its day, target and severity), troop level
    and target (per group: Iraq, and Syria and Jordan when the scenario sets them), recent attacks (for
    habituation and the campaign memory), and whether it is withdrawing.
    """

    def __init__(self, model: "EscalationModel"):
        super().__init__(model, "united_states")
        self.params = p = model.params.united_states
        n = model.n_worlds
        self.pressure = np.zeros(n)
        self.pressure_decay = decay_factor(p.pressure_half_life)
        self.initial_force = np.maximum(p.force_level, 1.0)
        self.force_level = per_world(p.force_level, n)
        self.force_target = per_world(p.force_level, n)
        self.response_due = np.full(n, -1, dtype=np.int64)
        self.response_target = np.full(n, -1, dtype=np.int64)
        self.response_severity = np.zeros(n)
        self.iran_struck = np.zeros(n, dtype=bool)
        self.withdrawing = np.zeros(n, dtype=bool)
        self.last_kinetic_day = np.full(n, NEVER_ANSWERED, dtype=np.int64)
        self.attack_memory = np.zeros(n)
        self.attack_memory_decay = decay_factor(p.habituation_half_life)
        self.attack_memory_to_monthly = monthly_rate_factor(self.attack_memory_decay)
        self.campaign_memory = np.zeros(n)
        self.campaign_memory_decay = decay_factor(p.campaign_memory_half_life)
        # Force posture in numbers (issue 11): with troops in Syria or Jordan set, each group is its own target set.
        self.grouped = bool(np.any(p.troops_syria) or np.any(p.troops_jordan))
        self.troops = {"syria": per_world(p.troops_syria, n), "jordan": per_world(p.troops_jordan, n)}
        self.troops_target = {group: troops.copy() for group, troops in self.troops.items()}
        self.initial_troops = {group: troops.copy() for group, troops in self.troops.items()}

    def presence(self) -> np.ndarray:
        """Exposure of US forces relative to day 0 (fewer troops, fewer targets), down to ``presence_floor``.

        With troop groups (``troops_syria``, ``troops_jordan``), the mean over the targets of their group's
        presence, weighted by ``target_mix``: a drawdown in one group removes only its share of the targets.
        """
        iraq = np.maximum(np.sqrt(self.force_level / self.initial_force), self.params.presence_floor)
        if not self.grouped:
            return iraq
        mix = self.model.params.militia_dynamics.target_mix
        weights = [getattr(mix, name) for name in TARGET_NAMES]
        total = sum(weights)
        by_target = self.target_presence()
        mean = sum(w * by_target[:, i] for i, w in enumerate(weights)) / np.where(np.asarray(total) > 0, total, 1.0)
        return np.maximum(mean, self.params.presence_floor)

    def group_presence(self, group: str) -> np.ndarray:
        """Presence of one troop group relative to day 0: sqrt(troops / troops on day 0); 0 without any troops."""
        if group == "iraq":
            return np.maximum(np.sqrt(self.force_level / self.initial_force), self.params.presence_floor)
        initial = self.initial_troops[group]
        return np.where(initial > 0, np.sqrt(self.troops[group] / np.maximum(initial, 1.0)), 0.0)

    def target_presence(self) -> np.ndarray | None:
        """Presence per militia target (worlds, targets) in the order of ``sim.attacks.TARGET_NAMES``, or None.

        None without troop groups: every target then exposes Iraq's troops (:meth:`presence`). With groups,
        bases in Syria and Jordan expose their own troops (issue 11: ~2,500 US troops in Iraq, ~900 in Syria and
        a few hundred in Jordan in 2023-24 [PressReports]).
        """
        if not self.grouped:
            return None
        n = self.model.n_worlds
        groups = [TARGET_GROUP[name] for name in TARGET_NAMES]
        columns = [np.ones(n) if group is None else self.group_presence(group) for group in groups]
        return np.stack(columns, axis=1)

    def habituation_factor(self, worlds: np.ndarray) -> np.ndarray:
        """Weight of an attack without casualties given recent attacks: 1 / (1 + monthly rate / habituation).

        The record shows the US answering almost none of the attacks that hurt nobody, however frequent
        [DoDBriefings2024] [PressReports]: repeated harmless attacks lose their news value.
        """
        monthly = self.attack_memory[worlds] * pick(self.attack_memory_to_monthly, worlds)
        return 1.0 / (1.0 + monthly / pick(self.params.habituation, worlds))

    def expected_retaliation(self) -> np.ndarray:
        """What militias expect the US to do next: its current pressure relative to its strike threshold."""
        return np.minimum(self.pressure / np.maximum(self.params.strike_threshold, MIN_STRIKE_THRESHOLD),
                          MAX_EXPECTED_RETALIATION)

    def perceive(self, worlds, pressure, attributed, severity, by_iran: bool = False) -> None:
        """Take in an attack as perceived: pressure jumps, a response decision is scheduled after a lag.

        Mechanism: audience costs [Fearon1994]: American dead raise the pressure to answer far more than
        attacks without casualties; perception is noisy (misattribution, misperceived casualties).
        """
        self.pressure[worlds] += pressure
        self._pend(worlds, attributed, severity, by_iran)

    def perceive_rows(self, worlds, pressure, attributed, severity) -> None:
        """:meth:`perceive` for rows whose worlds may repeat, as if each world took its rows one after another.

        Each world's pressure takes its rows' additions in row order; of its rows, the last of the most severe
        is the one a row-by-row pass would leave pending (the later rows are less severe, and it is at least
        as severe as the earlier ones), so it alone is pended.
        """
        if worlds.size < 2 or (worlds[1:] > worlds[:-1]).all():  # distinct worlds (increasing)
            self.perceive(worlds, pressure, attributed, severity)
            return
        np.add.at(self.pressure, worlds, pressure)
        severity = np.broadcast_to(severity, worlds.shape)
        order = np.lexsort((severity, worlds))  # by world, then severity, then row (lexsort is stable)
        ordered = worlds[order]
        last = np.empty(worlds.size, dtype=bool)
        np.not_equal(ordered[1:], ordered[:-1], out=last[:-1])
        last[-1] = True
        chosen = order[last]
        self._pend(worlds[chosen], np.broadcast_to(attributed, worlds.shape)[chosen], severity[chosen])

    def _pend(self, worlds, attributed, severity, by_iran: bool = False) -> None:
        """Keep the most severe perceived action pending in each of the (distinct) worlds; schedule new decisions."""
        m = self.model
        worse = severity >= self.response_severity[worlds]
        self.response_target[worlds] = np.where(worse, attributed, self.response_target[worlds])
        self.response_severity[worlds] = np.maximum(severity, self.response_severity[worlds])
        if by_iran:
            self.iran_struck[worlds] = True
        waiting = self.response_due[worlds] < 0
        if waiting.any():
            new = worlds[waiting]
            lag = 1 + self.poisson("lag", pick(self.params.response_lag_mean, new) - 1.0, new)
            self.response_due[new] = m.day + lag

    def step(self) -> None:
        """Decay pressure, move troops toward their target, and make any response that is due."""
        m = self.model
        self.pressure *= self.pressure_decay
        self.attack_memory *= self.attack_memory_decay
        self.campaign_memory *= self.campaign_memory_decay
        for group, troops in self.troops.items():
            target = self.troops_target[group]
            if (troops != target).any():
                step = self.params.drawdown_rate
                self.troops[group] = np.where(troops > target, np.maximum(troops - step, target),
                                              np.minimum(troops + step, target))
        moving = self.force_level != self.force_target
        if moving.any():
            step = self.params.drawdown_rate
            self.force_level = np.where(
                self.force_level > self.force_target,
                np.maximum(self.force_level - step, self.force_target),
                np.minimum(self.force_level + step, self.force_target),
            )
        due = np.flatnonzero(m.active & (self.response_due == m.day))
        if due.size:
            self.respond(due)

    def respond(self, worlds: np.ndarray) -> None:
        """Choose nothing, a warning, strikes on militia sites, a leader killing or a strike on Iran.

        Mechanism: proportionate, lagged tit-for-tat with noise [Axelrod1984] on a ladder of thresholds on
        pressure [Kahn1965]; strikes inside Iraq cost sovereignty (the Jan 2020 expulsion vote
        [PressReports]), so their thresholds rise with Iraqi sovereignty pressure; a common enemy raises
        every threshold (the US bore with the militias while both fought ISIS [StrangeBedfellows2015]);
        striking Iran is held back by war aversion (the US struck no Iranian soil in 2019-2024
        [PressReports]). The pressure weighs by the perceived rung of the worst pending attack
        (``severity_exponent``), and for ``refractory_days`` after a kinetic answer only American dead or a
        pressure ``refractory_bar`` above the usual threshold bring another: one strike round per wave of
        attacks, not one per attack [PressReports]. A kinetic answer relieves pressure.

        Issue 11, neutral by default: under a sustained campaign the leader-killing bar falls by
        ``leader_bar_per_campaign_attack`` per remembered attack, down to the warning bar (Abu Taqwa killed on
        Jan 4, 2024 with no American dead [PressReports]); with ``strike_first_after_casualties`` American
        casualties are answered by a strike round sized by the pressure (up to ``max_sites``: 85+ targets on
        Feb 2, 2024 [CENTCOM2024]) and a leader killing waits for a later decision (Feb 7, 2024 [PressReports]).
        """
        m = self.model
        p = self.params
        ctx = m.params.context
        draws = self.uniforms(("decision", "location", "target"), worlds)
        u = np.clip(draws["decision"], LOGIT_EPSILON, 1 - LOGIT_EPSILON)
        severity = self.response_severity[worlds]
        # no pending attack (severity 0: pressure from elsewhere) leaves the pressure as it is
        relative = np.where(severity > 0, np.minimum(severity / FULL_WEIGHT_SEVERITY, 1.0), 1.0)
        weight = np.power(relative, pick(p.severity_exponent, worlds))
        score = self.pressure[worlds] * weight + pick(p.decision_noise, worlds) * np.log(u / (1.0 - u))
        killed_americans = severity > FULL_WEIGHT_SEVERITY
        refractory = (m.day - self.last_kinetic_day[worlds] < pick(p.refractory_days, worlds)) & ~killed_americans
        restraint = np.where(refractory, pick(p.refractory_bar, worlds), 0.0)
        forbearance = pick(ctx.common_enemy_forbearance, worlds) * pick(ctx.common_enemy, worlds)
        shift = per_world(forbearance - pick(p.hawkishness, worlds), worlds.size)
        in_syria = draws["location"] < pick(p.syria_strike_share, worlds)
        sovereignty = np.where(in_syria, 0.0, pick(p.sovereignty_cost, worlds) * m.iraqi_government.sovereignty[worlds])
        blames_iran = self.iran_struck[worlds] | (m.iran.posture[worlds] == Posture.ESCALATION)
        iran_bar = pick(p.iran_strike_threshold, worlds) + pick(p.war_aversion, worlds) + shift
        iran_bar = iran_bar + m.exchange_round_cost(worlds, side=0)  # exchanges (issue 10): rounds fought, ceasefire
        leader_threshold = pick(p.leader_killing_threshold, worlds)
        if np.any(p.leader_bar_per_campaign_attack):
            lowered = leader_threshold - pick(p.leader_bar_per_campaign_attack, worlds) * self.campaign_memory[worlds]
            leader_threshold = np.minimum(leader_threshold, np.maximum(lowered, pick(p.warning_threshold, worlds)))
        leader_bar = leader_threshold + shift + sovereignty + restraint
        strike_bar = pick(p.strike_threshold, worlds) + shift + sovereignty + restraint
        strike_iran = blames_iran & (score + m.hostility_us_iran[worlds] > iran_bar)
        leader = ~strike_iran & (score > leader_bar)
        if np.any(p.strike_first_after_casualties):
            casualties = severity >= FULL_WEIGHT_SEVERITY
            leader = leader & ~(casualties & (pick(p.strike_first_after_casualties, worlds) > 0.5))
        strike = ~strike_iran & ~leader & (score > strike_bar)
        warning = ~strike_iran & ~leader & ~strike & (score > pick(p.warning_threshold, worlds) + shift)
        target = self.response_target[worlds]
        target = np.where(target < 0, (draws["target"] * len(m.militias)).astype(int), target)
        kinetic = strike_iran | leader | strike
        self.last_kinetic_day[worlds[kinetic]] = m.day
        if strike_iran.any():
            self.strike_iran(worlds[strike_iran])
        if leader.any():
            on_quds = self.uniform("leader_target", worlds[leader]) < pick(p.quds_commander_share, worlds[leader])
            m.kill_leader(worlds[leader], np.where(on_quds, QUDS_COMMANDER, target[leader]))
        if strike.any():
            chosen = worlds[strike]
            excess = (score[strike] - strike_bar[strike]).clip(0)
            extra_sites = (excess / pick(p.pressure_per_extra_site, chosen)).astype(int)
            sites = np.minimum(1 + extra_sites, pick(p.max_sites, chosen))
            killed = self.poisson("strike_killed", pick(p.militia_killed_per_site, chosen) * sites, chosen)
            m.strike_militia(chosen, target[strike], sites, killed, in_syria[strike])
        if warning.any():
            m.record(worlds[warning], self, Action.WARNING, m.faction_codes[target[warning]], Rung.RHETORIC,
                     side="us_militia")
        self.pressure[worlds] = np.where(kinetic, self.pressure[worlds] * (1 - pick(p.pressure_discharge, worlds)),
                                         self.pressure[worlds])
        self.clear_pending(worlds)

    def clear_pending(self, worlds: np.ndarray) -> None:
        """Forget the pending response decision (it was made)."""
        self.response_due[worlds] = -1
        self.response_target[worlds] = -1
        self.response_severity[worlds] = 0.0
        self.iran_struck[worlds] = False

    def answered(self, worlds: np.ndarray) -> None:
        """A kinetic answer that happened outside the decision rule (a scripted strike): relieve pressure."""
        self.pressure[worlds] *= 1 - pick(self.params.pressure_discharge, worlds)
        self.clear_pending(worlds)

    def strike_iran(self, worlds: np.ndarray, size: int | None = None) -> None:
        """A direct strike on Iranian forces or soil (rung 6, across the Iranian firebreak [Schelling1966]).

        It is a round of the direct exchange and humiliates Iran, which then chooses its answer by its own
        rule after its deliberation delay (:meth:`Iran.answer_utilities`). ``size``: targets struck (a
        scripted strike; each kills like one strike of the model's own).
        """
        m = self.model
        iran = m.iran.params
        mean = pick(self.params.iran_strike_killed_mean, worlds) * (1 if size is None else size)
        killed = self.poisson("iran_strike_killed", mean, worlds)
        m.record(worlds, self, Action.DIRECT_STRIKE, "iran", Rung.STATE_ON_STATE_STRIKE, weapon="airstrike",
                 killed=killed, intended=Rung.STATE_ON_STATE_STRIKE, perceived=Rung.STATE_ON_STATE_STRIKE,
                 side="us_iran", location="iran")
        m.outcome_counts["us_strikes_on_iran"][worlds] += 1
        m.iran.humiliate(worlds, pick(iran.humiliation_per_strike_on_iran, worlds), source="us_strike_on_iran")
        m.exchange_strike(worlds, side=0)

    def consider_withdrawal(self, worlds: np.ndarray) -> None:
        """Iraq demands withdrawal: the US complies with the compliance probability and draws down."""
        m = self.model
        complies = worlds[self.uniform("withdraw", worlds) < pick(self.params.withdrawal_compliance, worlds)]
        if complies.size:
            self.force_target[complies] = pick(self.params.withdrawal_floor, complies)
            self.withdrawing[complies] = True
            m.record(complies, self, Action.DRAWDOWN, "iraq", Rung.RHETORIC, side="none")
