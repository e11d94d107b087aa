"""Unit tests of each actor's decision rule, on small seeded batches with stated tolerances."""

import numpy as np
import pytest

from sim import attacks
from sim.ladder import Posture
from sim.model import EscalationModel


def fresh(n=2000, scenario="baseline", overrides=None, seed=1):
    return EscalationModel(scenario, n_worlds=n, seed=seed, days=400, overrides=overrides)


def kh(model):
    return model.militias[model.scenario.faction_keys.index("kataib_hezbollah")]


# -- Militia -----------------------------------------------------------------------------------------


def test_a_freshly_built_model_can_answer_every_rule():
    """State an actor needs is made in its __init__: no step has to run first."""
    model = EscalationModel("baseline", n_worlds=3, seed=1, days=10)
    for militia in model.militias:
        rate = militia.attack_rate()
        assert rate.shape == (3,) and (rate > 0).all()
    assert model.united_states.expected_retaliation().shape == (3,)
    assert model.united_states.habituation_factor(np.arange(3)).shape == (3,)


def test_actors_read_typed_parameters_and_typos_fail():
    model = fresh(2, overrides={"united_states.strike_threshold": np.array([1.0, 3.0])})
    us = model.united_states
    assert isinstance(us.params.pressure_per_killed, float)  # shared by all worlds
    assert list(us.params.strike_threshold) == [1.0, 3.0]  # per world
    assert kh(model).params.obedience == model.values["militias.kataib_hezbollah.obedience"]
    assert model.params.militia_dynamics.lethality["drone"].kill == model.values["militia_dynamics.lethality.drone.kill"]
    with pytest.raises(AttributeError):
        us.params.strike_treshold  # noqa: B018



def test_grievance_raises_the_attack_rate_sublinearly():
    model = fresh(3)
    militia = kh(model)
    base = militia.attack_rate()[0]
    militia.grievance[:] = [0.0, 1.0, 3.0]
    rate = militia.attack_rate()
    assert rate[0] == pytest.approx(base)
    assert rate[0] < rate[1] < rate[2] < base * 4.0 ** 0.7 * 1.0001


def test_fear_of_us_retaliation_and_political_stake_lower_the_rate():
    model = fresh(2)
    militia = kh(model)
    model.united_states.pressure[:] = [0.0, 5.0]
    model.expected_retaliation_today = model.united_states.expected_retaliation()
    rate = militia.attack_rate()
    assert rate[1] < rate[0]
    badr = model.militias[model.scenario.faction_keys.index("badr")]
    calm = badr.attack_rate()[0]
    model.iraqi_government.militia_pressure_today = 2.0  # an election window
    assert badr.attack_rate()[0] < calm * np.exp(-1.5 * 1.0) * 1.0001


def test_a_calm_order_lowers_the_rate_through_the_leash_without_ending_it():
    """Badr (no defiance) obeys in proportion to the leash; with no leash the order does not reach it."""
    model = fresh(3, overrides={"quds_force.leash_strength": np.array([1.0, 0.5, 0.0])})
    badr = model.militias[model.scenario.faction_keys.index("badr")]
    free = badr.attack_rate()
    model.iran.order(int(Posture.RESTRAINT), until=100)
    model.iran.choose_posture()
    ordered = badr.attack_rate()
    assert ordered[0] < ordered[1] < ordered[2] == pytest.approx(free[2])
    assert (ordered / free)[0] < (ordered / free)[1] < 1.0
    assert ordered[0] > 0


def test_a_loosely_leashed_defiant_faction_answers_a_calm_order_with_more_attacks():
    """[MilitiasRogue2021]: a faction leader refused Tehran's calm order; KH's defiance raises its rate unleashed."""
    model = fresh(2, overrides={"quds_force.leash_strength": np.array([1.0, 0.0])})
    militia = kh(model)
    free = militia.attack_rate()
    model.iran.order(int(Posture.RESTRAINT), until=100)
    model.iran.choose_posture()
    ordered = militia.attack_rate()
    assert ordered[0] < free[0]  # leashed: the order holds
    assert ordered[1] == pytest.approx(free[1] * (1 + 0.15))  # unleashed: defiance 0.15


def test_the_leash_holds_hardliners_below_their_own_intensity():
    """Without the leash a faction acts on its own intensity (KH 1.6 x Tehran's calibrated pressure)."""
    model = fresh(2, overrides={"quds_force.leash_strength": np.array([1.0, 0.0])})
    militia = kh(model)
    rate = militia.attack_rate()
    compliance = 0.6  # obedience at full leash
    assert rate[1] / rate[0] == pytest.approx(1.6 / ((1 - compliance) * 1.6 + compliance * 1.0))


def test_compliance_strips_part_of_the_intent_to_kill():
    """Tehran wants signals, not dead Americans: casualty_restraint scales lethal intent by compliance."""
    n = 20_000
    killed = {}
    for leash in (1.0, 0.0):
        model = fresh(n, overrides={"quds_force.leash_strength": leash, "militias.kataib_hezbollah.lethal_intent": 1.0})
        rows = np.arange(n)
        attacks.resolve_attacks(model, rows, np.full(n, kh(model).index))
        killed[leash] = (model.outcome_counts["us_killed"] > 0).mean()
    # intent 1.0 x (1 - 0.6 x 0.5) = 0.7 leashed vs 1.0 unleashed: fewer deadly attacks on a leash
    assert killed[1.0] < killed[0.0] * 0.9


def test_outbidding_rival_attacks_raise_the_rate():
    model = fresh(2)
    militia = kh(model)
    model.attack_memory[:] = [0.0, 30.0]
    rate = militia.attack_rate()
    assert rate[1] > rate[0]


def test_attack_outcomes_follow_the_lethality_table():
    """With certain interception nobody is hurt; with certain death every attack kills."""
    n = 4000
    for kill, intercept, expect_killed in ((0.0, 1.0, 0.0), (1.0, 0.0, 1.0)):
        overrides = {f"militia_dynamics.lethality.{w}.{k}": v for w in ("roadside_bomb", "rockets", "drone", "missile")
                     for k, v in (("kill", kill), ("intercept", intercept))}
        overrides.update({f"militia_dynamics.target_exposure.{t}": 1.0 for t in ("base_iraq", "base_syria", "embassy", "convoy")})
        model = fresh(n, overrides=overrides)
        militia = kh(model)
        worlds = np.arange(n)
        faction = np.full(n, militia.index)
        killed, wounded = attacks.draw_casualties(model, worlds, faction, np.ones(n, int), np.zeros(n, int),
                                                   np.zeros(n, bool))
        assert (killed > 0).mean() == expect_killed
        if expect_killed == 0:
            assert wounded.sum() == 0


def test_lethal_intent_raises_casualties():
    n = 20_000
    model = fresh(n, overrides={"militia_dynamics.lethality.rockets.kill": 0.01,  # pinned: baseline is calibrated
                                "militia_dynamics.lethality.rockets.intercept": 0.25})
    militia = kh(model)
    worlds = np.arange(n)
    weapon, target = np.ones(n, int), np.zeros(n, int)
    faction = np.full(n, militia.index)
    signal = attacks.draw_casualties(model, worlds, faction, weapon, target, np.zeros(n, bool))[0]
    meant = attacks.draw_casualties(model, worlds, faction, weapon, target, np.ones(n, bool))[0]
    # kill 0.01 x (1 - intercept 0.25) = 0.0075 vs x4 = 0.03; standard errors ~0.0006 and ~0.0012
    assert abs((signal > 0).mean() - 0.0075) < 0.003
    assert abs((meant > 0).mean() - 0.03) < 0.006


def test_weapons_follow_the_capability_ratchet():
    n = 5000
    model = fresh(n)
    militia = kh(model)
    worlds = np.arange(n)
    target = np.zeros(n, int)
    faction = np.full(n, militia.index)
    assert set(np.unique(attacks.choose_weapon(model, worlds, faction, target))) == {1}  # rockets only at first
    militia.capability[:] = 2
    weapons = attacks.choose_weapon(model, worlds, faction, target)
    assert set(np.unique(weapons)) == {1, 2, 3}
    assert abs((weapons == 3).mean() - 0.15) < 0.03 and abs((weapons == 2).mean() - 0.45) < 0.03
    assert set(np.unique(attacks.choose_weapon(model, worlds, faction, np.full(n, 3)))) == {0}  # convoys: roadside bombs


def test_attacks_of_several_factions_in_one_world_are_all_counted():
    model = fresh(3)
    worlds = np.array([0, 0, 0, 2])
    faction = np.array([0, 1, 2, 0])
    attacks.resolve_attacks(model, worlds, faction, forced={"killed": 1, "wounded": 0, "weapon": "rockets",
                                                           "target": "base_iraq"})
    assert list(model.outcome_counts["attacks"]) == [3, 0, 1]
    assert list(model.outcome_counts["us_killed"]) == [3, 0, 1]
    assert list(model.max_rung) == [3, 0, 3] and model.today_score[0] == 3 * 20.0
    us = model.params.united_states  # baseline's calibrated pressure per attack and per American killed
    assert model.united_states.pressure[0] == pytest.approx(3 * (us.pressure_per_attack + us.pressure_per_killed))


def test_front_name_claims_blur_attribution():
    n = 20_000
    model = fresh(n)
    militia = kh(model)
    worlds = np.arange(n)
    faction = np.full(n, militia.index)
    assert (attacks.attribution(model, worlds, faction, np.ones(n, bool)) == militia.index).all()
    blurred = attacks.attribution(model, worlds, faction, np.zeros(n, bool))
    assert abs((blurred == militia.index).mean() - 0.75) < 0.02  # attribution_accuracy 0.75


def test_a_us_strike_adds_grievance_to_the_target_and_some_to_its_rivals():
    model = fresh(1)
    militia = kh(model)
    other = model.militias[1]
    militia.suffer_strike(np.array([0]), np.array([10]))
    assert militia.grievance[0] == pytest.approx(1.0 + 0.05 * 10)
    assert other.grievance[0] == pytest.approx(0.3 * 1.5)
    assert militia.excitation[0] > 0 and militia.members_lost[0] == 10


def test_the_urge_to_answer_a_strike_is_a_scenario_key():
    """strike_excitation (default 2.0, formerly a constant) scales the self-excitation a US strike adds."""
    model = fresh(3, overrides={"militia_dynamics.strike_excitation": np.array([0.0, 1.0, 2.0])})
    militia = kh(model)
    militia.suffer_strike(np.arange(3), np.zeros(3))
    assert militia.excitation[0] == 0 and militia.excitation[2] == pytest.approx(2 * militia.excitation[1])


# -- Quds Force --------------------------------------------------------------------------------------


def test_leash_drops_when_the_commander_is_killed_and_recovers_slowly():
    model = fresh(1)
    quds = model.quds_force
    quds.lose_commander(np.array([0]))
    assert quds.leash[0] == pytest.approx(0.4)
    for _ in range(240):  # one half-life
        quds.step()
    assert quds.leash[0] == pytest.approx(0.6, abs=0.01)


def test_capability_only_ratchets_up():
    model = fresh(1, overrides={"quds_force.capability_supply_rate": 0.01})
    militia = kh(model)
    levels = []
    for _ in range(250):
        model.quds_force.step()
        levels.append(militia.capability[0])
    assert np.all(np.diff(levels) >= 0) and levels[-1] == 2


# -- Iran --------------------------------------------------------------------------------------------


def test_talks_and_economic_exposure_restrain_iran_and_humiliation_escalates_it():
    model = fresh(3)
    iran = model.iran
    iran.talks[:] = [False, True, False]
    iran.humiliation[:] = [0.0, 0.0, 4.0]
    iran.choose_posture()
    assert list(iran.posture) == [Posture.PRESSURE, Posture.RESTRAINT, Posture.ESCALATION]
    assert iran.directive[1] < iran.directive[0] < iran.directive[2]


def test_iran_answers_humiliation_with_one_delayed_choice():
    """One decision per humiliation after the deliberation delay (the rule itself: tests/test_exchange.py)."""
    n = 3000
    model = fresh(n)
    model.iran.humiliate(np.arange(n), np.full(n, 4.0))
    decided = np.full(n, -1)
    for day in range(40):
        model.day = day
        decided[model.iran.decision_due == day] = day
        model.iran.react()
    assert (decided >= 1).all() and (model.iran.decision_due < 0).all()  # each world decided once
    assert 4.0 < decided.mean() < 6.0  # delay mean 5 days
    assert (model.outcome_counts["iran_direct_strikes"] <= 1).all()  # one salvo at most, not a campaign
    struck = model.outcome_counts["iran_direct_strikes"] > 0
    assert model.iran.humiliation[struck] == pytest.approx(4.0 * 0.3)  # humiliation_after_salvo: 0.3 of it is left


# -- United States -----------------------------------------------------------------------------------


def test_american_dead_raise_pressure_far_more_than_attacks_without_casualties():
    model = fresh(2)
    us = model.united_states
    us.perceive(np.array([0]), np.array([0.15]), np.array([0]), severity=np.array([2.0]))
    us.perceive(np.array([1]), np.array([0.15 + 6.0]), np.array([0]), severity=np.array([4.0]))
    assert us.pressure[1] > 20 * us.pressure[0]
    assert (us.response_due >= 1).all()


@pytest.mark.parametrize("pressure, expect_strike", [(0.3, (0.0, 0.03)), (12.0, (0.97, 1.0))])
def test_the_us_strikes_when_pressure_is_high_and_rarely_when_low(pressure, expect_strike):
    n = 4000
    model = fresh(n)
    us = model.united_states
    us.pressure[:] = pressure
    us.response_target[:] = 0
    us.respond(np.arange(n))
    struck = (model.outcome_counts["us_strikes"] + model.outcome_counts["us_leader_killings"] > 0).mean()
    assert expect_strike[0] <= struck <= expect_strike[1]


def test_sovereignty_pressure_holds_back_strikes_inside_iraq():
    n = 4000
    model = fresh(n, overrides={"united_states.syria_strike_share": 0.0,
                                "united_states.strike_threshold": 2.6})  # pinned: baseline is calibrated
    us = model.united_states
    us.pressure[:] = 3.5
    us.response_target[:] = 0
    half = n // 2
    model.iraqi_government.sovereignty[half:] = 4.0
    us.respond(np.arange(n))
    struck = model.outcome_counts["us_strikes"] > 0
    assert struck[:half].mean() > 0.7 and struck[half:].mean() < 0.05


def test_war_aversion_keeps_the_us_from_striking_iran():
    n = 2000
    for aversion, expect in ((12.0, 0.0), (0.0, 1.0)):
        model = fresh(n, overrides={"united_states.war_aversion": aversion})
        us = model.united_states
        us.pressure[:] = 20.0
        us.iran_struck[:] = True
        us.respond(np.arange(n))
        assert (model.outcome_counts["us_strikes_on_iran"] > 0).mean() == pytest.approx(expect, abs=0.02)


def test_presence_falls_with_troops_down_to_its_floor():
    model = fresh(3, overrides={"united_states.presence_floor": 0.15})
    us = model.united_states
    us.force_level[:] = [5200.0, 1300.0, 0.0]
    assert us.presence() == pytest.approx([1.0, 0.5, 0.15])


def test_the_us_draws_down_when_it_accepts_a_withdrawal_demand():
    n = 2000
    model = fresh(n, overrides={"united_states.withdrawal_compliance": 0.5})
    model.united_states.consider_withdrawal(np.arange(n))
    assert abs(model.united_states.withdrawing.mean() - 0.5) < 0.04
    model.day = 0
    for _ in range(10):
        model.united_states.step()
    withdrawing = model.united_states.withdrawing
    assert (model.united_states.force_level[withdrawing] == 5200 - 150).all()
    assert (model.united_states.force_level[~withdrawing] == 5200).all()


# -- Iraqi government --------------------------------------------------------------------------------


def test_us_strikes_on_iraqi_soil_bring_a_withdrawal_demand():
    model = fresh(2)
    iraq = model.iraqi_government
    iraq.backlash(np.array([0, 1]), np.array([1.0, 4.0]))
    assert list(iraq.demanded) == [False, True]
    iraq.step()
    assert iraq.sovereignty[0] == pytest.approx(0.5 ** (1 / 60))


def test_elections_raise_the_pressure_on_militias():
    model = fresh(1, scenario="partnership_2018")
    iraq = model.iraqi_government
    election_day = (np.datetime64("2018-05-12") - np.datetime64("2018-03-01")).astype(int)
    model.day = election_day
    iraq.step()
    during = iraq.militia_pressure_today
    model.day = election_day + 120
    iraq.step()
    assert during == pytest.approx(0.5 + 1.5) and iraq.militia_pressure_today == pytest.approx(0.5)


def test_harmless_attacks_lose_weight_as_they_become_routine():
    """Habituation: at `habituation` attacks a month an attack without casualties moves pressure half as much."""
    model = fresh(2)
    us = model.united_states
    monthly = 8.0  # the baseline's habituation
    us.attack_memory[:] = [0.0, monthly / us.attack_memory_to_monthly]
    factor = us.habituation_factor(np.arange(2))
    assert factor[0] == pytest.approx(1.0) and factor[1] == pytest.approx(0.5)
