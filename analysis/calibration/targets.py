"""Calibration targets: which quantity of the public record a scenario should reproduce, and how closely.

A target (``scenarios/targets/*.yaml``, read with :func:`sim.yamlio.read_yaml`) says which quantity of the
public record [PressReports] [DoDBriefings2024] [CENTCOM2024] a scenario should reproduce, over which
period, how closely, and from what source. Its ``statistic`` names one of the statistics of
:mod:`analysis.calibration.statistics`, which measure the same quantity in simulated worlds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from analysis.calibration.statistics import STATISTICS
from sim.errors import InputError
from sim.yamlio import did_you_mean, read_yaml


@dataclass(frozen=True)
class Target:
    """One calibration target: a quantity of the record, its value and range, and how it is measured.

    Attributes:
        name: short identifier.
        quantity: what the record measures, in words.
        scenario: the scenario it applies to.
        statistic: the named statistic (a key of :data:`STATISTICS`).
        value: the record's value.
        low: lower end of the accepted range.
        high: upper end of the accepted range.
        start: first day of the period (a date), or None for the whole horizon.
        end: last day of the period, or None.
        role: ``fit`` (used to fit parameters), ``check`` (compared only: out of sample) or ``set`` (set from
            the record: the value is written into a parameter from the same record the target describes, so
            matching it is not evidence; ``note`` names the parameter).
        confidence: H, M or L, as the targets file grades its source.
        source: where the value comes from.
        note: how the record's quantity maps onto the statistic, when that needs saying.
    """

    name: str
    quantity: str
    scenario: str
    statistic: str
    value: float
    low: float
    high: float
    start: dt.date | None
    end: dt.date | None
    role: Literal["fit", "check", "set"]
    confidence: Literal["H", "M", "L"]
    source: str
    note: str = ""

    @property
    def tolerance(self) -> float:
        """Scale of a miss in the fit objective: the larger distance from the value to an end of the range."""
        return max(self.value - self.low, self.high - self.value, 1e-9)

    def period_text(self) -> str:
        """The period as text (``whole horizon`` when none is set)."""
        if self.start is None and self.end is None:
            return "whole horizon"
        return f"{self.start or 'start'} to {self.end or 'end'}"

    def holds(self, value: float) -> bool:
        """Whether a simulated value lies in the accepted range."""
        return bool(self.low <= value <= self.high)


# fit: fitted; check: compared only (out of sample); set: the value was written into a parameter from the
# same record, so matching it is not evidence
ROLES = ("fit", "check", "set")
TARGET_KEYS = {"name", "quantity", "scenario", "statistic", "value", "range", "period", "role", "confidence",
               "source", "note"}


def default_targets_path() -> Path:
    """The shipped 2019-2021 targets."""
    return Path(str(resources.files("scenarios.targets"))) / "calibration_2019_2021.yaml"


def load_targets(path: str | Path | None = None) -> list[Target]:
    """Read and check a targets file (YAML with a ``targets:`` list).

    Raises:
        InputError: missing file, bad YAML, an unknown key, or a target naming an unknown statistic.
    """
    path = Path(path) if path is not None else default_targets_path()
    if not path.is_file():
        raise InputError("targets file not found; expected a YAML file with a 'targets:' list", file=str(path))
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("targets"), list) or not data["targets"]:
        raise InputError("expected a mapping with a non-empty 'targets:' list", file=str(path))
    targets = [_parse_target(entry, index, str(path)) for index, entry in enumerate(data["targets"])]
    names = [t.name for t in targets]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputError(f"target names must be unique; repeated: {', '.join(duplicated)}", file=str(path))
    return targets


def _parse_target(entry, index: int, file: str) -> Target:
    where = f"targets[{index}]"
    if not isinstance(entry, dict):
        raise InputError("expected a mapping", file=file, key=where)
    unknown = sorted(set(entry) - TARGET_KEYS)
    if unknown:
        raise InputError(f"unknown key{did_you_mean(unknown[0], TARGET_KEYS)}; expected some of "
                         f"{', '.join(sorted(TARGET_KEYS))}", file=file, key=f"{where}.{unknown[0]}")
    for key in ("name", "quantity", "scenario", "statistic", "value", "range", "source", "confidence"):
        if key not in entry:
            raise InputError("missing required key", file=file, key=f"{where}.{key}")
    statistic = str(entry["statistic"])
    if statistic not in STATISTICS:
        raise InputError(f"unknown statistic {statistic!r}{did_you_mean(statistic, STATISTICS)}; "
                         f"expected one of {', '.join(STATISTICS)}", file=file, key=f"{where}.statistic")
    try:
        value = float(entry["value"])
        low, high = (float(v) for v in entry["range"])
    except (TypeError, ValueError):
        raise InputError("expected a number 'value' and a 'range' of two numbers [low, high]", file=file,
                         key=where) from None
    if not low <= value <= high:
        raise InputError(f"expected low <= value <= high, got {low} <= {value} <= {high}", file=file, key=f"{where}.range")
    start = end = None
    if entry.get("period") is not None:
        period = entry["period"]
        if not (isinstance(period, list) and len(period) == 2 and all(isinstance(d, dt.date) for d in period)):
            raise InputError("expected a period [YYYY-MM-DD, YYYY-MM-DD]", file=file, key=f"{where}.period")
        start, end = period
    role = entry.get("role", "fit")
    if role not in ROLES:
        raise InputError(f"expected role 'fit', 'check' or 'set', got {role!r}", file=file, key=f"{where}.role")
    if role == "set" and not str(entry.get("note") or "").strip():
        raise InputError("a target with role 'set' needs a 'note' naming the parameter that holds the record's value",
                         file=file, key=f"{where}.note")
    if entry["confidence"] not in ("H", "M", "L"):
        raise InputError(f"expected confidence H, M or L, got {entry['confidence']!r}", file=file, key=f"{where}.confidence")
    return Target(str(entry["name"]), str(entry["quantity"]), str(entry["scenario"]), statistic, value, low, high,
                  start, end, role, entry["confidence"], str(entry["source"]), str(entry.get("note", "")))
