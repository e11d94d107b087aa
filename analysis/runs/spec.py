"""Sweep specifications: the YAML form, its validation, and the shipped specs found by name.

A sweep spec is a YAML file (read with :func:`sim.yamlio.read_yaml`: duplicate keys refused)::

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
``lhs`` (Latin hypercube [McKay1979]) draw ``design.samples`` points; ``sobol`` uses SALib's Saltelli/Sobol
sampler [Saltelli2010] with base size ``design.samples`` (a power of two) and ``calc_second_order``
(default false); ``morris`` [Morris1991] draws ``design.samples`` trajectories on a ``num_levels`` grid
(default 4). Sobol and Morris need ranges (not value lists). Every problem is reported as one
:class:`sim.errors.InputError` line naming the file, the key and what was expected. The designs themselves
are drawn by :mod:`analysis.runs.designs`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.runs.guards import check_days, check_seed
from sim.errors import InputError
from sim.scenario.schema import SCENARIO_NAME
from sim.yamlio import did_you_mean, read_yaml

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
    file = None
    if isinstance(source, dict):
        raw = source
        default_name = "sweep"
    else:
        path = resolve_sweep_path(source)
        file = str(path)
        raw = read_yaml(path)
        default_name = path.stem
    if not isinstance(raw, dict):
        raise _fail(file, None, f"expected a mapping with keys {sorted(_SPEC_KEYS)}, got {type(raw).__name__}")
    unknown = sorted(set(raw) - _SPEC_KEYS)
    if unknown:
        suggestion = did_you_mean(unknown[0], _SPEC_KEYS)
        raise _fail(file, str(unknown[0]), f"unknown key{suggestion}; expected one of {sorted(_SPEC_KEYS)}")

    name = raw.get("name", default_name)
    if not isinstance(name, str) or not SCENARIO_NAME.match(name):
        shown = name if not isinstance(name, str) or len(name) <= 40 else name[:37] + "..."
        raise _fail(file, "name", f"expected 1-100 letters, digits, '_' or '-' (it names the results directory), "
                                  f"got {shown!r}")

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
    seed = check_seed(raw.get("seed", 0), key="seed", file=file)
    days = raw.get("days")
    if days is not None:
        days = check_days(_positive_int(days, file, "days", "horizon in days"), key="days", file=file)

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
        suggestion = did_you_mean(kind, DESIGN_KINDS)
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
                suggestion = did_you_mean(path, catalogue) or "; see `escalation schema` for the paths"
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
    raise _fail(text, None, f"sweep spec not found{did_you_mean(path.stem, names)}; expected a YAML file or a "
                            f"shipped sweep: {', '.join(names)}")


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
