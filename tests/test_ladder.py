"""The ladder, its firebreaks and the outcome classes."""

import numpy as np

from sim.ladder import ESCALATION_WEIGHTS, Firebreak, OutcomeClass, Rung, classify_outcome


def test_ladder_has_eight_rungs_with_increasing_weights():
    assert [int(r) for r in Rung] == list(range(8))
    assert np.all(np.diff(ESCALATION_WEIGHTS) > 0)
    assert Rung.RHETORIC.weight == 0.0 and Rung.OPEN_WAR.weight == 60.0
    assert Rung.STRIKE_ON_MILITIA_SITES.weight == 28.0  # "violent escalation" in [Rivera2024]


def test_firebreaks_sit_between_the_rungs_they_separate():
    assert Rung.ATTACK_NO_CASUALTIES < Firebreak.AMERICAN_DEAD.position < Rung.ATTACK_WITH_CASUALTIES
    assert Rung.LEADER_KILLING < Firebreak.IRANIAN_SOIL.position < Rung.STATE_ON_STATE_STRIKE


def test_outcome_classes_follow_their_definitions():
    max_rung = np.array([0, 1, 2, 3, 4, 5, 6, 6, 6, 7, 6])
    exchange_rounds = np.array([0, 0, 0, 0, 0, 0, 1, 2, 3, 2, 5])
    classes = classify_outcome(max_rung, exchange_rounds, confrontation_rounds=3)
    expected = ["quiet", "quiet", "provocation", "provocation", "provocation", "crisis", "crisis",
                "contained_exchange", "confrontation", "confrontation", "confrontation"]
    assert list(classes) == expected
    assert {c.value for c in OutcomeClass} == set(expected)


def test_the_broad_definition_counts_every_direct_exchange_as_confrontation():
    max_rung = np.array([6, 6, 6])
    exchange_rounds = np.array([1, 2, 3])
    broad = classify_outcome(max_rung, exchange_rounds, exchange_is_confrontation=True)
    assert list(broad) == ["crisis", "confrontation", "confrontation"]
    longer = classify_outcome(max_rung, exchange_rounds, confrontation_rounds=4)
    assert list(longer) == ["crisis", "contained_exchange", "contained_exchange"]
