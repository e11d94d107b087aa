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
    max_rung = np.array([0, 1, 2, 3, 4, 5, 6, 6, 7, 6])
    us_struck_iran = np.array([0, 0, 0, 0, 0, 0, 0, 1, 0, 1], dtype=bool)
    iran_struck_us = np.array([0, 0, 0, 0, 0, 0, 1, 0, 0, 1], dtype=bool)
    classes = classify_outcome(max_rung, us_struck_iran, iran_struck_us)
    expected = ["quiet", "quiet", "provocation", "provocation", "provocation", "crisis", "crisis", "crisis",
                "confrontation", "confrontation"]
    assert list(classes) == expected
    assert {c.value for c in OutcomeClass} == set(expected)
