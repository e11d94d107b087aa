"""The base of every actor, and the small helpers the actors' rules share.

Every random draw goes through :meth:`Actor.uniform` and :meth:`Actor.poisson`, keyed by (world seed, day,
actor, draw site) (see :mod:`sim.seeds`), so a world's history depends only on its own seed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.calendar import DAYS_PER_MONTH

if TYPE_CHECKING:
    from sim.model import EscalationModel



def decay_factor(half_life: float | np.ndarray) -> float | np.ndarray:
    """Daily multiplier of a quantity with the given half-life in days."""
    return np.power(0.5, 1.0 / half_life)


def monthly_rate_factor(decay: float | np.ndarray) -> float | np.ndarray:
    """Factor turning a memory that decays by ``decay`` a day and gains 1 per event into events per month."""
    return (1.0 - decay) * DAYS_PER_MONTH


def choose(index: np.ndarray, options: list) -> np.ndarray:
    """``np.choose(index, options)``; a table look-up when every option is shared by all worlds (much faster)."""
    if all(np.ndim(option) == 0 for option in options):
        return np.asarray(options, dtype=float)[index]
    return np.choose(index, options)


class Actor(mesa.Agent):
    """An actor of the model: a key (its name in records) and a code for its keyed random draws.

    Args:
        model: the model the actor belongs to.
        key: the actor's name in the event table (``"iran"``, a faction key, ...).
    """

    key: str = ""

    def __init__(self, model: "EscalationModel", key: str):
        super().__init__(model)
        self.key = key
        self.code = model.register_actor(key)

    def uniform(self, site: str, worlds: np.ndarray | None = None) -> np.ndarray:
        """Keyed uniform draws for this actor today (all worlds, or the given world indices)."""
        return self.model.uniform(self.code, site, worlds)

    def uniforms(self, sites: tuple[str, ...], worlds: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """:meth:`uniform` at several sites by site, drawn together."""
        return self.model.uniforms(self.code, sites, worlds)

    def poisson(self, site: str, mean, worlds: np.ndarray | None = None) -> np.ndarray:
        """Keyed Poisson draws for this actor today."""
        return self.model.poisson(self.code, site, mean, worlds)
