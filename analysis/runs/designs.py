"""Experimental designs of a sweep spec: grid, random, Latin hypercube, Sobol and Morris samplers.

:func:`build_design` turns a validated :class:`analysis.runs.spec.SweepSpec` into its design points,
deterministic in the spec's seed; Sobol and Morris points come from SALib's samplers [HermanUsher2017]
in SALib's order, so ``SALib.analyze`` applies to per-row responses.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.runs.spec import ParameterRange, SweepSpec


@dataclass
class Design:
    """The design points of a sweep, in sample order.

    Attributes:
        kind: the design kind.
        table: one row per design point (``design_row`` 0..P-1) with one column per parameter path,
            holding the values the worlds run with (integers rounded, booleans as bool).
        raw: the sampler's raw matrix in the same order (floats; equals ``table`` except for rounding).
        salib_problem: the SALib problem definition (``num_vars``, ``names``, ``bounds``) for
            range parameters, or None when the design has value lists.
        settings: the sampler settings (samples, levels, calc_second_order, num_levels, seed).
    """

    kind: str
    table: pd.DataFrame
    raw: pd.DataFrame
    salib_problem: dict[str, Any] | None
    settings: dict[str, Any] = field(default_factory=dict)


def _cast(parameter: ParameterRange, column: np.ndarray) -> np.ndarray:
    if parameter.kind == "int":
        return np.rint(column).astype(np.int64)
    return column.astype(np.float64)


def design_rows(spec: SweepSpec) -> int:
    """The number of design points :func:`build_design` draws, computed without drawing them."""
    kind = spec.design["kind"]
    d = len(spec.parameters)
    if kind == "grid":
        default_levels = spec.design.get("levels", 5)
        rows = 1
        for p in spec.parameters:
            rows *= (p.levels or default_levels) if p.is_range and p.lo != p.hi else (1 if p.is_range else len(p.values))
        return rows
    samples = int(spec.design["samples"])
    if kind == "sobol":
        return samples * (2 * d + 2 if spec.design.get("calc_second_order", False) else d + 2)
    if kind == "morris":
        return samples * (d + 1)
    return samples


def build_design(spec: SweepSpec) -> Design:
    """The design points of a spec, deterministic in its seed.

    Returns:
        A :class:`Design`; ``table`` rows are in the sampler's order (SALib's order for Sobol and
        Morris, so ``SALib.analyze`` can be applied to per-row responses).
    """
    kind = spec.design["kind"]
    names = [p.path for p in spec.parameters]
    ranges = [p for p in spec.parameters if p.is_range]
    problem = None
    if len(ranges) == len(spec.parameters):
        problem = {"num_vars": len(names), "names": names, "bounds": [[p.lo, p.hi] for p in spec.parameters]}
    settings: dict[str, Any] = {"seed": spec.seed}
    rng = np.random.default_rng(np.random.SeedSequence([spec.seed, 0x5EED]))

    if kind == "grid":
        default_levels = spec.design.get("levels", 5)
        axes = []
        for p in spec.parameters:
            if p.is_range:
                n = p.levels or default_levels
                # rounded so that 0.6 is stored as 0.6, not 0.6000000000000001 (values are grouped on later)
                axes.append([float(v) for v in np.round(np.linspace(p.lo, p.hi, n), 12)] if p.lo != p.hi else [p.lo])
            else:
                axes.append(list(p.values))
        rows = list(itertools.product(*axes))
        raw = pd.DataFrame(rows, columns=names)
        settings["levels"] = default_levels
    elif kind in ("random", "lhs"):
        samples = spec.design["samples"]
        if kind == "random":
            unit = rng.random((samples, len(names)))
        else:
            from scipy.stats import qmc

            unit = qmc.LatinHypercube(d=len(names), seed=rng).random(samples)
        settings["samples"] = samples
        raw = pd.DataFrame({name: _from_unit(p, unit[:, j]) for j, (name, p) in enumerate(zip(names, spec.parameters))})
    elif kind == "sobol":
        from SALib.sample import sobol as sobol_sample

        samples = spec.design["samples"]
        second = spec.design.get("calc_second_order", False)
        matrix = sobol_sample.sample(problem, samples, calc_second_order=second, scramble=True, seed=spec.seed)
        raw = pd.DataFrame(matrix, columns=names)
        settings.update(samples=samples, calc_second_order=second, sampler="SALib.sample.sobol.sample", scramble=True)
    else:  # morris
        from SALib.sample import morris as morris_sample

        samples = spec.design["samples"]
        num_levels = spec.design.get("num_levels", 4)
        matrix = morris_sample.sample(problem, samples, num_levels=num_levels, seed=spec.seed)
        raw = pd.DataFrame(matrix, columns=names)
        settings.update(samples=samples, num_levels=num_levels, sampler="SALib.sample.morris.sample")

    table = pd.DataFrame(index=range(len(raw)))
    for p in spec.parameters:
        column = raw[p.path].to_numpy()
        if p.is_range:
            table[p.path] = _cast(p, column.astype(np.float64))
        else:
            table[p.path] = pd.Series(list(column)).infer_objects().to_numpy()
    raw_numeric = raw.copy()
    for p in spec.parameters:
        if not p.is_range:
            raw_numeric[p.path] = [p.values.index(v) for v in raw[p.path]]
    table.insert(0, "design_row", np.arange(len(table), dtype=np.int64))
    raw_numeric.insert(0, "design_row", np.arange(len(table), dtype=np.int64))
    return Design(kind=kind, table=table, raw=raw_numeric, salib_problem=problem, settings=settings)


def _from_unit(parameter: ParameterRange, unit: np.ndarray) -> np.ndarray:
    if parameter.is_range:
        return parameter.lo + unit * (parameter.hi - parameter.lo)
    index = np.minimum((unit * len(parameter.values)).astype(int), len(parameter.values) - 1)
    return np.array([parameter.values[i] for i in index], dtype=object)
