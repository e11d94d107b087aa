"""Dotted parameter paths: every numeric scenario value by name, for sweeps, overrides and calibration.

A path names one leaf of a scenario, e.g. ``united_states.strike_threshold``,
``militias.badr.obedience`` or ``militia_dynamics.lethality.drone.kill``. The model resolves these paths to
per-world values and reads them back as typed views (:func:`sim.params.parameter_view`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo


@dataclass(frozen=True)
class ParameterInfo:
    """A numeric scenario parameter reachable by a dotted path."""

    path: str
    kind: str
    lo: float | None
    hi: float | None
    default: Any
    unit: str
    doc: str


def field_bounds(field_info: FieldInfo) -> tuple[float | None, float | None]:
    """The inclusive range ``(lo, hi)`` of a field (``None`` where open)."""
    lo = hi = None
    for meta in field_info.metadata:
        lo = getattr(meta, "ge", lo) if getattr(meta, "ge", None) is not None else lo
        hi = getattr(meta, "le", hi) if getattr(meta, "le", None) is not None else hi
    return lo, hi


def _numeric_fields(model: BaseModel, prefix: str) -> dict[str, ParameterInfo]:
    found: dict[str, ParameterInfo] = {}
    for name, field_info in type(model).model_fields.items():
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            found.update(_numeric_fields(value, path + "."))
        elif isinstance(value, dict) and value and all(isinstance(v, BaseModel) for v in value.values()):
            for key, sub in value.items():
                found.update(_numeric_fields(sub, f"{path}.{key}."))
        elif isinstance(value, (bool, int, float)) and name != "day":
            kind = "bool" if isinstance(value, bool) else ("int" if isinstance(value, int) else "float")
            lo, hi = (0, 1) if kind == "bool" else field_bounds(field_info)
            unit = (field_info.json_schema_extra or {}).get("unit", "")
            found[path] = ParameterInfo(path, kind, lo, hi, value, unit, field_info.description or "")
    return found


def parameter_paths(scenario: BaseModel) -> dict[str, ParameterInfo]:
    """Every numeric parameter of a scenario by dotted path (e.g. ``militias.badr.obedience``).

    The horizon ``days`` is not a parameter (it is an option of the run), nor are the outcome definitions
    under ``outcomes`` (they say how results are read, not what happens), nor the uncertainty sections
    ``priors`` and ``ensembles`` (they say how far the values can be trusted).
    """
    paths = _numeric_fields(scenario, "")
    paths.pop("days", None)
    return {path: info for path, info in paths.items() if not path.startswith(NOT_PARAMETERS)}


NOT_PARAMETERS = ("outcomes.", "priors.", "ensembles.")
