"""Parameter values over worlds: a Python float when every world shares it, else an array (N,)."""

from __future__ import annotations

import numpy as np


def pick(value: float | np.ndarray, worlds: np.ndarray) -> float | np.ndarray:
    """The value for the given world indices (a shared scalar stays a scalar)."""
    return value if np.ndim(value) == 0 else value[worlds]


def per_world(value: float | np.ndarray, n_worlds: int) -> np.ndarray:
    """A fresh float array (N,) holding the value for each world."""
    return np.array(np.broadcast_to(np.asarray(value, dtype=float), (n_worlds,)))
