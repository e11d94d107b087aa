"""Result directories opened for reports and the thesis test: one ``ResultSet`` per (directory, scenario).

A batch store may hold several scenarios and a sweep may sweep several; each scenario becomes its own
result set with a display label, so several directories can be compared side by side. Bad input (a
missing path, a directory that is not a results store, a store with no finished world) raises
``sim.errors.InputError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError


@dataclass
class ResultSet:
    """The worlds of one scenario in one results directory.

    Attributes:
        path: the results directory.
        store_name: the batch or sweep name from the manifest.
        kind: ``"batch"`` or ``"sweep"``.
        scenario: the scenario name as run.
        label: display label, unique among the sets compared.
        outcomes: outcome rows of this scenario (with ``point``, ``replicate`` and swept parameters).
        manifest: the store's manifest.
        parameters: swept parameter paths (empty for a batch).
        complete: whether every planned world of the store is stored.
        worlds_done: worlds stored (whole store).
        worlds_total: worlds planned (whole store).
        has_series: whether daily series were collected.
        units: {parameter: unit} where known.
        handle: the ``analysis.runs.store.Results`` handle.
    """

    path: Path
    store_name: str
    kind: str
    scenario: str
    label: str
    outcomes: pd.DataFrame
    manifest: dict[str, Any]
    parameters: list[str] = field(default_factory=list)
    complete: bool = True
    worlds_done: int = 0
    worlds_total: int = 0
    has_series: bool = False
    units: dict[str, str] = field(default_factory=dict)
    handle: Any = None

    @property
    def design(self) -> dict[str, Any]:
        """The design block of a sweep's manifest (empty for a batch)."""
        return self.manifest.get("design") or {}

    @property
    def design_kind(self) -> str | None:
        """grid, random, lhs, sobol or morris (None for a batch)."""
        return self.design.get("kind")

    @property
    def days(self) -> int:
        """The horizon in days (largest over the worlds)."""
        return int(self.outcomes["days"].max())

    def series(self, columns=("world", "day", "level_30d")) -> pd.DataFrame:
        """This scenario's daily series (selected columns), or raise InputError if not collected."""
        if not self.has_series:
            raise InputError("no daily series stored (rerun with --series)", file=str(self.path))
        frame = self.handle.series(columns=list(columns))
        return frame[frame["world"].isin(self.outcomes["world"])].reset_index(drop=True)

    def sample_for_sensitivity(self) -> pd.DataFrame | None:
        """Sweeps: the raw design matrix in sample order (value lists as indices), or None."""
        try:
            return self.handle.design_sample()
        except (InputError, OSError):
            return None


def _units(scenario_name: str, parameters: list[str]) -> dict[str, str]:
    """Units of the swept parameters from the scenario schema (empty where the scenario won't load)."""
    if not parameters:
        return {}
    try:
        from sim.scenario import load_scenario, parameter_paths

        info = parameter_paths(load_scenario(scenario_name))
    except (InputError, OSError):  # a report must not fail because a scenario file moved; units are cosmetic
        return {}
    return {p: getattr(info.get(p), "unit", "") or "" for p in parameters if p in info}


def load_result_sets(paths: list[str | Path]) -> list[ResultSet]:
    """Open each results directory and split it by scenario.

    Raises:
        InputError: a path is missing, is not a results store, or holds no finished world.
    """
    from analysis.runs.guards import check_result_dirs
    from analysis.runs.store import open_results

    check_result_dirs(paths)
    sets: list[ResultSet] = []
    for raw in paths:
        path = Path(raw)
        handle = open_results(path)
        manifest = handle.manifest
        outcomes = handle.outcomes()
        if outcomes.empty:
            raise InputError("the results directory holds no finished world yet", file=str(path))
        parameters = [p["path"] for p in (manifest.get("design") or {}).get("parameters", [])]
        has_series = bool((manifest.get("tables") or {}).get("series"))
        for scenario, part in outcomes.groupby("scenario", sort=False):
            sets.append(ResultSet(
                path=path, store_name=str(manifest.get("name", path.name)), kind=str(manifest.get("kind", "batch")),
                scenario=str(scenario), label="", outcomes=part.reset_index(drop=True), manifest=manifest,
                parameters=parameters, complete=bool(handle.complete), worlds_done=int(handle.worlds_done),
                worlds_total=int(handle.worlds_total), has_series=has_series,
                units=_units(str(scenario), parameters), handle=handle))
    _assign_labels(sets)
    return sets


def _assign_labels(sets: list[ResultSet]) -> None:
    """Batch sets are labelled by scenario; sweeps by sweep name; prefixed by directory when ambiguous."""
    for s in sets:
        s.label = s.scenario if s.kind == "batch" else f"{s.store_name} sweep ({s.scenario})"
    counts = pd.Series([s.label for s in sets]).value_counts()
    for s in sets:
        if counts[s.label] > 1:
            s.label = f"{s.path.name}: {s.label}"
    counts = pd.Series([s.label for s in sets]).value_counts()
    for index, s in enumerate(sets):
        if counts[s.label] > 1:
            s.label = f"{s.label} [{index + 1}]"


def combined_outcomes(sets: list[ResultSet]) -> pd.DataFrame:
    """All sets' outcome rows with a ``label`` column (in the order given)."""
    frames = [s.outcomes.assign(label=s.label) for s in sets]
    frame = pd.concat(frames, ignore_index=True)
    frame["label"] = pd.Categorical(frame["label"], categories=[s.label for s in sets], ordered=True)
    return frame


def numeric_parameters(outcomes: pd.DataFrame, parameters: list[str]) -> tuple[list[str], list[str]]:
    """Split swept parameters into numeric ones (usable by PRIM and heatmaps) and the rest."""
    numeric, other = [], []
    for name in parameters:
        column = outcomes[name]
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            numeric.append(name)
        else:
            other.append(name)
    return numeric, other


def as_float(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The columns as floats (bools become 0/1)."""
    return pd.DataFrame({c: np.asarray(frame[c], dtype=float) for c in columns})
