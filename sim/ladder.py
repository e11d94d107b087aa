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
    BASE_JORDAN = "base_jordan"


MILITIA_TARGETS = (Target.BASE_IRAQ, Target.BASE_SYRIA, Target.EMBASSY, Target.CONVOY, Target.BASE_JORDAN)


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
    NO_DIRECT_ANSWER = "no_direct_answer"
    PROXY_SURGE = "proxy_surge"
    EXCHANGE_ENDED = "exchange_ended"
    CEASEFIRE = "ceasefire"
    SUSPENSION = "suspension"
    RESUMPTION = "resumption"
    REFUSAL = "refusal"


class Posture(IntEnum):
    """Iran's posture toward the United States."""

    RESTRAINT = 0
    PRESSURE = 1
    ESCALATION = 2


class DirectAnswer(IntEnum):
    """Iran's answer to a humiliation (its commander killed, a US strike on Iran), chosen by a multinomial logit.

    How each is recorded in the event table (actor ``iran``):

    - NONE: action ``no_direct_answer`` (rung 0);
    - PROXY_SURGE: action ``proxy_surge`` (rung 0; the factions' directive is raised to escalation for
      ``iran.surge_days``, and their attacks follow);
    - WARNED_SALVO: action ``direct_strike``, weapon ``ballistic_missiles``, rung 6 with ``intended`` rung 2
      (meant to hurt nobody: the casualty-avoiding, warned salvo of Jan 8, 2020 [PressReports]);
    - UNWARNED_STRIKE: action ``direct_strike``, weapon ``ballistic_missiles``, rung 6 with ``intended`` rung 6.
    """

    NONE = 0
    PROXY_SURGE = 1
    WARNED_SALVO = 2
    UNWARNED_STRIKE = 3


class OutcomeClass(Enum):
    """Outcome of one world over the horizon (defined in :func:`classify_outcome` and the README)."""

    QUIET = "quiet"
    PROVOCATION = "provocation"
    CRISIS = "crisis"
    CONTAINED_EXCHANGE = "contained_exchange"
    CONFRONTATION = "confrontation"


def classify_outcome(max_rung: np.ndarray, exchange_rounds: np.ndarray, *, confrontation_rounds: int = 3,
                     exchange_is_confrontation: bool = False) -> np.ndarray:
    """Outcome class per world, from its highest rung and its longest direct exchange.

    - confrontation: open war (rung 7), or a direct exchange that did not stop: ``confrontation_rounds``
      state-on-state strikes, each answering the other state's last within the exchange window;
    - contained exchange: the two states struck each other directly (one answered the other) and the
      exchange stopped short of that;
    - crisis: otherwise a highest rung of 5 (a leader killed) or 6 (a direct strike left unanswered);
    - provocation: a highest rung of 2-4 (attacks, with or without casualties; strikes on militia sites);
    - quiet: rungs 0-1 only.

    Args:
        max_rung: highest rung reached per world.
        exchange_rounds: rounds of the longest direct exchange per world (0 without a direct strike, 1 for
            a strike nobody answered).
        confrontation_rounds: rounds at which an exchange is a confrontation (``outcomes.confrontation_rounds``).
        exchange_is_confrontation: the broader definition: any answered direct strike is a confrontation.

    Returns:
        Array of outcome-class values (strings).
    """
    max_rung = np.asarray(max_rung)
    rounds = np.asarray(exchange_rounds)
    exchange = rounds >= 2
    unstopped = exchange if exchange_is_confrontation else rounds >= confrontation_rounds
    confrontation = (max_rung >= Rung.OPEN_WAR) | unstopped
    return np.select(
        [confrontation, exchange, max_rung >= Rung.LEADER_KILLING, max_rung >= Rung.ATTACK_NO_CASUALTIES],
        [OutcomeClass.CONFRONTATION.value, OutcomeClass.CONTAINED_EXCHANGE.value, OutcomeClass.CRISIS.value,
         OutcomeClass.PROVOCATION.value],
        default=OutcomeClass.QUIET.value,
    ).astype(object)
