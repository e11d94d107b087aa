"""Ablation tests (issue 10, part 7): a mechanism exists only if switching it off changes its statistic.

Each test switches one mechanism to neutral THROUGH THE SCENARIO (overrides of dotted parameter paths; a
per-faction trait is overridden for every faction of the scenario), simulates the same worlds with and
without it (same master seed, so the same world seeds: common random numbers) and asserts that the
statistic the mechanism exists for moves in the documented direction by more than its 95 % interval: the
interval of the difference (neutral arm minus model arm), from a bootstrap over worlds that resamples the
two arms together (:func:`paired_effect`), must exclude 0 on the documented side.

Every statistic is a pooled ratio over worlds (a sum of per-world numerators over a sum of per-world
denominators, times a constant): a mean per world, a share of events, or a rate inside a window relative
to the rate outside it. Only what the model decided is counted (``scripted`` rows are history, except where
a docstring says so).

The measured effects are tabled in docs/mechanisms.md; ``python tests/test_mechanisms.py`` prints the
table's rows from fresh runs. A mechanism whose statistic does not move is not loosened to pass: it is
marked ``xfail(strict=True)`` with its measured effect, for a decision to fix or remove it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from sim.runner import RunResult, simulate
from sim.ladder import Posture, Rung
from sim.scenario import load_scenario, validate_scenario

N_WORLDS = 1000  # per arm unless a test says otherwise: its effect is many interval half-widths from 0
PRECISE_WORLDS = 2000  # per arm for the smaller effects (habituation, Iran's choice)
SEED = 20240607  # master seed of both arms: world k has the same seed in each (common random numbers)
REPLICATES = 1000  # bootstrap replicates
US_KINETIC = ("strike_militia", "leader_killing", "direct_strike")  # US kinetic actions (rungs 4-6)

FALLS, RISES = "falls", "rises"


# --------------------------------------------------------------------------------------------------
# The paired interval


@dataclass(frozen=True)
class Effect:
    """A statistic with the mechanism on (``model``) and off (``neutral``), and the 95 % interval of the
    difference ``neutral - model`` over the same worlds."""

    model: float
    neutral: float
    lower: float
    upper: float

    @property
    def difference(self) -> float:
        return self.neutral - self.model

    def __str__(self) -> str:
        return (f"{self.model:.4g} -> {self.neutral:.4g}: {self.difference:+.4g} "
                f"[95% {self.lower:+.4g}, {self.upper:+.4g}]")

    def require(self, direction: str) -> None:
        """Assert that switching the mechanism off moves the statistic in ``direction`` beyond its interval."""
        if direction == FALLS:
            assert self.upper < 0, f"expected the statistic to fall without the mechanism: {self}"
        elif direction == RISES:
            assert self.lower > 0, f"expected the statistic to rise without the mechanism: {self}"
        else:
            raise ValueError(direction)


Arm = tuple[np.ndarray, np.ndarray]  # per-world numerator and denominator of one arm


@functools.lru_cache(maxsize=8)
def bootstrap_weights(n_worlds: int, replicates: int, seed: int) -> np.ndarray:
    """Poisson(1) weights of each world in each bootstrap replicate, (replicates, n_worlds)."""
    weights = np.random.default_rng(seed).poisson(1.0, (replicates, n_worlds)).astype(float)
    weights.setflags(write=False)
    return weights


def paired_effect(model: Arm, neutral: Arm, scale: float = 1.0, replicates: int = REPLICATES,
                  seed: int = 0) -> Effect:
    """The pooled ratio ``scale * sum(numerator) / sum(denominator)`` in both arms, with a paired interval.

    A Poisson bootstrap over worlds [Efron1979]: each replicate weighs world k by a Poisson(1) count, the
    same count in both arms, so the interval of the difference keeps the pairing of the common random
    numbers (world k of one arm and world k of the other share their seed). The interval is the 2.5 and
    97.5 percentiles of the replicates' differences.
    """
    (num_m, den_m), (num_n, den_n) = (tuple(np.asarray(a, dtype=float) for a in arm) for arm in (model, neutral))
    assert num_m.shape == den_m.shape == num_n.shape == den_n.shape, "both arms need the same worlds"
    weights = bootstrap_weights(num_m.size, replicates, seed)

    def ratio(num, den, w=None):
        return scale * ((num.sum() / den.sum()) if w is None else (w @ num) / (w @ den))

    differences = ratio(num_n, den_n, weights) - ratio(num_m, den_m, weights)
    lower, upper = np.nanpercentile(differences, [2.5, 97.5])
    return Effect(float(ratio(num_m, den_m)), float(ratio(num_n, den_n)), float(lower), float(upper))


# --------------------------------------------------------------------------------------------------
# Runs and the tables they return


SCENARIOS: dict = {}  # scenarios built here (a shipped one with scripted events added), by name


def with_events(base: str, name: str, events: list[dict]):
    """The shipped scenario ``base`` with timeline events added before its own, registered as ``name``."""
    data = load_scenario(base).model_dump()
    data["timeline"] = events + list(data["timeline"])
    data["name"] = name
    SCENARIOS[name] = validate_scenario(data)
    return name


@functools.lru_cache(maxsize=None)
def _run(scenario: str, days: int, overrides: tuple, n_worlds: int, events: bool, series: bool) -> RunResult:
    return simulate(SCENARIOS.get(scenario, scenario), n_worlds=n_worlds, seed=SEED, days=days,
                    overrides=dict(overrides), collect_events=events, collect_series=series)


def run(scenario: str, days: int, overrides: Mapping | None = None, n_worlds: int = N_WORLDS,
        events: bool = True, series: bool = False) -> RunResult:
    """A batch of the scenario's worlds (master seed SEED); the model arms (no overrides) are cached.

    Days after a statistic's window do not change it (a world's day t depends on days up to t only), so a
    model arm may run longer than its neutral arm and serve several tests.
    """
    if not overrides:
        return _run(scenario, days, (), n_worlds, events, series)
    return _run.__wrapped__(scenario, days, tuple(sorted(overrides.items())), n_worlds, events, series)


def every_faction(scenario: str, trait: str, value: float) -> dict[str, float]:
    """Overrides setting a faction trait to ``value`` for every faction of the scenario."""
    return {f"militias.{key}.{trait}": value for key in load_scenario(scenario).faction_keys}


def timeline_day(scenario: str, kind: str):
    """Day and event of the scenario's first timeline event of type ``kind``."""
    loaded = load_scenario(scenario)
    event = next(e for e in loaded.timeline if e.type == kind)
    return loaded.event_day(event), event


def per_world(events: pd.DataFrame, rows: np.ndarray, n_worlds: int, weights=None) -> np.ndarray:
    """Per world: the number of selected rows (or the sum of their weights)."""
    world = events["world"].to_numpy()[rows]
    w = None if weights is None else np.asarray(weights, dtype=float)[rows]
    return np.bincount(world, weights=w, minlength=n_worlds).astype(float)


def in_days(events: pd.DataFrame, first: int = 0, last: int | None = None) -> np.ndarray:
    """Rows with ``first <= day < last``."""
    day = events["day"].to_numpy()
    return (day >= first) & (day < (np.inf if last is None else last))


def model_attacks(events: pd.DataFrame, first: int = 0, last: int | None = None) -> np.ndarray:
    """Militia attacks the model made (not scripted) with ``first <= day < last``."""
    return (events["action"] == "attack").to_numpy() & ~events["scripted"].to_numpy() & in_days(events, first, last)


def us_kinetic(events: pd.DataFrame, include_scripted: bool = False) -> np.ndarray:
    """US strikes on militia sites, leader killings and strikes on Iran (model-made unless told)."""
    rows = (events["actor"] == "united_states").to_numpy() & events["action"].isin(US_KINETIC).to_numpy()
    return rows if include_scripted else rows & ~events["scripted"].to_numpy()


def followed(events: pd.DataFrame, n_worlds: int, triggers: np.ndarray, responses: np.ndarray,
             first: int, last: int) -> Arm:
    """Per world: trigger rows, and trigger rows with a response row in the same world ``first``..``last``
    days after (inclusive; negative offsets look back)."""
    horizon = int(events["day"].max()) + 1 if len(events) else 1
    world, day = events["world"].to_numpy(), events["day"].to_numpy()
    grid = np.zeros((n_worlds, horizon + 1), dtype=np.int64)
    np.add.at(grid, (world[responses], day[responses] + 1), 1)
    before = np.cumsum(grid, axis=1)  # before[w, d]: responses in world w on days < d
    tw, td = world[triggers], day[triggers]
    lo, hi = np.clip(td + first, 0, horizon), np.clip(td + last + 1, 0, horizon)
    hit = before[tw, hi] > before[tw, lo]
    return (np.bincount(tw, weights=hit, minlength=n_worlds).astype(float),
            np.bincount(tw, minlength=n_worlds).astype(float))


def per_world_mean(values: np.ndarray) -> Arm:
    """A per-world quantity as an arm whose pooled ratio is its mean over worlds."""
    values = np.asarray(values, dtype=float)
    return values, np.ones_like(values)


def ablation(scenario: str, days: int, switch: Mapping, statistic: Callable[[RunResult], Arm],
             scale: float = 1.0, n_worlds: int = N_WORLDS, events: bool = True, series: bool = False,
             model_days: int | None = None) -> Effect:
    """The statistic of the scenario's worlds with the model as it is and with ``switch`` applied."""
    model = run(scenario, model_days or days, n_worlds=n_worlds, events=events, series=series)
    neutral = run(scenario, days, switch, n_worlds=n_worlds, events=events, series=series)
    return paired_effect(statistic(model), statistic(neutral), scale)


# --------------------------------------------------------------------------------------------------
# The scenarios' windows (days from the scenario's start)

CRISIS = "crisis_2019_2020"
CRISIS_DAYS = 300  # Oct 2019 - Jul 2020: the killings of Jan 2020 and half a year after
K1_DAY, _ = timeline_day(CRISIS, "attack")  # 2019-12-27: the K-1 rockets, US pressure rises
SHOCK_DAY, _ = timeline_day("regional_war", "shock")
SHOCK_WINDOW = 60
ELECTION_DAY, ELECTION = timeline_day("partnership_2018", "election")
ORDER_DAY, ORDER = timeline_day("talks_2021", "order")
TRUCE_DAY, TRUCE = timeline_day("talks_2021", "truce")
TALKS_DAYS = TRUCE_DAY + TRUCE.days
COMMANDER_DAY = next(load_scenario(CRISIS).event_day(e) for e in load_scenario(CRISIS).timeline
                     if e.type == "leader_killed" and e.target == "quds_force")
HAWKISH = "hawkish_us"
HAWKISH_DAYS = 457


def attacks_in(first: int, last: int | None = None) -> Callable[[RunResult], Arm]:
    """Model-made attacks per world with ``first <= day < last``."""
    return lambda r: per_world_mean(per_world(r.events, model_attacks(r.events, first, last), len(r.outcomes)))


def rate_inside_relative_to_outside(first: int, last: int, horizon: int) -> tuple[Callable[[RunResult], Arm], float]:
    """Attacks per day in [first, last) over attacks per day on the other days of [0, horizon)."""
    def statistic(r: RunResult) -> Arm:
        e, n = r.events, len(r.outcomes)
        inside = model_attacks(e, first, last)
        outside = model_attacks(e, 0, horizon) & ~inside
        return per_world(e, inside, n), per_world(e, outside, n)
    inside_days = last - first
    return statistic, (horizon - inside_days) / inside_days


# --------------------------------------------------------------------------------------------------
# 1-4: grievance, fear, political stake, outbidding (the militia attack rule)


def test_grievance_raises_attacks_after_a_shock():
    """Mechanism: grievance raises the attack rate (the civil-violence rule [Epstein2002]; stylized fact 5:
    an outside shock lifts attacks quickly [DoDBriefings2024] [PressReports]).

    Switch: ``militia_dynamics.grievance_weight`` -> 0. Scenario ``regional_war`` (a grievance shock of 4 in
    month three). Statistic: model-made attacks per world in the 60 days from the shock. Direction: falls.
    Tolerance: the 95 % paired bootstrap interval of the difference lies below 0.
    """
    effect = ablation("regional_war", SHOCK_DAY + SHOCK_WINDOW, {"militia_dynamics.grievance_weight": 0.0},
                      attacks_in(SHOCK_DAY, SHOCK_DAY + SHOCK_WINDOW))
    effect.require(FALLS)


def test_fear_of_us_retaliation_holds_attacks_back():
    """Mechanism: fear of expected US retaliation lowers the attack rate [Epstein2002].

    Switch: ``militias.*.fear`` -> 0 for every faction. Scenario ``crisis_2019_2020``. Statistic: model-made
    attacks per world from the K-1 attack (27 Dec 2019, when US pressure rises) to day 300. Direction: rises.
    Tolerance: the 95 % paired bootstrap interval of the difference lies above 0.
    """
    effect = ablation(CRISIS, CRISIS_DAYS, every_faction(CRISIS, "fear", 0.0), attacks_in(K1_DAY, CRISIS_DAYS))
    effect.require(RISES)


ELECTION_HORIZON = ELECTION_DAY + ELECTION.window_days + 60
ELECTION_STATISTIC, ELECTION_SCALE = rate_inside_relative_to_outside(
    ELECTION_DAY - ELECTION.window_days, ELECTION_DAY + ELECTION.window_days + 1, ELECTION_HORIZON)


def test_political_stake_restrains_attacks_in_election_windows():
    """Mechanism: factions with seats in Baghdad hold back, harder in an election window (former commanders
    in government, the 2018 election [OldEnemiesAllies2018]; the Oct 2021 election truce [PressReports]).

    Switch: ``militias.*.political_stake`` -> 0 for every faction. Scenario ``partnership_2018`` (election of
    12 May 2018, a 45-day window each side). Statistic: attacks per day inside the window relative to
    attacks per day outside it (day 0 to 60 days after the window). Direction: rises. Tolerance: the 95 %
    paired bootstrap interval of the difference lies above 0.
    """
    effect = ablation("partnership_2018", ELECTION_HORIZON, every_faction("partnership_2018", "political_stake", 0.0),
                      ELECTION_STATISTIC, ELECTION_SCALE)
    effect.require(RISES)


def test_election_pressure_restrains_attacks_in_election_windows():
    """Mechanism: the Iraqi government presses the factions harder within an election window (the Oct 2021
    election truce [PressReports]; the 2018 election [OldEnemiesAllies2018]).

    Switch: ``iraqi_government.election_pressure`` -> 0. Scenario ``partnership_2018``. Statistic: attacks per
    day inside the election window relative to outside it. Direction: rises. Tolerance: the 95 % paired
    bootstrap interval of the difference lies above 0.
    """
    effect = ablation("partnership_2018", ELECTION_HORIZON, {"iraqi_government.election_pressure": 0.0},
                      ELECTION_STATISTIC, ELECTION_SCALE)
    effect.require(RISES)


def test_outbidding_raises_the_attack_rate():
    """Mechanism: outbidding, rivals' recent attacks raise a faction's rate [KyddWalter2006].

    Switch: ``militias.*.rivalry`` -> 0 for every faction. Scenario ``baseline``, 180 days. Statistic:
    attacks per world. Direction: falls. Tolerance: the 95 % paired bootstrap interval of the difference lies
    below 0.
    """
    effect = ablation("baseline", 180, every_faction("baseline", "rivalry", 0.0), attacks_in(0, 180))
    effect.require(FALLS)


# --------------------------------------------------------------------------------------------------
# 5: self-excitation; 6-7: leash and defiance; 12: capability


def counter_attacks(r: RunResult) -> Arm:
    """Share of US strikes on militia sites (scripted ones too) followed by a model-made attack in 1-3 days."""
    e = r.events
    strikes = (e["action"] == "strike_militia").to_numpy()
    return followed(e, len(r.outcomes), strikes, model_attacks(e), 1, 3)


def test_self_excitation_brings_counter_attacks_after_us_strikes():
    """Mechanism: attacks are self-exciting (a Hawkes process [Mohler2011]); militia counter-attacks follow
    US strikes within 1-3 days [PressReports].

    Switch: ``militia_dynamics.self_excitation`` -> 0 (it also scales the strike impulse). Scenario
    ``crisis_2019_2020``, 300 days. Statistic: share of US strikes on militia sites followed by a militia
    attack within 1-3 days (the calibration statistic ``counter_attack_within_3_days``). Direction: falls.
    Tolerance: the 95 % paired bootstrap interval of the difference lies below 0.
    """
    effect = ablation(CRISIS, CRISIS_DAYS, {"militia_dynamics.self_excitation": 0.0}, counter_attacks)
    effect.require(FALLS)


def test_strike_excitation_brings_counter_attacks_after_us_strikes():
    """Mechanism: a US strike on a faction's sites adds an urge to answer within days, ``strike_excitation``
    attacks' worth of self-excitation (counter-attacks within 1-3 days [PressReports]).

    Switch: ``militia_dynamics.strike_excitation`` -> 0. Scenario ``crisis_2019_2020``, 300 days. Statistic:
    share of US strikes on militia sites followed by a militia attack within 1-3 days. Direction: falls.
    Tolerance: the 95 % paired bootstrap interval of the difference lies below 0.
    """
    effect = ablation(CRISIS, CRISIS_DAYS, {"militia_dynamics.strike_excitation": 0.0}, counter_attacks)
    effect.require(FALLS)


ORDER_STATISTIC, ORDER_SCALE = rate_inside_relative_to_outside(ORDER_DAY, ORDER_DAY + ORDER.days, ORDER_DAY + ORDER.days)


def test_the_leash_carries_the_calm_order():
    """Mechanism: the Quds Force leash, the share of Tehran's directive that reaches the factions
    (principal-agent slack [BymanKreps2010] [Salehyan2010]); the 2021 calm order [MilitiasRogue2021].

    Switch: ``quds_force.leash_strength`` -> 0. Scenario ``talks_2021``. Statistic: attacks per day during
    the 90-day calm order (from 6 Apr 2021) relative to attacks per day before it. Direction: rises (the
    order reduces attacks less). Tolerance: the 95 % paired bootstrap interval of the difference lies above 0.
    """
    effect = ablation("talks_2021", ORDER_DAY + ORDER.days, {"quds_force.leash_strength": 0.0},
                      ORDER_STATISTIC, ORDER_SCALE, model_days=TALKS_DAYS)
    effect.require(RISES)


def test_defiance_answers_the_calm_order_with_attacks():
    """Mechanism: a loosely leashed, defiant faction answers Tehran's calm order with more attacks (one
    faction leader refused while the 2020 killings went unavenged [MilitiasRogue2021]).

    Switch: ``militias.*.defiance`` -> 0 for every faction. Scenario ``talks_2021``. Statistic: model-made
    attacks per world during the 90-day calm order. Direction: falls. Tolerance: the 95 % paired bootstrap
    interval of the difference lies below 0.
    """
    effect = ablation("talks_2021", ORDER_DAY + ORDER.days, every_faction("talks_2021", "defiance", 0.0),
                      attacks_in(ORDER_DAY, ORDER_DAY + ORDER.days), model_days=TALKS_DAYS)
    effect.require(FALLS)


BASELINE_LONG = 730
CAPABILITY_WORLDS = 500  # the effect is the whole share (drones and missiles vanish): 500 worlds suffice


def advanced_weapons_in_the_last_quarter(r: RunResult) -> Arm:
    """Share of model-made attacks with drones or missiles in the last 90 days of a two-year run."""
    e, n = r.events, len(r.outcomes)
    late = model_attacks(e, BASELINE_LONG - 90, BASELINE_LONG)
    advanced = late & e["weapon"].isin(["drone", "missile"]).to_numpy()
    return per_world(e, advanced, n), per_world(e, late, n)


def test_the_capability_ratchet_brings_drones_and_missiles():
    """Mechanism: the Quds Force supplies capability that only ratchets up (rockets, then explosive drones
    in 2021 [PressReports]; supply follows Iran's posture).

    Switch: ``quds_force.capability_supply_rate`` -> 0. Scenario ``baseline``, 730 days, 500 worlds.
    Statistic: share of attacks in the last 90 days made with drones or missiles. Direction: falls.
    Tolerance: the 95 % paired bootstrap interval of the difference lies below 0.
    """
    effect = ablation("baseline", BASELINE_LONG, {"quds_force.capability_supply_rate": 0.0},
                      advanced_weapons_in_the_last_quarter, n_worlds=CAPABILITY_WORLDS)
    effect.require(FALLS)


# --------------------------------------------------------------------------------------------------
# 8-10, 15: the US response


def harmless_attacks_answered(r: RunResult) -> Arm:
    """Share of model-made attacks without US casualties followed by a model-made US kinetic action within
    1-10 days."""
    e = r.events
    harmless = model_attacks(e) & (e["killed"].to_numpy() == 0) & (e["wounded"].to_numpy() == 0)
    return followed(e, len(r.outcomes), harmless, us_kinetic(e), 1, 10)


def test_habituation_lets_harmless_attacks_go_unanswered():
    """Mechanism: habituation, repeated harmless attacks lose their news value, so an attack without
    casualties moves US pressure less when attacks are frequent [DoDBriefings2024] [PressReports].

    Switch: ``united_states.habituation`` -> 1000 attacks/month (its maximum: no habituation). Scenario
    ``crisis_2019_2020``, 300 days, 2,000 worlds. Statistic: share of attacks without casualties followed by a
    US kinetic action (strike, leader killing, strike on Iran) within 1-10 days. Direction: rises. Tolerance: the 95 %
    paired bootstrap interval of the difference lies above 0.
    """
    effect = ablation(CRISIS, CRISIS_DAYS, {"united_states.habituation": 1000.0}, harmless_attacks_answered,
                      n_worlds=PRECISE_WORLDS)
    effect.require(RISES)


def misdirected_strikes(r: RunResult) -> Arm:
    """Share of model-made US strikes on militia sites whose target faction made no attack in the 10 days
    before."""
    e, n = r.events, len(r.outcomes)
    strikes = (e["action"] == "strike_militia").to_numpy() & ~e["scripted"].to_numpy()
    actor, target = e["actor"].astype(str).to_numpy(), e["target"].astype(str).to_numpy()
    attack = (e["action"] == "attack").to_numpy()
    hits, cases = np.zeros(n), np.zeros(n)
    for key in load_scenario(r.outcomes["scenario"].iloc[0]).faction_keys:
        answered, struck = followed(e, n, strikes & (target == key), attack & (actor == key), -10, -1)
        hits += struck - answered
        cases += struck
    return hits, cases


def test_attribution_noise_sends_strikes_at_the_wrong_faction():
    """Mechanism: front-name claims buy deniability and the US misattributes them [Carson2018], so its
    strikes hit factions that did not attack.

    Switch: ``united_states.attribution_accuracy`` -> 1. Scenario ``crisis_2019_2020``, 300 days. Statistic:
    share of US strikes on militia sites whose target faction made no attack in the 10 days before.
    Direction: falls. Tolerance: the 95 % paired bootstrap interval of the difference lies below 0.
    """
    effect = ablation(CRISIS, CRISIS_DAYS, {"united_states.attribution_accuracy": 1.0}, misdirected_strikes)
    effect.require(FALLS)


def test_front_names_send_strikes_at_the_wrong_faction():
    """Mechanism: deniability from front-name claims [Carson2018]: only a claim under a front name can be
    misattributed.

    Switch: ``militias.*.front_name_share`` -> 0 for every faction (every claim open). Scenario
    ``crisis_2019_2020``, 300 days. Statistic: share of US strikes on militia sites whose target faction made
    no attack in the 10 days before. Direction: falls. Tolerance: the 95 % paired bootstrap interval of the
    difference lies below 0.
    """
    effect = ablation(CRISIS, CRISIS_DAYS, every_faction(CRISIS, "front_name_share", 0.0), misdirected_strikes)
    effect.require(FALLS)


def strikes_in_iraq(r: RunResult) -> Arm:
    """Share of model-made US strikes on militia sites made in Iraq (not Syria)."""
    e, n = r.events, len(r.outcomes)
    strikes = (e["action"] == "strike_militia").to_numpy() & ~e["scripted"].to_numpy()
    return per_world(e, strikes & (e["location"] == "iraq").to_numpy(), n), per_world(e, strikes, n)


def test_sovereignty_cost_moves_strikes_out_of_iraq():
    """Mechanism: strikes inside Iraq cost sovereignty, so their thresholds rise with Iraqi sovereignty
    pressure (the Jan 5, 2020 expulsion vote [PressReports]).

    Switch: ``united_states.sovereignty_cost`` -> 0. Scenario ``crisis_2019_2020``, 300 days (the scripted
    strikes and killings of Dec 2019 - Jan 2020 leave sovereignty pressure high). Statistic: share of US
    strikes on militia sites made in Iraq. Direction: rises. Tolerance: the 95 % paired bootstrap interval of
    the difference lies above 0.
    """
    effect = ablation(CRISIS, CRISIS_DAYS, {"united_states.sovereignty_cost": 0.0}, strikes_in_iraq)
    effect.require(RISES)


def strike_rounds_per_attack(r: RunResult) -> Arm:
    """US kinetic rounds on militias of its own decision (strikes on sites, leader killings) per attack
    (the calibration statistic ``strike_rounds_per_attack``; its denominator counts every attack)."""
    e, n = r.events, len(r.outcomes)
    rounds = us_kinetic(e) & (e["action"] != "direct_strike").to_numpy()
    return per_world(e, rounds, n), per_world(e, (e["action"] == "attack").to_numpy(), n)


def test_severity_weighting_spares_harmless_attacks():
    """Mechanism: the worst pending attack's perceived rung weighs the US decision, so harmless rocket fire
    moves the US less than its count suggests (attacks without casualties were almost never answered
    [PressReports] [DoDBriefings2024]).

    Switch: ``united_states.severity_exponent`` -> 0. Scenario ``crisis_2019_2020``, 300 days. Statistic: US
    strike rounds of its own decision per militia attack. Direction: rises. Tolerance: the 95 % paired
    bootstrap interval of the difference lies above 0.
    """
    effect = ablation(CRISIS, CRISIS_DAYS, {"united_states.severity_exponent": 0.0}, strike_rounds_per_attack)
    effect.require(RISES)


def test_the_refractory_period_makes_one_round_per_wave():
    """Mechanism: after a kinetic answer the US waits ``refractory_days`` unless Americans are killed or the
    bar is passed by ``refractory_bar``: one strike round per wave of attacks, 2020-21 [PressReports]
    (proportionate, lagged tit-for-tat [Axelrod1984]).

    Switch: ``united_states.refractory_days`` -> 0. Scenario ``crisis_2019_2020``, 300 days. Statistic: US
    strike rounds of its own decision per militia attack. Direction: rises. Tolerance: the 95 % paired
    bootstrap interval of the difference lies above 0.
    """
    effect = ablation(CRISIS, CRISIS_DAYS, {"united_states.refractory_days": 0}, strike_rounds_per_attack)
    effect.require(RISES)


def test_misperception_brings_answers_to_harmless_attacks():
    """Mechanism: the US perceives attacks with noise: a harmless attack may be perceived as one with
    casualties (audience costs then weigh it as such [Fearon1994]).

    Switch: ``united_states.misperception`` -> 0. Scenario ``crisis_2019_2020``, 300 days. Statistic: share of
    attacks without casualties followed by a US kinetic action within 1-10 days. Direction: falls.
    Tolerance: the 95 % paired bootstrap interval of the difference lies below 0.
    """
    effect = ablation(CRISIS, CRISIS_DAYS, {"united_states.misperception": 0.0}, harmless_attacks_answered)
    effect.require(FALLS)


# --------------------------------------------------------------------------------------------------
# 11: hostility; 13-14: Iran's choice and the end of direct exchanges


def escalation_days(r: RunResult) -> Arm:
    """Days per world on which Iran's posture is escalation."""
    s = r.series
    escalating = (s["iran_posture"].to_numpy() == int(Posture.ESCALATION)).astype(float)
    return per_world_mean(np.bincount(s["world"].to_numpy(), weights=escalating, minlength=len(r.outcomes)))


def test_hostility_keeps_iran_escalating():
    """Mechanism: Richardson-style hostility per dyad [Richardson1960]: Iran's hostility toward the US rises
    with the US's actions against it (the commander's killing) and adds to humiliation in its posture score.

    Switch: ``hostility.reaction`` -> 0. Scenario ``crisis_2019_2020``, 300 days. Statistic: days per world
    on which Iran's posture is escalation. Direction: falls. Tolerance: the 95 % paired bootstrap interval of
    the difference lies below 0.
    """
    effect = ablation(CRISIS, CRISIS_DAYS, {"hostility.reaction": 0.0}, escalation_days, events=False, series=True)
    effect.require(FALLS)


HAWKISH_WORLDS = 4000  # US strikes on Iran are rare (~0.1 a world): 4,000 worlds, outcomes only


def us_strikes_on_iran(r: RunResult) -> Arm:
    """US strikes on Iran per world."""
    return per_world_mean(r.outcomes["us_strikes_on_iran"].to_numpy())


def test_hostility_feeds_us_strikes_on_iran():
    """Mechanism: Richardson-style hostility per dyad [Richardson1960]: US hostility toward Iran rises with
    Iran's (and its proxies') actions and adds to the US's score for striking Iran.

    Switch: ``hostility.reaction`` -> 0. Scenario ``hawkish_us``, 457 days, 4,000 worlds, outcomes only.
    Statistic: US strikes on Iran per world. Direction: falls. Tolerance: the 95 % paired bootstrap interval
    of the difference lies below 0.
    """
    effect = ablation(HAWKISH, HAWKISH_DAYS, {"hostility.reaction": 0.0}, us_strikes_on_iran,
                      n_worlds=HAWKISH_WORLDS, events=False)
    effect.require(FALLS)


def test_proxy_blame_holds_iran_responsible_for_its_proxies():
    """Mechanism: the US holds Iran partly responsible for its proxies' attacks [DoDBriefings2024]:
    ``proxy_blame`` of the militias' escalation score, times the leash, feeds US hostility toward Iran.

    Switch: ``hostility.proxy_blame`` -> 0. Scenario ``hawkish_us``, 457 days, 4,000 worlds, outcomes only.
    Statistic: US strikes on Iran per world. Direction: falls. Tolerance: the 95 % paired bootstrap interval
    of the difference lies below 0.
    """
    effect = ablation(HAWKISH, HAWKISH_DAYS, {"hostility.proxy_blame": 0.0}, us_strikes_on_iran,
                      n_worlds=HAWKISH_WORLDS, events=False)
    effect.require(FALLS)


# 13: Iran's choice of answer to a humiliation (a multinomial logit over none, proxy surge, warned salvo,
# unwarned strike; sim/actors/iran.py)

CHOICE_DAYS = COMMANDER_DAY + 60


def iran_strikes(e: pd.DataFrame) -> np.ndarray:
    """Iran's direct strikes the model made."""
    return (e["actor"] == "iran").to_numpy() & (e["action"] == "direct_strike").to_numpy() & ~e["scripted"].to_numpy()


def iran_answers_the_commanders_killing(r: RunResult) -> Arm:
    """Share of worlds where Iran strikes directly within 30 days of the commander's killing (the calibration
    statistic ``p_iran_answers_commander_killing``)."""
    e = r.events
    rows = iran_strikes(e) & in_days(e, COMMANDER_DAY, COMMANDER_DAY + 31)
    return per_world_mean(per_world(e, rows, len(r.outcomes)) > 0)


def test_humiliation_drives_irans_direct_answer():
    """Mechanism: Iran answers humiliation with a direct strike, by the utility ``direct_weight`` x
    humiliation of a warned salvo or an unwarned strike (calibrated retaliation, Jan 8, 2020 [PressReports];
    under the shadow of war [Schelling1966]).

    Switch: ``iran.direct_weight`` -> 0. Scenario ``crisis_2019_2020`` (the commander killed on 3 Jan
    2020), 2,000 worlds. Statistic: share of worlds where Iran strikes directly within 30 days of the killing. Direction:
    falls. Tolerance: the 95 % paired bootstrap interval of the difference lies below 0.
    """
    effect = ablation(CRISIS, CHOICE_DAYS, {"iran.direct_weight": 0.0}, iran_answers_the_commanders_killing,
                      model_days=CRISIS_DAYS, n_worlds=PRECISE_WORLDS)
    effect.require(FALLS)


def test_talks_and_iraqs_economy_restrain_irans_answer():
    """Mechanism: Iran's answer is restrained by talks and by its need of Iraq's economy (its second source
    of hard currency [DoubleGame2021]; the calm of the 2021 talks [MilitiasRogue2021]): ``restraint_weight``
    x the posture restraint is removed from every answer.

    Switch: ``iran.restraint_weight`` -> 0. Scenario ``crisis_2019_2020`` (no talks, economic exposure 0.7),
    2,000 worlds. Statistic: share of worlds where Iran strikes directly within 30 days of the commander's killing.
    Direction: rises. Tolerance: the 95 % paired bootstrap interval of the difference lies above 0.
    """
    effect = ablation(CRISIS, CHOICE_DAYS, {"iran.restraint_weight": 0.0}, iran_answers_the_commanders_killing,
                      model_days=CRISIS_DAYS, n_worlds=PRECISE_WORLDS)
    effect.require(RISES)


def unwarned_share(r: RunResult) -> Arm:
    """Share of Iran's direct strikes that are unwarned (``intended`` rung 6, meant to kill)."""
    e, n = r.events, len(r.outcomes)
    rows = iran_strikes(e)
    unwarned = rows & (e["intended"].to_numpy() == int(Rung.STATE_ON_STATE_STRIKE))
    return per_world(e, unwarned, n), per_world(e, rows, n)


def test_the_cost_of_war_keeps_irans_strikes_warned():
    """Mechanism: Iran shapes its answer to avoid an American answer: each option loses ``war_cost`` x the
    probability the US answers it with a strike on Iran, larger for an unwarned strike (Iran's rounds of
    2020-2024 were shaped to avoid an answer [PressReports]; [Schelling1966]).

    Switch: ``iran.war_cost`` -> 0. Scenario ``crisis_2019_2020``, 2,000 worlds. Statistic: share of Iran's direct strikes
    (in the 60 days from the commander's killing) that are unwarned. Direction: rises. Tolerance: the 95 %
    paired bootstrap interval of the difference lies above 0.
    """
    effect = ablation(CRISIS, CHOICE_DAYS, {"iran.war_cost": 0.0}, unwarned_share, model_days=CRISIS_DAYS,
                      n_worlds=PRECISE_WORLDS)
    effect.require(RISES)


def test_a_proxy_surge_answers_humiliation_through_the_factions():
    """Mechanism: a proxy surge, one of Iran's answers: the factions' directive held at escalation for
    ``surge_days`` (Iran's proxies, not Iran, carried most of the pressure after Jan 2020 [PressReports]).

    Switch: ``iran.surge_weight`` -> 0. Scenario ``crisis_2019_2020``, 2,000 worlds. Statistic: model-made attacks per
    world in the 60 days from the commander's killing. Direction: falls. Tolerance: the 95 % paired bootstrap
    interval of the difference lies below 0.
    """
    effect = ablation(CRISIS, CHOICE_DAYS, {"iran.surge_weight": 0.0}, attacks_in(COMMANDER_DAY, CHOICE_DAYS),
                      model_days=CRISIS_DAYS, n_worlds=PRECISE_WORLDS)
    effect.require(FALLS)


def test_humiliation_raises_irans_posture():
    """Mechanism: Iran's posture answers humiliation with pressure on the US through the factions
    (compellence [Schelling1966]; "provocation, not confrontation" [DoubleGame2021]): ``humiliation_weight``
    per unit of humiliation in the posture score, escalation doubling the factions' directive.

    Switch: ``iran.humiliation_weight`` -> 0. Scenario ``crisis_2019_2020``, 2,000 worlds. Statistic: model-made attacks
    per world in the 60 days from the commander's killing. Direction: falls. Tolerance: the 95 % paired
    bootstrap interval of the difference lies below 0.
    """
    effect = ablation(CRISIS, CHOICE_DAYS, {"iran.humiliation_weight": 0.0}, attacks_in(COMMANDER_DAY, CHOICE_DAYS),
                      model_days=CRISIS_DAYS, n_worlds=PRECISE_WORLDS)
    effect.require(FALLS)


EXCHANGE_WINDOW = int(load_scenario(HAWKISH).iran.exchange_window)
EXCHANGE_DAYS = COMMANDER_DAY + 66  # the killing, Iran's answer and the answers to it
EXCHANGE_WORLDS = 4000


def us_strikes_on_iran_answered(r: RunResult) -> Arm:
    """Share of US strikes on Iran followed by an Iranian direct strike within the exchange window."""
    e = r.events
    us = (e["actor"] == "united_states").to_numpy() & (e["action"] == "direct_strike").to_numpy()
    return followed(e, len(r.outcomes), us, iran_strikes(e), 1, EXCHANGE_WINDOW)


def test_diminishing_reactions_leave_later_strikes_on_iran_unanswered():
    """Mechanism: diminishing reactions: a humiliation weighs 1 / (1 + ``repeat_discount`` x earlier
    humiliating events) (Iran answered none of the strikes on its soil that followed its own rounds, 2024
    [PressReports]).

    Switch: ``iran.repeat_discount`` -> 0. Scenario ``hawkish_us`` (the commander's killing is the first
    humiliation, a US strike on Iran the next), 160 days, 4,000 worlds. Statistic: share of US strikes on Iran
    followed by an Iranian direct strike within the exchange window (30 days). Direction: rises. Tolerance:
    the 95 % paired bootstrap interval of the difference lies above 0.
    """
    effect = ablation(HAWKISH, EXCHANGE_DAYS, {"iran.repeat_discount": 0.0}, us_strikes_on_iran_answered,
                      n_worlds=EXCHANGE_WORLDS)
    effect.require(RISES)


# 14: the end of direct exchanges (round costs)

US_STRIKE_ON_IRAN = with_events("baseline", "baseline_us_strike_on_iran",
                                [{"day": 10, "type": "direct_strike", "by": "united_states",
                                  "note": "a US strike on Iran (assumed), the opening round of an exchange"}])
OPENED_DAYS = 120


def exchange_length(r: RunResult) -> Arm:
    """Rounds of the longest direct exchange per world (``exchange_rounds_max``)."""
    return per_world_mean(r.outcomes["exchange_rounds_max"].to_numpy())


def test_irans_round_cost_ends_direct_exchanges():
    """Mechanism: each further round of a direct exchange costs Iran ``round_cost`` per round already fought
    (every direct round of 2020-2024 ended after one answer or none [PressReports]).

    Switch: ``iran.round_cost`` -> 0. Scenario ``baseline`` with a scripted US strike on Iran on day 10 (every
    world opens an exchange; Iran's answers and the US's are the model's), 120 days, 4,000 worlds, outcomes
    only. Statistic: mean rounds of the longest direct exchange (``exchange_rounds_max``). Direction: rises.
    Tolerance: the 95 % paired bootstrap interval of the difference lies above 0.
    """
    effect = ablation(US_STRIKE_ON_IRAN, OPENED_DAYS, {"iran.round_cost": 0.0}, exchange_length,
                      n_worlds=EXCHANGE_WORLDS, events=False)
    effect.require(RISES)


def test_the_us_round_cost_ends_direct_exchanges():
    """Mechanism: each further round raises the US's Iran-strike bar by ``us_round_cost`` per round already
    fought (Israel's answers of Apr 19 and Oct 26, 2024 were limited and final [PressReports]).

    Switch: ``iran.us_round_cost`` -> 0. Scenario ``baseline`` with a scripted US strike on Iran on day 10,
    120 days, 4,000 worlds, outcomes only. Statistic: mean rounds of the longest direct exchange. Direction:
    rises. Tolerance: the 95 % paired bootstrap interval of the difference lies above 0.
    """
    effect = ablation(US_STRIKE_ON_IRAN, OPENED_DAYS, {"iran.us_round_cost": 0.0}, exchange_length,
                      n_worlds=EXCHANGE_WORLDS, events=False)
    effect.require(RISES)


def iran_strikes_answered_by_the_us(r: RunResult) -> Arm:
    """Share of Iran's direct strikes followed by a US strike on Iran within the exchange window."""
    e = r.events
    us = (e["actor"] == "united_states").to_numpy() & (e["action"] == "direct_strike").to_numpy()
    return followed(e, len(r.outcomes), iran_strikes(e), us, 1, EXCHANGE_WINDOW)


def test_the_us_round_cost_limits_the_us_answers():
    """Mechanism: the US's side of the round cost alone: ``us_round_cost`` per round already fought raises the
    US's bar for answering Iran's round (Israel's answers of 2024 were limited and final [PressReports]).

    Switch: ``iran.us_round_cost`` -> 0. Scenario ``hawkish_us`` (Iran's salvo after the commander's killing
    is round 1), 160 days, 4,000 worlds. Statistic: share of Iran's direct strikes followed by a US strike on
    Iran within the exchange window (30 days). Direction: rises. Tolerance: the 95 % paired bootstrap interval
    of the difference lies above 0.
    """
    effect = ablation(HAWKISH, EXCHANGE_DAYS, {"iran.us_round_cost": 0.0}, iran_strikes_answered_by_the_us,
                      n_worlds=EXCHANGE_WORLDS)
    effect.require(RISES)


# --------------------------------------------------------------------------------------------------
# 16: further mechanisms of the rule docstrings


def test_a_declared_truce_holds_attacks_back():
    """Mechanism: a declared militia truce multiplies the attack rate by ``truce_factor`` (the truce around
    the Oct 2021 elections [PressReports]).

    Switch: ``militia_dynamics.truce_factor`` -> 1. Scenario ``talks_2021``. Statistic: model-made attacks per
    world during the 30-day truce from 25 Sep 2021. Direction: rises. Tolerance: the 95 % paired bootstrap
    interval of the difference lies above 0.
    """
    effect = ablation("talks_2021", TALKS_DAYS, {"militia_dynamics.truce_factor": 1.0},
                      attacks_in(TRUCE_DAY, TALKS_DAYS))
    effect.require(RISES)


ISIS_DAYS = 180


def test_a_common_enemy_restrains_the_militias():
    """Mechanism: a common enemy (ISIS) that both sides fight lowers the militias' log attack rate
    [StrangeBedfellows2015].

    Switch: ``context.common_enemy_restraint`` -> 0. Scenario ``isis_2015``, 180 days, outcomes only.
    Statistic: attacks per world. Direction: rises. Tolerance: the 95 % paired bootstrap interval of the
    difference lies above 0.
    """
    effect = ablation("isis_2015", ISIS_DAYS, {"context.common_enemy_restraint": 0.0},
                      lambda r: per_world_mean(r.outcomes["attacks"].to_numpy()), events=False)
    effect.require(RISES)


def test_a_common_enemy_brings_us_forbearance():
    """Mechanism: the US bore with the militias while both fought ISIS [StrangeBedfellows2015]
    [OldEnemiesAllies2018]: a common enemy raises every US response threshold.

    Switch: ``context.common_enemy_forbearance`` -> 0. Scenario ``isis_2015``, 365 days, outcomes only.
    Statistic: US strikes on militia sites and leader killings per attack. Direction: rises. Tolerance: the
    95 % paired bootstrap interval of the difference lies above 0.
    """
    def rounds(r: RunResult) -> Arm:
        o = r.outcomes
        return (o["us_strikes"] + o["us_leader_killings"]).to_numpy(float), o["attacks"].to_numpy(float)
    effect = ablation("isis_2015", 365, {"context.common_enemy_forbearance": 0.0}, rounds, events=False)
    effect.require(RISES)


def test_solidarity_spreads_grievance_to_the_other_factions():
    """Mechanism: a US strike's grievance is felt by the other factions in the share ``solidarity`` (the
    militia rule :meth:`Militia.suffer_strike`; the strikes of 29 Dec 2019 on KH [PressReports]).

    Switch: ``militia_dynamics.solidarity`` -> 0. Scenario ``crisis_2019_2020``. Statistic: model-made
    attacks per world by factions other than Kataib Hezbollah in the 100 days after the scripted strike on KH
    of 29 Dec 2019. Direction: falls. Tolerance: the 95 % paired bootstrap interval of the difference lies
    below 0.
    """
    strike_day, _ = timeline_day(CRISIS, "us_strike")

    def others(r: RunResult) -> Arm:
        e = r.events
        rows = model_attacks(e, strike_day + 1, strike_day + 101) & (e["actor"] != "kataib_hezbollah").to_numpy()
        return per_world_mean(per_world(e, rows, len(r.outcomes)))
    effect = ablation(CRISIS, strike_day + 101, {"militia_dynamics.solidarity": 0.0}, others, model_days=CRISIS_DAYS)
    effect.require(FALLS)


def test_the_patrons_killing_angers_every_faction():
    """Mechanism: the killing of the Quds Force commander adds ``patron_revenge`` grievance to every faction
    (3 Jan 2020 [PressReports]; still unavenged in 2021 [MilitiasRogue2021]).

    Switch: ``militia_dynamics.patron_revenge`` -> 0. Scenario ``crisis_2019_2020``. Statistic: model-made
    attacks per world in the 100 days from the killing. Direction: falls. Tolerance: the 95 % paired
    bootstrap interval of the difference lies below 0.
    """
    effect = ablation(CRISIS, COMMANDER_DAY + 100, {"militia_dynamics.patron_revenge": 0.0},
                      attacks_in(COMMANDER_DAY, COMMANDER_DAY + 100), model_days=CRISIS_DAYS)
    effect.require(FALLS)


def attacks_with_casualties(first: int) -> Callable[[RunResult], Arm]:
    """Share of model-made attacks from day ``first`` that kill or wound Americans."""
    def statistic(r: RunResult) -> Arm:
        e, n = r.events, len(r.outcomes)
        rows = model_attacks(e, first)
        hurt = rows & ((e["killed"].to_numpy() > 0) | (e["wounded"].to_numpy() > 0))
        return per_world(e, hurt, n), per_world(e, rows, n)
    return statistic


def test_grievance_raises_the_intent_to_kill():
    """Mechanism: intent to cause casualties rises with grievance (``lethal_intent_per_grievance``); lethality
    is stochastic, so a signal can cross the firebreak by accident [Schelling1960].

    Switch: ``militia_dynamics.lethal_intent_per_grievance`` -> 0. Scenario ``crisis_2019_2020``, 300 days.
    Statistic: share of attacks after the killings of 3 Jan 2020 (grievance high) that kill or wound
    Americans. Direction: falls. Tolerance: the 95 % paired bootstrap interval of the difference lies below 0.
    """
    effect = ablation(CRISIS, CRISIS_DAYS, {"militia_dynamics.lethal_intent_per_grievance": 0.0},
                      attacks_with_casualties(COMMANDER_DAY))
    effect.require(FALLS)


def test_tehran_wants_signals_not_dead_americans():
    """Mechanism: compliance with Tehran removes ``casualty_restraint`` of a faction's intent to cause
    casualties: "provocation, not confrontation" [DoubleGame2021].

    Switch: ``iran.casualty_restraint`` -> 0. Scenario ``crisis_2019_2020``, 300 days. Statistic: share of
    attacks that kill or wound Americans. Direction: rises. Tolerance: the 95 % paired bootstrap interval of
    the difference lies above 0.
    """
    effect = ablation(CRISIS, CRISIS_DAYS, {"iran.casualty_restraint": 0.0}, attacks_with_casualties(0))
    effect.require(RISES)


def test_losses_bring_sieges_of_the_embassy():
    """Mechanism: harassment (sieges of the embassy) rises with the faction's members killed by the US (the
    Dec 31, 2019 storming followed US strikes that killed ~25 KH members [PressReports]).

    Switch: ``militia_dynamics.harassment_per_member_killed`` -> 0. Scenario ``crisis_2019_2020``, 300 days.
    Statistic: model-made sieges per world. Direction: falls. Tolerance: the 95 % paired bootstrap interval of
    the difference lies below 0.
    """
    def sieges(r: RunResult) -> Arm:
        e = r.events
        rows = (e["action"] == "siege").to_numpy() & ~e["scripted"].to_numpy()
        return per_world_mean(per_world(e, rows, len(r.outcomes)))
    effect = ablation(CRISIS, CRISIS_DAYS, {"militia_dynamics.harassment_per_member_killed": 0.0}, sieges)
    effect.require(FALLS)


def test_a_drawdown_leaves_fewer_targets():
    """Mechanism: US presence, fewer troops are fewer targets (exposure relative to day 0, down to
    ``presence_floor``; the drawdown of 2019-2021 [PressReports]).

    Switch: ``united_states.presence_floor`` -> 1 (exposure never falls). Scenario ``us_drawdown``, 365
    days, outcomes only. Statistic: attacks per world. Direction: rises. Tolerance: the 95 % paired bootstrap
    interval of the difference lies above 0.
    """
    effect = ablation("us_drawdown", 365, {"united_states.presence_floor": 1.0},
                      lambda r: per_world_mean(r.outcomes["attacks"].to_numpy()), events=False)
    effect.require(RISES)


# --------------------------------------------------------------------------------------------------
# The table of docs/mechanisms.md

if __name__ == "__main__":  # pragma: no cover - prints the measured effects for docs/mechanisms.md
    import inspect
    import re
    import sys
    import time

    module = sys.modules[__name__]
    tests = [f for name, f in inspect.getmembers(module, inspect.isfunction) if name.startswith("test_")]
    for function in sorted(tests, key=lambda f: f.__code__.co_firstlineno):
        name = function.__name__
        captured: list[Effect] = []
        original = Effect.require
        Effect.require = lambda self, direction, _c=captured: _c.append((self, direction))  # type: ignore
        start = time.time()
        try:
            function()
        finally:
            Effect.require = original
        for effect, direction in captured:
            passed = (effect.upper < 0) if direction == FALLS else (effect.lower > 0)
            print(f"{name}: {direction}: {effect}  {'ok' if passed else 'FAILS'}  ({time.time() - start:.1f}s)")
