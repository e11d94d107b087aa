"""Scripted history is not model output: what the timeline imposed is flagged and classed apart."""

import numpy as np

from sim.runner import simulate
from sim.scenario import load_scenario


def test_the_scripted_commander_killing_is_flagged_and_left_out_of_the_model_made_class():
    scenario = load_scenario("crisis_2019_2020")
    result = simulate(scenario, n_worlds=300, seed=4, collect_series=False)
    events, outcomes = result.events, result.outcomes
    killing_day = next(scenario.event_day(e) for e in scenario.timeline
                       if e.type == "leader_killed" and e.target == "quds_force")
    scripted_killings = events[(events["action"] == "leader_killing") & (events["day"] == killing_day)
                               & (events["target"] == "quds_force")]
    assert len(scripted_killings) == 300 and scripted_killings["scripted"].all()
    # everything the model decided on other days is not flagged
    assert not events.loc[events["actor"].astype(str).isin(scenario.faction_keys) & ~events["scripted"], "action"].empty
    assert (outcomes["max_rung_model"] <= outcomes["max_rung"]).all()
    # the scripted killing (rung 5) sets the highest rung of every world that went no further by itself
    below = outcomes["max_rung_model"] < 5
    assert below.any() and (outcomes.loc[below, "max_rung"] >= 5).all()
    assert set(outcomes.loc[below, "outcome_model"]) <= {"quiet", "provocation"}


def test_a_scenario_without_a_timeline_has_nothing_scripted():
    result = simulate("baseline", n_worlds=200, seed=2, days=120, collect_series=False)
    assert not result.events["scripted"].any()
    assert np.array_equal(result.outcomes["max_rung"], result.outcomes["max_rung_model"])
    assert (result.outcomes["outcome"] == result.outcomes["outcome_model"]).all()


def test_scripted_is_per_record_the_answers_to_a_scripted_killing_are_the_models():
    """The timeline imposes the killing of 3 Jan 2020; Baghdad's withdrawal demand and a US drawdown in answer
    (made the same day, inside the timeline's handler) are decisions of the model, not scripted history."""
    scenario = load_scenario("crisis_2019_2020")
    events = simulate(scenario, n_worlds=200, seed=4, collect_series=False).events
    killing_day = next(scenario.event_day(e) for e in scenario.timeline
                       if e.type == "leader_killed" and e.target == "quds_force")
    that_day = events[events["day"] == killing_day]
    imposed = that_day[that_day["action"] == "leader_killing"]
    answers = that_day[that_day["action"].isin(["withdrawal_demand", "drawdown"])]
    assert len(imposed) >= 200 and imposed["scripted"].all()
    # seed 4: most worlds' demand comes on the killing's day (the sovereignty threshold is crossed by it)
    assert (answers["action"] == "withdrawal_demand").sum() >= 100 and (answers["action"] == "drawdown").any()
    assert not answers["scripted"].any()
    # every scripted record is of an action the crisis's timeline itself holds (killings, strikes, attacks, sieges)
    assert set(events.loc[events["scripted"], "action"].astype(str)) <= {"leader_killing", "strike_militia",
                                                                       "attack", "siege"}
