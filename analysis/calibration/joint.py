"""Fit the era scenarios jointly where they share parameters: one relative change for every era.

The era scenarios are fitted one at a time by :func:`analysis.calibration.fit.calibrate`; but they share
rules and parameters (every era extends the baseline: how deadly an attack is, how hard attacks push the
US, the US bar for striking), so a value fitted to one era is an assumption in the others. A joint fit
asks whether one setting of the shared parameters serves every era at once, and which era's targets pull
against the others. Method: the simulated method of moments [McFadden1989] with common random numbers, as in
:mod:`analysis.calibration.fit`, over one joint vector:

- a *shared* parameter is ONE multiplier applied to that path (or ``*`` pattern) in every era, relative to
  each era's own value (the campaign's weapons are deadlier or less deadly than 2019's by the ratio its
  scenario documents; the joint fit moves them together);
- an era's *own* parameters (its attack-rate multiplier, the campaign's outside-war multiplier) are fitted
  only to that era's targets.

Each round draws one scrambled Sobol design over the joint vector; every era simulates all candidates in
one vectorized batch (its own columns and the shared ones); a quadratic response surface per era and
statistic, in that era's log-parameters, is minimised over the joint vector with the sum of every era's
scaled squared misses; the next round halves the box. 95 % intervals: bootstrap refits that resample each
era's worlds and redraw every target within its range [Efron1979]. The fitted vector is then simulated
afresh per era and every target (fit, check, and apart the ones set from the record) is tabulated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable

import numpy as np

from analysis.calibration.fit import (check_search_factor, fit_surface, minimise_in_box, objective_values,
                                      resolve_knobs, run_candidates, scaled_misses, targets_for, tolerances, _features)
from analysis.calibration.statistics import Measured, Worlds, format_measured, measure
from analysis.calibration.targets import Target, load_targets
from sim.errors import InputError
from sim.scenario import Scenario, load_scenario

SHARED_PARAMETERS = [
    "militia_dynamics.lethality.*.kill",
    "united_states.strike_threshold",
    "united_states.pressure_per_attack",
]
OWN_PARAMETERS = {
    "baseline": ["militias.*.base_attack_rate"],
    "crisis_2019_2020": ["militias.*.base_attack_rate"],
    "talks_2021": ["militias.*.base_attack_rate"],
    "campaign_2023_2024": ["militia_dynamics.outside_war_multiplier"],
}
ERA_TARGETS = {  # the shipped targets files (scenarios/targets/), by scenario
    "baseline": "calibration_2019_2021.yaml",
    "crisis_2019_2020": "calibration_2019_2021.yaml",
    "talks_2021": "calibration_2019_2021.yaml",
    "campaign_2023_2024": "calibration_2023_2024.yaml",
}


def _targets_file(name: str) -> tuple[str, str]:
    """(path to read, path to show) of a targets file: a bare file name is a shipped one, else the user's path."""
    if "/" in name or "\\" in name:
        return name, name
    return str(Path(str(resources.files("scenarios.targets"))) / name), f"scenarios/targets/{name}"


SEARCH_FACTOR = 2.0  # the shipped values are already fitted era by era: search [value / 2, value * 2]


@dataclass(frozen=True)
class SharedKnob:
    """One multiplier of a shared path or pattern in one era (the era's own values times ``x``)."""

    name: str
    paths: tuple[str, ...]
    originals: tuple[float, ...]

    def values(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Path values for multipliers ``x`` (array over candidates)."""
        return {path: original * x for path, original in zip(self.paths, self.originals)}


@dataclass
class Era:
    """One era scenario in the joint fit: its targets and which columns of the joint vector it reads."""

    scenario: Scenario
    targets_file: str
    targets: list[Target]
    knobs: list  # SharedKnob for the shared columns, then the era's own Knobs
    columns: list[int]  # columns of the joint vector, in the order of ``knobs``

    @property
    def fitted(self) -> list[Target]:
        """The era's targets with role ``fit``."""
        return [t for t in self.targets if t.role == "fit"]


@dataclass
class JointParameter:
    """A fitted column of the joint vector with its 95 % interval."""

    name: str
    eras: tuple[str, ...]
    value: float
    lower: float
    upper: float
    is_multiplier: bool
    at_edge: bool = False


@dataclass
class JointCalibration:
    """Result of :func:`calibrate_jointly`: the joint values and every era's fit at them."""

    eras: list[Era]
    parameters: list[JointParameter]
    fit: dict[str, list[Measured]] = field(default_factory=dict)
    worlds: int = 0
    candidates: int = 0
    rounds: int = 0
    seed: int = 0
    bootstrap: int = 0
    fit_worlds: int = 0

    def summary(self) -> str:
        """Joint values with intervals, then each era's fit table and a closing line."""
        lines = [
            f"Joint calibration of {', '.join(e.scenario.name for e in self.eras)}",
            f"  simulated method of moments, common random numbers: {self.rounds} rounds x {self.candidates} "
            f"candidates x {self.worlds} worlds per era, seed {self.seed}; {self.bootstrap} bootstrap refits",
            "",
            "Joint values (a multiplier of each era's own value; 'shared' columns move every era together):",
        ]
        for parameter in self.parameters:
            scope = "shared by " + ", ".join(parameter.eras) if len(parameter.eras) > 1 else f"{parameter.eras[0]} only"
            unit = "x" if parameter.is_multiplier else ""
            edge = "   AT THE EDGE of the last search box" if parameter.at_edge else ""
            lines.append(f"  {parameter.name:<42} {unit}{parameter.value:.4g} [{unit}{parameter.lower:.4g}, "
                         f"{unit}{parameter.upper:.4g}]   {scope}{edge}")
        for era in self.eras:
            rows = self.fit.get(era.scenario.name, [])
            lines += ["", f"{era.scenario.name} at the joint values ({self.fit_worlds} fresh worlds, seed "
                          f"{self.seed + 1}; targets {era.targets_file}):"]
            lines += format_measured([m for m in rows if m.target.role != "set"])
        lines += ["", self.verdict_line()]
        return "\n".join(lines)

    def out_of_range(self) -> list[str]:
        """Names of the fit and check targets whose simulated value misses its range at the joint values."""
        return [m.target.name for rows in self.fit.values() for m in rows if m.target.role != "set" and not m.holds]

    def verdict_line(self) -> str:
        """Whether every fit and check target of every era is in range at the joint values."""
        counted = [m for rows in self.fit.values() for m in rows if m.target.role != "set"]
        misses = self.out_of_range()
        counts = f"{sum(m.target.role == 'fit' for m in counted)} fitted and " \
                 f"{sum(m.target.role == 'check' for m in counted)} check targets over {len(self.eras)} eras"
        return f"Every target in range ({counts})." if not misses else f"Out of range: {', '.join(misses)} ({counts})."


def _joint_layout(scenarios: list[Scenario], shared: list[str], own: dict[str, list[str]],
                  search_factor: float) -> tuple[list[str], list[tuple[str, ...]], np.ndarray, list[bool], list[list]]:
    """Column names, the eras each column serves, the log box, whether each is a multiplier, knobs per era."""
    names = [f"{name} (shared)" for name in shared]
    scopes: list[tuple[str, ...]] = [tuple(s.name for s in scenarios) for _ in shared]
    box = [[np.log(1 / search_factor), np.log(search_factor)] for _ in shared]
    multiplier = [True for _ in shared]
    knobs_per_era: list[list] = []
    for scenario in scenarios:
        knobs: list = []
        for knob in resolve_knobs(scenario, shared, search_factor):
            knobs.append(SharedKnob(knob.name, knob.paths, knob.originals))
        for knob in resolve_knobs(scenario, own.get(scenario.name, []), search_factor):
            names.append(f"{knob.name} ({scenario.name})")
            scopes.append((scenario.name,))
            box.append([np.log(knob.lo), np.log(knob.hi)])
            multiplier.append(knob.is_scale)
            knobs.append(knob)
        knobs_per_era.append(knobs)
    return names, scopes, np.array(box), multiplier, knobs_per_era


def _era_columns(count_shared: int, own_counts: list[int]) -> list[list[int]]:
    columns, start = [], count_shared
    for count in own_counts:
        columns.append(list(range(count_shared)) + list(range(start, start + count)))
        start += count
    return columns


def _knob_values(era: Era, z: np.ndarray) -> np.ndarray:
    """Candidate values of the era's knobs from joint log-values ``z`` (C, K)."""
    return np.exp(z[:, era.columns])


def _minimise(eras: list[Era], coefficients: list[np.ndarray], goals: list[tuple], box: np.ndarray,
              starts: np.ndarray) -> np.ndarray:
    def objective(z):
        total = 0.0
        for era, coefficient, (goal, below, above) in zip(eras, coefficients, goals):
            predicted = _features(z[era.columns][None, :])[0] @ coefficient.T
            total += float((scaled_misses(predicted, goal, below, above) ** 2).sum())
        return total

    return minimise_in_box(objective, box, starts)


def calibrate_jointly(scenarios: list[str | Path | Scenario] | None = None, targets_files: dict[str, str] | None = None,
                      shared: list[str] | None = None, own: dict[str, list[str]] | None = None, worlds: int = 200,
                      seed: int = 0, candidates: int = 64, rounds: int = 3, bootstrap: int = 100,
                      fit_worlds: int | None = None, search_factor: float = SEARCH_FACTOR,
                      progress: Callable[[str], None] | None = None) -> JointCalibration:
    """Fit shared parameters jointly over several era scenarios, each era's own parameters alongside.

    Args:
        scenarios: era scenario names, paths or Scenarios (default: the four eras of ``ERA_TARGETS``).
        targets_files: targets file per scenario name (default ``ERA_TARGETS``; others get the 2019-2021 file).
        shared: paths or ``*`` patterns fitted as one multiplier in every era (default ``SHARED_PARAMETERS``).
        own: per scenario name, paths fitted to that era alone (default ``OWN_PARAMETERS``).
        worlds: common worlds per candidate and era.
        seed: master seed of the common worlds (the fresh fit check uses seed + 1).
        candidates: Sobol candidates per round (rounded up to a power of two).
        rounds: design rounds; each halves the search box around the optimum.
        bootstrap: bootstrap refits for the 95 % intervals.
        fit_worlds: fresh worlds per era for the fit tables (default 4 x worlds, at least 1,000).
        search_factor: the first round searches each value in [value / factor, value * factor].
        progress: called with one line per stage.

    Returns:
        A :class:`JointCalibration`.

    Raises:
        InputError: fewer than two eras, an unknown path, an era without a fit target, bad sizes.
    """
    for key, value, least in (("worlds", worlds, 10), ("candidates", candidates, 4), ("rounds", rounds, 1),
                              ("bootstrap", bootstrap, 0)):
        if value < least:
            raise InputError(f"expected at least {least}, got {value}", key=key)
    if fit_worlds is not None and fit_worlds < 1:
        raise InputError(f"expected a positive number of worlds, got {fit_worlds}", key="fit_worlds")
    check_search_factor(search_factor)
    report = progress or (lambda line: None)
    loaded = [s if isinstance(s, Scenario) else load_scenario(s) for s in (scenarios or list(ERA_TARGETS))]
    if len(loaded) < 2:
        raise InputError("a joint fit needs at least two era scenarios", key="scenarios")
    files = {**ERA_TARGETS, **(targets_files or {})}
    shared = list(SHARED_PARAMETERS if shared is None else shared)
    own = OWN_PARAMETERS if own is None else own
    names, scopes, box, multiplier, knobs_per_era = _joint_layout(loaded, shared, own, search_factor)
    own_counts = [len(knobs) - len(shared) for knobs in knobs_per_era]
    columns = _era_columns(len(shared), own_counts)
    eras = []
    for scenario, knobs, era_columns in zip(loaded, knobs_per_era, columns):
        source, shown = _targets_file(files.get(scenario.name, ERA_TARGETS["baseline"]))
        era = Era(scenario, shown, targets_for(scenario, load_targets(source), shown), knobs, era_columns)
        if not era.fitted:
            raise InputError(f"no target with role 'fit' applies to scenario '{scenario.name}'", file=source)
        eras.append(era)
    k = len(names)
    size = 2 ** int(np.ceil(np.log2(max(candidates, 2 * k + 2))))
    goals = [tolerances(era.fitted) for era in eras]
    best_z = np.zeros(k)  # multipliers start at x1 (the shipped values)
    for j in range(len(shared), k):  # an own single-value knob starts at the era's value
        era_index = next(i for i, era in enumerate(eras) if j in era.columns)
        knob = eras[era_index].knobs[eras[era_index].columns.index(j)]
        best_z[j] = np.log(knob.start)
    best_z = best_z.clip(box[:, 0], box[:, 1])
    # imported once the inputs are checked: scipy.stats, and the model with Mesa, take about a second
    from scipy.stats import qmc
    from sim.runner import simulate

    batches = []
    for round_index in range(rounds):
        z = qmc.scale(qmc.Sobol(k, scramble=True, seed=seed + round_index).random(size), box[:, 0], box[:, 1])
        z[0] = best_z
        batches, coefficients, scores = [], [], np.zeros(size)
        for era in eras:
            horizon = int(era.scenario.days)
            report(f"round {round_index + 1}/{rounds}: {era.scenario.name}, {size} candidates x {worlds} worlds x "
                   f"{horizon} days")
            batch = run_candidates(era.scenario, era.knobs, _knob_values(era, z), era.fitted, worlds, seed, horizon)
            values = batch.values()
            batches.append(batch)
            coefficients.append(fit_surface(z[:, era.columns], values))
            scores += objective_values(values, era.fitted)
        order = np.argsort(scores)
        best_z = _minimise(eras, coefficients, goals, box, z[order[:3]])
        report(f"  best simulated candidate: objective {scores[order[0]]:.2f}; surface optimum "
               + ", ".join(f"{name}={np.exp(v):.4g}" for name, v in zip(names, best_z)))
        if round_index < rounds - 1:
            half = (box[:, 1] - box[:, 0]) / 4
            box = np.column_stack([np.maximum(best_z - half, box[:, 0]), np.minimum(best_z + half, box[:, 1])])
    report(f"{bootstrap} bootstrap refits for the intervals")
    draws = _bootstrap(eras, batches, z, box, best_z, bootstrap, seed)
    parameters = []
    for j, name in enumerate(names):
        lower, upper = np.exp(np.quantile(draws[:, j], [0.025, 0.975])) if len(draws) else (np.nan, np.nan)
        at_edge = bool(np.isclose(best_z[j], box[j], atol=1e-3).any())
        parameters.append(JointParameter(name, scopes[j], float(np.exp(best_z[j])), float(lower), float(upper),
                                         multiplier[j], at_edge))
    fit_worlds = fit_worlds or max(1000, 4 * worlds)
    fit = {}
    for era in eras:
        report(f"fit check: {era.scenario.name}, {fit_worlds} fresh worlds (seed {seed + 1})")
        overrides = {}
        for knob, value in zip(era.knobs, _knob_values(era, best_z[None, :])[0]):
            overrides.update({path: float(v[0]) for path, v in knob.values(np.array([value])).items()})
        horizon = int(era.scenario.days)
        final = simulate(era.scenario, n_worlds=fit_worlds, seed=seed + 1, days=horizon, overrides=overrides,
                         collect_series=False)
        fit[era.scenario.name] = measure(Worlds.from_run(era.scenario, final, horizon), era.targets)
    return JointCalibration(eras, parameters, fit, worlds, size, rounds, seed, bootstrap, fit_worlds)


def _bootstrap(eras: list[Era], batches: list, z: np.ndarray, box: np.ndarray, best_z: np.ndarray,
               replicates: int, seed: int) -> np.ndarray:
    """Joint refits on each era's resampled worlds and redrawn targets: (replicates, K) log-values."""
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(replicates):
        coefficients, goals = [], []
        for era, batch in zip(eras, batches):
            n_worlds = batch.numerators.shape[2]
            weights = np.bincount(rng.integers(0, n_worlds, n_worlds), minlength=n_worlds).astype(float)
            coefficients.append(fit_surface(z[:, era.columns], batch.values(weights)))
            goal, below, above = tolerances(era.fitted)
            spread = np.array([(t.high - t.low) / 4 for t in era.fitted])
            goals.append((goal + rng.normal(0.0, spread), below, above))
        draws.append(_minimise(eras, coefficients, goals, box, best_z[None, :]))
    return np.array(draws).reshape(-1, z.shape[1])
