"""The scenario document: setting, actors' sections, mechanisms and timeline, validated as one whole.

A scenario is data: every parameter and every timeline event lives in a validated YAML file, never in
code. :func:`validate_scenario` turns a mapping into a :class:`Scenario` or one :class:`ScenarioError` line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

from sim.errors import InputError
from sim.scenario.errors import scenario_error
from sim.scenario.paths import parameter_paths
from sim.scenario.sections import (
    OutcomeDefinitions,
    FACTION_KEY, Context, Faction, Hostility, IranConfig, IraqiGovernmentConfig, MilitiaDynamics, P,
    QudsForceConfig, Strict, UnitedStatesConfig,
)
from sim.scenario.uncertainty import Ensemble, Prior, check_uncertainty
from sim.scenario.timeline import (
    AttackEvent, CapabilityEvent, EventBase, LeaderKilledEvent, OutsideWarEvent, ShockEvent, SiegeEvent, StrikeEvent,
    TimelineEvent, TruceEvent,
)
from sim.yamlio import did_you_mean

DEFAULT_FACTIONS = {
    "kataib_hezbollah": Faction(name="Kataib Hezbollah"),
    "asaib_ahl_al_haq": Faction(name="Asaib Ahl al-Haq"),
    "harakat_al_nujaba": Faction(name="Harakat al-Nujaba"),
    "kataib_sayyid_al_shuhada": Faction(name="Kataib Sayyid al-Shuhada"),
    "badr": Faction(name="Badr Organization"),
}
SCENARIO_NAME = re.compile(r"^[A-Za-z0-9_-]{1,100}$")  # it names results directories: no '/', '.', spaces


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
    outcomes: OutcomeDefinitions = Field(
        default_factory=OutcomeDefinitions, description="How outcome classes are defined (definitions, not parameters)."
    )
    priors: dict[str, Prior] = Field(
        default_factory=dict,
        description="Plausible ranges of values set by judgement, by dotted parameter path (not parameters: a run "
        "uses the scenario's values; `escalation thesis --ensemble` draws from these).",
    )
    ensembles: dict[str, Ensemble] = Field(
        default_factory=dict,
        description="The calibration's uncertainty, by the name of the scenario fitted: parameter vectors from its "
        "bootstrap refits, as factors of the scenario's values (written by `escalation calibrate`; merged by name "
        "through `extends:`, the last one setting a path wins; null drops one).",
    )

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not SCENARIO_NAME.match(value):
            shown = value if len(value) <= 40 else value[:37] + "..."
            raise ValueError(f"expected 1-100 letters, digits, '_' or '-' (it names the results directory), "
                             f"got {shown!r}")
        return value

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
            if isinstance(event, (ShockEvent, TruceEvent, OutsideWarEvent)) and event.factions:
                names.extend(("factions", name) for name in event.factions)
            for field, name in names:
                if name not in known:
                    raise ValueError(
                        f"timeline[{index}].{field}: unknown faction '{name}'{did_you_mean(name, known)}; "
                        f"expected one of {', '.join(sorted(known))}"
                    )
            if event.date is not None and event.date < self.start_date:
                raise ValueError(f"timeline[{index}].date: {event.date} is before start_date {self.start_date}")
        previous = None
        for index, event in enumerate(self.timeline):
            day = self.event_day(event)
            where = f"timeline[{index}].{'day' if event.date is None else 'date'}"
            when = f"day {day}" if event.date is None else f"{event.date} (day {day})"
            if day >= self.days:
                raise ValueError(f"{where}: {when} is past the horizon (days: {self.days}, the last day is "
                                 f"{self.days - 1}); expected events within the horizon")
            if previous is not None and day < previous[1]:
                raise ValueError(f"{where}: {when} comes before timeline[{previous[0]}] (day {previous[1]}); "
                                 "expected events in date order")
            previous = (index, day)
        check_uncertainty(self.priors, self.ensembles, parameter_paths(self))
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
        data = self.model_dump()  # Python objects (dates stay dates) for the strict schema
        paths = parameter_paths(self)
        for path, value in values.items():
            if path not in paths:
                raise InputError(f"unknown parameter path{did_you_mean(path, paths)}", key=path)
            node = data
            *parents, leaf = path.split(".")
            for part in parents:
                node = node[part]
            node[leaf] = value.item() if hasattr(value, "item") else value
        return validate_scenario(data, source=f"{self.name} (with values)")


def validate_scenario(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a scenario mapping; raise ScenarioError with one clear line on the first problem."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise scenario_error(error, Scenario, source) from None

