"""The scenario's timeline applied to the model: each dated event acts on every active world on its day.

One handler per event type (:data:`HANDLERS`); a handler gets the model, the event and the indices of
the active worlds. Scripted attacks and strikes go through the same code as the model's own
(:func:`sim.attacks.resolve_attacks`, :meth:`EscalationModel.strike_militia`), with the outcome the
record gives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from sim.actors.quds_force import QUDS_COMMANDER
from sim.attacks import resolve_attacks
from sim.ladder import Action, Capability, Posture, Rung
from sim.scenario import (
    AttackEvent, CapabilityEvent, CeasefireEvent, DirectStrikeEvent, DrawdownEvent, ElectionEvent, EventBase,
    LeaderKilledEvent, MissionEndEvent, OrderEvent, OutsideWarEvent, ShockEvent, SiegeEvent, StrikeEvent, TalksEvent,
    TruceEvent,
)

if TYPE_CHECKING:
    from sim.model import EscalationModel

class Timeline:
    """The scenario's timeline events indexed by day.

    Args:
        model: the model whose scenario's timeline is applied.
    """

    def __init__(self, model: "EscalationModel"):
        self.model = model
        self.by_day: dict[int, list[EventBase]] = {}
        for event in model.scenario.timeline:
            self.by_day.setdefault(model.scenario.event_day(event), []).append(event)

    def apply(self, day: int) -> None:
        """Apply the events of a day, in the order the scenario lists them (scenario data, not code)."""
        events = self.by_day.get(day, [])
        if not events:
            return
        worlds = np.flatnonzero(self.model.active)
        self.model.scripting = True  # what the timeline does is scripted history, not the model's decision
        try:
            for event in events:
                HANDLERS[type(event)](self.model, event, worlds)
        finally:
            self.model.scripting = False


def _talks(m: "EscalationModel", event: TalksEvent, worlds: np.ndarray) -> None:
    m.iran.talks[:] = event.status == "start"


def _election(m: "EscalationModel", event: ElectionEvent, worlds: np.ndarray) -> None:
    """Nothing on the day itself: the Iraqi government reads the election windows when it is set up."""


def _shock(m: "EscalationModel", event: ShockEvent, worlds: np.ndarray) -> None:
    for militia in m.militias:
        if event.factions is None or militia.key in event.factions:
            militia.grievance += event.magnitude


def _order(m: "EscalationModel", event: OrderEvent, worlds: np.ndarray) -> None:
    posture = Posture[event.posture.upper()]
    m.iran.order(int(posture), m.day + event.days - 1)
    m.iran.choose_posture()
    if posture == Posture.RESTRAINT and worlds.size:
        m.record(worlds, m.iran, Action.CALM_ORDER, "militias", Rung.RHETORIC, side="none")


def _leader_killed(m: "EscalationModel", event: LeaderKilledEvent, worlds: np.ndarray) -> None:
    if worlds.size:
        target = QUDS_COMMANDER if event.target == "quds_force" else m.scenario.faction_keys.index(event.target)
        m.kill_leader(worlds, np.full(worlds.size, target))
        m.united_states.answered(worlds)


def _attack(m: "EscalationModel", event: AttackEvent, worlds: np.ndarray) -> None:
    if worlds.size:
        faction = np.full(worlds.size, m.scenario.faction_keys.index(event.faction))
        resolve_attacks(m, worlds, faction, forced=event.model_dump())


def _us_strike(m: "EscalationModel", event: StrikeEvent, worlds: np.ndarray) -> None:
    if worlds.size:
        faction = m.scenario.faction_keys.index(event.faction)
        m.strike_militia(worlds, np.full(worlds.size, faction), np.full(worlds.size, event.sites),
                         np.full(worlds.size, event.killed), np.full(worlds.size, event.location == "syria"))
        m.united_states.answered(worlds)


def _siege(m: "EscalationModel", event: SiegeEvent, worlds: np.ndarray) -> None:
    if worlds.size:
        m.militia(event.faction).harass(worlds)


def _drawdown(m: "EscalationModel", event: DrawdownEvent, worlds: np.ndarray) -> None:
    us = m.united_states
    if event.group == "iraq":
        us.force_target[:] = event.troops
    elif us.grouped:
        us.troops_target[event.group][:] = event.troops
    else:
        return  # no troop groups in this scenario: Syria's and Jordan's troops are not modelled
    if worlds.size:
        m.record(worlds, us, Action.DRAWDOWN, event.group, Rung.RHETORIC, side="none")


def _capability(m: "EscalationModel", event: CapabilityEvent, worlds: np.ndarray) -> None:
    militia = m.militia(event.faction)
    level = float(Capability[event.level.upper()])
    militia.capability = np.maximum(militia.capability, level)
    militia.capability_progress = np.maximum(militia.capability_progress, level)


def _truce(m: "EscalationModel", event: TruceEvent, worlds: np.ndarray) -> None:
    for militia in m.militias:
        if event.factions is None or militia.key in event.factions:
            militia.truce_until = m.day + event.days - 1


def _direct_strike(m: "EscalationModel", event: DirectStrikeEvent, worlds: np.ndarray) -> None:
    """A scripted state-on-state strike: a round of the exchange like the model's own; the answers are the model's."""
    if not worlds.size:
        return
    if event.by == "united_states":
        m.united_states.strike_iran(worlds, size=event.size)
        m.united_states.answered(worlds)
    else:
        m.iran.direct_strike(worlds, warned=event.warned is not False, size=event.size)


def _ceasefire(m: "EscalationModel", event: CeasefireEvent, worlds: np.ndarray) -> None:
    if worlds.size:
        m.ceasefire(worlds, event.days)


def _outside_war(m: "EscalationModel", event: OutsideWarEvent, worlds: np.ndarray) -> None:
    """The outside war's state changes (:class:`sim.outside_war.OutsideWar`); the factions' answer is theirs."""
    war = m.outside_war
    if event.status == "start":
        war.start(event.intensity, event.factions)
    elif war.on and event.status == "pause":
        war.pause()
    elif war.on and event.status == "resume":
        war.resume()
    elif war.on and event.status == "end":
        war.end()


def _mission_end(m: "EscalationModel", event: MissionEndEvent, worlds: np.ndarray) -> None:
    """The US agrees to end (part of) its mission: the factions' rates fall by ``context.mission_end_restraint``."""
    m.mission_ended += event.weight


HANDLERS: dict[type[EventBase], Callable[["EscalationModel", EventBase, np.ndarray], None]] = {
    TalksEvent: _talks,
    ElectionEvent: _election,
    ShockEvent: _shock,
    OrderEvent: _order,
    LeaderKilledEvent: _leader_killed,
    AttackEvent: _attack,
    StrikeEvent: _us_strike,
    SiegeEvent: _siege,
    DrawdownEvent: _drawdown,
    CapabilityEvent: _capability,
    TruceEvent: _truce,
    DirectStrikeEvent: _direct_strike,
    CeasefireEvent: _ceasefire,
    OutsideWarEvent: _outside_war,
    MissionEndEvent: _mission_end,
}
