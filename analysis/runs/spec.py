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

A **robust-decision spec** (``escalation robust``, :mod:`analysis.stats.robust`; see docs/robust.md) splits
the parameters into ``levers``, which a policy sets, and ``uncertainties``, which the design samples (the
ideas of [Lempert2003] and of the EMA Workbench [Kwakkel2017])::

    scenario: crisis_2019_2020           # exactly one scenario
    levers:                              # dotted paths a policy sets; {} = set by the named policies only
      united_states.strike_threshold: {values: [3.598, 7.2]}
      united_states.leader_killing_threshold: {}
    policies:                            # optional: name -> {lever: value}; levers not named keep the
      today: {}                          #   scenario's own value. Without `policies`, every combination
      restrained: {united_states.strike_threshold: 7.2}   # of the levers' values is a policy (a grid)
    uncertainties:                       # the same form as `parameters` (which a robust spec does not take)
      iran.direct_weight: {lo: 0.5, hi: 2.0}
    design: {kind: lhs, samples: 48}     # the design over the uncertainties
    replicates: 2000                     # worlds per (policy, uncertainty point)
    robust: {threshold: 0.05, percentile: 90, criterion: p_confrontation}

A parameter is either a lever or an uncertainty, never both; a spec with ``levers`` needs
``uncertainties`` and at least one policy.
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
_SPEC_KEYS = {"name", "description", "sources", "scenario", "scenarios", "parameters", "design", "replicates", "days", "seed",
              "levers", "policies", "uncertainties", "robust"}
ROBUST_KEYS = ("levers", "policies", "uncertainties", "robust")
# the per-world statistics `escalation robust` tabulates (lower is better for each); see analysis.stats.robust
ROBUST_STATISTICS = ("p_confrontation", "attacks", "us_killed", "us_casualties")
_ROBUST_OPTIONS = {"threshold": 0.05, "percentile": 90.0, "criterion": "p_confrontation"}
MAX_POLICIES = 1000
POLICY_NAME = SCENARIO_NAME


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
class Lever:
    """A parameter a policy sets (robust-decision specs).

    Attributes:
        path: dotted path into the scenario.
        kind: the parameter's kind from ``parameter_paths`` ("float", "int", "bool", ...).
        default: the scenario's own value, which a policy that does not name the lever keeps.
        choices: the declared values or range (None: only the named policies set it).
    """

    path: str
    kind: str
    default: Any
    choices: ParameterRange | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready description (for the manifest)."""
        choices = None if self.choices is None else {k: v for k, v in self.choices.as_dict().items()
                                                     if k not in ("path", "kind")}
        return {"path": self.path, "kind": self.kind, "default": self.default, "choices": choices}


@dataclass(frozen=True)
class Policy:
    """One setting of every lever (robust-decision specs).

    Attributes:
        name: the policy's name (a key of ``policies:``, or the lever values of a grid policy).
        values: ``(path, value)`` for every lever, in the order of ``levers:``.
        named: the lever paths the policy sets itself (the others keep the scenario's value).
    """

    name: str
    values: tuple[tuple[str, Any], ...]
    named: tuple[str, ...] = ()

    def as_mapping(self) -> dict[str, Any]:
        """Lever path -> value."""
        return dict(self.values)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready description (for the manifest)."""
        return {"name": self.name, "values": dict(self.values), "named": list(self.named)}


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep specification (see the module docstring for the YAML form).

    For a robust-decision spec, ``parameters`` are its uncertainties, ``levers`` and ``policies`` are set
    and ``robust`` holds the options ``threshold``, ``percentile`` and ``criterion``; for any other spec
    the three are empty.
    """

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
    levers: tuple[Lever, ...] = ()
    policies: tuple[Policy, ...] = ()
    robust: tuple[tuple[str, Any], ...] = ()

    @property
    def is_robust(self) -> bool:
        """Whether this is a robust-decision spec (levers, policies and uncertainties)."""
        return bool(self.levers)

    @property
    def robust_options(self) -> dict[str, Any]:
        """The ``robust:`` options with their defaults filled in (empty for other specs)."""
        return dict(self.robust)

    def as_dict(self) -> dict[str, Any]:
        """Canonical JSON-ready form; equal specs give equal dicts (other specs' form is unchanged)."""
        form = {
            "name": self.name,
            "scenarios": list(self.scenarios),
            "parameters": [p.as_dict() for p in self.parameters],
            "design": dict(sorted(self.design.items())),
            "replicates": self.replicates,
            "days": self.days,
            "seed": self.seed,
        }
        if self.is_robust:
            form.update(levers=[lever.as_dict() for lever in self.levers],
                        policies=[policy.as_dict() for policy in self.policies],
                        robust=dict(sorted(self.robust)))
        return form

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

    robust_spec = any(key in raw for key in ROBUST_KEYS)
    group = "uncertainties" if robust_spec else "parameters"
    if robust_spec:
        if "levers" not in raw:
            present = next(key for key in ROBUST_KEYS if key in raw)
            raise _fail(file, present, "a robust-decision spec needs `levers` (the parameters a policy sets) beside "
                                       "`uncertainties`")
        if "parameters" in raw:
            raise _fail(file, "parameters", "a robust-decision spec lists its uncertain parameters under "
                                            "`uncertainties`, not `parameters`")
        if len(scenarios) != 1:
            raise _fail(file, "scenarios", f"a robust-decision spec evaluates its policies on one scenario, got "
                                           f"{len(scenarios)}")
    parameters_raw = raw.get(group)
    if not isinstance(parameters_raw, dict) or not parameters_raw:
        raise _fail(file, group, "expected a mapping of dotted parameter paths to {lo, hi} or {values: [...]}")

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
        key = f"{group}.{path}"
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
                raise _fail(file, f"{group}.{p.path}.levels", "expected at least 2 grid levels across a range")
    elif "levels" in design:
        raise _fail(file, "design.levels", f"`levels` applies to grid designs, not {kind}")
    if kind != "grid":
        for p in parameters:
            if p.levels is not None:
                raise _fail(file, f"{group}.{p.path}.levels", f"`levels` applies to grid designs, not {kind}")
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
                raise _fail(file, f"{group}.{p.path}", f"{kind} designs need a range {{lo, hi}}, not a value list")
            if p.lo == p.hi:
                raise _fail(file, f"{group}.{p.path}", f"{kind} designs need lo < hi")
        if kind == "morris" and len(parameters) < 2:
            raise _fail(file, group, "Morris designs need at least two parameters")
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

    levers: tuple[Lever, ...] = ()
    policies: tuple[Policy, ...] = ()
    robust: tuple[tuple[str, Any], ...] = ()
    if robust_spec:
        catalogue = catalogues[scenarios[0]]
        levers = _parse_levers(file, raw["levers"], catalogue, parameters_raw)
        policies = _parse_policies(file, raw, levers, catalogue)
        robust = tuple(sorted(_parse_robust_options(file, raw.get("robust", {})).items()))

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
        levers=levers,
        policies=policies,
        robust=robust,
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


def _check_value(file, key, value, info) -> Any:
    """One lever value a policy sets: of the parameter's kind and inside its domain; returned cast to the kind."""
    kind = str(getattr(info, "kind", "float") or "float")
    if kind == "bool":
        if not isinstance(value, bool):
            raise _fail(file, key, f"expected true or false for a boolean parameter, got {value!r}")
        return bool(value)
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(file, key, f"expected an integer, got {value!r}")
    elif not _is_number(value):
        raise _fail(file, key, f"expected a number, got {value!r}")
    lo, hi = getattr(info, "lo", None), getattr(info, "hi", None)
    if _is_number(lo) and _is_number(hi) and not (lo <= value <= hi):
        raise _fail(file, key, f"{value} is outside the parameter's domain [{lo}, {hi}]")
    return int(value) if kind == "int" else float(value)


def _known_path(file, key, path, catalogue) -> Any:
    if path not in catalogue:
        suggestion = did_you_mean(path, catalogue) or "; see `escalation schema` for the paths"
        raise _fail(file, key, f"unknown parameter path{suggestion}")
    return catalogue[path]


def _parse_levers(file, levers_raw, catalogue, uncertainties: dict) -> tuple[Lever, ...]:
    """The ``levers:`` mapping: path -> ``{}`` (set by the named policies), ``{values: [...]}`` or ``{lo, hi, levels}``."""
    if not isinstance(levers_raw, dict) or not levers_raw:
        raise _fail(file, "levers", "expected a mapping of dotted parameter paths to {} (set by the policies), "
                                    "{values: [...]} or {lo: A, hi: B, levels: N}")
    levers = []
    for path, value in levers_raw.items():
        key = f"levers.{path}"
        info = _known_path(file, key, path, catalogue)
        if path in uncertainties:
            raise _fail(file, key, "is also listed under uncertainties; a parameter is either a lever (the policy "
                                   "sets it) or an uncertainty (the design samples it), not both")
        kind = str(getattr(info, "kind", "float") or "float")
        default = getattr(info, "default", None)
        default = bool(default) if kind == "bool" else (int(default) if kind == "int" else float(default))
        choices = None
        if value is not None and value != {}:
            choices = _parse_parameter(file, key, path, value, info)
        levers.append(Lever(path=path, kind=kind, default=default, choices=choices))
    return tuple(levers)


def _lever_choices(lever: Lever) -> list:
    """The values a grid policy takes for a lever: its list, or ``levels`` points across its range (default 3)."""
    import numpy as np

    choices = lever.choices
    if not choices.is_range:
        return list(choices.values)
    if choices.lo == choices.hi:
        points = [choices.lo]
    else:
        points = [float(v) for v in np.round(np.linspace(choices.lo, choices.hi, choices.levels or 3), 12)]
    if lever.kind == "int":
        points = list(dict.fromkeys(int(round(v)) for v in points))
    return points


def _short(path: str, paths: list[str]) -> str:
    tail = path.rsplit(".", 1)[-1]
    return tail if sum(p.rsplit(".", 1)[-1] == tail for p in paths) == 1 else path


def _parse_policies(file, raw, levers: tuple[Lever, ...], catalogue) -> tuple[Policy, ...]:
    """The named policies of ``policies:``, or, without it, the grid of every lever's values."""
    paths = [lever.path for lever in levers]
    defaults = {lever.path: lever.default for lever in levers}
    policies: list[Policy] = []
    if "policies" in raw:
        policies_raw = raw["policies"]
        if policies_raw is None or (isinstance(policies_raw, (dict, list)) and not policies_raw):
            raise _fail(file, "policies", "expected at least one policy (a mapping of policy names to {lever path: "
                                          "value}); leave `policies` out to take every combination of the levers' values")
        if not isinstance(policies_raw, dict):
            raise _fail(file, "policies", f"expected a mapping of policy names to {{lever path: value}}, got "
                                          f"{type(policies_raw).__name__}")
        for name, setting in policies_raw.items():
            key = f"policies.{name}"
            if not isinstance(name, str) or not POLICY_NAME.match(name):
                raise _fail(file, key, "expected a policy name of 1-100 letters, digits, '_' or '-'")
            if setting is None:
                setting = {}
            if not isinstance(setting, dict):
                raise _fail(file, key, f"expected a mapping of lever paths to values ({{}} for the scenario's own), "
                                       f"got {setting!r}")
            values = dict(defaults)
            for path, value in setting.items():
                if path not in defaults:
                    hint = did_you_mean(path, paths)
                    where = "an uncertainty" if path in (raw.get("uncertainties") or {}) else "not a lever"
                    raise _fail(file, f"{key}.{path}", f"{where}{hint}; a policy sets only the parameters listed "
                                                       f"under `levers`")
                lever = levers[paths.index(path)]
                checked = _check_value(file, f"{key}.{path}", value, catalogue[path])
                choices = lever.choices
                if choices is not None and not choices.is_range and checked not in choices.values:
                    raise _fail(file, f"{key}.{path}", f"{value!r} is not one of the lever's values {list(choices.values)}")
                if choices is not None and choices.is_range and not isinstance(checked, bool) and \
                        not (choices.lo <= checked <= choices.hi):
                    raise _fail(file, f"{key}.{path}", f"{value} is outside the lever's range [{choices.lo}, {choices.hi}]")
                values[path] = checked
            policies.append(Policy(name=name, values=tuple((p, values[p]) for p in paths), named=tuple(setting)))
    else:
        import itertools

        for lever in levers:
            if lever.choices is None:
                raise _fail(file, f"levers.{lever.path}", "expected {values: [...]} or {lo, hi, levels} (without "
                                                          "`policies`, every combination of the levers' values is a policy)")
        axes = [_lever_choices(lever) for lever in levers]
        count = 1
        for axis in axes:
            count *= len(axis)
        if count > MAX_POLICIES:
            raise _fail(file, "levers", f"{count:,} combinations of lever values; at most {MAX_POLICIES:,} policies")
        for combination in itertools.product(*axes):
            name = ",".join(f"{_short(p, paths)}={v:g}" if _is_number(v) else f"{_short(p, paths)}={v}"
                            for p, v in zip(paths, combination))
            policies.append(Policy(name=name, values=tuple(zip(paths, combination)), named=tuple(paths)))
    if len(policies) > MAX_POLICIES:
        raise _fail(file, "policies", f"{len(policies):,} policies; at most {MAX_POLICIES:,}")
    seen: dict[tuple, str] = {}
    for policy in policies:
        signature = tuple(repr(v) for _, v in policy.values)
        if signature in seen:
            raise _fail(file, f"policies.{policy.name}", f"sets the same lever values as policy {seen[signature]!r}")
        seen[signature] = policy.name
    return tuple(policies)


def _parse_robust_options(file, options) -> dict[str, Any]:
    """``robust: {threshold, percentile, criterion}`` with defaults filled in."""
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise _fail(file, "robust", f"expected a mapping with keys {sorted(_ROBUST_OPTIONS)}, got {options!r}")
    unknown = sorted(set(options) - set(_ROBUST_OPTIONS))
    if unknown:
        raise _fail(file, f"robust.{unknown[0]}", f"unknown option{did_you_mean(unknown[0], _ROBUST_OPTIONS)}; "
                                                  f"expected one of {sorted(_ROBUST_OPTIONS)}")
    merged = dict(_ROBUST_OPTIONS, **options)
    threshold = merged["threshold"]
    if not _is_number(threshold) or not 0 < threshold < 1:
        raise _fail(file, "robust.threshold", f"expected a probability strictly between 0 and 1, got {threshold!r}")
    percentile = merged["percentile"]
    if not _is_number(percentile) or not 0 <= percentile <= 100:
        raise _fail(file, "robust.percentile", f"expected a percentile from 0 to 100, got {percentile!r}")
    criterion = merged["criterion"]
    if criterion not in ROBUST_STATISTICS:
        raise _fail(file, "robust.criterion", f"unknown statistic {criterion!r}{did_you_mean(str(criterion), ROBUST_STATISTICS)}; "
                                              f"expected one of {list(ROBUST_STATISTICS)}")
    return {"threshold": float(threshold), "percentile": float(percentile), "criterion": criterion}
