"""Issue 11: the 2023-24 campaign's mechanisms, one test per decision rule, and the campaign scenarios.

Statistical tests run seeded batches and state their tolerances (binomial standard errors where a share is
compared with its probability). The byte-identity of the shipped 2019-2021 scenarios (every new mechanism
neutral by default) is checked by tests/test_model.py::test_seeded_tables_match_the_reference; the test
here adds that an outside-war or mission-end event with the default keys changes nothing.
"""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from analysis.calibration.hindcast import default_record_path, load_record, run_hindcast
from sim import attacks, seeds
from sim.ladder import Action, Posture
from sim.model import EscalationModel
from sim.runner import simulate
from sim.scenario import ScenarioError, load_scenario

CAMPAIGN = "campaign_2023_2024"


def scenario_file(tmp_path, body: str, name: str = "case", folder: str = ""):
    """A scenario extending the baseline with the given YAML body (timeline events, keys)."""
    (tmp_path / folder).mkdir(exist_ok=True)
    path = tmp_path / folder / f"{name}.yaml"
    path.write_text(f"name: {name}\nextends: baseline\nsources: ['test']\n{body}")
    return load_scenario(path)


WAR = """
timeline:
  - {{day: 10, type: outside_war, status: start, intensity: {intensity}, factions: [kataib_hezbollah], source: test}}
  - {{day: 40, type: outside_war, status: pause, source: test}}
  - {{day: 50, type: outside_war, status: resume, source: test}}
  - {{day: 70, type: outside_war, status: end, source: test}}
"""


def kh(model):
    return model.militia("kataib_hezbollah")


def date_day(scenario, date: str) -> int:
    return (dt.date.fromisoformat(date) - scenario.start_date).days


# -- 1. the outside war ------------------------------------------------------------------------------


def test_an_outside_war_ramps_up_multiplies_the_rates_of_its_factions_and_reaches_tehran(tmp_path):
    """Level ramps linearly over outside_war_ramp_days; rate x multiplier ** level for joined factions only."""
    body = WAR.format(intensity=1.0) + """
militia_dynamics: {outside_war_multiplier: 10.0, outside_war_ramp_days: 10}
iran: {outside_war_weight: 1.5}
"""
    model = EscalationModel(scenario_file(tmp_path, body), n_worlds=2, seed=1, days=90)
    militia, other = kh(model), model.militia("badr")
    levels, postures = [], []
    for _ in range(30):
        model.step()
        levels.append(model.outside_war.level[0])
        postures.append(model.iran.posture[0])
    assert levels[9] == 0 and levels[10] == pytest.approx(0.1) and levels[19] == pytest.approx(1.0)  # step i is day i
    assert model.outside_war.rate_factor(militia.index) == pytest.approx(10.0)
    assert model.outside_war.rate_factor(other.index) == 1.0  # badr did not take the war up
    assert postures[5] == Posture.PRESSURE and postures[25] == Posture.ESCALATION  # 0.18 + 1.5 > 1.6
    for _ in range(46):  # to day 75: ended on day 70, ramping down by 0.1 a day
        model.step()
    assert model.outside_war.level[0] == pytest.approx(0.4)


def test_the_pause_stops_the_joined_factions_within_a_day_and_the_resumption_restores_them(tmp_path):
    body = WAR.format(intensity=1.0) + "militia_dynamics: {outside_war_multiplier: 20.0, outside_war_pause_factor: 0.0}\n"
    result = simulate(scenario_file(tmp_path, body), n_worlds=2000, seed=3, days=60, collect_series=False)
    attacks_kh = result.events[(result.events["action"] == "attack") & (result.events["actor"] == "kataib_hezbollah")]
    per_day = attacks_kh.groupby("day").size().reindex(range(60), fill_value=0) / 2000
    assert per_day[35:40].mean() > 0.3  # at war: ~0.5 a day per world
    assert per_day[40:50].sum() == 0  # pause factor 0: none from the first day of the pause
    assert per_day[50] > 0.6 * per_day[35:40].mean()  # back on the day of the resumption


def test_an_outside_war_with_default_keys_and_a_neutral_mission_end_change_nothing(tmp_path):
    plain = simulate(scenario_file(tmp_path, "", folder="plain"), n_worlds=300, seed=5, days=120)
    body = WAR.format(intensity=2.0) + "  - {day: 80, type: mission_end, source: test}\n"
    neutral = simulate(scenario_file(tmp_path, body, folder="neutral"), n_worlds=300, seed=5, days=120)
    for table in ("events", "series", "outcomes"):
        pd.testing.assert_frame_equal(getattr(plain, table), getattr(neutral, table))


def test_outside_war_events_are_validated(tmp_path):
    with pytest.raises(ScenarioError, match="unknown faction"):
        scenario_file(tmp_path, "timeline:\n  - {day: 1, type: outside_war, status: start, factions: [hamas], source: t}\n")
    with pytest.raises(ScenarioError, match="only to status 'start'"):
        scenario_file(tmp_path, "timeline:\n  - {day: 1, type: outside_war, status: pause, intensity: 2, source: t}\n")


# -- 2. orders and compliance ------------------------------------------------------------------------


def test_tehran_orders_calm_the_day_after_american_dead_when_the_risk_of_war_is_high():
    n = 3
    model = EscalationModel("baseline", n_worlds=n, seed=2, days=50, overrides={"iran.calm_order_days": 40, "iran.calm_order_bar": 15.0})
    model.day = 10
    model.last_day_us_killed[:] = [9, 9, 5]  # killed yesterday, yesterday, days ago
    model.united_states.pressure[:] = [20.0, 5.0, 20.0]
    model.iran.step()
    assert list(model.iran.posture) == [Posture.RESTRAINT, Posture.PRESSURE, Posture.PRESSURE]
    assert model.iran.order_until[0] == 10 + 40 - 1 and model.iran.order_day[0] == 10
    orders = model.events_frame()
    assert list(orders["action"]) == ["calm_order"] and list(orders["world"]) == [0] and not orders["scripted"].any()
    off = EscalationModel("baseline", n_worlds=1, seed=2, days=50)  # calm_order_days 0: the rule is off
    off.day, off.last_day_us_killed[:], off.united_states.pressure[:] = 10, 9, 50.0
    off.iran.step()
    assert off.iran.order_until[0] == -1 and off.iran.posture[0] == Posture.PRESSURE


def test_each_faction_suspends_complies_in_part_or_refuses_by_an_ordered_logit_of_its_traits_and_state():
    n = 20000
    keys = {"militia_dynamics.suspension_days": 30, "militia_dynamics.compliance_bias": 0.3,
            "militia_dynamics.compliance_weight": 4.0, "militia_dynamics.compliance_revenge_weight": 1.0,
            "militia_dynamics.compliance_loss_weight": 0.5, "militia_dynamics.compliance_band": 1.0}
    model = EscalationModel("baseline", n_worlds=n, seed=4, days=100, overrides=keys)
    militia = kh(model)
    half = n // 2
    militia.grievance[half:] = 3.0  # revenge in the second half
    militia.own_attack_memory[:] = 1.0  # it has been attacking
    model.day = 20
    model.iran.order(int(Posture.RESTRAINT), until=80)
    model.day = 21
    militia.answer_order()
    leash, obedience, defiance = 0.8, 0.6, 0.15
    for rows, grievance in ((slice(0, half), 0.0), (slice(half, n), 3.0)):
        z = 0.3 + 4.0 * (leash * obedience - defiance) - math.log1p(grievance)
        p_suspend, p_refuse = 1 / (1 + math.exp(-(z - 1.0))), 1 / (1 + math.exp(z + 1.0))
        suspended = (militia.suspended_until[rows] >= 0).mean()
        refused = (militia.refusing_until[rows] >= 0).mean()
        se = math.sqrt(0.25 / half)
        assert abs(suspended - p_suspend) < 4 * se and abs(refused - p_refuse) < 4 * se
    assert (militia.suspended_until[militia.suspended_until >= 0] == 21 + 30 - 1).all()
    assert (militia.refusing_until[militia.refusing_until >= 0] == 80).all()
    # suspended: the whole rate at suspension_factor
    model.iran.choose_posture()
    rate = militia.attack_rate()
    suspended = militia.suspended_until >= 0
    militia.suspended_until[:] = -1
    free_rate = militia.attack_rate()
    assert rate[suspended] == pytest.approx(free_rate[suspended] * 0.02)
    militia.suspended_until[suspended] = 21 + 30 - 1
    # answered once: a second call draws nothing new
    before = militia.suspended_until.copy()
    militia.answer_order()
    assert (militia.suspended_until == before).all()
    events = model.events_frame()
    assert {"suspension", "refusal"} <= set(events["action"])


def test_a_suspension_ends_with_a_resumption_and_a_quiet_faction_does_not_answer():
    model = EscalationModel("baseline", n_worlds=2, seed=4, days=100,
                            overrides={"militia_dynamics.suspension_days": 5, "militia_dynamics.compliance_bias": 10.0})
    militia = kh(model)
    militia.own_attack_memory[:] = [1.0, 0.0]  # world 1: no recent attack, nothing to suspend
    model.day = 3
    model.iran.order(int(Posture.RESTRAINT), until=50)
    model.day = 4
    militia.answer_order()
    assert list(militia.suspended_until) == [8, -1]
    model.day = 9
    militia.answer_order()
    events = model.events_frame()
    assert list(events["action"]) == ["suspension", "resumption"] and list(events["day"]) == [4, 9]


# -- 3. deterrence -----------------------------------------------------------------------------------


def test_deterrence_grows_with_sites_and_leader_killings_spills_over_and_decays():
    keys = {"militia_dynamics.deterrence_weight": 0.1, "militia_dynamics.deterrence_threshold": 10.0,
            "militia_dynamics.deterrence_per_leader": 15.0, "militia_dynamics.deterrence_spillover": 0.5,
            "militia_dynamics.deterrence_half_life": 20.0}
    model = EscalationModel("baseline", n_worlds=3, seed=1, days=100, overrides=keys)
    militia, other = kh(model), model.militia("badr")
    base = militia.attack_rate() - militia.excitation
    model.strike_militia(np.array([0, 1]), np.array([militia.index] * 2), np.array([3, 40]), np.zeros(2, int),
                         np.array([True, True]))
    model.kill_leader(np.array([2]), np.array([militia.index]))
    assert militia.deterrence == pytest.approx([3.0, 40.0, 15.0]) and other.deterrence == pytest.approx([1.5, 20.0, 7.5])
    militia.excitation[:] = 0.0
    militia.grievance[:] = 0.0
    rate = militia.attack_rate()
    assert rate[0] == pytest.approx(base[0])  # 3 sites: below the threshold, no deterrence
    assert rate[1] == pytest.approx(base[1] * math.exp(-0.1 * 30.0))
    for _ in range(20):
        militia.decide()
    assert militia.deterrence[1] == pytest.approx(20.0, rel=1e-6)  # one half-life


def test_a_medium_strike_brings_counter_attacks_and_the_late_january_combination_a_lull():
    """Campaign worlds at the height of the campaign: a 3-site strike is answered within 1-5 days (the echo),
    the combination (Tehran's calm order, the 85-site round and a leader killing) is followed by weeks of quiet."""
    scenario = load_scenario(CAMPAIGN)
    n, start = 600, date_day(scenario, "2023-12-05")
    runs = {}
    for case in ("control", "medium", "combination"):
        model = EscalationModel(scenario, n_worlds=n, seed=8, collect_events=False)
        for _ in range(start):
            model.step()
        worlds = np.flatnonzero(model.active)
        faction = np.full(worlds.size, kh(model).index)
        if case == "medium":
            model.strike_militia(worlds, faction, np.full(worlds.size, 3), np.full(worlds.size, 12), np.ones(worlds.size, bool))
        if case == "combination":
            model.iran.order(int(Posture.RESTRAINT), until=model.day + 89)
            model.iran.choose_posture()
            model.strike_militia(worlds, faction, np.full(worlds.size, 85), np.full(worlds.size, 40), np.ones(worlds.size, bool))
            model.kill_leader(worlds, faction)
        daily = []
        for _ in range(35):
            model.step()
            daily.append(model.today_attacks.copy())
        runs[case] = np.array(daily)  # (days, worlds)
    first5 = {case: runs[case][1:6].sum(0).mean() for case in runs}
    weeks = {case: runs[case][7:35].sum(0).mean() for case in runs}
    assert first5["medium"] > 0.9 * first5["control"]  # no deterrence from a medium round: the echo answers it
    assert weeks["combination"] < 0.3 * weeks["control"]  # a lull of weeks
    assert weeks["control"] > 15  # the campaign at its height (~1.5 attacks a day)


# -- 4. the US in a sustained campaign ---------------------------------------------------------------


def test_the_leader_killing_bar_falls_with_the_campaign_down_to_the_warning_bar():
    n = 3000
    outcomes = []
    for drop in (0.0, 0.1):
        model = EscalationModel("baseline", n_worlds=n, seed=6, days=50,
                                overrides={"united_states.leader_bar_per_campaign_attack": drop})
        us = model.united_states
        us.pressure[:] = 8.0  # above the strike bar, below the fixed leader bar (16)
        us.response_target[:] = 0
        us.response_severity[:] = 3.0
        us.campaign_memory[:] = np.repeat([0.0, 120.0, 1000.0], n // 3)  # bar 16, 4, floored at 0.8
        us.respond(np.arange(n))
        outcomes.append(model.outcome_counts["us_leader_killings"].reshape(3, -1).mean(axis=1))
    fixed, falling = outcomes
    assert (fixed == 0).all()
    assert falling[0] == 0 and falling[1] > 0.97 and falling[2] > 0.97


def test_after_casualties_the_us_strikes_first_with_a_round_sized_by_the_pressure():
    n = 2000
    keys = {"united_states.strike_first_after_casualties": True, "united_states.max_sites": 85,
            "united_states.pressure_per_extra_site": 0.8, "united_states.syria_strike_share": 1.0}
    model = EscalationModel("baseline", n_worlds=n, seed=7, days=50, overrides=keys)
    us = model.united_states
    us.pressure[:] = 71.0  # Tower 22: 3 killed and ~40 wounded
    us.response_target[:] = 0
    us.response_severity[:] = np.repeat([3.0 + 3, 2.0], n // 2)  # casualties / none (misperceived as none)
    us.respond(np.arange(n))
    strikes, leaders = model.outcome_counts["us_strikes"], model.outcome_counts["us_leader_killings"]
    assert strikes[: n // 2].all() and not leaders[: n // 2].any()
    assert leaders[n // 2:].all()  # without casualties, the same pressure passes the leader bar
    killed = model.events_frame().query("action == 'strike_militia'")["killed"]
    assert 250 < killed.mean() < 420  # ~85 sites (capped) x 4 killed per site
    neutral = EscalationModel("baseline", n_worlds=10, seed=7, days=50)
    neutral.united_states.pressure[:] = 71.0
    neutral.united_states.response_severity[:] = 6.0
    neutral.united_states.response_target[:] = 0
    neutral.united_states.respond(np.arange(10))
    assert neutral.outcome_counts["us_leader_killings"].all()  # default: the most severe rung passed


# -- 5. the mass-casualty tail -----------------------------------------------------------------------


def test_the_negative_binomial_has_the_stated_mean_and_variance_and_dispersion_zero_is_the_poisson():
    u = seeds.uniform(seeds.derive_seeds(1, np.arange(200_000)), 3, 4, 5)
    mean, dispersion = 5.0, 4.0
    x = seeds.negative_binomial_from_uniform(u, mean, dispersion)
    assert abs(x.mean() - mean) < 4 * math.sqrt(mean * (1 + dispersion * mean) / u.size)
    assert x.var() == pytest.approx(mean * (1 + dispersion * mean), rel=0.1)
    assert (x >= 39).mean() > 0.01 > (seeds.poisson_from_uniform(u, mean) >= 39).mean()
    assert np.array_equal(attacks.heavy_tailed_count(u, mean, 0.0), seeds.poisson_from_uniform(u, mean))


def test_wounded_per_attack_get_a_heavy_tail_from_the_same_draw():
    n = 4000
    worlds, faction = np.arange(n), np.zeros(n, dtype=int)
    weapon, target = np.full(n, attacks.MISSILE), np.zeros(n, dtype=int)
    outcome = {}
    for dispersion in (0.0, 4.0):
        model = EscalationModel("baseline", n_worlds=n, seed=9, days=10,
                                overrides={"militia_dynamics.wounded_dispersion": dispersion})
        outcome[dispersion] = attacks.draw_casualties(model, worlds, faction, weapon, target, np.ones(n, bool))
    (k0, w0), (k1, w1) = outcome[0.0], outcome[4.0]
    assert np.array_equal(k0, k1) and np.array_equal(k0 + w0 > 0, k1 + w1 > 0)  # who is hurt does not change
    hurt = (k0 == 0) & (w0 > 0)
    assert abs(w1[hurt].mean() - w0[hurt].mean()) < 1.0 and w1.max() > 2 * w0.max()


# -- 6. force posture in numbers ---------------------------------------------------------------------


def test_troop_groups_weight_targets_and_drawdowns_move_one_group(tmp_path):
    body = """
united_states: {force_level: 2500, troops_syria: 900, troops_jordan: 300, drawdown_rate: 10000}
militia_dynamics:
  target_mix: {base_iraq: 0.4, base_syria: 0.5, base_jordan: 0.1, embassy: 0.0, convoy: 0.0}
timeline:
  - {day: 2, type: drawdown, group: syria, troops: 0, source: test}
"""
    n = 20000
    model = EscalationModel(scenario_file(tmp_path, body), n_worlds=n, seed=2, days=20)
    assert model.target_presence_today.shape == (n, 5) and model.presence_today == pytest.approx(1.0)
    faction = np.zeros(n, dtype=int)
    chosen = attacks.choose_target(model, np.arange(n), faction)
    shares = np.bincount(chosen, minlength=5) / n
    assert shares[[0, 1, 4]] == pytest.approx([0.4, 0.5, 0.1], abs=0.015)
    for _ in range(4):
        model.step()
    assert model.united_states.troops["syria"] == pytest.approx(0.0) and model.united_states.force_level[0] == 2500
    chosen = attacks.choose_target(model, np.arange(n), faction)
    assert not (chosen == 1).any()  # no troops left in Syria: no targets there
    assert model.presence_today == pytest.approx(0.5)  # half the target weight is gone
    assert EscalationModel("baseline", n_worlds=2, seed=1, days=5).target_presence_today is None  # neutral


def test_a_mission_end_lowers_the_rates_by_its_restraint(tmp_path):
    body = "context: {mission_end_restraint: 0.8}\ntimeline:\n  - {day: 1, type: mission_end, weight: 0.5, source: test}\n"
    model = EscalationModel(scenario_file(tmp_path, body), n_worlds=2, seed=1, days=10)
    militia = kh(model)
    before = militia.attack_rate() - militia.excitation
    model.timeline.apply(1)
    after = militia.attack_rate() - militia.excitation
    assert model.mission_ended == 0.5 and after == pytest.approx(before * math.exp(-0.4))


# -- 7. the scenarios --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def campaign():
    scenario = load_scenario(CAMPAIGN)
    return scenario, simulate(scenario, n_worlds=1000, seed=21)


def test_the_campaign_gives_the_records_order_of_magnitude(campaign):
    """[DoDBriefings2024]: 170 attacks by Feb 13, 2024; 0 in the Gaza truce; ~40 % in Iraq, ~58 % in Syria."""
    scenario, result = campaign
    series = result.series.pivot(index="world", columns="day", values="attacks").to_numpy()
    by_feb_13 = series[:, : date_day(scenario, "2024-02-13") + 1].sum(axis=1)
    assert 100 <= np.median(by_feb_13) <= 300
    by_oct_30 = series[:, : date_day(scenario, "2023-10-30") + 1].sum(axis=1)
    assert 10 <= np.median(by_oct_30) <= 40  # record 23
    truce = series[:, date_day(scenario, "2023-11-24"): date_day(scenario, "2023-11-30") + 1].sum(axis=1)
    assert np.median(truce) == 0 and truce.mean() < 1.0
    before = series[:, date_day(scenario, "2023-10-01"): date_day(scenario, "2023-10-07")].sum(axis=1)
    assert before.mean() < 1.0  # no campaign before the Gaza war
    events = result.events
    attacks_rows = events[events["action"] == "attack"]
    syria = (attacks_rows["target"] == "base_syria").mean()
    assert 0.45 < syria < 0.7
    assert (result.outcomes["us_strikes_on_iran"] > 0).mean() < 0.05 and (result.outcomes["max_rung"] >= 7).mean() < 0.01
    assert 0.02 < (result.outcomes["us_strikes"].sum() / result.outcomes["attacks"].sum()) < 0.12  # record ~6 %


def test_the_campaigns_answers_orders_and_suspensions_are_the_models_own(campaign):
    scenario, result = campaign
    events, outcomes = result.events, result.outcomes
    assert not events.loc[events["action"].isin(["attack", "strike_militia", "leader_killing", "calm_order",
                                                 "suspension", "refusal"]), "scripted"].any()
    first_attack = events[(events["action"] == "attack") & (events["day"] >= date_day(scenario, "2023-10-07"))]
    first_attack = first_attack.groupby("world")["day"].min()
    first_strike = outcomes.set_index("world")["first_day_us_strike"].astype(float)
    delay = (first_strike - first_attack).dropna()
    assert 4 <= delay.median() <= 25  # record: 9 days
    assert 1 <= outcomes["us_leader_killings"].median() <= 4  # record: 2 (Jan 4, Feb 7)
    orders = events[events["action"] == "calm_order"]["world"].nunique() / len(outcomes)
    assert 0.2 < orders < 0.9
    answered = events[events["action"].isin(["suspension", "refusal"])]
    assert {"suspension", "refusal"} <= set(answered["action"])


def test_the_hindcast_puts_the_record_inside_the_simulated_band_in_most_periods_the_truce_and_the_lull_included():
    """Issue 11 done-when: the record (scenarios/targets/record_2023_2024.yaml, its ranges untouched) lies inside
    the simulated 10-90 % band of attacks per period in at least 6 of its 8 periods, the truce week and the lull
    (Feb 5 - Mar 31, 2024: ~2 attacks) among them, with nothing but outside drivers scripted.

    500 worlds, seed 0 (as `escalation hindcast campaign_2023_2024 --worlds 500`): 8 of 8 inside. The closest
    calls, each a share of worlds at the record's count or on its side of it: the truce (~20 % of worlds have
    no attack in Nov 24 - Dec 1; the band's lower end needs 10 %), the lull (~25 % have at most 2) and January
    (~30 % have 50 or more). docs/calibration.md, "The 2023-24 campaign", has the table at 1,000 worlds.
    """
    scenario = load_scenario(CAMPAIGN)
    assert all(event.type in ("outside_war", "election") for event in scenario.timeline)  # no scripted decisions
    record = load_record(default_record_path(CAMPAIGN))
    hindcast = run_hindcast(scenario, record, worlds=500, seed=0)
    table = hindcast.table()
    assert len(table) == 8 and not hindcast.scripted.any()
    assert table["inside"].sum() >= 6, hindcast.text()
    by_label = table.set_index("label")["inside"]
    assert by_label["truce"] and by_label["lull"], hindcast.text()


def test_after_the_talks_the_end_of_the_combat_mission_brings_attacks_down_to_a_few_a_month():
    """[PressReports]: ~3 attacks a month from late 2021 to early 2023, down from ~8 in early 2021."""
    scenario = load_scenario("after_talks_2021_2023")
    n = 400
    results = {value: simulate(scenario, n_worlds=n, seed=2, collect_events=False,
                               overrides={"context.mission_end_restraint": value}) for value in (0.0, 0.8)}
    start, end = date_day(scenario, "2022-01-01"), date_day(scenario, "2023-06-30")
    monthly = {}
    for value, result in results.items():
        series = result.series
        window = series[(series["day"] >= start) & (series["day"] <= end)]
        monthly[value] = window["attacks"].sum() / n / ((end - start + 1) / 30.44)
    assert 1.5 < monthly[0.8] < 5.0
    assert monthly[0.0] > 1.5 * monthly[0.8]
