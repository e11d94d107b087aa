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

