"""The escalation ladder, its firebreaks and the vocabulary of actions.

The ladder follows Kahn's escalation ladder [Kahn1965], collapsed to the eight rungs of the militia-US-Iran
exchange in Iraq as the public record shows it, 2019-2024 [PressReports]. Each rung carries an
escalation-score weight on the exponential scale of [Rivera2024] (arXiv 2401.03408: status quo 0,
posturing 4, non-violent escalation 12, violent escalation 28, nuclear 60), interpolated for the rungs
between.
"""

from __future__ import annotations

from enum import Enum, IntEnum

import numpy as np


class Rung(IntEnum):
    """A rung of the escalation ladder, 0 (rhetoric) to 7 (sustained open war)."""

    RHETORIC = 0
    HARASSMENT = 1
    ATTACK_NO_CASUALTIES = 2
    ATTACK_WITH_CASUALTIES = 3
    STRIKE_ON_MILITIA_SITES = 4
    LEADER_KILLING = 5
    STATE_ON_STATE_STRIKE = 6
    OPEN_WAR = 7

    @property
    def label(self) -> str:
        """Human-readable name of the rung."""
        return RUNG_LABELS[self]

    @property
    def weight(self) -> float:
        """Escalation-score weight of one action on this rung."""
        return float(ESCALATION_WEIGHTS[int(self)])


RUNG_LABELS = {
    Rung.RHETORIC: "rhetoric / threat",
    Rung.HARASSMENT: "harassment, non-lethal",
    Rung.ATTACK_NO_CASUALTIES: "attack, no casualties",
    Rung.ATTACK_WITH_CASUALTIES: "attack with casualties",
    Rung.STRIKE_ON_MILITIA_SITES: "strike on militia sites",
    Rung.LEADER_KILLING: "leader killed",
    Rung.STATE_ON_STATE_STRIKE: "direct state-on-state strike",
    Rung.OPEN_WAR: "sustained open war",
}

# [Rivera2024]: posturing 4, non-violent escalation 12, violent 28, the top of the scale 60.
ESCALATION_WEIGHTS = np.array([0.0, 4.0, 12.0, 20.0, 28.0, 36.0, 48.0, 60.0])


class Firebreak(Enum):
    """A salient threshold on the ladder that both sides are reluctant to cross [Schelling1966]."""

    AMERICAN_DEAD = "american_dead"
    IRANIAN_SOIL = "iranian_soil"

    @property
    def label(self) -> str:
        """Human-readable name."""
        return {"american_dead": "American dead", "iranian_soil": "Iranian soil / forces"}[self.value]

    @property
    def position(self) -> float:
        """Where the firebreak sits on the rung axis (between two rungs, or at one)."""
        return {"american_dead": 2.5, "iranian_soil": 5.5}[self.value]


class Weapon(Enum):
    """Weapons of militia and state attacks, in order of the militias' capability ratchet."""

    ROADSIDE_BOMB = "roadside_bomb"
    ROCKETS = "rockets"
    DRONE = "drone"
    MISSILE = "missile"
    AIRSTRIKE = "airstrike"
    BALLISTIC_MISSILES = "ballistic_missiles"


MILITIA_WEAPONS = (Weapon.ROADSIDE_BOMB, Weapon.ROCKETS, Weapon.DRONE, Weapon.MISSILE)


class Capability(IntEnum):
    """A militia's capability level; it only ratchets up (rockets -> drones -> close-range missiles)."""

    ROCKETS = 0
    DRONES = 1
    MISSILES = 2


class Target(Enum):
    """Targets of militia attacks."""

    BASE_IRAQ = "base_iraq"
    BASE_SYRIA = "base_syria"
    EMBASSY = "embassy"
    CONVOY = "convoy"


MILITIA_TARGETS = (Target.BASE_IRAQ, Target.BASE_SYRIA, Target.EMBASSY, Target.CONVOY)


class Action(Enum):
    """Kinds of action an actor can take; every action is one event record."""

    THREAT = "threat"
    SIEGE = "siege"
    ATTACK = "attack"
    WARNING = "warning"
    STRIKE_MILITIA = "strike_militia"
    LEADER_KILLING = "leader_killing"
    DIRECT_STRIKE = "direct_strike"
    OPEN_WAR = "open_war"
    WITHDRAWAL_DEMAND = "withdrawal_demand"
    DRAWDOWN = "drawdown"
    CALM_ORDER = "calm_order"


class Posture(IntEnum):
    """Iran's posture toward the United States."""

    RESTRAINT = 0
    PRESSURE = 1
    ESCALATION = 2


class OutcomeClass(Enum):
    """Outcome of one world over the horizon (defined exactly in the README)."""

    QUIET = "quiet"
    PROVOCATION = "provocation"
    CRISIS = "crisis"
    CONFRONTATION = "confrontation"


def classify_outcome(max_rung: np.ndarray, us_struck_iran: np.ndarray, iran_struck_us: np.ndarray) -> np.ndarray:
    """Outcome class per world.

    confrontation: open war (rung 7), or both sides struck each other's state directly (rung 6 each);
    crisis: otherwise a highest rung of 5 or 6; provocation: highest rung 2-4; quiet: highest rung 0-1.

    Args:
        max_rung: highest rung reached per world.
        us_struck_iran: whether the US made a direct strike on Iran, per world.
        iran_struck_us: whether Iran made a direct strike on US forces, per world.

    Returns:
        Array of outcome-class values (strings).
    """
    max_rung = np.asarray(max_rung)
    confrontation = (max_rung >= Rung.OPEN_WAR) | (np.asarray(us_struck_iran) & np.asarray(iran_struck_us))
    return np.select(
        [confrontation, max_rung >= Rung.LEADER_KILLING, max_rung >= Rung.ATTACK_NO_CASUALTIES],
        [OutcomeClass.CONFRONTATION.value, OutcomeClass.CRISIS.value, OutcomeClass.PROVOCATION.value],
        default=OutcomeClass.QUIET.value,
    ).astype(object)
