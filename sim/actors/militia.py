"""A militia faction: grievance, fear and the leash decide how often it attacks, threatens or harasses.

The attacks themselves (target, weapon, casualties, claim and attribution) are resolved for all factions
together in :mod:`sim.attacks`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.actors.base import Actor, decay_factor
from sim.ladder import Action, Capability, Posture, Rung
from sim.params import per_world, pick

if TYPE_CHECKING:
    from sim.model import EscalationModel

# The US answers the most severe action it perceived since its last decision (severity = rung, plus the
# Americans killed). A siege ranks above other harassment and below any attack: fixed, because it only
# orders the candidates, it does not weigh them.
SIEGE_SEVERITY = int(Rung.HARASSMENT) + 0.5

# The day's draw in a world that has left the simulation (open war): above every band, so nothing happens.
OUTSIDE_EVERY_BAND = 2.0
# A faction answers a calm order only with about one attack of its own in recent memory (its attack memory,
# half-life `outbidding_half_life`): one that is not attacking has nothing to suspend or refuse.
ANSWER_MEMORY = 0.5


class Militia(Actor):
    """One Iraqi militia faction in every world.

    State per world: grievance against the US, self-excitation, rivals' attack memory, capability level
    and progress, members lost to US strikes, deterrence by US strikes (sites' worth), and its answer to
    Tehran's last calm order (a suspension of its operations or a refusal, until a day).

    Args:
        model: the model.
        key: the faction's key in the scenario (e.g. ``"kataib_hezbollah"``).
        index: the faction's position in the scenario's factions.
    """

    def __init__(self, model: "EscalationModel", key: str, index: int):
        super().__init__(model, key)
        self.index = index
        self.params = model.params.militias[key]
        self.dynamics = model.params.militia_dynamics
        self.name = self.params.name
        self.front_name = self.params.front_name or f"front of {self.name}"
        n = model.n_worlds
        self.grievance = per_world(self.params.initial_grievance, n)
        self.excitation = np.zeros(n)
        self.members_lost = np.zeros(n)
        level = float(Capability[self.params.capability.upper()])
        self.capability = np.full(n, level)
        self.capability_progress = np.full(n, level)
        self.truce_until = -1
        self.own_attack_memory = np.zeros(n)
        self.grievance_decay = decay_factor(self.dynamics.grievance_half_life)
        self.excitation_decay = decay_factor(self.dynamics.self_excitation_half_life)
        self.front_code = model.name_code(self.front_name)
        self.deterrence = np.zeros(n)
        self.deterrence_decay = decay_factor(self.dynamics.deterrence_half_life)
        self.suspended_until = np.full(n, -1, dtype=np.int64)
        self.refusing_until = np.full(n, -1, dtype=np.int64)
        self.answered_order = np.full(n, -1, dtype=np.int64)  # issue day of the last calm order it answered

    # -- decision rules ------------------------------------------------------------------------------

    def attack_rate(self) -> np.ndarray:
        """Daily attack rate: grievance and opportunity against fear and restraint.

        Mechanism: the civil-violence threshold rule [Epstein2002] as a rate: grievance (revenge for killed
        leaders, US strikes, external shocks) raises the log rate; fear of US retaliation and the faction's
        political stake in Baghdad (pressed harder near elections) lower it; outbidding of rival factions
        raises it [KyddWalter2006]. Tehran's directive reaches the faction through the Quds Force leash with
        slack (principal-agent: [BymanKreps2010] [Salehyan2010]): the leash blends the faction's own
        intensity (hardliners want more than Tehran's calibrated pressure) with Tehran's directive, and a
        loosely leashed, defiant faction answers a calm order with more attacks [MilitiasRogue2021].
        Attacks are self-exciting (Hawkes process [Mohler2011]). Reproduces the record's ~5 attacks a month
        of Oct 2019 - Jan 2020 in the baseline [PressReports].

        Issue 11, each neutral by default: deterrence above its threshold lowers the log rate (the lull after
        Feb 2-7, 2024 [DoDBriefings2024]); a US agreement to end its mission lowers it (Dec 2021
        [PressReports]); an outside war the faction took up multiplies the rate and a truce in that war holds
        the whole rate down (Gaza, Oct 2023 - Jan 2024 [DoDBriefings2024]); a faction that refused Tehran's
        calm order ignores the leash while it stands, one that suspended its operations holds its whole rate
        down (KH, Jan 30, 2024 [PressReports]).
        """
        m = self.model
        p, d, ctx = self.params, self.dynamics, m.params.context
        rivals_monthly = (m.attack_memory - self.own_attack_memory) * m.attack_memory_to_monthly
        log_rate = (
            d.grievance_weight * np.log1p(self.grievance + ctx.external_grievance)
            + p.rivalry * np.log1p(rivals_monthly / max(len(m.militias) - 1, 1))
            - p.fear * m.expected_retaliation_today
            - p.political_stake * m.iraqi_government.militia_pressure_today
            - ctx.common_enemy_restraint * ctx.common_enemy
        )
        if np.any(d.deterrence_weight):
            log_rate = log_rate - d.deterrence_weight * np.maximum(self.deterrence - d.deterrence_threshold, 0.0)
        if m.mission_ended:
            log_rate = log_rate - ctx.mission_end_restraint * m.mission_ended
        compliance = m.quds_force.leash * p.obedience
        refusing = self.refusing_until >= m.day
        if refusing.any():
            compliance = np.where(refusing, 0.0, compliance)
        directive = (1.0 - compliance) * p.own_intensity + compliance * m.iran.directive
        if np.any(p.defiance):
            restrained = m.iran.posture == Posture.RESTRAINT
            directive = directive * (1.0 + p.defiance * (1.0 - compliance) * restrained)
        truce = d.truce_factor if self.truce_until >= m.day else 1.0
        rate = (p.base_attack_rate * truce) * np.exp(log_rate) * directive * m.presence_today
        war = m.outside_war
        if war.on:
            rate = rate * war.rate_factor(self.index)
        rate = rate + self.excitation
        if war.on:
            rate = rate * war.pause_factor(self.index)
        suspended = self.suspended_until >= m.day
        if suspended.any():
            rate = rate * np.where(suspended, d.suspension_factor, 1.0)
        return rate

    def answer_order(self) -> None:
        """Answer Tehran's calm order once, the day after it is issued: suspend, comply in part, or refuse.

        An ordered logit with one keyed draw (site ``order_answer``): z = ``compliance_bias`` +
        ``compliance_weight`` x (leash x obedience - defiance) - ``compliance_revenge_weight`` x log(1 +
        grievance) + ``compliance_loss_weight`` x log(1 + members lost), plus logistic noise. Above
        ``compliance_band`` the faction suspends its operations for ``suspension_days`` (action
        ``suspension``; ``resumption`` the day after it ends); below minus the band it refuses (action
        ``refusal``) and acts on its own intensity while the order stands; between, the leash alone carries
        the order. A faction with no attack in recent memory (``ANSWER_MEMORY``) does not answer.
        Mechanism: principal-agent slack [BymanKreps2010] [Salehyan2010]: an agent's obedience, its
        defiance and its own stakes decide how much of an order it follows; on Jan 30, 2024 Kataib
        Hezbollah suspended its operations the day after the Quds Force commander asked the factions to lie
        low, Harakat al-Nujaba, its commander killed on Jan 4, refused [PressReports]. Off while
        ``suspension_days`` is 0.
        """
        m = self.model
        d = self.dynamics
        if not np.any(d.suspension_days):
            return
        resumed = np.flatnonzero(m.active & (self.suspended_until >= 0) & (self.suspended_until == m.day - 1))
        if resumed.size:
            m.record(resumed, self, Action.RESUMPTION, "united_states", Rung.RHETORIC, side="none")
        iran = m.iran
        pending = (m.active & (iran.order_posture == Posture.RESTRAINT) & (iran.order_until >= m.day)
                   & (iran.order_day < m.day) & (self.answered_order < iran.order_day))
        worlds = np.flatnonzero(pending)
        if not worlds.size:
            return
        self.answered_order[worlds] = iran.order_day[worlds]
        worlds = worlds[self.own_attack_memory[worlds] >= ANSWER_MEMORY]
        if not worlds.size:
            return
        p = self.params
        compliance = m.quds_force.leash[worlds] * pick(p.obedience, worlds)
        z = (pick(d.compliance_bias, worlds)
             + pick(d.compliance_weight, worlds) * (compliance - pick(p.defiance, worlds))
             - pick(d.compliance_revenge_weight, worlds) * np.log1p(self.grievance[worlds])
             + pick(d.compliance_loss_weight, worlds) * np.log1p(self.members_lost[worlds]))
        u = np.clip(self.uniform("order_answer", worlds), 1e-12, 1 - 1e-12)
        latent = z + np.log(u / (1.0 - u))
        band = pick(d.compliance_band, worlds)
        days = np.asarray(pick(d.suspension_days, worlds)).astype(np.int64)
        suspend = (latent > band) & (days > 0)
        refuse = latent < -band
        if suspend.any():
            chosen = worlds[suspend]
            self.suspended_until[chosen] = m.day + np.broadcast_to(days, worlds.shape)[suspend] - 1
            m.record(chosen, self, Action.SUSPENSION, "united_states", Rung.RHETORIC, side="none")
        if refuse.any():
            chosen = worlds[refuse]
            self.refusing_until[chosen] = iran.order_until[chosen]
            m.record(chosen, self, Action.REFUSAL, "iran", Rung.RHETORIC, side="none")

    def decide(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One day: decay memories, then choose at most one of attack, threat or harassment per world.

        One keyed draw decides the day: it falls in the attack band with the attack probability
        ``1 - exp(-rate)``, in the threat band with the threat probability (public threats, rung 0, more
        frequent with grievance: signalling [Schelling1966]), in the harassment band with its probability
        (sieges and protests at the embassy, rung 1, more after the faction lost members: the Dec 31, 2019
        storming followed US strikes that killed ~25 KH members [PressReports]).

        Returns:
            Indices of the worlds where the faction attacks, threatens and harasses today.
        """
        m = self.model
        d = self.dynamics
        self.grievance *= self.grievance_decay
        self.members_lost *= self.grievance_decay
        self.excitation *= self.excitation_decay
        self.own_attack_memory *= m.attack_memory_decay
        self.deterrence *= self.deterrence_decay
        self.answer_order()
        u = np.where(m.active, self.uniform("day"), OUTSIDE_EVERY_BAND)
        attack_band = -np.expm1(-self.attack_rate())
        attacking = np.flatnonzero(u < attack_band)
        u -= attack_band
        threat_band = d.threat_rate * np.power(1.0 + self.grievance, d.grievance_weight)
        threatening = np.flatnonzero((u >= 0) & (u < threat_band))
        u -= threat_band
        harass_band = d.harassment_rate + d.harassment_per_member_killed * self.members_lost
        harassing = np.flatnonzero((u >= 0) & (u < harass_band))
        return attacking, threatening, harassing

    def harass(self, worlds: np.ndarray) -> None:
        """Harassment (rung 1) at the embassy; sieges put heavy pressure on the US."""
        m = self.model
        m.record(worlds, self, Action.SIEGE, "embassy", Rung.HARASSMENT, side="militia")
        m.united_states.perceive(worlds, pick(m.united_states.params.pressure_per_siege, worlds), self.index,
                                 severity=SIEGE_SEVERITY)

    def remember_attacks(self, worlds: np.ndarray) -> None:
        """Its own attacks (a world at most once): self-excitation [Mohler2011] and its own attack memory."""
        impulse = pick(self.dynamics.self_excitation, worlds) * (1.0 - pick(self.excitation_decay, worlds))
        self.excitation[worlds] += impulse
        self.own_attack_memory[worlds] += 1.0

    def suffer_strike(self, worlds: np.ndarray, killed: np.ndarray, leader: bool = False, sites=None) -> None:
        """Grievance after a US strike on the faction: revenge, and an urge to answer within days; deterrence.

        The record shows militia counter-attacks within 1-3 days of US strikes [PressReports] (the
        calibration targets in scenarios/targets); here a strike adds grievance to the faction, a share of
        it to the others (solidarity), and a self-exciting impulse of ``strike_excitation`` attacks' worth.
        It also adds deterrence: one per site struck (``sites``, default 1), ``deterrence_per_leader`` for a
        leader killing, ``deterrence_spillover`` of it to the other factions; it lowers the rate only above
        ``deterrence_threshold`` and with ``deterrence_weight`` (issue 11: the lull after the largest strike
        round and a leader killing, Feb 2-7, 2024 [CENTCOM2024] [DoDBriefings2024]).
        """
        m = self.model
        d = self.dynamics
        added = pick(d.grievance_per_strike, worlds) + pick(d.grievance_per_member_killed, worlds) * killed
        if leader:
            added = added + pick(self.params.revenge, worlds)
        for militia in m.militias:
            share = 1.0 if militia is self else pick(d.solidarity, worlds)
            militia.grievance[worlds] += share * added
        deterrence = pick(d.deterrence_per_leader, worlds) if leader else (1.0 if sites is None else sites)
        for militia in m.militias:
            share = 1.0 if militia is self else pick(d.deterrence_spillover, worlds)
            militia.deterrence[worlds] += share * deterrence
        self.members_lost[worlds] += killed
        self.excitation[worlds] += (pick(d.self_excitation, worlds) * (1.0 - pick(self.excitation_decay, worlds))
                                    * pick(d.strike_excitation, worlds))
