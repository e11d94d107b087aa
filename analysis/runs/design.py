"""Sweep specifications and experimental designs: grid, random, Latin hypercube, Sobol and Morris.

A sweep spec is a YAML file (loaded with ``yaml.safe_load``)::

    name: leash_vs_us_threshold          # default: the file name
    description: why this sweep exists
    sources: [where the ranges come from]
    scenarios: [baseline]                # or `scenario: baseline`; names or YAML paths
    parameters:                          # dotted paths from sim.scenario.parameter_paths
      quds_force.leash_strength: {lo: 0.2, hi: 0.95, levels: 6}
      united_states.response_threshold: {values: [2, 3, 4]}
    design: {kind: grid}                 # grid | random | lhs | sobol | morris
    replicates: 200                      # worlds per design point
    days: 365                            # horizon (default: each scenario's own)
    seed: 20260101                       # master seed

Design options: ``grid`` uses each range's ``levels`` (default ``design.levels``, 5); ``random`` and
``lhs`` draw ``design.samples`` points; ``sobol`` uses SALib's Saltelli/Sobol sampler with base size
``design.samples`` (a power of two) and ``calc_second_order`` (default false); ``morris`` draws
``design.samples`` trajectories on a ``num_levels`` grid (default 4). Sobol and Morris need ranges
(not value lists). Every problem is reported as one :class:`sim.errors.InputError` line naming the
file, the key and what was expected.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError

DESIGN_KINDS = ("grid", "random", "lhs", "sobol", "morris")
_DESIGN_OPTIONS = {"kind", "levels", "samples", "calc_second_order", "num_levels"}
_SPEC_KEYS = {"name", "description", "sources", "scenario", "scenarios", "parameters", "design", "replicates", "days", "seed"}


@dataclass(frozen=True)
class ParameterRange:
    """One swept parameter: a continuous range ``[lo, hi]`` or an explicit list of values.

    Attributes:
        path: dotted path into the scenario.
        lo: lower bound of a range (None for a value list).
        hi: upper bound of a range (None for a value list).
        values: the explicit values (None for a range).
        levels: grid points across a range (None: the design default).
        kind: the parameter's kind from ``parameter_paths`` (e.g. "float", "int", "bool").
    """

    path: str
    lo: float | None = None
    hi: float | None = None
    values: tuple | None = None
    levels: int | None = None
    kind: str = "float"

    @property
    def is_range(self) -> bool:
        """Whether the parameter is a continuous range rather than a value list."""
        return self.values is None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready description (for the manifest)."""
        if self.is_range:
            return {"path": self.path, "kind": self.kind, "lo": self.lo, "hi": self.hi, "levels": self.levels}
        return {"path": self.path, "kind": self.kind, "values": list(self.values)}


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep specification (see the module docstring for the YAML form)."""

    name: str
    scenarios: tuple[str, ...]
    parameters: tuple[ParameterRange, ...]
    design: dict[str, Any]
    replicates: int
    seed: int
    days: int | None = None
    description: str = ""
    sources: tuple[str, ...] = ()
    file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Canonical JSON-ready form; equal specs give equal dicts."""
        return {
            "name": self.name,
            "scenarios": list(self.scenarios),
            "parameters": [p.as_dict() for p in self.parameters],
            "design": dict(sorted(self.design.items())),
            "replicates": self.replicates,
            "days": self.days,
            "seed": self.seed,
        }

    def digest(self) -> str:
        """SHA-256 of the canonical form (description and sources excluded)."""
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()


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


def _fail(spec_file: str | None, key: str | None, message: str) -> InputError:
    return InputError(message, file=spec_file, key=key)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _positive_int(value: Any, file: str | None, key: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(file, key, f"expected a positive integer ({what}), got {value!r}")
    if value <= 0:
        raise _fail(file, key, f"expected a positive integer ({what}), got {value}")
    return value


def load_sweep_spec(source: str | Path | dict, *, known_paths=None) -> SweepSpec:
    """Read and validate a sweep spec.

    Args:
        source: a YAML file path, or an already-parsed mapping.
        known_paths: optional callable ``scenario name -> dict[path, ParameterInfo]`` used to check
            parameter paths (default: ``sim.scenario.parameter_paths`` of each loaded scenario).

    Returns:
        The validated spec.

    Raises:
        InputError: malformed YAML, unknown keys or paths, bad ranges, bad design options.
    """
    import yaml

    file = None
    if isinstance(source, dict):
        raw = source
        default_name = "sweep"
    else:
        path = resolve_sweep_path(source)
        file = str(path)
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
            problem = getattr(error, "problem", None) or str(error)
            raise _fail(file, None, f"malformed YAML: {where}{problem}") from None
        default_name = path.stem
    if not isinstance(raw, dict):
        raise _fail(file, None, f"expected a mapping with keys {sorted(_SPEC_KEYS)}, got {type(raw).__name__}")
    unknown = sorted(set(raw) - _SPEC_KEYS)
    if unknown:
        hint = difflib.get_close_matches(str(unknown[0]), sorted(_SPEC_KEYS), n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise _fail(file, str(unknown[0]), f"unknown key{suggestion}; expected one of {sorted(_SPEC_KEYS)}")

    name = raw.get("name", default_name)
    if not isinstance(name, str) or not name or any(c in name for c in "/\\") or name.startswith("."):
        raise _fail(file, "name", f"expected a plain directory name, got {name!r}")

    if "scenario" in raw and "scenarios" in raw:
        raise _fail(file, "scenarios", "give either `scenario` or `scenarios`, not both")
    scenarios = raw.get("scenarios", raw.get("scenario"))
    if isinstance(scenarios, str):
        scenarios = [scenarios]
    if not isinstance(scenarios, list) or not scenarios or not all(isinstance(s, str) and s for s in scenarios):
        raise _fail(file, "scenarios", f"expected a scenario name or a list of names/paths, got {scenarios!r}")
    if len(set(scenarios)) != len(scenarios):
        raise _fail(file, "scenarios", "a scenario is listed twice")
    # Scenario paths in a spec are relative to the spec file when they exist there.
    if file is not None:
        base = Path(file).parent
        scenarios = [str(base / s) if (s.endswith((".yaml", ".yml")) and (base / s).is_file()) else s for s in scenarios]

    replicates = _positive_int(raw.get("replicates"), file, "replicates", "worlds per design point")
    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise _fail(file, "seed", f"expected a non-negative integer, got {seed!r}")
    days = raw.get("days")
    if days is not None:
        days = _positive_int(days, file, "days", "horizon in days")

    design = raw.get("design", {"kind": "grid"})
    if isinstance(design, str):
        design = {"kind": design}
    if not isinstance(design, dict):
        raise _fail(file, "design", f"expected a mapping like {{kind: grid}}, got {design!r}")
    bad = sorted(set(design) - _DESIGN_OPTIONS)
    if bad:
        raise _fail(file, f"design.{bad[0]}", f"unknown design option; expected one of {sorted(_DESIGN_OPTIONS)}")
    kind = design.get("kind", "grid")
    if kind not in DESIGN_KINDS:
        hint = difflib.get_close_matches(str(kind), DESIGN_KINDS, n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise _fail(file, "design.kind", f"unknown design {kind!r}{suggestion}; expected one of {list(DESIGN_KINDS)}")
    design = dict(design, kind=kind)

    parameters_raw = raw.get("parameters")
    if not isinstance(parameters_raw, dict) or not parameters_raw:
        raise _fail(file, "parameters", "expected a mapping of dotted parameter paths to {lo, hi} or {values: [...]}")

    if known_paths is None:
        from sim.scenario import load_scenario, parameter_paths

        def known_paths(scenario_name):
            return parameter_paths(load_scenario(scenario_name))

    catalogues = {}
    for scenario_name in scenarios:
        try:
            catalogues[scenario_name] = known_paths(scenario_name)
        except InputError as error:
            if error.file is None and file is not None:
                raise _fail(file, "scenarios", error.one_line()) from None
            raise

    parameters = []
    for path, value in parameters_raw.items():
        key = f"parameters.{path}"
        info = None
        for scenario_name, catalogue in catalogues.items():
            if path not in catalogue:
                hint = difflib.get_close_matches(str(path), list(catalogue), n=1, cutoff=0.5)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else "; see `escalation schema` for the paths"
                raise _fail(file, key, f"unknown parameter path in scenario {scenario_name!r}{suggestion}")
            info = info or catalogue[path]
        parameters.append(_parse_parameter(file, key, path, value, info))

    levels = design.get("levels", 5)
    if kind == "grid":
        _positive_int(levels, file, "design.levels", "grid points per range")
        design["levels"] = levels
        for p in parameters:
            if p.is_range and (p.levels or levels) < 2 and p.lo != p.hi:
                raise _fail(file, f"parameters.{p.path}.levels", "expected at least 2 grid levels across a range")
    elif "levels" in design:
        raise _fail(file, "design.levels", f"`levels` applies to grid designs, not {kind}")
    if kind != "grid":
        for p in parameters:
            if p.levels is not None:
                raise _fail(file, f"parameters.{p.path}.levels", f"`levels` applies to grid designs, not {kind}")
    if kind in ("random", "lhs", "sobol", "morris"):
        samples = _positive_int(design.get("samples"), file, "design.samples",
                                {"random": "number of points", "lhs": "number of points",
                                 "sobol": "base sample size N, a power of two", "morris": "number of trajectories"}[kind])
        if kind == "sobol" and samples & (samples - 1):
            lower = 1 << (samples.bit_length() - 1)
            raise _fail(file, "design.samples", f"Sobol sample size must be a power of two (got {samples}; try {lower} or {lower * 2})")
    elif "samples" in design:
        raise _fail(file, "design.samples", "`samples` does not apply to grid designs (use `levels`)")
    if kind in ("sobol", "morris"):
        for p in parameters:
            if not p.is_range:
                raise _fail(file, f"parameters.{p.path}", f"{kind} designs need a range {{lo, hi}}, not a value list")
            if p.lo == p.hi:
                raise _fail(file, f"parameters.{p.path}", f"{kind} designs need lo < hi")
        if kind == "morris" and len(parameters) < 2:
            raise _fail(file, "parameters", "Morris designs need at least two parameters")
    if kind == "sobol":
        second = design.setdefault("calc_second_order", False)
        if not isinstance(second, bool):
            raise _fail(file, "design.calc_second_order", f"expected true or false, got {second!r}")
    elif "calc_second_order" in design:
        raise _fail(file, "design.calc_second_order", "applies to Sobol designs only")
    if kind == "morris":
        num_levels = design.setdefault("num_levels", 4)
        if isinstance(num_levels, bool) or not isinstance(num_levels, int) or num_levels < 2 or num_levels % 2:
            raise _fail(file, "design.num_levels", f"expected an even integer >= 2, got {num_levels!r}")
    elif "num_levels" in design:
        raise _fail(file, "design.num_levels", "applies to Morris designs only")

    sources = raw.get("sources", [])
    if isinstance(sources, str):
        sources = [sources]
    return SweepSpec(
        name=name,
        scenarios=tuple(scenarios),
        parameters=tuple(parameters),
        design=design,
        replicates=replicates,
        seed=int(seed),
        days=days,
        description=str(raw.get("description", "") or ""),
        sources=tuple(str(s) for s in sources or []),
        file=file,
    )


def shipped_sweeps_dir() -> Path:
    """The folder of shipped sweep specs (``scenarios/sweeps``)."""
    from importlib import resources

    return Path(str(resources.files("scenarios.sweeps")))


def resolve_sweep_path(source: str | Path) -> Path:
    """A sweep spec path: an existing file, or the name of a shipped spec (``leash_vs_us_threshold``).

    Raises:
        InputError: neither exists.
    """
    path = Path(source)
    if path.is_file():
        return path
    text = str(source)
    if "/" not in text and path.suffix not in (".yaml", ".yml"):
        shipped = shipped_sweeps_dir() / f"{text}.yaml"
        if shipped.is_file():
            return shipped
    names = sorted(p.stem for p in shipped_sweeps_dir().glob("*.yaml"))
    hint = difflib.get_close_matches(path.stem, names, n=1)
    suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
    raise _fail(text, None, f"sweep spec not found (expected a YAML file or a shipped sweep: {', '.join(names)}){suggestion}")


def _parse_parameter(file, key, path, value, info) -> ParameterRange:
    kind = str(getattr(info, "kind", "float") or "float")
    allowed_lo = getattr(info, "lo", None)
    allowed_hi = getattr(info, "hi", None)

    def check_bounds(v, subkey):
        if _is_number(v) and allowed_lo is not None and allowed_hi is not None and _is_number(allowed_lo) and _is_number(allowed_hi):
            if not (allowed_lo <= v <= allowed_hi):
                raise _fail(file, f"{key}.{subkey}", f"{v} is outside the parameter's domain [{allowed_lo}, {allowed_hi}]")

    if isinstance(value, list):
        raise _fail(file, key, "ambiguous list; write {lo: A, hi: B} for a range or {values: [...]} for a list of values")
    if not isinstance(value, dict):
        raise _fail(file, key, f"expected {{lo: A, hi: B}} or {{values: [...]}}, got {value!r}")
    unknown = sorted(set(value) - {"lo", "hi", "levels", "values"})
    if unknown:
        raise _fail(file, f"{key}.{unknown[0]}", "unknown option; expected lo, hi, levels or values")
    if "values" in value:
        if set(value) & {"lo", "hi", "levels"}:
            raise _fail(file, key, "give either values or lo/hi, not both")
        values = value["values"]
        if not isinstance(values, list) or not values:
            raise _fail(file, f"{key}.values", f"expected a non-empty list, got {values!r}")
        if len(set(map(repr, values))) != len(values):
            raise _fail(file, f"{key}.values", "a value is listed twice")
        for v in values:
            if kind == "bool" and not isinstance(v, bool):
                raise _fail(file, f"{key}.values", f"expected true/false values for a boolean parameter, got {v!r}")
            if kind == "int" and (isinstance(v, bool) or not isinstance(v, int)):
                raise _fail(file, f"{key}.values", f"expected integers for an integer parameter, got {v!r}")
            if kind in ("float", "probability", "rate") and not _is_number(v):
                raise _fail(file, f"{key}.values", f"expected numbers, got {v!r}")
            check_bounds(v, "values")
        return ParameterRange(path=path, values=tuple(values), kind=kind)
    if "lo" not in value or "hi" not in value:
        raise _fail(file, key, "expected both lo and hi (or values: [...])")
    lo, hi = value["lo"], value["hi"]
    if kind == "bool":
        raise _fail(file, key, "a boolean parameter takes {values: [false, true]}, not a range")
    for name, v in (("lo", lo), ("hi", hi)):
        if not _is_number(v):
            raise _fail(file, f"{key}.{name}", f"expected a number, got {v!r}")
    if lo > hi:
        raise _fail(file, key, f"lo ({lo}) is greater than hi ({hi})")
    check_bounds(lo, "lo")
    check_bounds(hi, "hi")
    levels = value.get("levels")
    if levels is not None:
        _positive_int(levels, file, f"{key}.levels", "grid points across the range")
    return ParameterRange(path=path, lo=float(lo), hi=float(hi), levels=levels, kind=kind)


def _cast(parameter: ParameterRange, column: np.ndarray) -> np.ndarray:
    if parameter.kind == "int":
        return np.rint(column).astype(np.int64)
    return column.astype(np.float64)


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
