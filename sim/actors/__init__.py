"""The actors: Mesa agents whose state is a numpy array over a batch of independent worlds.

One module per actor; each actor's ``step`` or decision methods implement its rules, and each rule's
docstring names the mechanism, its source (keys into docs/references.md) and the record it reproduces.
An actor reads its parameters as attributes of a typed view of its scenario section (``self.params``).
"""

from sim.actors.base import Actor, decay_factor
from sim.actors.iran import Iran
from sim.actors.iraqi_government import IraqiGovernment
from sim.actors.militia import Militia
from sim.actors.quds_force import QudsForce
from sim.actors.united_states import UnitedStates

__all__ = ["Actor", "Iran", "IraqiGovernment", "Militia", "QudsForce", "UnitedStates", "decay_factor"]
