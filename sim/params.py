"""Parameter values over worlds: a Python float when every world shares it, else an array (N,).

A run resolves every dotted parameter path of its scenario (defaults, then per-world overrides) with
:func:`resolve_values`, and the actors read them through typed views built by :func:`parameter_view`: the
section's own pydantic class, constructed without validation so that its fields may hold per-world arrays.
``self.params.strike_threshold`` therefore leads an IDE to the documented Field, and a mistyped name fails
with AttributeError instead of reading nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import numpy as np
from pydantic import BaseModel

from sim.errors import InputError
from sim.yamlio import did_you_mean

Section = TypeVar("Section", bound=BaseModel)
Value = float | np.ndarray


def pick(value: float | np.ndarray, worlds: np.ndarray) -> float | np.ndarray:
    """The value for the given world indices (a shared scalar stays a scalar)."""
    if isinstance(value, float):  # the usual case, and far cheaper to tell than by np.ndim
        return value
    return value if np.ndim(value) == 0 else value[worlds]


def per_world(value: float | np.ndarray, n_worlds: int) -> np.ndarray:
    """A fresh float array (N,) holding the value for each world."""
    return np.array(np.broadcast_to(np.asarray(value, dtype=float), (n_worlds,)))


def resolve_values(infos: Mapping, overrides: Mapping, n_worlds: int) -> dict[str, Value]:
    """Every numeric parameter by dotted path: its default as a float, or the override (scalar or (N,)).

    Args:
        infos: :func:`sim.scenario.parameter_paths` of the scenario (path -> ParameterInfo).
        overrides: values by dotted path, each a scalar or an array of ``n_worlds`` values.
        n_worlds: number of worlds.

    Raises:
        InputError: an unknown path (with a did-you-mean hint), a wrong shape or a value out of range.
    """
    values: dict[str, Value] = {path: float(info.default) for path, info in infos.items()}
    for path, value in overrides.items():
        info = infos.get(path)
        if info is None:
            raise InputError(f"unknown parameter path{did_you_mean(path, infos)}", key=path)
        array = np.asarray(value, dtype=float)
        if array.ndim != 0 and array.shape != (n_worlds,):
            raise InputError(f"expected a scalar or {n_worlds} values, got shape {array.shape}", key=path)
        if (info.lo is not None and (array < info.lo).any()) or (info.hi is not None and (array > info.hi).any()):
            raise InputError(f"expected values in [{info.lo}, {info.hi}]", key=path)
        values[path] = float(array) if array.ndim == 0 else array.copy()
    return values


def parameter_view(section: Section, values: Mapping[str, Value], prefix: str = "") -> Section:
    """A typed view of a scenario section whose numeric fields hold the resolved per-world values.

    The view is an instance of the section's own class built with ``model_construct`` (no validation), so
    a numeric field holds a float shared by all worlds or an array (N,), whatever its annotation says
    (booleans and integers are floats too). Nested sections and mappings of sections (factions, weapons)
    become views as well; text fields keep the scenario's value.

    Args:
        section: the validated section (or the whole Scenario, with ``prefix=""``).
        values: resolved values by dotted path (:func:`resolve_values`).
        prefix: the section's dotted path.
    """
    fields = {}
    for name, current in section:
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(current, BaseModel):
            fields[name] = parameter_view(current, values, path)
        elif isinstance(current, dict) and current and all(isinstance(v, BaseModel) for v in current.values()):
            fields[name] = {key: parameter_view(sub, values, f"{path}.{key}") for key, sub in current.items()}
        else:
            fields[name] = values.get(path, current)
    return type(section).model_construct(**fields)
