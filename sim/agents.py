"""The actors: Mesa agents whose state is a numpy array over a batch of independent worlds.

Each agent's ``step`` phase implements one decision rule; its docstring names the mechanism and where it
comes from (see the README's "Actors and mechanisms" for the full citations). Every random draw goes
through :meth:`EscalationModel.uniform` and friends, keyed by (world seed, day, actor, draw site).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.ladder import MILITIA_TARGETS, MILITIA_WEAPONS, Action, Capability, Posture, Rung, Target
from sim.params import per_world, pick

if TYPE_CHECKING:
    from sim.model import EscalationModel

WEAPON_NAMES = tuple(weapon.value for weapon in MILITIA_WEAPONS)
TARGET_NAMES = tuple(target.value for target in MILITIA_TARGETS)
CONVOY = TARGET_NAMES.index(Target.CONVOY.value)


def stack_choices(values: list, worlds: np.ndarray) -> np.ndarray:
    """Per-option values as (options,) when shared by all worlds, else (len(worlds), options)."""
    picked = [pick(value, worlds) for value in values]
    if all(np.ndim(value) == 0 for value in picked):
        return np.asarray(picked, dtype=float)
    return np.stack(np.broadcast_arrays(*picked), axis=-1)


def select(table: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Entry ``index[i]`` of row i of a (k, options) table, or of a shared (options,) table."""
    return table[index] if table.ndim == 1 else table[np.arange(index.size), index]


def decay_factor(half_life: np.ndarray) -> np.ndarray:
    """Daily multiplier of a quantity with the given half-life in days."""
    return np.power(0.5, 1.0 / half_life)


class Actor(mesa.Agent):
    """Base class: an actor with a key (its name in records) and a code for its random draws."""

    key: str = ""

    def __init__(self, model: "EscalationModel", key: str):
        super().__init__(model)
        self.key = key
        self.code = model.register_actor(key)

    def uniform(self, site: str, worlds: np.ndarray | None = None) -> np.ndarray:
        """Keyed uniform draws for this actor today (all worlds, or the given world indices)."""
        return self.model.uniform(self.code, site, worlds)

    def poisson(self, site: str, mean, worlds: np.ndarray | None = None) -> np.ndarray:
        """Keyed Poisson draws for this actor today."""
        return self.model.poisson(self.code, site, mean, worlds)


class Militia(Actor):
    """One Iraqi militia faction in every world.

    State per world: grievance against the US, self-excitation, rivals' attack memory, capability level
    and progress, and members lost to US strikes.
    """

    def __init__(self, model: "EscalationModel", key: str, index: int):
        super().__init__(model, key)
        self.index = index
        p = model.section(f"militias.{key}")
        self.traits = p
        self.name = model.scenario.militias[key].name
        self.front_name = model.scenario.militias[key].front_name or f"front of {self.name}"
        n = model.n_worlds
        self.grievance = per_world(p["initial_grievance"], n)
        self.excitation = np.zeros(n)
        self.members_lost = np.zeros(n)
        level = float(Capability[model.scenario.militias[key].capability.upper()])
        self.capability = np.full(n, level)
        self.capability_progress = np.full(n, level)
        self.truce_until = -1
        self.own_attack_memory = np.zeros(n)
        d = model.section("militia_dynamics")
        self.grievance_decay = decay_factor(d["grievance_half_life"])
        self.excitation_decay = decay_factor(d["self_excitation_half_life"])
        self.front_code = model.name_code(self.front_name)

    # -- decision rules ------------------------------------------------------------------------------

    def attack_rate(self) -> np.ndarray:
        """Daily attack rate: grievance and opportunity against fear and restraint.

        Mechanism: Epstein's civil-violence threshold rule (PNAS 2002) as a rate: grievance (revenge for
        killed leaders, US strikes, external shocks) raises the log rate; fear of US retaliation and the
        faction's political stake in Baghdad (pressed harder near elections) lower it; outbidding of
        rival factions raises it (Kydd & Walter 2006). Tehran's directive reaches the faction through
        the Quds Force leash with slack (principal-agent: Byman & Kreps 2010; Salehyan 2010): the leash
        blends the faction's own intensity (hardliners want more than Tehran's calibrated pressure) with
        Tehran's directive, and a loosely leashed, defiant faction answers a calm order with more attacks
        (seed 003). Attacks are self-exciting (Hawkes process, Mohler et al. 2011).
        """
        m = self.model
        p, d = self.traits, m.dyn
        rivals_monthly = (m.attack_memory - self.own_attack_memory) * m.attack_memory_to_monthly
        log_rate = (
            d["grievance_weight"] * np.log1p(self.grievance + m.ctx["external_grievance"])
            + p["rivalry"] * np.log1p(rivals_monthly / max(len(m.militias) - 1, 1))
            - p["fear"] * m.expected_retaliation_today
            - p["political_stake"] * m.iraqi_government.militia_pressure_today
            - m.ctx["common_enemy_restraint"] * m.ctx["common_enemy"]
        )
        compliance = m.quds_force.leash * p["obedience"]
        directive = (1.0 - compliance) * p["own_intensity"] + compliance * m.iran.directive
        if np.any(p["defiance"]):
            restrained = m.iran.posture == Posture.RESTRAINT
            directive = directive * (1.0 + p["defiance"] * (1.0 - compliance) * restrained)
        truce = d["truce_factor"] if self.truce_until >= m.day else 1.0
        rate = (p["base_attack_rate"] * truce) * np.exp(log_rate) * directive * m.presence_today
        return rate + self.excitation

    def decide(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One day: decay memories, then choose at most one of attack, threat or harassment per world.

        One keyed draw decides the day: it falls in the attack band with the attack probability
        ``1 - exp(-rate)``, in the threat band with the threat probability (public threats, rung 0, more
        frequent with grievance: signalling, Schelling 1966), in the harassment band with its probability
        (sieges and protests at the embassy, rung 1, more after the faction lost members: the Dec 2019
        storming followed US strikes that killed ~25 KH members).

        Returns:
            Indices of the worlds where the faction attacks, threatens and harasses today.
        """
        m = self.model
        self.grievance *= self.grievance_decay
        self.members_lost *= self.grievance_decay
        self.excitation *= self.excitation_decay
        self.own_attack_memory *= m.attack_memory_decay
        u = np.where(m.active, self.uniform("day"), 2.0)
        attack_band = -np.expm1(-self.attack_rate())
        attacking = np.flatnonzero(u < attack_band)
        u -= attack_band
        threat_band = m.dyn["threat_rate"] * np.power(1.0 + self.grievance, m.dyn["grievance_weight"])
        threatening = np.flatnonzero((u >= 0) & (u < threat_band))
        u -= threat_band
        harass_band = m.dyn["harassment_rate"] + m.dyn["harassment_per_member_killed"] * self.members_lost
        harassing = np.flatnonzero((u >= 0) & (u < harass_band))
        return attacking, threatening, harassing

    def harass(self, worlds: np.ndarray) -> None:
        """Harassment (rung 1) at the embassy; sieges put heavy pressure on the US."""
        m = self.model
        m.record(worlds, self, Action.SIEGE, "embassy", Rung.HARASSMENT, side="militia")
        m.united_states.perceive(worlds, pick(m.us["pressure_per_siege"], worlds), self.index, severity=1.5)

    # -- attacks of all factions, resolved together -----------------------------------------------------
    # Each row is one attack: a world index and a faction index. Rows of one faction have distinct worlds;
    # a world may attack from several factions on the same day. Draws are keyed per row by (world seed,
    # day, faction, draw site), exactly as if each faction drew for itself.

    @staticmethod
    def choose_target(model: "EscalationModel", worlds, faction) -> np.ndarray:
        """Target: bases in Iraq or Syria, the embassy or convoys, by the scenario's weights."""
        weights = stack_choices([model.dyn[f"target_mix.{t}"] for t in TARGET_NAMES], worlds)
        cumulative = np.cumsum(weights, axis=-1)
        u = model.row_uniform(worlds, faction, "target") * cumulative[..., -1]
        return (u[:, None] >= cumulative).sum(axis=1).clip(0, len(TARGET_NAMES) - 1)

    @staticmethod
    def choose_weapon(model: "EscalationModel", worlds, faction, target) -> np.ndarray:
        """Weapon: roadside bombs on convoys; else rockets, drones or missiles as capability allows.

        Capability ratchets up inside rungs 2-3 (stylised fact 7: rockets, then explosive drones in 2021).
        """
        d = model.dyn
        capability = model.faction_rows(worlds, faction, "capability")
        u = model.row_uniform(worlds, faction, "weapon")
        missile_share = pick(d["missile_share"], worlds)
        missile = (capability >= Capability.MISSILES) & (u < missile_share)
        drone_cut = missile_share * (capability >= Capability.MISSILES) + pick(d["drone_share"], worlds)
        drone = ~missile & (capability >= Capability.DRONES) & (u < drone_cut)
        weapon = np.where(missile, 3, np.where(drone, 2, 1))
        return np.where(target == CONVOY, 0, weapon)

    @staticmethod
    def draw_casualties(model: "EscalationModel", worlds, faction, weapon, target, intends_casualties):
        """Outcome of attacks: intercepted, no casualties, wounded or killed (US personnel).

        Mechanism: Schelling's "threat that leaves something to chance" (1960): lethality is stochastic,
        so a signal can cross the American-dead firebreak by accident; intent to cause casualties
        multiplies it.
        """
        d = model.dyn
        intercept, kill, wound = (
            select(stack_choices([d[f"lethality.{name}.{outcome}"] for name in WEAPON_NAMES], worlds), weapon)
            for outcome in ("intercept", "kill", "wound")
        )
        exposure = select(stack_choices([d[f"target_exposure.{t}"] for t in TARGET_NAMES], worlds), target)
        scale = exposure * np.where(intends_casualties, pick(d["lethal_intent_multiplier"], worlds), 1.0)
        scale *= model.presence_today[worlds]
        hit = model.row_uniform(worlds, faction, "intercept") >= intercept
        u = model.row_uniform(worlds, faction, "lethality")
        p_kill = np.minimum(kill * scale, 1.0)
        p_wound = np.minimum(wound * scale, 1.0 - p_kill)
        killed_any = hit & (u < p_kill)
        wounded_any = hit & ~killed_any & (u < p_kill + p_wound)
        killed = np.where(killed_any, 1 + model.row_poisson(worlds, faction, "killed", pick(d["killed_extra_mean"], worlds)), 0)
        extra_wounded = model.row_poisson(worlds, faction, "wounded", pick(d["wounded_extra_mean"], worlds))
        wounded = np.where(killed_any | wounded_any, wounded_any + extra_wounded, 0)
        return killed, wounded

    @staticmethod
    def attribution(model: "EscalationModel", worlds, faction, open_claim) -> np.ndarray:
        """Which faction the US blames: the claimant if open, else right with the attribution accuracy.

        Front-name claims buy deniability (Carson 2018); misattribution sends US strikes at the wrong
        faction, whose grievance then rises.
        """
        n_factions = len(model.militias)
        if n_factions == 1:
            return faction.copy()
        accurate = model.row_uniform(worlds, faction, "attribution") < pick(model.us["attribution_accuracy"], worlds)
        shift = 1 + (model.row_uniform(worlds, faction, "misattribute") * (n_factions - 1)).astype(int)
        return np.where(open_claim | accurate, faction, (faction + shift) % n_factions)

    @staticmethod
    def resolve_attacks(model: "EscalationModel", worlds: np.ndarray, faction: np.ndarray, forced: dict | None = None):
        """Carry out the day's attacks: target, weapon, outcome, claim, attribution, then the US perceives.

        Intent to cause casualties rises with grievance and falls with compliance (Tehran wants signals,
        not dead Americans: seed 001); a claim is open or under the faction's front name; the US perceives
        each attack with noise (misperceived casualties, misattribution) and is habituated to attacks
        that hurt nobody.
        """
        m = model
        d = m.dyn
        rows = worlds.size
        if forced is None:
            grievance = m.faction_rows(worlds, faction, "grievance")
            compliance = m.quds_force.leash[worlds] * m.trait_rows(worlds, faction, "obedience")
            lethal_intent = np.minimum(
                1.0, m.trait_rows(worlds, faction, "lethal_intent") + pick(d["lethal_intent_per_grievance"], worlds) * grievance
            ) * (1.0 - compliance * pick(m.iran.p["casualty_restraint"], worlds))
            intends_casualties = m.row_uniform(worlds, faction, "intent") < lethal_intent
            target = Militia.choose_target(m, worlds, faction)
            weapon = Militia.choose_weapon(m, worlds, faction, target)
            killed, wounded = Militia.draw_casualties(m, worlds, faction, weapon, target, intends_casualties)
        else:
            intends_casualties = np.full(rows, forced["killed"] + forced["wounded"] > 0)
            target = np.full(rows, TARGET_NAMES.index(forced["target"]))
            weapon = np.full(rows, WEAPON_NAMES.index(forced["weapon"]))
            killed = np.full(rows, forced["killed"], dtype=np.int64)
            wounded = np.full(rows, forced["wounded"], dtype=np.int64)
        casualties = (killed + wounded) > 0
        signal_rung = np.where(weapon == 0, Rung.HARASSMENT, Rung.ATTACK_NO_CASUALTIES)
        rung = np.where(casualties, Rung.ATTACK_WITH_CASUALTIES, signal_rung)
        intended = np.where(intends_casualties, Rung.ATTACK_WITH_CASUALTIES, signal_rung)
        misperceived = ~casualties & (m.row_uniform(worlds, faction, "misperceive") < pick(m.us["misperception"], worlds))
        perceived = np.where(misperceived, Rung.ATTACK_WITH_CASUALTIES, rung)
        open_claim = m.row_uniform(worlds, faction, "claim") >= m.trait_rows(worlds, faction, "front_name_share")
        claimed_by = np.where(open_claim, m.faction_codes[faction], m.front_codes[faction])
        attributed = Militia.attribution(m, worlds, faction, open_claim)
        m.record(
            worlds, m.faction_codes[faction], Action.ATTACK, target=m.target_codes[target], rung=rung,
            weapon=m.weapon_codes[weapon], killed=killed, wounded=wounded, claimed_by=claimed_by, intended=intended,
            perceived=perceived, attributed_to=m.faction_codes[attributed], side="militia",
        )
        m.count_attacks(worlds, faction, rung, killed, wounded)
        us = m.us
        pressure = (
            pick(us["pressure_per_attack"], worlds) * m.united_states.habituation_factor(worlds)
            + pick(us["pressure_per_killed"], worlds) * killed
            + pick(us["pressure_per_wounded"], worlds) * np.maximum(wounded, misperceived)
        )
        severity = perceived.astype(float) + killed
        np.add.at(m.attack_memory, worlds, 1.0)
        np.add.at(m.united_states.attack_memory, worlds, 1.0)
        for index in np.unique(faction):
            rows_of = faction == index
            group = worlds[rows_of]
            militia = m.militias[index]
            militia.excitation[group] += pick(d["self_excitation"], group) * (1.0 - pick(militia.excitation_decay, group))
            militia.own_attack_memory[group] += 1.0
            m.united_states.perceive(group, pressure[rows_of], attributed[rows_of], severity=severity[rows_of])


    def suffer_strike(self, worlds: np.ndarray, killed: np.ndarray, leader: bool = False) -> None:
        """Grievance after a US strike on the faction: revenge, and an urge to answer within days.

        The record shows militia counter-attacks within 1-3 days of US strikes (domain brief,
        calibration targets); here a strike adds grievance and a self-exciting impulse.
        """
        m = self.model
        d = m.dyn
        added = pick(d["grievance_per_strike"], worlds) + pick(d["grievance_per_member_killed"], worlds) * killed
        if leader:
            added = added + pick(self.traits["revenge"], worlds)
        for militia in m.militias:
            share = 1.0 if militia is self else pick(d["solidarity"], worlds)
            militia.grievance[worlds] += share * added
        self.members_lost[worlds] += killed
        self.excitation[worlds] += pick(d["self_excitation"], worlds) * (1.0 - pick(self.excitation_decay, worlds)) * 2.0


class QudsForce(Actor):
    """Iran's Quds Force: relays Tehran's directive with a leash of varying strength; supplies capability."""

    def __init__(self, model: "EscalationModel"):
        super().__init__(model, "quds_force")
        p = model.section("quds_force")
        self.p = p
        self.leash = per_world(p["leash_strength"], model.n_worlds)
        self.recovery = 1.0 - decay_factor(p["leash_recovery_half_life"])

    def step(self) -> None:
        """Recover the leash toward its baseline and ratchet militia capability up.

        Mechanism: principal-agent slack (Byman & Kreps 2010; Salehyan 2010): the leash is the share of
        Tehran's directive that reaches the factions. Supply follows Iran's posture.
        """
        m = self.model
        self.leash += (self.p["leash_strength"] - self.leash) * self.recovery
        supply = self.p["capability_supply_rate"] * np.array([0.5, 1.0, 2.0])[m.iran.posture]
        for militia in m.militias:
            militia.capability_progress += supply
            militia.capability = np.maximum(militia.capability, np.minimum(np.floor(militia.capability_progress), 2))

    def lose_commander(self, worlds: np.ndarray) -> None:
        """Its commander is killed: the leash drops (the 2021 calm order was defied, seed 003)."""
        self.leash[worlds] *= 1.0 - pick(self.p["leash_drop_on_commander_killed"], worlds)


class Iran(Actor):
    """Iran: chooses restraint, calibrated pressure or escalation; can strike directly with warning."""

    def __init__(self, model: "EscalationModel"):
        super().__init__(model, "iran")
        p = model.section("iran")
        self.p = p
        n = model.n_worlds
        self.humiliation = np.zeros(n)
        self.humiliation_decay = decay_factor(p["humiliation_half_life"])
        self.talks = per_world(p["talks_active"], n) > 0.5
        self.posture = np.full(n, int(Posture.PRESSURE))
        self.directive = np.ones(n)
        self.order_posture = np.full(n, -1)
        self.order_until = np.full(n, -1, dtype=np.int64)
        self.strike_due = np.full(n, -1, dtype=np.int64)
        self.strike_answered = np.zeros(n, dtype=bool)

    def choose_posture(self) -> None:
        """Posture from nuclear talks, economic exposure to Iraq and humiliation.

        Mechanism: Schelling's compellence and signalling; Iran restrains its proxies during nuclear
        talks (2021 calm order, seed 003), needs Iraq's economy (seed 001: Iraq its second source of
        hard currency), and answers humiliation (its commander killed) with pressure.
        """
        m = self.model
        p = self.p
        score = (
            p["baseline_pressure"]
            - p["talks_restraint"] * self.talks
            - p["economic_restraint"] * p["economic_exposure"]
            + p["humiliation_weight"] * (self.humiliation + m.hostility_iran_us)
        )
        posture = np.where(score > p["escalation_threshold"], 2, np.where(score < p["restraint_threshold"], 0, 1))
        ordered = self.order_until >= m.day
        self.posture = np.where(ordered, self.order_posture, posture)
        self.directive = np.choose(
            self.posture, [p["directive_restraint"], p["directive_pressure"], p["directive_escalation"]]
        )

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
        deaths, ~110 brain injuries). Humiliation above a threshold schedules one salvo after a delay;
        a US strike on Iran is answered in kind with the counter-strike probability.
        """
        m = self.model
        p = self.p
        idle = m.active & (self.strike_due < 0) & ~self.strike_answered
        wants = idle & (self.humiliation > p["direct_strike_threshold"])
        if wants.any():
            worlds = np.flatnonzero(wants)
            delay = 1 + self.poisson("strike_delay", pick(p["direct_strike_delay_mean"], worlds) - 1.0, worlds)
            self.strike_due[worlds] = m.day + delay
        due = np.flatnonzero(m.active & (self.strike_due == m.day))
        if due.size:
            self.direct_strike(due)

    def direct_strike(self, worlds: np.ndarray) -> None:
        """A direct missile salvo on US forces (rung 6), usually warned in advance."""
        m = self.model
        p = self.p
        warned = self.uniform("warned", worlds) < pick(p["warning_probability"], worlds)
        p_kill = np.where(warned, pick(p["salvo_kill_probability_warned"], worlds), pick(p["salvo_kill_probability_unwarned"], worlds))
        kills = self.uniform("salvo_kills", worlds) < p_kill
        killed = np.where(kills, 1 + self.poisson("salvo_killed", np.maximum(pick(p["salvo_killed_mean"], worlds) - 1, 0), worlds), 0)
        wounded = self.poisson("salvo_wounded", pick(p["salvo_wounded_mean"], worlds), worlds)
        m.record(
            worlds, self, Action.DIRECT_STRIKE, "us_forces", Rung.STATE_ON_STATE_STRIKE, weapon="ballistic_missiles",
            killed=killed, wounded=wounded, intended=Rung.STATE_ON_STATE_STRIKE, perceived=Rung.STATE_ON_STATE_STRIKE,
            side="iran", location="iraq",
        )
        m.count_casualties(worlds, killed, wounded)
        m.outcome_counts["iran_direct_strikes"][worlds] += 1
        self.strike_due[worlds] = -1
        self.strike_answered[worlds] = True
        self.humiliation[worlds] *= 0.3
        us = m.us
        m.united_states.perceive(
            worlds, pick(us["pressure_per_direct_strike"], worlds) + pick(us["pressure_per_killed"], worlds) * killed, -1,
            severity=6.0 + killed, by_iran=True,
        )
        m.exchange_strike(worlds, side=1)

    def order(self, posture: int, until: int) -> None:
        """Tehran orders a posture (e.g. calm during talks) in every world until a day."""
        self.order_posture[:] = posture
        self.order_until[:] = until


class UnitedStates(Actor):
    """The United States: perceives attacks, accumulates pressure, answers after a lag."""

    def __init__(self, model: "EscalationModel"):
        super().__init__(model, "united_states")
        p = model.section("united_states")
        self.p = p
        n = model.n_worlds
        self.pressure = np.zeros(n)
        self.pressure_decay = decay_factor(p["pressure_half_life"])
        self.initial_force = np.maximum(p["force_level"], 1.0)
        self.force_level = per_world(p["force_level"], n)
        self.force_target = per_world(p["force_level"], n)
        self.response_due = np.full(n, -1, dtype=np.int64)
        self.response_target = np.full(n, -1, dtype=np.int64)
        self.response_severity = np.zeros(n)
        self.iran_struck = np.zeros(n, dtype=bool)
        self.withdrawing = np.zeros(n, dtype=bool)
        self.attack_memory = np.zeros(n)
        self.attack_memory_decay = decay_factor(p["habituation_half_life"])
        self.attack_memory_to_monthly = (1.0 - self.attack_memory_decay) * 30.4

    def presence(self) -> np.ndarray:
        """Exposure of US forces relative to day 0 (fewer troops, fewer targets); Syria keeps a floor."""
        return np.maximum(np.sqrt(self.force_level / self.initial_force), 0.15)

    def habituation_factor(self, worlds: np.ndarray) -> np.ndarray:
        """Weight of an attack without casualties given recent attacks: 1 / (1 + monthly rate / habituation).

        The record shows the US answering almost no attack that hurt nobody, however frequent (domain
        brief, calibration targets): repeated harmless attacks lose their news value.
        """
        monthly = self.attack_memory[worlds] * pick(self.attack_memory_to_monthly, worlds)
        return 1.0 / (1.0 + monthly / pick(self.p["habituation"], worlds))

    def expected_retaliation(self) -> np.ndarray:
        """What militias expect the US to do next: its current pressure relative to its strike threshold."""
        return np.minimum(self.pressure / np.maximum(self.p["strike_threshold"], 0.1), 5.0)

    def perceive(self, worlds, pressure, attributed, severity, by_iran: bool = False) -> None:
        """Take in an attack as perceived: pressure jumps, a response decision is scheduled after a lag.

        Mechanism: audience costs (Fearon 1994): American dead raise the pressure to answer far more than
        attacks without casualties; perception is noisy (misattribution, misperceived casualties).
        """
        m = self.model
        self.pressure[worlds] += pressure
        worse = severity >= self.response_severity[worlds]
        self.response_target[worlds] = np.where(worse, attributed, self.response_target[worlds])
        self.response_severity[worlds] = np.maximum(severity, self.response_severity[worlds])
        if by_iran:
            self.iran_struck[worlds] = True
        waiting = self.response_due[worlds] < 0
        if waiting.any():
            new = worlds[waiting]
            lag = 1 + self.poisson("lag", pick(self.p["response_lag_mean"], new) - 1.0, new)
            self.response_due[new] = m.day + lag

    def step(self) -> None:
        """Decay pressure, move troops toward their target, and make any response that is due."""
        m = self.model
        self.pressure *= self.pressure_decay
        self.attack_memory *= self.attack_memory_decay
        moving = self.force_level != self.force_target
        if moving.any():
            step = self.p["drawdown_rate"]
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

        Mechanism: proportionate, lagged tit-for-tat with noise (Axelrod 1984) on a ladder of thresholds
        on pressure; strikes inside Iraq cost sovereignty (the 2020 expulsion vote), so their thresholds
        rise with Iraqi sovereignty pressure; striking Iran is held back by war aversion (the US did not
        strike Iranian soil in 2019-2024). A kinetic answer relieves pressure.
        """
        m = self.model
        p = self.p
        u = np.clip(self.uniform("decision", worlds), 1e-12, 1 - 1e-12)
        score = self.pressure[worlds] + pick(p["decision_noise"], worlds) * np.log(u / (1.0 - u))
        shift = per_world(2.0 * pick(m.ctx["common_enemy"], worlds) - pick(p["hawkishness"], worlds), worlds.size)
        in_syria = self.uniform("location", worlds) < pick(p["syria_strike_share"], worlds)
        sovereignty = np.where(in_syria, 0.0, pick(p["sovereignty_cost"], worlds) * m.iraqi_government.sovereignty[worlds])
        blames_iran = self.iran_struck[worlds] | (m.iran.posture[worlds] == Posture.ESCALATION)
        iran_bar = pick(p["iran_strike_threshold"], worlds) + pick(p["war_aversion"], worlds) + shift
        leader_bar = pick(p["leader_killing_threshold"], worlds) + shift + sovereignty
        strike_bar = pick(p["strike_threshold"], worlds) + shift + sovereignty
        strike_iran = blames_iran & (score + m.hostility_us_iran[worlds] > iran_bar)
        leader = ~strike_iran & (score > leader_bar)
        strike = ~strike_iran & ~leader & (score > strike_bar)
        warning = ~strike_iran & ~leader & ~strike & (score > pick(p["warning_threshold"], worlds) + shift)
        target = self.response_target[worlds]
        target = np.where(target < 0, (self.uniform("target", worlds) * len(m.militias)).astype(int), target)
        kinetic = strike_iran | leader | strike
        if strike_iran.any():
            self.strike_iran(worlds[strike_iran])
        if leader.any():
            on_quds = self.uniform("leader_target", worlds[leader]) < pick(p["quds_commander_share"], worlds[leader])
            m.kill_leader(worlds[leader], np.where(on_quds, -1, target[leader]))
        if strike.any():
            chosen = worlds[strike]
            excess = (score[strike] - strike_bar[strike]).clip(0)
            sites = np.minimum(1 + (excess / pick(p["pressure_per_extra_site"], chosen)).astype(int), pick(p["max_sites"], chosen))
            killed = self.poisson("strike_killed", pick(p["militia_killed_per_site"], chosen) * sites, chosen)
            m.strike_militia(chosen, target[strike], sites, killed, in_syria[strike])
        if warning.any():
            m.record(worlds[warning], self, Action.WARNING, m.faction_codes[target[warning]], Rung.RHETORIC,
                     side="us_militia")
        self.pressure[worlds] = np.where(kinetic, self.pressure[worlds] * (1 - pick(p["pressure_discharge"], worlds)), self.pressure[worlds])
        self.clear_pending(worlds)

    def clear_pending(self, worlds: np.ndarray) -> None:
        """Forget the pending response decision (it was made)."""
        self.response_due[worlds] = -1
        self.response_target[worlds] = -1
        self.response_severity[worlds] = 0.0
        self.iran_struck[worlds] = False

    def answered(self, worlds: np.ndarray) -> None:
        """A kinetic answer that happened outside the decision rule (a scripted strike): relieve pressure."""
        self.pressure[worlds] *= 1 - pick(self.p["pressure_discharge"], worlds)
        self.clear_pending(worlds)

    def strike_iran(self, worlds: np.ndarray) -> None:
        """A direct strike on Iranian forces or soil (rung 6, across the Iranian firebreak)."""
        m = self.model
        killed = self.poisson("iran_strike_killed", 10.0, worlds)
        m.record(worlds, self, Action.DIRECT_STRIKE, "iran", Rung.STATE_ON_STATE_STRIKE, weapon="airstrike",
                 killed=killed, intended=Rung.STATE_ON_STATE_STRIKE, perceived=Rung.STATE_ON_STATE_STRIKE,
                 side="us_iran", location="iran")
        m.outcome_counts["us_strikes_on_iran"][worlds] += 1
        m.iran.humiliate(worlds, pick(m.iran.p["humiliation_per_strike_on_iran"], worlds))
        answer = self.uniform("counter_strike", worlds) < pick(m.iran.p["counter_strike_probability"], worlds)
        soon = worlds[answer]
        m.iran.strike_due[soon] = m.day + 1 + self.poisson("counter_delay", 1.0, soon)
        m.exchange_strike(worlds, side=0)

    def consider_withdrawal(self, worlds: np.ndarray) -> None:
        """Iraq demands withdrawal: the US complies with the compliance probability and draws down."""
        m = self.model
        complies = worlds[self.uniform("withdraw", worlds) < pick(self.p["withdrawal_compliance"], worlds)]
        if complies.size:
            self.force_target[complies] = pick(self.p["withdrawal_floor"], complies)
            self.withdrawing[complies] = True
            m.record(complies, self, Action.DRAWDOWN, "iraq", Rung.RHETORIC, side="none")


class IraqiGovernment(Actor):
    """The Iraqi government: sovereignty backlash after US strikes; pressure on militias near elections."""

    def __init__(self, model: "EscalationModel"):
        super().__init__(model, "iraqi_government")
        p = model.section("iraqi_government")
        self.p = p
        n = model.n_worlds
        self.sovereignty = np.zeros(n)
        self.sovereignty_decay = decay_factor(p["sovereignty_half_life"])
        self.election_days: set[int] = set()
        self.militia_pressure_today = p["militia_pressure"]
        self.demanded = np.zeros(n, dtype=bool)

    def step(self) -> None:
        """Press militias to hold back, harder within an election window (truces around elections).

        Mechanism: militia leaders integrated in government hold back when their seats are at stake
        (seed 002: former commanders in government, 2018 election; brief: Oct 2021 truce).
        """
        self.sovereignty *= self.sovereignty_decay
        election = self.model.day in self.election_days
        self.militia_pressure_today = self.p["militia_pressure"] + self.p["election_pressure"] * election

    def backlash(self, worlds: np.ndarray, amount: np.ndarray) -> None:
        """Sovereignty backlash after a US strike on Iraqi soil; past a threshold, demand US withdrawal.

        Mechanism: the Jan 5, 2020 parliament vote to expel foreign troops after the Baghdad airport strike.
        """
        m = self.model
        self.sovereignty[worlds] += amount
        demand = worlds[~self.demanded[worlds] & (self.sovereignty[worlds] > pick(self.p["withdrawal_demand_threshold"], worlds))]
        if demand.size:
            self.demanded[demand] = True
            m.record(demand, self, Action.WITHDRAWAL_DEMAND, "united_states", Rung.RHETORIC, side="none")
            m.united_states.consider_withdrawal(demand)
