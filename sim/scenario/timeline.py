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
    ],
    Field(discriminator="type"),
]

