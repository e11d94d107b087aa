"""The baseline scenario's rules written as a conventional Mesa model: one world per model, scalar state.

This is the comparison a Mesa user would write, not the project's vectorised :class:`sim.model.EscalationModel`
run with ``n_worlds=1``: each :class:`World` is a ``mesa.Model`` holding one world; each actor is a
``mesa.Agent`` whose state is plain Python floats and ints; every random number is the project's keyed draw
(:mod:`sim.seeds`: world seed, day, actor, draw site) computed for one scalar; a ``mesa.DataCollector``
records the world's tallies every day; ``mesa.batch_run`` runs many worlds. Because the draws are keyed, a
world of this twin and the same world of the vectorised model see the same random numbers, so
``tests/test_mesa_twin.py`` checks that both give the same outcome row for every world.

Rules implemented (those of ``scenarios/baseline.yaml``, read from ``sim/model.py``, ``sim/actors/*.py`` and
``sim/attacks.py``; the vectorised model's behaviour is the reference): the day's order (stale exchanges end,
Iran's posture, Baghdad's pressure, the Quds Force leash and capability supply, the militias' attack,
threat and harassment bands, the day's attacks resolved together, the US decision after its lag, Iran's
answer to humiliation, hostility per dyad); militia grievance, fear of the US, political stake, rivals'
outbidding, the leash and defiance, self-excitation, capability ratchet; targets, weapons, casualties,
claims, attribution and misperception; US pressure with habituation, the refractory period, severity
weighting, sovereignty cost, strikes on militia sites (sized), leader killings (and the Quds Force
commander's), strikes on Iran; Baghdad's sovereignty backlash, withdrawal demand and the US drawdown;
Iran's humiliation with repeat discount, the multinomial-logit answer (none, proxy surge, warned salvo,
unwarned strike), direct exchanges, their round costs and end, open war.

Rules omitted because the baseline switches them off (a :class:`World` refuses a scenario that switches
one on): the scripted timeline (talks, elections, shocks, orders, scripted attacks and strikes, drawdowns,
capability deliveries, truces, ceasefires, an outside war, the end of the US mission); deterrence
(``militia_dynamics.deterrence_weight`` 0); suspension and refusal of calm orders (``suspension_days`` 0);
Iran's own calm order (``iran.calm_order_days`` 0); US troop groups in Syria and Jordan (0 troops); the
campaign-lowered leader bar (``leader_bar_per_campaign_attack`` 0); strike-first after casualties (off);
the heavy-tailed wounded count (``wounded_dispersion`` 0). Rung-0 actions (threats, warnings, a declined
answer, exchange-ended notices) are decided but not recorded: they change no outcome column.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist

import mesa
import numpy as np

from sim.ladder import ESCALATION_WEIGHTS, Capability, DirectAnswer, OutcomeClass, Posture, Rung
from sim.params import parameter_view, resolve_values
from sim.scenario import Scenario, load_scenario, parameter_paths
from sim.seeds import derive_seeds, draw_key, site_code

# -- keyed random numbers for one world (the scalar form of sim.seeds) ----------------------------------

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_TWO_POW_MINUS_53 = 1.0 / (1 << 53)
_LARGE_COUNT_MEAN = 120.0  # sim.seeds.LARGE_COUNT_MEAN: above it, the normal approximation of the Poisson
_STANDARD_NORMAL = NormalDist()


def _mix(value: int) -> int:
    """SplitMix64's finaliser on a Python int, as ``sim.seeds`` mixes seeds and keys."""
    z = (value + _GOLDEN) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


key_of = lru_cache(maxsize=1 << 16)(draw_key)  # (day, actor, site) -> key: the same for every world


def keyed_uniform(seed: int, day: int, actor: int, site: int) -> float:
    """The uniform in [0, 1) of one world for (day, actor, draw site): ``sim.seeds.uniform`` for one seed."""
    return (_mix(seed ^ key_of(day, actor, site)) >> 11) * _TWO_POW_MINUS_53


def poisson_from_uniform(u: float, mean: float) -> int:
    """A Poisson count by inversion of one uniform, as ``sim.seeds.poisson_from_uniform`` does per element."""
    mean = max(mean, 0.0)
    if mean > _LARGE_COUNT_MEAN:
        z = _STANDARD_NORMAL.inv_cdf(min(max(u, 1e-12), 1 - 1e-12))
        return max(round(mean + math.sqrt(mean) * z), 0)
    term = math.exp(-mean)
    cumulative = term
    count = 0
    for k in range(1, 200):
        if u < cumulative:
            break
        term = term * mean / k
        cumulative = cumulative + term
        count += 1
    return count


def _logistic(x: float) -> float:
    return 0.5 * (1.0 + math.tanh(0.5 * x))


@lru_cache(maxsize=64)
def scenario_parameters(scenario_name: str, overrides: tuple[tuple[str, float], ...] = ()):
    """The scenario and a typed view of its parameter values (floats), loaded once per process.

    Args:
        scenario_name: a shipped scenario's name or a path.
        overrides: (dotted path, value) pairs applied to every world, as ``simulate(overrides=...)`` does.
    """
    scenario = load_scenario(scenario_name)
    values = resolve_values(parameter_paths(scenario), dict(overrides), 1)
    return scenario, parameter_view(scenario, values)


def _refuse_omitted_rules(scenario: Scenario, p) -> None:
    """Raise ValueError if the scenario switches on a rule this twin leaves out."""
    d, us, iran = p.militia_dynamics, p.united_states, p.iran
    switched_on = {
        "timeline": bool(scenario.timeline),
        "militia_dynamics.deterrence_weight": d.deterrence_weight != 0,
        "militia_dynamics.suspension_days": d.suspension_days != 0,
        "militia_dynamics.wounded_dispersion": d.wounded_dispersion != 0,
        "iran.calm_order_days": iran.calm_order_days != 0,
        "united_states.troops_syria/troops_jordan": us.troops_syria != 0 or us.troops_jordan != 0,
        "united_states.leader_bar_per_campaign_attack": us.leader_bar_per_campaign_attack != 0,
        "united_states.strike_first_after_casualties": us.strike_first_after_casualties > 0.5,
    }
    on = [name for name, flag in switched_on.items() if flag]
    if on:
        raise ValueError(f"{scenario.name}: the Mesa twin omits rules this scenario uses: {', '.join(on)}")


def classify(max_rung: int, exchange_rounds: int, confrontation_rounds: int, broad: bool) -> str:
    """The outcome class of one world (``sim.ladder.classify_outcome`` for a scalar)."""
    exchange = exchange_rounds >= 2
    if max_rung >= Rung.OPEN_WAR or (exchange if broad else exchange_rounds >= confrontation_rounds):
        return OutcomeClass.CONFRONTATION.value
    if exchange:
        return OutcomeClass.CONTAINED_EXCHANGE.value
    if max_rung >= Rung.LEADER_KILLING:
        return OutcomeClass.CRISIS.value
    if max_rung >= Rung.ATTACK_NO_CASUALTIES:
        return OutcomeClass.PROVOCATION.value
    return OutcomeClass.QUIET.value


WEIGHTS = [float(w) for w in ESCALATION_WEIGHTS]
ROADSIDE_BOMB, ROCKETS, DRONE, MISSILE = range(4)  # sim.attacks.WEAPON_NAMES order
WEAPONS = ("roadside_bomb", "rockets", "drone", "missile")
TARGETS = ("base_iraq", "base_syria", "embassy", "convoy", "base_jordan")  # sim.attacks.TARGET_NAMES order
CONVOY = TARGETS.index("convoy")
QUDS_COMMANDER = -1
NEVER = -10_000


class Actor(mesa.Agent):
    """A Mesa agent with a name and its keyed draws in its world."""

    def __init__(self, model: "World", key: str):
        super().__init__(model)
        self.key = key
        self.code = site_code(key)

    def uniform(self, site: str) -> float:
        """This actor's keyed uniform for a draw site today."""
        m = self.model
        return keyed_uniform(m.world_seed, m.day, self.code, site_code(site))

    def poisson(self, site: str, mean: float) -> int:
        """This actor's keyed Poisson count for a draw site today."""
        return poisson_from_uniform(self.uniform(site), mean)


class Militia(Actor):
    """One faction: grievance, fear, the leash and rivals' attacks set its daily chance to attack."""

    def __init__(self, model: "World", key: str, index: int):
        super().__init__(model, key)
        p = model.p
        traits = p.militias[key]
        d = p.militia_dynamics
        self.index = index
        self.base_attack_rate = traits.base_attack_rate
        self.obedience = traits.obedience
        self.own_intensity = traits.own_intensity
        self.defiance = traits.defiance
        self.political_stake = traits.political_stake
        self.fear = traits.fear
        self.revenge = traits.revenge
        self.rivalry = traits.rivalry
        self.lethal_intent = traits.lethal_intent
        self.front_name_share = traits.front_name_share
        self.grievance = float(traits.initial_grievance)
        self.excitation = 0.0
        self.members_lost = 0.0
        self.own_attack_memory = 0.0
        self.capability = float(Capability[traits.capability.upper()])
        self.capability_progress = self.capability
        self.attacks = 0  # its attacks so far (the outcome column attacks_<key>)
        self.grievance_decay = 0.5 ** (1.0 / d.grievance_half_life)
        self.excitation_decay = 0.5 ** (1.0 / d.self_excitation_half_life)

    def attack_rate(self) -> float:
        """Expected attacks today (``Militia.attack_rate`` of the vectorised model, baseline terms)."""
        m = self.model
        d, ctx = m.p.militia_dynamics, m.p.context
        rivals_monthly = (m.attack_memory - self.own_attack_memory) * m.attack_memory_to_monthly
        log_rate = (
            d.grievance_weight * math.log1p(self.grievance + ctx.external_grievance)
            + self.rivalry * math.log1p(rivals_monthly / max(len(m.militias) - 1, 1))
            - self.fear * m.expected_retaliation
            - self.political_stake * m.iraqi_government.militia_pressure_today
            - ctx.common_enemy_restraint * ctx.common_enemy
        )
        compliance = m.quds_force.leash * self.obedience
        directive = (1.0 - compliance) * self.own_intensity + compliance * m.iran.directive
        if self.defiance and m.iran.posture == Posture.RESTRAINT:
            directive = directive * (1.0 + self.defiance * (1.0 - compliance))
        rate = (self.base_attack_rate * 1.0) * math.exp(log_rate) * directive * m.presence
        return rate + self.excitation

    def decide(self) -> str | None:
        """Decay memories, then one draw picks today's action: "attack", "threat", "harass" or None."""
        m = self.model
        d = m.p.militia_dynamics
        self.grievance *= self.grievance_decay
        self.members_lost *= self.grievance_decay
        self.excitation *= self.excitation_decay
        self.own_attack_memory *= m.attack_memory_decay
        if not m.active:
            return None
        u = self.uniform("day")
        band = -math.expm1(-self.attack_rate())
        if u < band:
            return "attack"
        u -= band
        band = d.threat_rate * (1.0 + self.grievance) ** d.grievance_weight
        if 0 <= u < band:
            return "threat"  # rung 0: changes no outcome
        u -= band
        if 0 <= u < d.harassment_rate + d.harassment_per_member_killed * self.members_lost:
            return "harass"
        return None

    def harass(self) -> None:
        """A siege of the embassy (rung 1), which the US perceives as heavy pressure."""
        m = self.model
        m.record(Rung.HARASSMENT, "militia")
        m.united_states.perceive(m.p.united_states.pressure_per_siege, self.index, Rung.HARASSMENT + 0.5)

    def remember_attack(self) -> None:
        """Its own attack: self-excitation and its own attack memory."""
        self.excitation += self.model.p.militia_dynamics.self_excitation * (1.0 - self.excitation_decay)
        self.own_attack_memory += 1.0

    def suffer_strike(self, killed: float, leader: bool = False) -> None:
        """A US strike on it: grievance (a share for the other factions), members lost, an urge to answer."""
        m = self.model
        d = m.p.militia_dynamics
        added = d.grievance_per_strike + d.grievance_per_member_killed * killed
        if leader:
            added = added + self.revenge
        for militia in m.militias:
            militia.grievance += (1.0 if militia is self else d.solidarity) * added
        self.members_lost += killed
        self.excitation += d.self_excitation * (1.0 - self.excitation_decay) * d.strike_excitation


class QudsForce(Actor):
    """The leash on the factions (recovers toward its baseline) and the supply of their capability."""

    def __init__(self, model: "World"):
        super().__init__(model, "quds_force")
        p = model.p.quds_force
        self.leash = float(p.leash_strength)
        self.recovery = 1.0 - 0.5 ** (1.0 / p.leash_recovery_half_life)

    def step(self) -> None:
        m = self.model
        p = m.p.quds_force
        self.leash += (p.leash_strength - self.leash) * self.recovery
        supply = p.capability_supply_rate * (p.supply_under_restraint, 1.0, p.supply_under_escalation)[m.iran.posture]
        for militia in m.militias:
            militia.capability_progress += supply
            militia.capability = max(militia.capability, min(math.floor(militia.capability_progress),
                                                             int(Capability.MISSILES)))


class IraqiGovernment(Actor):
    """Baghdad: pressure on the factions; sovereignty backlash after US strikes on Iraqi soil."""

    def __init__(self, model: "World"):
        super().__init__(model, "iraqi_government")
        p = model.p.iraqi_government
        self.sovereignty = 0.0
        self.sovereignty_decay = 0.5 ** (1.0 / p.sovereignty_half_life)
        self.militia_pressure_today = p.militia_pressure
        self.demanded = False

    def step(self) -> None:
        p = self.model.p.iraqi_government
        self.sovereignty *= self.sovereignty_decay
        self.militia_pressure_today = p.militia_pressure + p.election_pressure * False  # no elections

    def backlash(self, amount: float) -> None:
        m = self.model
        self.sovereignty += amount
        if not self.demanded and self.sovereignty > m.p.iraqi_government.withdrawal_demand_threshold:
            self.demanded = True
            m.united_states.consider_withdrawal()


class UnitedStates(Actor):
    """The US: pressure from perceived attacks, and a decision after a lag on how to answer."""

    def __init__(self, model: "World"):
        super().__init__(model, "united_states")
        p = model.p.united_states
        self.pressure = 0.0
        self.pressure_decay = 0.5 ** (1.0 / p.pressure_half_life)
        self.initial_force = max(p.force_level, 1.0)
        self.force_level = float(p.force_level)
        self.force_target = float(p.force_level)
        self.response_due = -1
        self.response_target = -1
        self.response_severity = 0.0
        self.iran_struck = False
        self.withdrawing = False
        self.last_kinetic_day = NEVER
        self.attack_memory = 0.0
        self.attack_memory_decay = 0.5 ** (1.0 / p.habituation_half_life)
        self.attack_memory_to_monthly = (1.0 - self.attack_memory_decay) * 30.44

    def presence(self) -> float:
        p = self.model.p.united_states
        return max(math.sqrt(self.force_level / self.initial_force), p.presence_floor)

    def expected_retaliation(self) -> float:
        return min(self.pressure / max(self.model.p.united_states.strike_threshold, 0.1), 5.0)

    def habituation_factor(self) -> float:
        p = self.model.p.united_states
        return 1.0 / (1.0 + self.attack_memory * self.attack_memory_to_monthly / p.habituation)

    def perceive(self, pressure: float, attributed: int, severity: float, by_iran: bool = False) -> None:
        """Pressure jumps; the worst pending action names the target; a decision is due after a lag."""
        m = self.model
        self.pressure += pressure
        if severity >= self.response_severity:
            self.response_target = attributed
        self.response_severity = max(severity, self.response_severity)
        if by_iran:
            self.iran_struck = True
        if self.response_due < 0:
            self.response_due = m.day + 1 + self.poisson("lag", m.p.united_states.response_lag_mean - 1.0)

    def step(self) -> None:
        m = self.model
        p = m.p.united_states
        self.pressure *= self.pressure_decay
        self.attack_memory *= self.attack_memory_decay
        if self.force_level != self.force_target:
            if self.force_level > self.force_target:
                self.force_level = max(self.force_level - p.drawdown_rate, self.force_target)
            else:
                self.force_level = min(self.force_level + p.drawdown_rate, self.force_target)
        if m.active and self.response_due == m.day:
            self.respond()

    def respond(self) -> None:
        """Nothing, a warning, strikes on a faction's sites, a leader killing or a strike on Iran."""
        m = self.model
        p = m.p.united_states
        ctx = m.p.context
        u = min(max(self.uniform("decision"), 1e-12), 1 - 1e-12)
        severity = self.response_severity
        relative = min(severity / 3.0, 1.0) if severity > 0 else 1.0
        score = self.pressure * relative ** p.severity_exponent + p.decision_noise * math.log(u / (1.0 - u))
        refractory = m.day - self.last_kinetic_day < p.refractory_days and not severity > 3.0
        restraint = p.refractory_bar if refractory else 0.0
        shift = ctx.common_enemy_forbearance * ctx.common_enemy - p.hawkishness
        in_syria = self.uniform("location") < p.syria_strike_share
        sovereignty = 0.0 if in_syria else p.sovereignty_cost * m.iraqi_government.sovereignty
        blames_iran = self.iran_struck or m.iran.posture == Posture.ESCALATION
        iran_bar = p.iran_strike_threshold + p.war_aversion + shift + m.exchange_round_cost(side=0)
        leader_bar = p.leader_killing_threshold + shift + sovereignty + restraint
        strike_bar = p.strike_threshold + shift + sovereignty + restraint
        target = self.response_target
        if target < 0:
            target = int(self.uniform("target") * len(m.militias))
        if blames_iran and score + m.hostility_us_iran > iran_bar:
            self.last_kinetic_day = m.day
            self.strike_iran()
        elif score > leader_bar:
            self.last_kinetic_day = m.day
            on_quds = self.uniform("leader_target") < p.quds_commander_share
            m.kill_leader(QUDS_COMMANDER if on_quds else target)
        elif score > strike_bar:
            self.last_kinetic_day = m.day
            sites = min(1 + int(max(score - strike_bar, 0.0) / p.pressure_per_extra_site), p.max_sites)
            killed = self.poisson("strike_killed", p.militia_killed_per_site * sites)
            m.strike_militia(target, killed, in_syria)
        else:  # a warning (rung 0) or nothing: no outcome changes
            self.clear_pending()
            return
        self.pressure = self.pressure * (1 - p.pressure_discharge)
        self.clear_pending()

    def clear_pending(self) -> None:
        self.response_due = -1
        self.response_target = -1
        self.response_severity = 0.0
        self.iran_struck = False

    def strike_iran(self) -> None:
        """A direct strike on Iran (rung 6): a round of the exchange; it humiliates Iran."""
        m = self.model
        self.poisson("iran_strike_killed", m.p.united_states.iran_strike_killed_mean)  # Iranian dead: no outcome
        m.record(Rung.STATE_ON_STATE_STRIKE, "us_iran")
        m.us_strikes_on_iran += 1
        m.iran.humiliate(m.p.iran.humiliation_per_strike_on_iran)
        m.exchange_strike(side=0)

    def consider_withdrawal(self) -> None:
        p = self.model.p.united_states
        if self.uniform("withdraw") < p.withdrawal_compliance:
            self.force_target = float(p.withdrawal_floor)
            self.withdrawing = True


class Iran(Actor):
    """Iran: its posture and directive to the factions, and its answer to humiliation."""

    def __init__(self, model: "World"):
        super().__init__(model, "iran")
        p = model.p.iran
        self.humiliation = 0.0
        self.humiliation_decay = 0.5 ** (1.0 / p.humiliation_half_life)
        self.humiliations = 0
        self.decision_due = -1
        self.talks = p.talks_active > 0.5
        self.posture = int(Posture.PRESSURE)
        self.directive = 1.0
        self.order_posture = -1
        self.order_until = -1

    def step(self) -> None:
        """Humiliation fades; the posture of the day from talks, economic exposure and humiliation."""
        m = self.model
        p = m.p.iran
        self.humiliation *= self.humiliation_decay
        score = (p.baseline_pressure - p.talks_restraint * self.talks - p.economic_restraint * p.economic_exposure
                 + p.humiliation_weight * (self.humiliation + m.hostility_iran_us))
        if self.order_until >= m.day:
            self.posture = self.order_posture
        elif score > p.escalation_threshold:
            self.posture = int(Posture.ESCALATION)
        elif score < p.restraint_threshold:
            self.posture = int(Posture.RESTRAINT)
        else:
            self.posture = int(Posture.PRESSURE)
        self.directive = (p.directive_restraint, p.directive_pressure, p.directive_escalation)[self.posture]

    def humiliate(self, amount: float) -> None:
        """Humiliation opens the question of an answer, decided after the deliberation delay."""
        m = self.model
        self.humiliation += amount
        self.humiliations += 1
        if self.decision_due < 0:
            self.decision_due = m.day + 1 + self.poisson("decision_delay", m.p.iran.direct_strike_delay_mean - 1.0)

    def react(self) -> None:
        m = self.model
        if m.active and self.decision_due == m.day:
            self.decide()

    def answer_utilities(self) -> list[float]:
        """Utilities of no answer, a proxy surge, a warned salvo and an unwarned strike."""
        m = self.model
        p, up, ctx = m.p.iran, m.p.united_states, m.p.context
        h = self.humiliation / (1.0 + p.repeat_discount * max(self.humiliations - 1, 0))
        restraint = p.restraint_weight * (p.talks_restraint * self.talks + p.economic_restraint * p.economic_exposure)
        bar = up.iran_strike_threshold + up.war_aversion + ctx.common_enemy_forbearance * ctx.common_enemy - up.hawkishness
        now = m.united_states.pressure + m.hostility_us_iran - bar
        per_dead = up.pressure_per_killed * p.salvo_killed_mean
        warned = up.pressure_per_direct_strike + per_dead * p.salvo_kill_probability_warned
        unwarned = up.pressure_per_direct_strike + per_dead * p.salvo_kill_probability_unwarned
        scale = p.us_answer_scale
        direct = p.direct_weight * h - restraint - m.exchange_round_cost(side=1)
        return [
            0.0,
            p.surge_weight * h - p.surge_cost - restraint - p.war_cost * _logistic(now / scale),
            direct - p.warned_salvo_cost - p.war_cost * _logistic((now + warned) / scale),
            direct - p.unwarned_strike_cost - p.war_cost * _logistic((now + unwarned) / scale),
        ]

    def decide(self) -> None:
        """One keyed draw picks the answer by its multinomial-logit probability."""
        m = self.model
        utilities = self.answer_utilities()
        top = max(utilities)
        e = [math.exp(x - top) for x in utilities]
        total = e[0] + e[1] + e[2] + e[3]
        u = self.uniform("direct_choice")
        choice, cumulative = 0, 0.0
        for weight in e[:-1]:
            cumulative += weight / total
            choice += u >= cumulative
        self.decision_due = -1
        if choice == DirectAnswer.PROXY_SURGE:
            self.order_posture = int(Posture.ESCALATION)
            self.order_until = m.day + int(m.p.iran.surge_days)
        elif choice in (DirectAnswer.WARNED_SALVO, DirectAnswer.UNWARNED_STRIKE):
            self.direct_strike(warned=choice == DirectAnswer.WARNED_SALVO)

    def direct_strike(self, warned: bool) -> None:
        """A missile salvo on US forces (rung 6), warned or not; the US perceives it; a round of the exchange."""
        m = self.model
        p = m.p.iran
        p_kill = 1.0 - (1.0 - (p.salvo_kill_probability_warned if warned else p.salvo_kill_probability_unwarned)) ** 1.0
        killed = 0
        if self.uniform("salvo_kills") < p_kill:
            killed = 1 + self.poisson("salvo_killed", max(p.salvo_killed_mean - 1, 0) * 1.0)
        wounded = self.poisson("salvo_wounded", p.salvo_wounded_mean * 1.0)
        m.record(Rung.STATE_ON_STATE_STRIKE, "iran")
        m.count_casualties(killed, wounded)
        m.iran_direct_strikes += 1
        self.decision_due = -1
        self.humiliation *= p.humiliation_after_salvo
        us = m.p.united_states
        m.united_states.perceive(us.pressure_per_direct_strike + us.pressure_per_killed * killed, -1,
                                 Rung.STATE_ON_STATE_STRIKE + killed, by_iran=True)
        m.exchange_strike(side=1)


SIDES = {"militia": 0, "us_militia": 1, "iran": 2, "us_iran": 3}


class World(mesa.Model):
    """One world of a scenario as a Mesa model, one day per step, with a DataCollector.

    Args:
        world: the world's number; its seed is ``derive_seeds(master_seed, world)``, as in ``escalation run``.
        master_seed: the batch's seed.
        scenario: a shipped scenario's name (its rules must be among those implemented; see the module).
        days: the horizon (default: the scenario's).
        overrides: (dotted path, value) pairs for every world (hashable, so the parameters are read once).
    """

    def __init__(self, world: int = 0, master_seed: int = 0, scenario: str = "baseline", days: int | None = None,
                 overrides: tuple[tuple[str, float], ...] = ()):
        self.world_seed = int(derive_seeds(master_seed, np.array([world]))[0])
        super().__init__(rng=self.world_seed)
        self.scenario, self.p = scenario_parameters(scenario, tuple(overrides))
        _refuse_omitted_rules(self.scenario, self.p)
        self.world = world
        self.horizon = int(days if days is not None else self.scenario.days)
        self.day = 0
        self.active = True
        d = self.p.militia_dynamics
        self.attack_memory = 0.0
        self.attack_memory_decay = 0.5 ** (1.0 / d.outbidding_half_life)
        self.attack_memory_to_monthly = (1.0 - self.attack_memory_decay) * 30.44
        self.hostility_decay = 0.5 ** (1.0 / self.p.hostility.half_life)
        self.hostility_militias_us = self.hostility_us_militias = 0.0
        self.hostility_iran_us = self.hostility_us_iran = 0.0
        self.exchange_side, self.exchange_day, self.exchange_rounds = -1, NEVER, 0
        self.exchange_rounds_max = self.exchanges_ended = 0
        self.max_rung = 0
        self.first_day = {rung: None for rung in range(3, 8)}
        self.attacks = self.attacks_rung_1 = self.attacks_rung_2 = self.attacks_rung_3 = 0
        self.us_killed = self.us_wounded = self.militia_killed = 0
        self.us_strikes = self.us_leader_killings = self.us_strikes_on_iran = self.iran_direct_strikes = 0
        self.first_day_us_strike = self.first_day_us_killed = None
        self.today_level, self.today_attacks = 0, 0
        self.today_side_score = [0.0, 0.0, 0.0, 0.0]

        self.militias = [Militia(self, key, index) for index, key in enumerate(self.scenario.faction_keys)]
        self.quds_force = QudsForce(self)
        self.iran = Iran(self)
        self.united_states = UnitedStates(self)
        self.iraqi_government = IraqiGovernment(self)
        self.expected_retaliation = self.united_states.expected_retaliation()
        self.presence = self.united_states.presence()

        reporters = {"world": "world", "seed": "world_seed", "scenario": lambda m: m.scenario.name,
                     "days": "horizon", "max_rung": "max_rung"}
        reporters.update({name: name for name in OUTCOME_ATTRIBUTES})
        reporters.update({f"first_day_rung_{r}": (lambda m, r=r: m.first_day[r]) for r in range(3, 8)})
        reporters.update({f"attacks_{militia.key}": (lambda m, i=index: m.militias[i].attacks)
                          for index, militia in enumerate(self.militias)})
        reporters.update({
            "us_withdrawal": lambda m: m.united_states.withdrawing,
            "exchange_open": lambda m: m.exchange_rounds > 0,
            "max_rung_model": "max_rung",  # no scripted history: the model's own decisions are all of it
            "outcome": lambda m: m.outcome(),
            "outcome_model": lambda m: m.outcome(),
            "level": "today_level",  # the daily series a Mesa user would plot
            "attacks_today": "today_attacks",
            "us_pressure": lambda m: m.united_states.pressure,
            "leash_strength": lambda m: m.quds_force.leash,
        })
        self.datacollector = mesa.DataCollector(model_reporters=reporters)

    # -- the day ----------------------------------------------------------------------------------------

    def step(self) -> None:
        """One day, in the vectorised model's order."""
        self.day = self.steps - 1
        self.today_level, self.today_attacks = 0, 0
        self.today_side_score = [0.0, 0.0, 0.0, 0.0]
        self.end_stale_exchange()
        self.iran.step()
        self.iraqi_government.step()
        self.quds_force.step()
        self.expected_retaliation = self.united_states.expected_retaliation()
        self.presence = self.united_states.presence()
        self.attack_memory *= self.attack_memory_decay
        actions = [militia.decide() for militia in self.militias]
        attackers = [militia for militia, action in zip(self.militias, actions) if action == "attack"]
        if attackers:
            self.resolve_attacks(attackers)
        for militia, action in zip(self.militias, actions):
            if action == "harass":
                militia.harass()
        self.united_states.step()
        self.iran.react()
        self.update_hostility()
        self.datacollector.collect(self)
        if self.day + 1 >= self.horizon or not self.active:
            self.running = False

    def resolve_attacks(self, attackers: list[Militia]) -> None:
        """The day's attacks: target, weapon, casualties, claim, attribution; then the US perceives them.

        The US's habituation reads its attack memory before today's attacks, so every pressure is computed
        first, then the memories grow, then the US takes the attacks in, faction by faction.
        """
        d = self.p.militia_dynamics
        us = self.p.united_states
        perceived_attacks = []
        for militia in attackers:
            code, seed, day = militia.code, self.world_seed, self.day

            def draw(site: str) -> float:
                return keyed_uniform(seed, day, code, site_code(site))

            compliance = self.quds_force.leash * militia.obedience
            lethal_intent = (min(1.0, militia.lethal_intent + d.lethal_intent_per_grievance * militia.grievance)
                             * (1.0 - compliance * self.p.iran.casualty_restraint))
            intends_casualties = draw("intent") < lethal_intent
            target = self.choose_target(draw("target"))
            weapon = self.choose_weapon(militia, draw, target)
            killed, wounded = self.draw_casualties(draw, weapon, target, intends_casualties)
            casualties = killed + wounded > 0
            signal_rung = Rung.HARASSMENT if weapon == ROADSIDE_BOMB else Rung.ATTACK_NO_CASUALTIES
            rung = Rung.ATTACK_WITH_CASUALTIES if casualties else signal_rung
            misperceived = not casualties and draw("misperceive") < us.misperception
            perceived = Rung.ATTACK_WITH_CASUALTIES if misperceived else rung
            open_claim = draw("claim") >= militia.front_name_share
            attributed = militia.index
            n = len(self.militias)
            if n > 1 and not open_claim and not draw("attribution") < us.attribution_accuracy:
                attributed = (militia.index + 1 + int(draw("misattribute") * (n - 1))) % n
            self.record(rung, "militia")
            self.attacks += 1
            self.attacks_rung_1 += rung == 1
            self.attacks_rung_2 += rung == 2
            self.attacks_rung_3 += rung == 3
            militia.attacks += 1
            self.today_attacks += 1
            self.count_casualties(killed, wounded)
            pressure = (us.pressure_per_attack * self.united_states.habituation_factor()
                        + us.pressure_per_killed * killed + us.pressure_per_wounded * max(wounded, misperceived))
            perceived_attacks.append((militia, pressure, attributed, float(perceived) + killed))
        self.attack_memory += len(attackers)
        self.united_states.attack_memory += len(attackers)
        for militia, pressure, attributed, severity in perceived_attacks:
            militia.remember_attack()
            self.united_states.perceive(pressure, attributed, severity)

    def choose_target(self, u: float) -> int:
        mix = self.p.militia_dynamics.target_mix
        cumulative, total = [], 0.0
        for name in TARGETS:
            total += getattr(mix, name)
            cumulative.append(total)
        u = u * total
        return min(sum(u >= c for c in cumulative), len(TARGETS) - 1)

    def choose_weapon(self, militia: Militia, draw, target: int) -> int:
        if target == CONVOY:
            return ROADSIDE_BOMB
        d = self.p.militia_dynamics
        u = draw("weapon")
        missiles = militia.capability >= Capability.MISSILES
        if missiles and u < d.missile_share:
            return MISSILE
        if militia.capability >= Capability.DRONES and u < d.missile_share * missiles + d.drone_share:
            return DRONE
        return ROCKETS

    def draw_casualties(self, draw, weapon: int, target: int, intends_casualties: bool) -> tuple[int, int]:
        """US killed and wounded by one attack: intercepted or not, then killed, wounded or unharmed."""
        d = self.p.militia_dynamics
        lethality = d.lethality[WEAPONS[weapon]]
        exposure = getattr(d.target_exposure, TARGETS[target])
        scale = exposure * (d.lethal_intent_multiplier if intends_casualties else 1.0)
        scale *= self.presence
        if not draw("intercept") >= lethality.intercept:
            return 0, 0
        u = draw("lethality")
        p_kill = min(lethality.kill * scale, 1.0)
        p_wound = min(lethality.wound * scale, 1.0 - p_kill)
        if u < p_kill:
            killed = 1 + poisson_from_uniform(draw("killed"), d.killed_extra_mean)
            return killed, poisson_from_uniform(draw("wounded"), d.wounded_extra_mean)
        if u < p_kill + p_wound:
            return 0, 1 + poisson_from_uniform(draw("wounded"), d.wounded_extra_mean)
        return 0, 0

    # -- shared actions ---------------------------------------------------------------------------------

    def record(self, rung: int, side: str | None) -> None:
        """An action on a rung: the day's level and score, the highest rung, the first day at each rung."""
        rung = int(rung)
        self.today_level = max(self.today_level, rung)
        if side is not None:
            self.today_side_score[SIDES[side]] += WEIGHTS[rung]
        self.max_rung = max(self.max_rung, rung)
        if rung >= 3 and self.first_day[rung] is None:
            self.first_day[rung] = self.day

    def count_casualties(self, killed: int, wounded: int) -> None:
        self.us_killed += killed
        self.us_wounded += wounded
        if killed > 0 and self.first_day_us_killed is None:
            self.first_day_us_killed = self.day

    def first_us_strike(self) -> None:
        if self.first_day_us_strike is None:
            self.first_day_us_strike = self.day

    def strike_militia(self, faction: int, killed: int, in_syria: bool) -> None:
        """US strikes on a faction's sites (rung 4)."""
        self.record(Rung.STRIKE_ON_MILITIA_SITES, "us_militia")
        self.militias[faction].suffer_strike(killed)
        if not in_syria:
            self.iraqi_government.backlash(self.p.iraqi_government.sovereignty_per_strike)
        self.us_strikes += 1
        self.militia_killed += killed
        self.first_us_strike()

    def kill_leader(self, target: int) -> None:
        """The US kills a faction's leader or the Quds Force commander (rung 5)."""
        p = self.p
        killed = 1 + self.united_states.poisson("leader_escort", p.united_states.leader_escort_killed_mean)
        self.record(Rung.LEADER_KILLING, "us_iran" if target == QUDS_COMMANDER else "us_militia")
        if target == QUDS_COMMANDER:
            self.quds_force.leash *= 1.0 - p.quds_force.leash_drop_on_commander_killed
            self.iran.humiliate(p.iran.humiliation_per_commander_killed)
            for militia in self.militias:
                militia.grievance += p.militia_dynamics.patron_revenge
        else:
            self.militias[target].suffer_strike(killed, leader=True)
        self.iraqi_government.backlash(p.iraqi_government.sovereignty_per_leader_killing)
        self.militia_killed += killed
        self.us_leader_killings += 1
        self.first_us_strike()

    def exchange_strike(self, side: int) -> None:
        """A direct strike (0: US, 1: Iran): it opens an exchange or, answering the other side, adds a round."""
        if self.exchange_rounds > 0 and self.exchange_side == 1 - side:
            self.exchange_rounds += 1
        elif self.exchange_rounds == 0:
            self.exchange_rounds = 1
        self.exchange_rounds_max = max(self.exchange_rounds_max, self.exchange_rounds)
        self.exchange_side, self.exchange_day = side, self.day
        if self.exchange_rounds >= self.p.iran.war_after_rounds:
            self.record(Rung.OPEN_WAR, None)
            self.active = False

    def exchange_round_cost(self, side: int) -> float:
        per_round = self.p.iran.us_round_cost if side == 0 else self.p.iran.round_cost
        return per_round * self.exchange_rounds

    def end_stale_exchange(self) -> None:
        """An exchange whose window passed without an answer ends."""
        if self.active and self.exchange_rounds > 0 and self.day - self.exchange_day > self.p.iran.exchange_window:
            self.exchanges_ended += 1
            self.exchange_rounds = 0
            self.exchange_side = -1

    def update_hostility(self) -> None:
        """Hostility per dyad decays and rises with the other side's escalation score today."""
        h = self.p.hostility
        militia, us_militia, iran, us_iran = self.today_side_score
        dk = self.hostility_decay
        self.hostility_militias_us = self.hostility_militias_us * dk + h.reaction * us_militia
        self.hostility_us_militias = self.hostility_us_militias * dk + h.reaction * militia
        self.hostility_iran_us = self.hostility_iran_us * dk + h.reaction * us_iran
        self.hostility_us_iran = (self.hostility_us_iran * dk
                                  + h.reaction * (iran + self.quds_force.leash * h.proxy_blame * militia))

    def outcome(self) -> str:
        definitions = self.scenario.outcomes
        return classify(self.max_rung, self.exchange_rounds_max, definitions.confrontation_rounds,
                        definitions.exchange_is_confrontation)


OUTCOME_ATTRIBUTES = (
    "attacks", "attacks_rung_1", "attacks_rung_2", "attacks_rung_3", "us_killed",
    "us_wounded", "militia_killed", "us_strikes", "us_leader_killings", "us_strikes_on_iran",
    "iran_direct_strikes", "first_day_us_strike", "first_day_us_killed", "exchange_rounds_max", "exchanges_ended",
)


def run_worlds(worlds: int, master_seed: int = 0, scenario: str = "baseline", days: int | None = None,
               processes: int = 1) -> list[dict]:
    """``mesa.batch_run`` over worlds 0..worlds-1: one row per world, the state after its last day."""
    from mesa.batchrunner import batch_run

    parameters = {"world": range(worlds), "master_seed": master_seed, "scenario": scenario}
    if days is not None:
        parameters["days"] = days
    horizon = days if days is not None else load_scenario(scenario).days
    return batch_run(World, parameters=parameters, number_processes=processes, iterations=1,
                     data_collection_period=-1, max_steps=horizon, display_progress=False)
