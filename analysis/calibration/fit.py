"""Fit scenario parameters to the 2019-2021 record by simulated method of moments with common random numbers.

The targets are quantities of the public record [PressReports]; the method is the simulated method of
moments [McFadden1989]. Each round draws a scrambled Sobol design of candidate parameter vectors
(``scipy.stats.qmc``) and runs ALL of them in one vectorized batch: candidate ``c`` runs on worlds
``c*W .. c*W+W-1`` with the same W world seeds as every other candidate (common random numbers, exact because every
draw is keyed by world seed, day, actor and site), its values passed per world through
``simulate(overrides=...)``. A quadratic response surface of each fitted statistic in the log-parameters is
then minimised with ``scipy.optimize.minimize`` (objective: the sum of squared misses, each scaled by its
target's tolerance), and the next round samples a box half as wide around the optimum. Uncertainty: the fit
is repeated on bootstrap replicates [Efron1979] that resample the worlds and redraw every target within its
stated range (normal, range = +-2 sd), giving a 95 % percentile interval per fitted parameter. The fitted
vector is finally simulated afresh and every target of the scenario (fitted and out-of-sample checks, and
apart from them the targets set from the record, which are not evidence) is reported with its 95 % interval.

A parameter is a dotted path of :func:`sim.scenario.parameter_paths`; a path with ``*`` (e.g.
``militias.*.base_attack_rate``) is fitted as ONE multiplier applied to every matching path, which keeps
the ratios between factions or weapons that the scenario documents.

The module is one piece (a little over 400 lines): the knobs, the candidate batch, the response surface,
the bootstrap refits and the result are the steps of one fit and share its arrays; only :func:`calibrate`
and the tests use the steps.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import yaml

from analysis.calibration.statistics import Measured, Worlds, format_measured, measure, per_world_statistic
from analysis.calibration.targets import Target, load_targets
from sim.errors import InputError
from sim.scenario import Scenario, load_scenario, parameter_paths
from sim.seeds import derive_seeds
from sim.yamlio import did_you_mean

DEFAULT_PARAMETERS = {
    "baseline": [
        "militias.*.base_attack_rate",
        "militia_dynamics.lethality.*.kill",
        "militia_dynamics.lethality.*.wound",
        "united_states.strike_threshold",
        "united_states.pressure_per_attack",
        "united_states.pressure_per_wounded",
    ],
    "crisis_2019_2020": ["militias.*.base_attack_rate", "militia_dynamics.grievance_half_life"],
    "talks_2021": ["militias.*.base_attack_rate"],
}
GENERIC_PARAMETERS = ["militias.*.base_attack_rate"]
SEARCH_FACTOR = 3.0  # the first round searches [value / 3, value * 3] (clipped to the schema's range)


@dataclass(frozen=True)
class Knob:
    """One fitted quantity: a single path's value, or a common multiplier of several paths (``*``)."""

    name: str
    paths: tuple[str, ...]
    originals: tuple[float, ...]
    lo: float
    hi: float

    @property
    def is_scale(self) -> bool:
        """Whether the knob multiplies its paths (a pattern) rather than setting one value."""
        return "*" in self.name

    @property
    def start(self) -> float:
        """The scenario's current value (1.0 for a multiplier)."""
        return 1.0 if self.is_scale else self.originals[0]

    def values(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Path values for knob settings ``x`` (array over candidates)."""
        if self.is_scale:
            return {path: original * x for path, original in zip(self.paths, self.originals)}
        return {self.paths[0]: x}


def check_search_factor(search_factor: float) -> None:
    """Refuse a search factor of 1 or less: the box [value / factor, value * factor] would be empty or inverted."""
    if not search_factor > 1:
        raise InputError(f"expected a search factor above 1, got {search_factor}", key="--search-factor")


def resolve_knobs(scenario: Scenario, names: list[str], search_factor: float = SEARCH_FACTOR) -> list[Knob]:
    """Knobs for parameter names or ``*`` patterns, searched in [value / factor, value * factor] within the schema.

    Raises:
        InputError: an unknown path (with the nearest suggestion), a pattern matching nothing, or a
            parameter that is not a positive number.
    """
    infos = parameter_paths(scenario)
    knobs = []
    for name in names:
        paths = sorted(p for p in infos if fnmatch.fnmatchcase(p, name)) if "*" in name else [name]
        if not paths and "*" in name:
            raise InputError("the pattern matches no parameter path; see `escalation schema` for the valid paths",
                             key=name)
        if paths[0] not in infos:
            raise InputError(f"unknown parameter path{did_you_mean(name, infos)}; see `escalation schema` or "
                             "sim.scenario.parameter_paths for the valid paths", key=name)
        fitted = [infos[p] for p in paths]
        if any(info.kind == "bool" for info in fitted) or any(float(info.default) <= 0 for info in fitted):
            raise InputError("only positive numeric parameters can be fitted (the search is on a log scale)", key=name)
        originals = tuple(float(info.default) for info in fitted)
        if "*" in name:
            lo = max([1 / search_factor] + [info.lo / v for info, v in zip(fitted, originals) if info.lo is not None])
            hi = min([search_factor] + [info.hi / v for info, v in zip(fitted, originals) if info.hi is not None])
        else:
            info, value = fitted[0], originals[0]
            lo = max(value / search_factor, info.lo if info.lo is not None else 0.0, 1e-9)
            hi = min(value * search_factor, info.hi if info.hi is not None else np.inf)
        knobs.append(Knob(name, tuple(paths), originals, float(lo), float(hi)))
    return knobs


def targets_for(scenario: Scenario, targets: list[Target], source: str = "targets") -> list[Target]:
    """The targets that apply to a scenario (by name).

    Raises:
        InputError: none apply.
    """
    chosen = [t for t in targets if t.scenario == scenario.name]
    if not chosen:
        covered = sorted({t.scenario for t in targets})
        raise InputError(f"no target applies to scenario '{scenario.name}'; the targets cover "
                         f"{', '.join(covered)}", file=source)
    return chosen


# --------------------------------------------------------------------------------------------------
# One vectorized batch of candidates


@dataclass
class Batch:
    """Per-world (numerator, denominator) of each target for C candidates x W common worlds."""

    candidates: np.ndarray  # (C, k) knob values
    numerators: np.ndarray  # (T, C, W)
    denominators: np.ndarray  # (T, C, W)

    def values(self, weights: np.ndarray | None = None) -> np.ndarray:
        """(T, C) pooled statistic per candidate; ``weights`` (W,) resample the worlds."""
        num = self.numerators.sum(axis=2) if weights is None else self.numerators @ weights
        den = self.denominators.sum(axis=2) if weights is None else self.denominators @ weights
        with np.errstate(invalid="ignore", divide="ignore"):
            return num / den


def run_candidates(scenario: Scenario, knobs: list[Knob], candidates: np.ndarray, targets: list[Target],
                   worlds: int, seed: int, days: int) -> Batch:
    """Simulate every candidate on the same ``worlds`` seeds in one batch and measure the targets."""
    from sim.runner import simulate  # the model (and Mesa): imported by the code that runs it

    count = len(candidates)
    seeds = np.tile(derive_seeds(seed, np.arange(worlds)), count)
    overrides: dict[str, np.ndarray] = {}
    for j, knob in enumerate(knobs):
        for path, values in knob.values(candidates[:, j]).items():
            overrides[path] = np.repeat(values, worlds)
    result = simulate(scenario, world_seeds=seeds, days=days, overrides=overrides, collect_series=False)
    batch_worlds = Worlds.from_run(scenario, result, days)
    numerators, denominators = [], []
    for target in targets:
        num, den = per_world_statistic(batch_worlds, target)
        numerators.append(num.reshape(count, worlds))
        denominators.append(den.reshape(count, worlds))
    return Batch(candidates, np.array(numerators), np.array(denominators))


# --------------------------------------------------------------------------------------------------
# Response surface and objective


def _features(z: np.ndarray) -> np.ndarray:
    """Quadratic features of log-parameters z (n, k): 1, z, z_i z_j."""
    columns = [np.ones(len(z))] + [z[:, i] for i in range(z.shape[1])]
    columns += [z[:, i] * z[:, j] for i, j in itertools.combinations_with_replacement(range(z.shape[1]), 2)]
    return np.column_stack(columns)


def fit_surface(z: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Least-squares quadratic coefficients per statistic: values (T, C) on z (C, k) -> (T, features)."""
    features = _features(z)
    coefficients = np.zeros((values.shape[0], features.shape[1]))
    for t, row in enumerate(values):
        ok = np.isfinite(row)
        if ok.sum() >= features.shape[1]:
            coefficients[t] = np.linalg.lstsq(features[ok], row[ok], rcond=None)[0]
        elif ok.any():
            coefficients[t, 0] = row[ok].mean()
    return coefficients


def scaled_misses(values: np.ndarray, goals: np.ndarray, below: np.ndarray, above: np.ndarray) -> np.ndarray:
    """Misses in units of the target's tolerance on the side missed (value - low below, high - value above)."""
    return (values - goals) / np.where(values < goals, below, above)


def minimise_surface(coefficients: np.ndarray, goals: np.ndarray, below: np.ndarray, above: np.ndarray,
                     box: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Log-parameters minimising the scaled squared misses of the surface inside the box (k, 2)."""

    def objective(z):
        predicted = _features(z[None, :])[0] @ coefficients.T
        return float((scaled_misses(predicted, goals, below, above) ** 2).sum())

    return minimise_in_box(objective, box, starts)


def minimise_in_box(objective: Callable[[np.ndarray], float], box: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The best of L-BFGS-B runs of ``objective`` inside the box (k, 2), one from each start (clipped into it)."""
    from scipy import optimize

    best = None
    for start in starts:
        found = optimize.minimize(objective, np.clip(start, box[:, 0], box[:, 1]), method="L-BFGS-B", bounds=box)
        if best is None or found.fun < best.fun:
            best = found
    return best.x


def objective_values(values: np.ndarray, targets: list[Target]) -> np.ndarray:
    """Scaled sum of squared misses per candidate (T, C) -> (C,); a statistic with no events counts 25."""
    goals, below, above = (column[:, None] for column in tolerances(targets))
    misses = scaled_misses(values, goals, below, above) ** 2
    return np.where(np.isfinite(misses), misses, 25.0).sum(axis=0)


def tolerances(targets: list[Target]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values and the tolerances below and above them (a range that ends at the value gets a 10 % tolerance)."""
    goals = np.array([t.value for t in targets])
    below = np.array([t.value - t.low if t.value > t.low else 0.1 * t.tolerance for t in targets])
    above = np.array([t.high - t.value if t.high > t.value else 0.1 * t.tolerance for t in targets])
    return goals, below, above


# --------------------------------------------------------------------------------------------------
# The calibration


@dataclass
class FittedKnob:
    """A fitted knob with its 95 % interval and the scenario's value before calibration."""

    knob: Knob
    value: float
    lower: float
    upper: float
    at_edge: bool = False

    def path_values(self) -> dict[str, float]:
        """The calibrated value of every path the knob sets."""
        return {p: float(v[0]) for p, v in self.knob.values(np.array([self.value])).items()}


@dataclass
class Calibration:
    """Result of :func:`calibrate`."""

    scenario: Scenario
    targets_file: str
    knobs: list[FittedKnob]
    fit: list[Measured]
    objective: float
    worlds: int
    candidates: int
    rounds: int
    seed: int
    days: int
    bootstrap: int
    fit_worlds: int = 0
    draws: np.ndarray | None = None  # (replicates, knobs) bootstrap refits, knob values (multipliers for '*')

    def summary(self) -> str:
        """The fitted values with intervals and the fit per target, as text."""
        lines = [
            f"Calibration of {self.scenario.name} to {self.targets_file}",
            f"  simulated method of moments, common random numbers: {self.rounds} rounds x {self.candidates} "
            f"candidates x {self.worlds} worlds ({self.days} days) per batch, seed {self.seed}",
            f"  95% intervals of fitted values: {self.bootstrap} bootstrap fits (worlds resampled, targets redrawn "
            "within their ranges)",
            "",
            "Fitted values (a '*' path is one multiplier of every matching path):",
        ]
        for fitted in self.knobs:
            before = "x1 (the scenario's values)" if fitted.knob.is_scale else f"was {fitted.knob.start:.4g}"
            edge = "   AT THE EDGE of the last search box: the interval is cut by the box" if fitted.at_edge else ""
            lines.append(f"  {fitted.knob.name:<40} {fitted.value:.4g}  [{fitted.lower:.4g}, {fitted.upper:.4g}]   {before}{edge}")
        lines += ["", f"Fit per target ({self.fit_worlds} fresh worlds at the fitted values; objective "
                      f"{self.objective:.2f}; 95% intervals: bootstrap over worlds, exact binomial for shares of "
                      "worlds; 'check' targets were not fitted: out of sample):"]
        lines += self.table_lines()
        lines += ["", self.verdict_line()]
        return "\n".join(lines)

    def table_lines(self) -> list[str]:
        """The fit table: fit and check targets, then the targets set from the record apart (not evidence)."""
        evidence = [m for m in self.fit if m.target.role != "set"]
        given = [m for m in self.fit if m.target.role == "set"]
        lines = format_measured(evidence)
        if given:
            lines += ["", "  Set from the record, not evidence (the value was written into a parameter from the same "
                          "record, so matching it says nothing):"]
            lines += format_measured(given)[1:]
            lines += [f"    {m.target.name}: {m.target.note}" for m in given]
        return lines

    def verdict_line(self) -> str:
        """Whether the fit and check targets are in range (targets set from the record are not counted)."""
        counted = [m for m in self.fit if m.target.role != "set"]
        misses = [m.target.name for m in counted if not m.holds]
        fitted = sum(m.target.role == "fit" for m in counted)
        given = len(self.fit) - len(counted)
        counts = (f"{fitted} fitted and {len(counted) - fitted} check targets counted; {given} set from the record, "
                  "not counted")
        return f"Every target in range ({counts})." if not misses else f"Out of range: {', '.join(misses)} ({counts})."

    def calibrated_values(self) -> dict[str, float]:
        """Every path the fit sets, with its calibrated value."""
        values: dict[str, float] = {}
        for fitted in self.knobs:
            values.update(fitted.path_values())
        return values

    def ensemble_section(self, relative_to: str = "fit") -> dict:
        """The bootstrap refits as one entry of a scenario's ``ensembles:`` (see :mod:`sim.scenario.uncertainty`).

        Args:
            relative_to: ``fit``: factors of the fitted values (for the calibrated scenario, whose values are
                the fit's; 1 is the point estimate); ``scenario``: factors of the original scenario's values
                (the refits' own values, for shipping the ensemble with the original scenario).

        Raises:
            ValueError: no bootstrap refits (``bootstrap`` 0 or 1).
        """
        if self.draws is None or len(self.draws) < 2:
            raise ValueError("an ensemble needs at least 2 bootstrap refits")
        centre = np.array([f.value if relative_to == "fit" else f.knob.start for f in self.knobs])
        factors = self.draws / centre
        return {
            "method": f"bootstrap refits of `escalation calibrate {self.scenario.name}` (seed {self.seed}, "
                      f"{len(self.draws)} replicates: worlds resampled, targets redrawn within their ranges; "
                      f"{self.rounds} rounds x {self.candidates} candidates x {self.worlds} worlds); factors of the "
                      + ("fitted values" if relative_to == "fit" else "scenario's values before this fit"),
            "fitted_to": self.targets_file,
            "knobs": [f.knob.name for f in self.knobs],
            "members": [[float(f"{v:.4g}") for v in row] for row in factors],
        }

    def yaml_text(self, extends: str) -> str:
        """A calibrated scenario that extends the original and sets the fitted values, with provenance.

        Integer parameters are written as integers (the strict schema refuses 30.0 for a number of days);
        with two or more bootstrap refits the scenario carries them under ``ensembles.<scenario>`` (replacing an
        inherited ensemble of that name), and a fitted path's inherited prior is dropped (a value is fitted or
        judged, not both).
        """
        today = dt.date.today().isoformat()
        infos = parameter_paths(self.scenario)
        nested: dict = {}
        for path, value in self.calibrated_values().items():
            node = nested
            *parents, leaf = path.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = int(round(value)) if infos[path].kind == "int" else float(f"{value:.4g}")
        provenance = [
            f"calibrated {today} by `escalation calibrate {self.scenario.name} --targets {self.targets_file}` "
            f"(seed {self.seed}, {self.worlds} worlds x {self.candidates} candidates x {self.rounds} rounds): "
            + "; ".join(f"{f.knob.name} = {f.value:.4g} [95% {f.lower:.4g}, {f.upper:.4g}]" for f in self.knobs)
        ]
        provenance += [f"fitted to target {m.target.name}: {m.target.source}" for m in self.fit if m.target.role == "fit"]
        data = {
            "name": f"{self.scenario.name}_calibrated",
            "extends": extends,
            "title": f"{self.scenario.title or self.scenario.name} (calibrated)",
            "summary": f"{self.scenario.name} with parameters fitted to the 2019-2021 record",
            "sources": provenance,
            **nested,
        }
        if self.draws is not None and len(self.draws) >= 2:
            fitted_paths = set(self.calibrated_values())
            dropped = {path: None for path in self.scenario.priors if path in fitted_paths}
            if dropped:
                data["priors"] = dropped
            ensemble = {"ensembles": {self.scenario.name: self.ensemble_section("fit")}}
        else:
            ensemble = {}
        header = [f"# {self.scenario.name}, calibrated: written by `escalation calibrate`.", "# Fit per target:"]
        header += ["#" + line for line in self.table_lines()] + ["# " + self.verdict_line()]
        return ("\n".join(header) + "\n" + yaml.safe_dump(data, sort_keys=False, width=110, allow_unicode=True)
                + ensemble_yaml(ensemble))


def ensemble_yaml(section: dict) -> str:
    """An ``ensembles:`` section as YAML text, one member per line (flow lists); empty for an empty mapping."""
    return yaml.safe_dump(section, sort_keys=False, width=110, allow_unicode=True, default_flow_style=None) if section else ""


def calibrate(scenario: str | Path | Scenario, targets_file: str | Path | None = None, parameters: list[str] | None = None,
              worlds: int = 200, seed: int = 0, candidates: int = 32, rounds: int = 3, bootstrap: int = 200,
              fit_worlds: int | None = None, days: int | None = None, search_factor: float = SEARCH_FACTOR,
              progress: Callable[[str], None] | None = None, tick: Callable[[int], None] | None = None) -> Calibration:
    """Fit parameters of a scenario to the targets that apply to it.

    Args:
        scenario: a scenario name, YAML path or Scenario.
        targets_file: targets YAML (default: the shipped 2019-2021 targets).
        parameters: dotted paths or ``*`` patterns (default: per scenario, see ``DEFAULT_PARAMETERS``).
        worlds: common worlds per candidate.
        seed: master seed of the common worlds (the fresh fit check uses seed + 1).
        candidates: Sobol candidates per round (rounded up to a power of two).
        rounds: design rounds; each halves the search box around the optimum.
        bootstrap: bootstrap fits for the intervals of the fitted values.
        fit_worlds: fresh worlds for the fit table (default 4 x worlds, at least 1,000).
        days: horizon (default: the scenario's).
        search_factor: the first round searches each value in [value / factor, value * factor].
        progress: called with one line per stage (e.g. ``print`` to standard error).
        tick: called with 1 after each of the ``rounds + bootstrap + 1`` steps (a progress bar's update).

    Returns:
        A :class:`Calibration`.

    Raises:
        InputError: bad targets file, unknown parameter path, no target for the scenario, bad sizes.
    """
    for name, value, least in (("--worlds", worlds, 10), ("--candidates", candidates, 4), ("--rounds", rounds, 1),
                               ("--bootstrap", bootstrap, 0)):
        if value < least:
            raise InputError(f"expected at least {least}, got {value}", key=name)
    if fit_worlds is not None and fit_worlds < 1:
        raise InputError(f"expected a positive number of worlds, got {fit_worlds}", key="--fit-worlds")
    report = progress or (lambda line: None)
    step = tick or (lambda count: None)
    loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    all_targets = load_targets(targets_file)
    source = str(targets_file) if targets_file is not None else "scenarios/targets/calibration_2019_2021.yaml"
    applying = targets_for(loaded, all_targets, source)
    fitted_targets = [t for t in applying if t.role == "fit"]
    if not fitted_targets:
        raise InputError(f"no target with role 'fit' applies to scenario '{loaded.name}'", file=source)
    check_search_factor(search_factor)
    knobs = resolve_knobs(loaded, parameters or DEFAULT_PARAMETERS.get(loaded.name, GENERIC_PARAMETERS), search_factor)
    horizon = int(days or loaded.days)
    if horizon < 1:
        raise InputError(f"expected a positive number of days, got {horizon}", key="--days")
    for target in applying:
        start = (target.start - loaded.start_date).days if target.start else 0
        end = (target.end - loaded.start_date).days if target.end else horizon - 1
        if end < 0 or start > horizon - 1 or end < start:
            raise InputError(f"period {target.period_text()} lies outside the simulated horizon of "
                             f"{loaded.name} ({loaded.start_date}, {horizon} days)", key=target.name)
    fit_horizon = min(horizon, max((t.end - loaded.start_date).days + 1 if t.end else horizon for t in fitted_targets))
    k = len(knobs)
    box = np.log(np.array([[kn.lo, kn.hi] for kn in knobs]))
    goals, below, above = tolerances(fitted_targets)
    size = 2 ** int(np.ceil(np.log2(max(candidates, (k + 1) * (k + 2) // 2 + 2))))
    best_z = np.log([kn.start for kn in knobs]).clip(box[:, 0], box[:, 1])
    # imported once the inputs are checked: scipy.stats, and the model with Mesa, take about a second
    from scipy.stats import qmc
    from sim.runner import simulate

    for round_index in range(rounds):
        sampler = qmc.Sobol(k, scramble=True, seed=seed + round_index)
        z = qmc.scale(sampler.random(size), box[:, 0], box[:, 1])
        z[0] = best_z
        report(f"round {round_index + 1}/{rounds}: {size} candidates x {worlds} worlds x {fit_horizon} days in one batch")
        batch = run_candidates(loaded, knobs, np.exp(z), fitted_targets, worlds, seed, fit_horizon)
        values = batch.values()
        coefficients = fit_surface(z, values)
        scores = objective_values(values, fitted_targets)
        order = np.argsort(scores)
        best_z = minimise_surface(coefficients, goals, below, above, box, z[order[:3]])
        report(f"  best simulated candidate: objective {scores[order[0]]:.2f}; surface optimum "
               + ", ".join(f"{kn.name}={np.exp(v):.4g}" for kn, v in zip(knobs, best_z)))
        step(1)
        if round_index < rounds - 1:
            half = (box[:, 1] - box[:, 0]) / 4
            box = np.column_stack([np.maximum(best_z - half, box[:, 0]), np.minimum(best_z + half, box[:, 1])])
    report(f"{bootstrap} bootstrap fits for the intervals")
    draws = _bootstrap_fits(batch, z, fitted_targets, box, best_z, bootstrap, seed, step)
    fitted = []
    for j, knob in enumerate(knobs):
        lower, upper = (np.exp(np.quantile(draws[:, j], [0.025, 0.975])) if len(draws) else (np.nan, np.nan))
        at_edge = bool(np.isclose(best_z[j], box[j], atol=1e-3).any())
        fitted.append(FittedKnob(knob, float(np.exp(best_z[j])), float(lower), float(upper), at_edge))
    fit_worlds = fit_worlds or max(1000, 4 * worlds)
    report(f"fit check: {fit_worlds} fresh worlds (seed {seed + 1}) at the fitted values")
    values = {path: value for f in fitted for path, value in f.path_values().items()}
    final = simulate(loaded, n_worlds=fit_worlds, seed=seed + 1, days=horizon, overrides=values, collect_series=False)
    fit = measure(Worlds.from_run(loaded, final, horizon), applying)
    step(1)
    fitted_rows = [m for m in fit if m.target.role == "fit"]
    objective = float(objective_values(np.array([[m.value] for m in fitted_rows]), [m.target for m in fitted_rows])[0])
    return Calibration(loaded, source, fitted, fit, objective, worlds, size, rounds, seed, fit_horizon, bootstrap, fit_worlds,
                       np.exp(draws) if len(draws) else None)


def _bootstrap_fits(batch: Batch, z: np.ndarray, targets: list[Target], box: np.ndarray, best_z: np.ndarray,
                    replicates: int, seed: int, step: Callable[[int], None] = lambda count: None) -> np.ndarray:
    """Refits on resampled worlds and redrawn targets (normal, range = +-2 sd): (replicates, k) log-values."""
    rng = np.random.default_rng(seed)
    n_worlds = batch.numerators.shape[2]
    goals, below, above = tolerances(targets)
    spread = np.array([(t.high - t.low) / 4 for t in targets])
    draws = []
    for _ in range(replicates):
        weights = np.bincount(rng.integers(0, n_worlds, n_worlds), minlength=n_worlds).astype(float)
        coefficients = fit_surface(z, batch.values(weights))
        redrawn = goals + rng.normal(0.0, spread)
        draws.append(minimise_surface(coefficients, redrawn, below, above, box, best_z[None, :]))
        step(1)
    return np.array(draws).reshape(-1, z.shape[1])
