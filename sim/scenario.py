"""Scenario schema (pydantic v2), YAML loading with ``extends:``, and dotted parameter paths.

A scenario is data: every parameter and every timeline event lives in a validated YAML file, never in
code. Every field documents its meaning, unit and range, and the reference printed by
``escalation schema`` is generated from these fields, so it cannot drift from the code.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.errors import InputError

FACTION_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


def P(default: Any, lo: float | None = None, hi: float | None = None, unit: str = "", doc: str = "") -> Any:
    """A documented parameter field: default, inclusive range, unit and meaning."""
    return Field(default, ge=lo, le=hi, description=doc, json_schema_extra={"unit": unit})


class ScenarioError(InputError):
    """A scenario file that cannot be used: one line naming the file, the key and what was expected."""


class Strict(BaseModel):
    """Base of all scenario sections: unknown keys are errors, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


# --------------------------------------------------------------------------------------------------
# Militias


class Faction(Strict):
    """Traits of one militia faction."""

    name: str = Field("", description="Display name of the faction.", json_schema_extra={"unit": "text"})
    fighters: int = P(5000, 0, 200_000, "fighters", "Estimated strength (informational; brief: sizes L/M).")
    base_attack_rate: float = P(
        0.03, 0.0, 2.0, "attacks/day", "Attack rate with neutral grievance, fear, politics and directive."
    )
    obedience: float = P(
        0.6, 0.0, 1.0, "share", "How closely the faction follows Tehran's directive as relayed by the Quds Force."
    )
    own_intensity: float = P(
        1.0, 0.0, 5.0, "multiplier",
        "Attack intensity the faction would choose unleashed, relative to Tehran's calibrated pressure (hardliners > 1).",
    )
    defiance: float = P(
        0.0, 0.0, 5.0, "multiplier",
        "Extra attacks a loosely leashed faction makes when Tehran orders restraint (seed 003: the calm order defied).",
    )
    political_stake: float = P(
        0.3, 0.0, 3.0, "weight", "Restraint from its seats and ministries in Baghdad (Badr, AAH high; KH, Nujaba low)."
    )
    fear: float = P(0.5, 0.0, 5.0, "weight", "Sensitivity of the attack rate to expected US retaliation.")
    revenge: float = P(2.0, 0.0, 10.0, "grievance", "Grievance added when its own leader is killed.")
    rivalry: float = P(0.3, 0.0, 5.0, "elasticity", "Outbidding: rate scales as (1 + rivals' attacks per month) ** rivalry.")
    lethal_intent: float = P(
        0.05, 0.0, 1.0, "share", "Share of attacks meant to cause casualties at zero grievance (rises with grievance)."
    )
    front_name_share: float = P(
        0.8, 0.0, 1.0, "share", "Share of attacks claimed under a front name for deniability (Carson 2018)."
    )
    front_name: str = Field(
        "", description="Front name used for deniable claims ('' for a generic front).", json_schema_extra={"unit": "text"}
    )
    capability: Literal["rockets", "drones", "missiles"] = Field(
        "rockets", description="Initial capability; it only ratchets up.", json_schema_extra={"unit": "level"}
    )
    initial_grievance: float = P(0.0, 0.0, 20.0, "grievance", "Grievance against the US on day 0.")


class WeaponLethality(Strict):
    """Outcome probabilities of one weapon against a reference target."""

    intercept: float = P(0.2, 0.0, 1.0, "probability", "Probability the attack is intercepted or misses entirely.")
    kill: float = P(0.01, 0.0, 1.0, "probability", "Probability of US dead if not intercepted (signal intent).")
    wound: float = P(0.05, 0.0, 1.0, "probability", "Probability of US wounded (and no dead) if not intercepted.")


def _default_lethality() -> dict[str, WeaponLethality]:
    return {
        "roadside_bomb": WeaponLethality(intercept=0.0, kill=0.004, wound=0.03),
        "rockets": WeaponLethality(intercept=0.25, kill=0.01, wound=0.05),
        "drone": WeaponLethality(intercept=0.45, kill=0.02, wound=0.09),
        "missile": WeaponLethality(intercept=0.15, kill=0.04, wound=0.2),
    }


class TargetMix(Strict):
    """Relative weights of militia targets (normalised)."""

    base_iraq: float = P(0.55, 0.0, 100.0, "weight", "Bases hosting US forces in Iraq (Ain al-Asad, Erbil, Taji...).")
    base_syria: float = P(0.15, 0.0, 100.0, "weight", "US bases in eastern Syria.")
    embassy: float = P(0.12, 0.0, 100.0, "weight", "The US embassy in Baghdad's Green Zone.")
    convoy: float = P(0.18, 0.0, 100.0, "weight", "Logistics convoys (roadside bombs; mostly Iraqi drivers).")


class TargetExposure(Strict):
    """Multipliers of kill and wound probabilities by target."""

    base_iraq: float = P(1.0, 0.0, 10.0, "multiplier", "Exposure at bases in Iraq.")
    base_syria: float = P(1.3, 0.0, 10.0, "multiplier", "Exposure at bases in Syria (fewer defences).")
    embassy: float = P(0.5, 0.0, 10.0, "multiplier", "Exposure at the embassy (C-RAM defended).")
    convoy: float = P(0.4, 0.0, 10.0, "multiplier", "Exposure of convoys (few US personnel aboard).")


class MilitiaDynamics(Strict):
    """Mechanisms shared by all factions."""

    grievance_weight: float = P(0.7, 0.0, 5.0, "elasticity", "Attack rate scales as (1 + grievance) ** grievance_weight.")
    grievance_half_life: float = P(30.0, 1.0, 3650.0, "days", "Half-life of grievance.")
    grievance_per_strike: float = P(1.0, 0.0, 20.0, "grievance", "Grievance added to a faction per US strike on its sites.")
    grievance_per_member_killed: float = P(0.05, 0.0, 5.0, "grievance", "Grievance added per faction member killed by the US.")
    solidarity: float = P(0.3, 0.0, 1.0, "share", "Share of a US strike's grievance felt by the other factions.")
    patron_revenge: float = P(2.0, 0.0, 20.0, "grievance", "Grievance added to every faction when the Quds Force commander is killed.")
    outbidding_half_life: float = P(10.0, 1.0, 365.0, "days", "Memory of rivals' attacks (Kydd & Walter 2006).")
    self_excitation: float = P(0.25, 0.0, 0.95, "attacks/attack", "Hawkes branching ratio: expected follow-on attacks per attack (Mohler et al. 2011).")
    self_excitation_half_life: float = P(3.0, 0.5, 60.0, "days", "Half-life of self-excitation.")
    threat_rate: float = P(0.01, 0.0, 2.0, "events/day", "Rate of public threats (rung 0) per faction.")
    harassment_rate: float = P(0.0008, 0.0, 2.0, "events/day", "Rate of harassment (rung 1: sieges, protests at the embassy) per faction.")
    harassment_per_member_killed: float = P(0.002, 0.0, 5.0, "events/day", "Extra harassment rate per own member killed by the US, decaying with grievance.")
    lethal_intent_per_grievance: float = P(0.03, 0.0, 5.0, "share/grievance", "Increase of lethal intent per unit of grievance.")
    lethal_intent_multiplier: float = P(4.0, 1.0, 50.0, "multiplier", "Kill and wound probabilities when an attack is meant to cause casualties.")
    drone_share: float = P(0.45, 0.0, 1.0, "share", "Share of non-convoy attacks using drones once a faction has them.")
    missile_share: float = P(0.15, 0.0, 1.0, "share", "Share of non-convoy attacks using close-range missiles once available.")
    killed_extra_mean: float = P(0.5, 0.0, 20.0, "people", "Mean number of dead beyond the first in a deadly attack.")
    wounded_extra_mean: float = P(2.0, 0.0, 50.0, "people", "Mean number of wounded beyond the first.")
    truce_factor: float = P(0.15, 0.0, 1.0, "multiplier", "Attack-rate multiplier during a declared truce.")
    target_mix: TargetMix = Field(default_factory=TargetMix, description="Target weights.")
    target_exposure: TargetExposure = Field(default_factory=TargetExposure, description="Lethality multipliers by target.")
    lethality: dict[Literal["roadside_bomb", "rockets", "drone", "missile"], WeaponLethality] = Field(
        default_factory=_default_lethality, description="Outcome probabilities per weapon."
    )

    @field_validator("lethality")
    @classmethod
    def _all_weapons(cls, value: dict[str, WeaponLethality]) -> dict[str, WeaponLethality]:
        defaults = _default_lethality()
        return {weapon: value.get(weapon, defaults[weapon]) for weapon in defaults}


# --------------------------------------------------------------------------------------------------
# States and the Iraqi government


class UnitedStatesConfig(Strict):
    """The United States: perception, pressure, response ladder and restraints."""

    force_level: float = P(5200.0, 0.0, 200_000.0, "troops", "US troops in Iraq on day 0 (brief: ~5,200 in 2019).")
    attribution_accuracy: float = P(0.75, 0.0, 1.0, "probability", "Probability a front-name attack is attributed to the right faction.")
    misperception: float = P(0.03, 0.0, 1.0, "probability", "Probability a no-casualty attack is perceived as one with casualties.")
    pressure_half_life: float = P(6.0, 0.5, 365.0, "days", "Half-life of domestic and command pressure to respond.")
    pressure_per_killed: float = P(6.0, 0.0, 50.0, "pressure", "Pressure per American killed (audience costs, Fearon 1994).")
    pressure_per_wounded: float = P(0.9, 0.0, 20.0, "pressure", "Pressure per American wounded.")
    pressure_per_attack: float = P(0.15, 0.0, 10.0, "pressure", "Pressure per attack perceived without casualties.")
    pressure_per_direct_strike: float = P(5.0, 0.0, 100.0, "pressure", "Pressure from a direct Iranian strike, before its dead.")
    habituation: float = P(
        8.0, 0.1, 1000.0, "attacks/month",
        "Recent attacks per month at which an attack without casualties moves pressure half as much.",
    )
    habituation_half_life: float = P(30.0, 1.0, 3650.0, "days", "Memory of recent attacks for habituation.")
    pressure_per_siege: float = P(3.0, 0.0, 50.0, "pressure", "Pressure per siege or storming of the embassy.")
    response_lag_mean: float = P(2.5, 1.0, 30.0, "days", "Mean lag from an attack to the response decision.")
    warning_threshold: float = P(0.8, 0.0, 100.0, "pressure", "Pressure above which the US at least issues a warning.")
    strike_threshold: float = P(2.6, 0.0, 100.0, "pressure", "Pressure above which the US strikes militia sites.")
    leader_killing_threshold: float = P(16.0, 0.0, 200.0, "pressure", "Pressure above which the US kills a militia leader.")
    iran_strike_threshold: float = P(14.0, 0.0, 500.0, "pressure", "Pressure above which the US strikes Iran directly (before war aversion).")
    decision_noise: float = P(0.5, 0.01, 20.0, "pressure", "Scale of the logistic noise in response decisions.")
    hawkishness: float = P(0.0, -10.0, 10.0, "pressure", "Lowers every response threshold by this amount.")
    sovereignty_cost: float = P(0.8, 0.0, 10.0, "pressure/unit", "Raise of in-Iraq strike thresholds per unit of Iraqi sovereignty pressure.")
    war_aversion: float = P(12.0, 0.0, 500.0, "pressure", "Extra threshold for striking Iran (the wish to avoid war).")
    syria_strike_share: float = P(0.3, 0.0, 1.0, "share", "Share of strikes on militia sites made in Syria (no sovereignty cost).")
    pressure_discharge: float = P(0.75, 0.0, 1.0, "share", "Share of pressure relieved by a kinetic response.")
    pressure_per_extra_site: float = P(3.0, 0.1, 100.0, "pressure", "Pressure above the strike threshold per additional site struck.")
    max_sites: int = P(5, 1, 50, "sites", "Most militia sites struck in one round.")
    militia_killed_per_site: float = P(4.0, 0.0, 100.0, "people", "Mean militia members killed per site struck (Dec 2019: 5 sites, ~25 dead).")
    quds_commander_share: float = P(0.2, 0.0, 1.0, "share", "Share of leader killings aimed at the Quds Force commander.")
    withdrawal_compliance: float = P(0.15, 0.0, 1.0, "probability", "Probability the US agrees to draw down when Iraq demands withdrawal.")
    drawdown_rate: float = P(15.0, 0.0, 10_000.0, "troops/day", "Pace of a drawdown.")
    withdrawal_floor: float = P(0.0, 0.0, 200_000.0, "troops", "Troop level a withdrawal ends at.")


class IranConfig(Strict):
    """Iran: posture from talks, economic exposure and humiliation; direct strikes; the road to war."""

    talks_active: bool = Field(False, description="Nuclear talks under way on day 0.", json_schema_extra={"unit": "bool"})
    economic_exposure: float = P(0.7, 0.0, 1.0, "share", "Dependence on Iraq as a hard-currency lifeline (restrains Iran).")
    baseline_pressure: float = P(0.6, -10.0, 10.0, "score", "Posture score with no talks, exposure or humiliation (sanctions pressure).")
    talks_restraint: float = P(1.2, 0.0, 10.0, "score", "Posture score removed while nuclear talks are on.")
    economic_restraint: float = P(0.6, 0.0, 10.0, "score/share", "Posture score removed per unit of economic exposure.")
    humiliation_weight: float = P(0.6, 0.0, 10.0, "score/unit", "Posture score added per unit of humiliation.")
    humiliation_per_commander_killed: float = P(4.0, 0.0, 50.0, "humiliation", "Humiliation when the Quds Force commander is killed.")
    humiliation_per_strike_on_iran: float = P(4.0, 0.0, 50.0, "humiliation", "Humiliation per US strike on Iran.")
    humiliation_half_life: float = P(30.0, 1.0, 3650.0, "days", "Half-life of humiliation.")
    escalation_threshold: float = P(1.6, -10.0, 20.0, "score", "Posture score above which Iran escalates.")
    restraint_threshold: float = P(0.0, -10.0, 20.0, "score", "Posture score below which Iran restrains.")
    casualty_restraint: float = P(
        0.5, 0.0, 1.0, "share",
        "Share of a faction's intent to cause casualties removed by full compliance (Tehran wants signals, not dead).",
    )
    directive_restraint: float = P(0.3, 0.0, 5.0, "multiplier", "Attack-rate multiplier Iran asks of militias under restraint.")
    directive_pressure: float = P(1.0, 0.0, 5.0, "multiplier", "Multiplier under calibrated pressure.")
    directive_escalation: float = P(2.0, 0.0, 10.0, "multiplier", "Multiplier under escalation.")
    direct_strike_threshold: float = P(2.5, 0.0, 100.0, "humiliation", "Humiliation above which Iran answers with a direct strike.")
    direct_strike_delay_mean: float = P(5.0, 1.0, 60.0, "days", "Mean delay before the direct strike (Jan 2020: five days).")
    warning_probability: float = P(0.9, 0.0, 1.0, "probability", "Probability a direct strike is preceded by a warning.")
    salvo_size: int = P(16, 1, 1000, "missiles", "Missiles per direct strike (Jan 2020: 16).")
    salvo_kill_probability_warned: float = P(0.05, 0.0, 1.0, "probability", "Probability a warned salvo kills Americans.")
    salvo_kill_probability_unwarned: float = P(0.5, 0.0, 1.0, "probability", "Probability an unwarned salvo kills Americans.")
    salvo_killed_mean: float = P(4.0, 0.0, 500.0, "people", "Mean dead when a salvo kills.")
    salvo_wounded_mean: float = P(80.0, 0.0, 5000.0, "people", "Mean wounded per salvo (Jan 2020: ~110 brain injuries).")
    counter_strike_probability: float = P(0.8, 0.0, 1.0, "probability", "Probability Iran answers a US strike on Iran in kind.")
    war_after_rounds: int = P(3, 2, 50, "strikes", "Direct strikes exchanged in alternation after which open war begins.")
    exchange_window: int = P(30, 1, 365, "days", "Days within which a direct strike counts as an answer to the last one.")


class QudsForceConfig(Strict):
    """The Quds Force: the leash on the militias and their supply."""

    leash_strength: float = P(0.8, 0.0, 1.0, "share", "How much of Tehran's directive reaches the militias (baseline).")
    leash_drop_on_commander_killed: float = P(0.5, 0.0, 1.0, "share", "Share of the leash lost when its commander is killed.")
    leash_recovery_half_life: float = P(240.0, 1.0, 36500.0, "days", "Half-life of the leash's recovery toward its baseline.")
    capability_supply_rate: float = P(0.003, 0.0, 1.0, "levels/day", "Capability progress supplied per day under calibrated pressure.")


class IraqiGovernmentConfig(Strict):
    """The Iraqi government: sovereignty backlash and pressure on the militias."""

    sovereignty_half_life: float = P(60.0, 1.0, 3650.0, "days", "Half-life of sovereignty pressure.")
    sovereignty_per_strike: float = P(0.6, 0.0, 50.0, "pressure", "Sovereignty pressure per US strike on Iraqi soil.")
    sovereignty_per_leader_killing: float = P(4.0, 0.0, 50.0, "pressure", "Sovereignty pressure per leader killed by the US in Iraq.")
    withdrawal_demand_threshold: float = P(3.5, 0.0, 100.0, "pressure", "Sovereignty pressure at which parliament demands a US withdrawal.")
    militia_pressure: float = P(0.5, 0.0, 10.0, "weight", "Everyday pressure on militias to hold back.")
    election_pressure: float = P(1.5, 0.0, 10.0, "weight", "Extra pressure within an election window (truces around elections).")


class Context(Strict):
    """The strategic setting."""

    common_enemy: float = P(0.0, 0.0, 1.0, "share", "Threat of a common enemy (ISIS, 2014-17) that both sides fight.")
    common_enemy_restraint: float = P(2.0, 0.0, 10.0, "log-rate", "Reduction of militia log attack rate at common_enemy = 1.")
    external_grievance: float = P(0.0, 0.0, 20.0, "grievance", "Standing grievance from events outside Iraq (e.g. a regional war).")


class Hostility(Strict):
    """Richardson-style hostility per dyad: rises with the other side's actions, decays over time."""

    half_life: float = P(30.0, 1.0, 3650.0, "days", "Half-life of hostility.")
    reaction: float = P(0.05, 0.0, 10.0, "hostility/score", "Hostility added per escalation-score point of the other side's actions.")


# --------------------------------------------------------------------------------------------------
# Timeline


class EventBase(Strict):
    """Common fields of a timeline event: when (date or day) and why."""

    date: dt.date | None = Field(None, description="Calendar date of the event (needs the scenario's start_date).")
    day: int | None = Field(None, ge=0, description="Day of the event counted from start_date (0-based).")
    note: str = Field("", description="What happened, in a few words.")
    source: str = Field("", description="Where the event is documented.")

    @model_validator(mode="after")
    def _one_time(self) -> "EventBase":
        if (self.date is None) == (self.day is None):
            raise ValueError("give exactly one of 'date' or 'day'")
        return self


class TalksEvent(EventBase):
    """Nuclear talks start or end."""

    type: Literal["talks"]
    status: Literal["start", "end"]


class ElectionEvent(EventBase):
    """An Iraqi election: the government presses militias harder within the window around it."""

    type: Literal["election"]
    window_days: int = Field(30, ge=0, le=365, description="Days before and after the vote in the window.")


class ShockEvent(EventBase):
    """An external shock that raises militia grievance (e.g. a regional war)."""

    type: Literal["shock"]
    magnitude: float = Field(2.0, ge=0, le=50, description="Grievance added.")
    factions: list[str] | None = Field(None, description="Factions affected (default: all).")


class LeaderKilledEvent(EventBase):
    """The US kills a leader (rung 5): a militia's leader or the Quds Force commander."""

    type: Literal["leader_killed"]
    target: str = Field(..., description="A faction key, or 'quds_force'.")


class OrderEvent(EventBase):
    """Tehran orders a posture for a time, overriding its own decision rule."""

    type: Literal["order"]
    posture: Literal["restraint", "pressure", "escalation"]
    days: int = Field(60, ge=1, le=3650, description="How long the order stands.")


class AttackEvent(EventBase):
    """A militia attack that happened, with its known outcome."""

    type: Literal["attack"]
    faction: str
    weapon: Literal["roadside_bomb", "rockets", "drone", "missile"] = "rockets"
    target: Literal["base_iraq", "base_syria", "embassy", "convoy"] = "base_iraq"
    killed: int = Field(0, ge=0, le=10_000)
    wounded: int = Field(0, ge=0, le=10_000)


class StrikeEvent(EventBase):
    """A US strike on a faction's sites that happened."""

    type: Literal["us_strike"]
    faction: str
    sites: int = Field(1, ge=1, le=100)
    killed: int = Field(0, ge=0, le=10_000)
    location: Literal["iraq", "syria"] = "iraq"


class SiegeEvent(EventBase):
    """Harassment that happened (e.g. the embassy compound stormed)."""

    type: Literal["siege"]
    faction: str


class DrawdownEvent(EventBase):
    """The US sets a new troop level, reached at its drawdown rate."""

    type: Literal["drawdown"]
    troops: float = Field(..., ge=0, le=200_000)


class CapabilityEvent(EventBase):
    """A faction receives a new capability (it never loses one)."""

    type: Literal["capability"]
    faction: str
    level: Literal["rockets", "drones", "missiles"]


class TruceEvent(EventBase):
    """Militias declare a truce for a time."""

    type: Literal["truce"]
    days: int = Field(30, ge=1, le=3650)
    factions: list[str] | None = Field(None, description="Factions in the truce (default: all).")


TimelineEvent = Annotated[
    Union[
        TalksEvent,
        ElectionEvent,
        ShockEvent,
        LeaderKilledEvent,
        OrderEvent,
        AttackEvent,
        StrikeEvent,
        SiegeEvent,
        DrawdownEvent,
        CapabilityEvent,
        TruceEvent,
    ],
    Field(discriminator="type"),
]


# --------------------------------------------------------------------------------------------------
# The scenario


DEFAULT_FACTIONS = {
    "kataib_hezbollah": Faction(name="Kataib Hezbollah"),
    "asaib_ahl_al_haq": Faction(name="Asaib Ahl al-Haq"),
    "harakat_al_nujaba": Faction(name="Harakat al-Nujaba"),
    "kataib_sayyid_al_shuhada": Faction(name="Kataib Sayyid al-Shuhada"),
    "badr": Faction(name="Badr Organization"),
}


class Scenario(Strict):
    """A complete scenario: setting, actors, mechanisms and timeline."""

    name: str = Field(..., description="Short identifier (the file's stem).", json_schema_extra={"unit": "text"})
    title: str = Field("", description="Title shown in listings.", json_schema_extra={"unit": "text"})
    summary: str = Field("", description="One line on what the scenario represents.", json_schema_extra={"unit": "text"})
    description: str = Field("", description="Longer description.", json_schema_extra={"unit": "text"})
    sources: list[str] = Field(..., min_length=1, description="Citations for the scenario's facts and values.")
    extends: str | None = Field(None, description="Scenario this one inherits from and overrides.")
    start_date: dt.date = Field(dt.date(2019, 10, 1), description="Calendar date of day 0.")
    days: int = P(365, 1, 3650, "days", "Horizon: days simulated.")
    militias: dict[str, Faction] = Field(
        default_factory=lambda: {key: faction.model_copy() for key, faction in DEFAULT_FACTIONS.items()},
        description="Militia factions by key (snake_case); each has the Faction traits.",
    )
    militia_dynamics: MilitiaDynamics = Field(default_factory=MilitiaDynamics, description="Shared militia mechanisms.")
    united_states: UnitedStatesConfig = Field(default_factory=UnitedStatesConfig, description="The United States.")
    iran: IranConfig = Field(default_factory=IranConfig, description="Iran.")
    quds_force: QudsForceConfig = Field(default_factory=QudsForceConfig, description="The Quds Force.")
    iraqi_government: IraqiGovernmentConfig = Field(
        default_factory=IraqiGovernmentConfig, description="The Iraqi government."
    )
    context: Context = Field(default_factory=Context, description="The strategic setting.")
    hostility: Hostility = Field(default_factory=Hostility, description="Dyadic hostility dynamics.")
    timeline: list[TimelineEvent] = Field(default_factory=list, description="Dated events (replaces the parent's).")

    @field_validator("militias")
    @classmethod
    def _faction_keys(cls, value: dict[str, Faction]) -> dict[str, Faction]:
        if not value:
            raise ValueError("at least one militia faction is needed")
        for key, faction in value.items():
            if not FACTION_KEY.match(key):
                raise ValueError(f"faction key '{key}' must be snake_case (a-z, 0-9, _)")
            if not faction.name:
                faction.name = key.replace("_", " ").title()
        return value

    @model_validator(mode="after")
    def _timeline_refers_to_known_factions(self) -> "Scenario":
        known = set(self.militias)
        for index, event in enumerate(self.timeline):
            names: list[tuple[str, str]] = []
            if isinstance(event, (AttackEvent, StrikeEvent, SiegeEvent, CapabilityEvent)):
                names.append(("faction", event.faction))
            if isinstance(event, LeaderKilledEvent) and event.target != "quds_force":
                names.append(("target", event.target))
            if isinstance(event, (ShockEvent, TruceEvent)) and event.factions:
                names.extend(("factions", name) for name in event.factions)
            for field, name in names:
                if name not in known:
                    raise ValueError(
                        f"timeline[{index}].{field}: unknown faction '{name}'{_suggest(name, sorted(known))}; "
                        f"expected one of {', '.join(sorted(known))}"
                    )
            if event.date is not None and event.date < self.start_date:
                raise ValueError(f"timeline[{index}].date: {event.date} is before start_date {self.start_date}")
        return self

    def event_day(self, event: EventBase) -> int:
        """Day index of a timeline event."""
        return event.day if event.day is not None else (event.date - self.start_date).days

    @property
    def faction_keys(self) -> list[str]:
        """Faction keys in scenario order."""
        return list(self.militias)

    def content_hash(self) -> str:
        """SHA-256 of the scenario's resolved content (stable across key order and formatting)."""
        payload = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()

    def with_values(self, values: dict[str, Any]) -> "Scenario":
        """A validated copy with the given dotted-path values set."""
        data = self.model_dump(mode="json")
        for path, value in values.items():
            info = parameter_paths(self).get(path)
            if info is None:
                raise InputError(
                    f"unknown parameter path{_suggest(path, list(parameter_paths(self)))}", key=path
                )
            node = data
            *parents, leaf = path.split(".")
            for part in parents:
                node = node[part]
            node[leaf] = value.item() if hasattr(value, "item") else value
        return validate_scenario(data, source=f"{self.name} (with values)")


# --------------------------------------------------------------------------------------------------
# Parameter paths


@dataclass(frozen=True)
class ParameterInfo:
    """A numeric scenario parameter reachable by a dotted path."""

    path: str
    kind: str
    lo: float | None
    hi: float | None
    default: Any
    unit: str
    doc: str


def _bounds(field_info) -> tuple[float | None, float | None]:
    lo = hi = None
    for meta in field_info.metadata:
        lo = getattr(meta, "ge", lo) if getattr(meta, "ge", None) is not None else lo
        hi = getattr(meta, "le", hi) if getattr(meta, "le", None) is not None else hi
    return lo, hi


def _numeric_fields(model: BaseModel, prefix: str) -> dict[str, ParameterInfo]:
    found: dict[str, ParameterInfo] = {}
    for name, field_info in type(model).model_fields.items():
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            found.update(_numeric_fields(value, path + "."))
        elif isinstance(value, dict) and value and all(isinstance(v, BaseModel) for v in value.values()):
            for key, sub in value.items():
                found.update(_numeric_fields(sub, f"{path}.{key}."))
        elif isinstance(value, (bool, int, float)) and name != "day":
            kind = "bool" if isinstance(value, bool) else ("int" if isinstance(value, int) else "float")
            lo, hi = (0, 1) if kind == "bool" else _bounds(field_info)
            unit = (field_info.json_schema_extra or {}).get("unit", "")
            found[path] = ParameterInfo(path, kind, lo, hi, value, unit, field_info.description or "")
    return found


def parameter_paths(scenario: Scenario) -> dict[str, ParameterInfo]:
    """Every numeric parameter of a scenario by dotted path (e.g. ``militias.badr.obedience``)."""
    paths = _numeric_fields(scenario, "")
    paths.pop("days", None)
    return paths


# --------------------------------------------------------------------------------------------------
# Loading


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


def scenarios_dir() -> Path:
    """The folder of shipped scenarios."""
    return Path(str(resources.files("scenarios")))


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """A path for a scenario name (a file in scenarios/) or a path to a YAML file."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists() or "/" in str(name_or_path):
        if not candidate.is_file():
            raise ScenarioError("file not found; expected a scenario YAML file", file=str(name_or_path))
        return candidate
    shipped = scenarios_dir() / f"{name_or_path}.yaml"
    if not shipped.is_file():
        names = [p.stem for p in scenarios_dir().glob("*.yaml")]
        raise ScenarioError(
            f"unknown scenario '{name_or_path}'{_suggest(str(name_or_path), names)}; "
            f"expected one of {', '.join(sorted(names))} or a path to a YAML file"
        )
    return shipped


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioError(f"cannot read file ({error.strerror})", file=str(path)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ScenarioError(f"YAML syntax error at {where}{problem}", file=str(path)) from None
    if not isinstance(data, dict):
        raise ScenarioError("expected a mapping of scenario keys at the top level", file=str(path))
    return data


def _deep_merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    merged = dict(parent)
    for key, value in child.items():
        if value is None and key in merged and isinstance(merged[key], dict):
            merged.pop(key)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _resolve_extends(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    path = path.resolve()
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise ScenarioError(f"circular 'extends' ({cycle}); expected a chain that ends", file=str(chain[0]), key="extends")
    data = _read_yaml(path)
    parent_name = data.get("extends")
    if parent_name is None:
        return data
    if not isinstance(parent_name, str):
        raise ScenarioError("expected the name or path of another scenario", file=str(path), key="extends")
    parent_path = (path.parent / parent_name) if parent_name.endswith((".yaml", ".yml")) else None
    if parent_path is None or not parent_path.exists():
        try:
            parent_path = resolve_scenario_path(parent_name)
        except ScenarioError as error:
            raise ScenarioError(error.message, file=str(path), key="extends") from None
    parent = _resolve_extends(parent_path, (*chain, path))
    parent.pop("name", None)
    parent.pop("title", None)
    parent.pop("summary", None)
    merged = _deep_merge(parent, data)
    merged["sources"] = list(dict.fromkeys([*parent.get("sources", []), *data.get("sources", [])]))
    return merged


def _format_location(location: list) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _expected_keys(valid: list[str]) -> str:
    if not valid:
        return ""
    if len(valid) > 10:
        return "; see `escalation schema` for the valid keys"
    return f"; expected one of {', '.join(valid)}"


def _describe_error(error: dict[str, Any], data: dict[str, Any]) -> tuple[str, str]:
    location = list(error["loc"])
    if len(location) > 2 and location[0] == "timeline" and isinstance(location[1], int):
        del location[2]  # the event type pydantic adds for the discriminated union
    kind = error["type"]
    key = _format_location(location)
    if kind == "extra_forbidden":
        valid = _valid_keys_at(data, [str(p) for p in location[:-1]])
        return key, f"unknown key{_suggest(str(location[-1]), valid)}{_expected_keys(valid)}"
    if kind == "union_tag_invalid":
        ctx = error.get("ctx", {})
        return key + ".type", f"unknown event type {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
    if kind == "missing":
        return key, "missing required key"
    message = error["msg"]
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
        match = re.match(r"^([\w\[\]\.]+): (.*)$", message)
        if match and not location:
            return match.group(1), match.group(2)
        return key, message
    got = error.get("input")
    got_text = "" if isinstance(got, (dict, list)) else f", got {got!r}"
    if message.startswith("Input should be "):
        rest = message.removeprefix("Input should be ")
        message = "expected " + (rest if rest.startswith(("a ", "an ", "'", "at ")) else "a value " + rest)
    return key, f"{message}{got_text}"


def _valid_keys_at(data: dict[str, Any], location: list[str]) -> list[str]:
    model: Any = Scenario
    for part in location:
        if isinstance(model, type) and issubclass(model, BaseModel):
            field = model.model_fields.get(part)
            if field is None:
                return []
            model = field.annotation
        else:
            model = getattr(model, "__args__", (None, None))[-1]
        if model is None:
            return []
        args = getattr(model, "__args__", None)
        origin = getattr(model, "__origin__", None)
        if origin is dict and args:
            model = model
        elif args and not (isinstance(model, type) and issubclass(model, BaseModel)):
            candidates = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            model = candidates[0] if len(candidates) == 1 else model
    if isinstance(model, type) and issubclass(model, BaseModel):
        return sorted(model.model_fields)
    return []


def validate_scenario(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a scenario mapping; raise ScenarioError with one clear line on the first problem."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        key, message = _describe_error(error.errors(include_url=False)[0], data)
        raise ScenarioError(message, file=source, key=key or None) from None


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load and validate a scenario by shipped name or by path, resolving ``extends:``."""
    path = resolve_scenario_path(name_or_path)
    data = _resolve_extends(path)
    data.setdefault("name", path.stem)
    return validate_scenario(data, source=str(name_or_path if Path(name_or_path).suffix else path))


@dataclass(frozen=True)
class ScenarioInfo:
    """One line about a shipped scenario."""

    name: str
    path: Path
    title: str
    summary: str


def list_scenarios() -> list[ScenarioInfo]:
    """The shipped scenarios, each loaded and validated."""
    infos = []
    for path in sorted(scenarios_dir().glob("*.yaml")):
        scenario = load_scenario(path)
        infos.append(ScenarioInfo(scenario.name, path, scenario.title, scenario.summary))
    return infos
