"""Parameter uncertainty in a scenario: ``priors:`` for values set by judgement, ``ensembles:`` for fitted ones.

Two sections say how far a scenario's point values can be trusted; neither changes what a run does (a run
uses the point values unless a caller draws from these sections, as ``escalation thesis --ensemble`` and
``escalation batch --ensemble`` do):

- ``priors:`` maps a dotted parameter path (see :func:`sim.scenario.parameter_paths`) to a documented range
  for a value that no source fixes: its range, its distribution (``uniform``, ``log_uniform`` or
  ``triangular``, whose mode defaults to the scenario's own value) and its source, ``judgement`` or a
  reference key such as ``[PressReports]`` (docs/references.md). The scenario's own value must lie inside
  the range, and the range inside the schema's. Priors merge key by key through ``extends:``; a child
  sets a prior to ``null`` to drop it.
- ``ensembles:`` is the calibration's uncertainty: by the name of the scenario fitted, parameter vectors
  that fit the record about as well as the point estimate, written by ``escalation calibrate`` from its
  bootstrap refits. Each member gives one factor per knob, relative to the scenario's own values (1 is the
  point estimate); a knob with ``*`` multiplies every matching path by the same factor, as the fit does.
  Ensembles merge by name through ``extends:`` (crisis_2019_2020 keeps the baseline's fit of lethality and
  the US response and adds its own of the attack rates); a path set by several ensembles takes its factor
  from the last one (the child's refit of it), and a child sets an ensemble to ``null`` to drop it.

Drawing from them is :mod:`analysis.calibration.ensemble`; validating them is here, against the scenario
they belong to (:func:`check_uncertainty`, called by the scenario's own validator).
"""

from __future__ import annotations

import fnmatch
import math
import re
from typing import Literal

from pydantic import Field, field_validator

from sim.scenario.sections import Strict
from sim.yamlio import did_you_mean

REFERENCE_KEY = re.compile(r"^\[[A-Z][A-Za-z0-9]*\]$")
DISTRIBUTIONS = ("uniform", "log_uniform", "triangular")


class Prior(Strict):
    """The plausible range of one value set by judgement."""

    range: list[float] = Field(..., min_length=2, max_length=2,
                               description="Lowest and highest plausible value, [low, high], in the parameter's unit.",
                               json_schema_extra={"unit": "parameter's"})
    distribution: Literal["uniform", "log_uniform", "triangular"] = Field(
        "uniform", description="How values are drawn in the range: uniform, log_uniform (range above 0; for "
        "rates and scales known to a factor) or triangular (peaked at `mode`).", json_schema_extra={"unit": "kind"})
    mode: float | None = Field(None, description="Peak of a triangular prior (default: the scenario's value).",
                               json_schema_extra={"unit": "parameter's"})
    source: str = Field(..., description="'judgement', or the reference key that gives the range, e.g. "
                        "[PressReports] (docs/references.md).", json_schema_extra={"unit": "text"})
    note: str = Field("", description="Why this range.", json_schema_extra={"unit": "text"})

    @field_validator("range")
    @classmethod
    def _ordered(cls, value: list[float]) -> list[float]:
        if not value[0] < value[1]:
            raise ValueError(f"expected [low, high] with low < high, got [{value[0]}, {value[1]}]")
        return value

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        if value != "judgement" and not REFERENCE_KEY.match(value):
            raise ValueError(f"expected 'judgement' or a reference key such as [PressReports], got {value!r}")
        return value


class Ensemble(Strict):
    """Parameter vectors that represent a calibration's uncertainty (written by ``escalation calibrate``)."""

    method: str = Field(..., min_length=1, description="How the members were made (command, seed, replicates).",
                        json_schema_extra={"unit": "text"})
    fitted_to: str = Field(..., min_length=1, description="The targets file the fit used.",
                           json_schema_extra={"unit": "text"})
    knobs: list[str] = Field(..., min_length=1, description="Fitted dotted paths; a path with '*' is one factor "
                             "applied to every matching path.")
    members: list[list[float]] = Field(..., min_length=2, description="One row per member: a factor per knob, "
                                       "relative to the scenario's values (1 = the point estimate).")

    @field_validator("members")
    @classmethod
    def _positive(cls, value: list[list[float]]) -> list[list[float]]:
        for index, row in enumerate(value):
            if any(not (math.isfinite(f) and f > 0) for f in row):
                raise ValueError(f"member {index}: expected factors above 0, got {row}")
        return value


def knob_paths(knob: str, paths) -> list[str]:
    """The parameter paths a knob sets: itself, or every path matching its ``*`` pattern (sorted)."""
    if "*" in knob:
        return sorted(p for p in paths if fnmatch.fnmatchcase(p, knob))
    return [knob] if knob in paths else []


def check_uncertainty(priors: dict[str, Prior], ensembles: dict[str, Ensemble], infos: dict) -> None:
    """Check priors and ensembles against the scenario's parameters (``infos`` from ``parameter_paths``).

    Raises:
        ValueError: one line naming the prior or knob and what was expected.
    """
    for path, prior in priors.items():
        info = infos.get(path)
        where = f"priors.{path}"
        if info is None:
            raise ValueError(f"{where}: unknown parameter path{did_you_mean(path, infos)}; see `escalation schema` "
                             "for the valid paths")
        if info.kind == "bool":
            raise ValueError(f"{where}: a true/false switch takes no prior")
        low, high = prior.range
        if (info.lo is not None and low < info.lo) or (info.hi is not None and high > info.hi):
            raise ValueError(f"{where}.range: [{low}, {high}] leaves the schema's range [{info.lo}, {info.hi}]")
        if prior.distribution == "log_uniform" and low <= 0:
            raise ValueError(f"{where}.range: a log_uniform prior needs a range above 0, got [{low}, {high}]")
        value = float(info.default)
        if not low <= value <= high:
            raise ValueError(f"{where}.range: the scenario's value {value:g} lies outside [{low:g}, {high:g}]; "
                             "expected a range that holds it (widen the prior or change the value)")
        if prior.mode is not None and not low <= prior.mode <= high:
            raise ValueError(f"{where}.mode: {prior.mode:g} lies outside [{low:g}, {high:g}]")
        if prior.mode is not None and prior.distribution != "triangular":
            raise ValueError(f"{where}.mode: only a triangular prior has a mode")
    for name, ensemble in ensembles.items():
        where = f"ensembles.{name}"
        fitted: set[str] = set()
        for index, knob in enumerate(ensemble.knobs):
            paths = knob_paths(knob, infos)
            if not paths:
                raise ValueError(f"{where}.knobs[{index}]: {knob!r} names no parameter path of this scenario")
            if any(infos[p].kind == "bool" for p in paths):
                raise ValueError(f"{where}.knobs[{index}]: {knob!r} names a true/false switch")
            shared = sorted(set(paths) & set(priors))
            if shared:
                raise ValueError(f"{where}.knobs[{index}]: {shared[0]} is fitted and also has a prior; expected one "
                                 "or the other")
            overlap = sorted(set(paths) & fitted)
            if overlap:
                raise ValueError(f"{where}.knobs[{index}]: {overlap[0]} is set by two knobs")
            fitted.update(paths)
        for index, row in enumerate(ensemble.members):
            if len(row) != len(ensemble.knobs):
                raise ValueError(f"{where}.members[{index}]: expected {len(ensemble.knobs)} factors (one per knob), "
                                 f"got {len(row)}")
