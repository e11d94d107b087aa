"""Timeline events: dated facts of a scenario (talks, orders, attacks and strikes that happened).

An event gives exactly one of ``date`` or ``day``; the model applies it at the start of that day (see
:mod:`sim.timeline`). Events that name a faction are checked against the scenario's factions by
:class:`~sim.scenario.schema.Scenario`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from sim.scenario.sections import Strict


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
    target: Literal["base_iraq", "base_syria", "embassy", "convoy", "base_jordan"] = "base_iraq"
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
    group: Literal["iraq", "syria", "jordan"] = Field(
        "iraq", description="Which troops: Iraq's (`united_states.force_level`), or those in Syria or Jordan (a "
        "group of their own only when `united_states.troops_syria` or `troops_jordan` is set).",
    )


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


class DirectStrikeEvent(EventBase):
    """A direct state-on-state strike (rung 6) that happened or is assumed; the model decides every answer.

    ``by: united_states`` strikes Iran (and humiliates it: Iran then chooses its answer by its own rule);
    ``by: iran`` fires a missile salvo on US forces in Iraq (the US then decides whether to answer). The
    strike counts as a round of the direct exchange like the model's own.
    """

    type: Literal["direct_strike"]
    by: Literal["united_states", "iran"]
    size: int | None = Field(
        None, ge=1, le=1000,
        description="Targets struck (US; each like one strike of the model's own, default 1) or missiles fired "
        "(Iran; default iran.salvo_size): casualties scale with it.",
    )
    warned: bool | None = Field(
        None, description="Iran only: the salvo is warned in advance and casualty-avoiding (default true).",
    )

    @model_validator(mode="after")
    def _warned_is_for_iran(self) -> "DirectStrikeEvent":
        if self.by == "united_states" and self.warned is not None:
            raise ValueError("'warned' applies only to a strike by iran")
        return self


class OutsideWarEvent(EventBase):
    """A war outside Iraq that factions take up (the Gaza war from Oct 7, 2023): it starts, pauses, resumes, ends.

    While it is on, the factions that take it up attack more (``militia_dynamics.outside_war_multiplier``,
    ramping up over ``outside_war_ramp_days``) and it weighs on Tehran's posture (``iran.outside_war_weight``);
    a pause (a truce in that war) holds their whole rate at ``outside_war_pause_factor`` from its first day to
    the resumption; after its end the level ramps down.
    """

    type: Literal["outside_war"]
    status: Literal["start", "pause", "resume", "end"]
    intensity: float = Field(
        1.0, ge=0, le=10, description="Level the war ramps up to (start only; 1: the Gaza war of 2023-24).",
    )
    factions: list[str] | None = Field(
        None, description="Factions that take the war up (start only; default: all). Tehran's posture feels it regardless.",
    )

    @model_validator(mode="after")
    def _start_fields(self) -> "OutsideWarEvent":
        if self.status != "start" and (self.factions is not None or "intensity" in self.model_fields_set):
            raise ValueError("'intensity' and 'factions' apply only to status 'start'")
        return self


class MissionEndEvent(EventBase):
    """The US agrees to end (part of) its mission in Iraq: the factions' motive to attack falls.

    Each event lowers the factions' log attack rate by ``context.mission_end_restraint`` x its weight from its
    day on (the end of the combat mission, Dec 2021; the 2024 agreement to end the coalition mission
    [PressReports]). Troop numbers move only with ``drawdown`` events.
    """

    type: Literal["mission_end"]
    mission: Literal["combat", "coalition"] = Field("combat", description="Which mission ends (a label).")
    weight: float = Field(1.0, ge=0, le=1, description="Share of the factions' aim the step meets.")


class CeasefireEvent(EventBase):
    """A ceasefire between the two states: neither strikes the other directly, any running exchange ends."""

    type: Literal["ceasefire"]
    days: int = Field(30, ge=1, le=3650, description="How long neither state strikes the other directly.")


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
        DirectStrikeEvent,
        CeasefireEvent,
        OutsideWarEvent,
        MissionEndEvent,
    ],
    Field(discriminator="type"),
]

