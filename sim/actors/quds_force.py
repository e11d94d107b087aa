"""The Quds Force: the leash on the militias and the supply of their capability."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.actors.base import Actor, choose, decay_factor
from sim.params import per_world, pick

if TYPE_CHECKING:
    from sim.model import EscalationModel

# Target index of the Quds Force commander in a leader killing (faction indices are 0 and up).
QUDS_COMMANDER = -1
# Supply multiplier under calibrated pressure: 1 by definition of ``quds_force.capability_supply_rate``.
SUPPLY_UNDER_PRESSURE = 1.0


class QudsForce(Actor):
    """Iran's Quds Force: relays Tehran's directive with a leash of varying strength; supplies capability.

    State per world: the leash, the share of Tehran's directive that reaches the factions.
    """

    def __init__(self, model: "EscalationModel"):
        super().__init__(model, "quds_force")
        self.params = model.params.quds_force
        self.leash = per_world(self.params.leash_strength, model.n_worlds)
        self.recovery = 1.0 - decay_factor(self.params.leash_recovery_half_life)

    def step(self) -> None:
        """Recover the leash toward its baseline and ratchet militia capability up.

        Mechanism: principal-agent slack [BymanKreps2010] [Salehyan2010]: the leash is the share of
        Tehran's directive that reaches the factions. Supply follows Iran's posture (more while it
        escalates, less while it restrains); capability only ratchets up (rockets, then explosive drones
        in 2021 [PressReports]).
        """
        m = self.model
        p = self.params
        self.leash += (p.leash_strength - self.leash) * self.recovery
        by_posture = [p.supply_under_restraint, SUPPLY_UNDER_PRESSURE, p.supply_under_escalation]
        supply = p.capability_supply_rate * choose(m.iran.posture, by_posture)
        m.factions.supply(supply)  # the ratchet max(capability, min(floor(progress), MISSILES)) is applied on read

    def lose_commander(self, worlds: np.ndarray) -> None:
        """Its commander is killed: the leash drops (the 2021 calm order was defied [MilitiasRogue2021])."""
        self.leash[worlds] *= 1.0 - pick(self.params.leash_drop_on_commander_killed, worlds)
