"""Plausible parameter vectors: draws from a scenario's ``ensembles:`` and ``priors:``, and runs over them.

A scenario's point values are one parameter vector among many that fit the record about as well (the
calibration's ``ensembles:``, from its bootstrap refits) or that no source rules out (the ``priors:`` of the
values set by judgement; see :mod:`sim.scenario.uncertainty`). Vector ``v`` of master seed ``s`` is drawn
from all of them at once, keyed by its own seed ``derive_seeds(s, ENSEMBLE_KEY, v)``: one keyed uniform per
ensemble (keyed by its name) picks that ensemble's member, independently of the others, and one per prior
(keyed by the prior's path) gives that value by inversion of its distribution. A path set by several
ensembles takes the factor of the last (the most specific refit). Its ``K`` worlds have the seeds ``derive_seeds(s, ENSEMBLE_KEY, v, r)``, ``r = 0..K-1``. A
vector's values therefore depend only on the scenario, the master seed and ``v`` (never on how many
vectors are drawn beside it, nor on the order of the priors), and any world can be replayed alone
(:func:`replay_world`). The point estimate (the scenario's own values) runs on the plain batch seeds
``derive_seeds(s, k)``, the very worlds ``escalation run --seed s`` gives.

:func:`plan_ensemble` plans such a run for the results store (``escalation batch --ensemble``), and
:func:`run_ensemble` runs one in memory, outcomes only (``escalation thesis --ensemble``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

import numpy as np

from analysis.runs.plan import ChunkTask, Plan
from sim.errors import InputError
from sim.scenario import Scenario, knob_paths, load_scenario, parameter_paths
from sim.seeds import derive_seeds, site_code, uniform_keyed

if TYPE_CHECKING:  # pandas (and pyarrow with it) is imported where a table is built: bad input is refused without it
    import pandas as pd

ENSEMBLE_KEY = 0xE45E  # keys an ensemble's vectors and worlds apart from a batch's and a sweep's


def vector_seeds(seed: int, vectors: np.ndarray) -> np.ndarray:
    """The seed of each parameter vector (uint64), from which its values and its worlds' seeds derive."""
    vectors = np.atleast_1d(np.asarray(vectors, dtype=np.int64))
    return derive_seeds(int(seed), np.full(vectors.shape, ENSEMBLE_KEY, np.int64), vectors)


def world_seeds(seed: int, vectors: np.ndarray, replicates: np.ndarray) -> np.ndarray:
    """The seeds of worlds ``replicates`` of parameter vectors ``vectors`` (broadcast together)."""
    vectors, replicates = np.broadcast_arrays(np.atleast_1d(np.asarray(vectors, dtype=np.int64)),
                                              np.atleast_1d(np.asarray(replicates, dtype=np.int64)))
    return derive_seeds(int(seed), np.full(vectors.shape, ENSEMBLE_KEY, np.int64), vectors, replicates)


def uncertain_paths(scenario: Scenario) -> list[str]:
    """Every path a drawn vector sets: the ensembles' knobs expanded, then the priors' paths."""
    infos = parameter_paths(scenario)
    paths = [p for ensemble in scenario.ensembles.values() for knob in ensemble.knobs for p in knob_paths(knob, infos)]
    return list(dict.fromkeys(paths + list(scenario.priors)))


def check_uncertain(scenario: Scenario) -> None:
    """Refuse a scenario with neither ensembles nor priors (nothing to draw)."""
    if not scenario.ensembles and not scenario.priors:
        raise InputError("the scenario has neither `ensembles:` nor `priors:`; expected at least one to draw "
                         "parameter vectors from (see docs/calibration.md)", file=scenario.name, key="ensembles")


def _prior_values(prior, u: np.ndarray, value: float) -> np.ndarray:
    """Inverse-CDF values of a prior for uniforms ``u``."""
    low, high = prior.range
    if prior.distribution == "uniform":
        return low + u * (high - low)
    if prior.distribution == "log_uniform":
        return np.exp(np.log(low) + u * (np.log(high) - np.log(low)))
    mode = value if prior.mode is None else prior.mode  # triangular
    cut = (mode - low) / (high - low)
    return np.where(u < cut, low + np.sqrt(u * (high - low) * (mode - low)),
                    high - np.sqrt((1 - u) * (high - low) * (high - mode)))


def draw_vectors(scenario: Scenario, seed: int, vectors: Sequence[int] | np.ndarray,
                 priors: bool = True) -> pd.DataFrame:
    """Parameter values of the given vectors: one row per vector, one column per path of :func:`uncertain_paths`.

    Integer parameters are rounded; every value is clipped to the schema's range. With ``priors=False``
    only the ensembles are drawn (the calibration's uncertainty alone; the priors' paths keep their values).

    Raises:
        InputError: the scenario has neither ensembles nor priors.
    """
    check_uncertain(scenario)
    vectors = np.asarray(vectors, dtype=np.int64)
    seeds = vector_seeds(seed, vectors)
    infos = parameter_paths(scenario)
    columns: dict[str, np.ndarray] = {}
    for name, ensemble in scenario.ensembles.items():
        members = np.asarray(ensemble.members, dtype=float)
        u = uniform_keyed(seeds, site_code("ensemble." + name))
        chosen = np.minimum((u * len(members)).astype(np.int64), len(members) - 1)
        for j, knob in enumerate(ensemble.knobs):
            for path in knob_paths(knob, infos):
                columns[path] = float(infos[path].default) * members[chosen, j]
    for path, prior in scenario.priors.items():
        if priors:
            u = uniform_keyed(seeds, site_code("prior." + path))
            columns[path] = _prior_values(prior, u, float(infos[path].default))
        elif path not in columns:
            columns[path] = np.full(len(vectors), float(infos[path].default))
    for path, values in columns.items():
        info = infos[path]
        values = np.clip(values, info.lo if info.lo is not None else -np.inf, info.hi if info.hi is not None else np.inf)
        columns[path] = np.rint(values) if info.kind == "int" else values
    import pandas as pd

    return pd.DataFrame(columns, index=pd.Index(vectors, name="vector"))


def point_values(scenario: Scenario) -> dict[str, float]:
    """The scenario's own values of the paths an ensemble vector sets (the point estimate)."""
    infos = parameter_paths(scenario)
    return {path: float(infos[path].default) for path in uncertain_paths(scenario)}


def world_parameters(scenario: Scenario | str, seed: int, vector: int) -> dict[str, float]:
    """The parameter values of every world of one vector (``vector`` -1: the point estimate)."""
    loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if vector < 0:
        return point_values(loaded)
    row = draw_vectors(loaded, seed, [vector]).iloc[0]
    return {path: float(value) for path, value in row.items()}


def replay_world(scenario: Scenario | str, seed: int, vector: int, replicate: int, **options):
    """Simulate world ``replicate`` of vector ``vector`` alone, exactly as it ran among the others.

    Args:
        scenario: the scenario (name, path or Scenario).
        seed: the master seed of the ensemble run.
        vector: the vector's index (0, 1, ...), or -1 for the point estimate (world ``replicate`` of the plain batch).
        replicate: the world's index within its vector.
        **options: further options of :func:`sim.runner.simulate` (``days``, ``collect_events``...).
    """
    from sim.runner import simulate

    loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    seeds = derive_seeds(int(seed), np.atleast_1d(replicate)) if vector < 0 else world_seeds(seed, vector, replicate)
    return simulate(loaded, world_seeds=seeds, overrides=world_parameters(loaded, seed, vector), **options)


def ensemble_coverage(scenario: Scenario | str, targets: list | None = None, vectors: int = 16, worlds: int = 60,
                      seed: int = 0, priors: bool = False) -> pd.DataFrame:
    """Whether the drawn vectors' simulated statistics bracket each fitted target of the scenario.

    Every vector runs on the same ``worlds`` seeds (common random numbers), so the spread across vectors is
    the parameters' (plus the noise of ``worlds`` worlds).

    Args:
        scenario: the scenario.
        targets: targets (default: the shipped 2019-2021 and 2023-24 targets with role ``fit`` for it).
        vectors: vectors drawn (ensembles only unless ``priors``).
        worlds: worlds per vector.
        seed: seed of the vectors and of the common worlds.
        priors: also draw the priors.

    Returns:
        One row per target: ``target``, ``value``, ``low``, ``high``; over the vectors ``lowest``, ``median``,
        ``highest`` and ``inside`` (the share of vectors inside [low, high]); ``brackets`` (the vectors' spread
        reaches into the target's accepted range: lowest <= high and highest >= low) and ``centred`` (their
        median inside it). A fit with more targets than knobs is a compromise that need not hit every
        target's central value, so the accepted range, not the value, is what the spread must cover.
    """
    from analysis.calibration.statistics import Worlds, per_world_statistic
    import pandas as pd

    from analysis.calibration.targets import load_targets
    from sim.runner import simulate
    from sim.scenario import scenarios_dir

    loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if targets is None:
        folder = scenarios_dir() / "targets"
        targets = [t for name in ("calibration_2019_2021.yaml", "calibration_2023_2024.yaml")
                   for t in load_targets(folder / name) if t.scenario == loaded.name and t.role == "fit"]
    if not targets:
        raise InputError("no target with role 'fit' applies to the scenario", file=loaded.name)
    values = draw_vectors(loaded, seed, np.arange(vectors), priors=priors)
    overrides = {path: np.repeat(values[path].to_numpy(), worlds) for path in values.columns}
    seeds = np.tile(derive_seeds(int(seed), np.arange(worlds)), vectors)
    result = simulate(loaded, world_seeds=seeds, overrides=overrides, collect_series=False)
    measured = Worlds.from_run(loaded, result, loaded.days)
    rows = []
    for target in targets:
        numerator, denominator = per_world_statistic(measured, target)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_vector = numerator.reshape(vectors, worlds).sum(1) / denominator.reshape(vectors, worlds).sum(1)
        lowest, highest = float(np.nanmin(per_vector)), float(np.nanmax(per_vector))
        median = float(np.nanmedian(per_vector))
        rows.append({"target": target.name, "value": target.value, "low": target.low, "high": target.high,
                     "lowest": lowest, "median": median, "highest": highest,
                     "inside": float(np.mean((per_vector >= target.low) & (per_vector <= target.high))),
                     "brackets": lowest <= target.high and highest >= target.low,
                     "centred": target.low <= median <= target.high})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# In memory: the outcome classes of M vectors x K worlds and of the point estimate's N worlds


@dataclass
class EnsembleRun:
    """Outcome classes of an ensemble run of one scenario.

    Attributes:
        scenario: the scenario run.
        seed: the master seed.
        point: outcome class of each of the point estimate's worlds (N,).
        outcomes: outcome class of each vector's worlds (M, K).
        values: the vectors' parameter values (M rows).
        days: the horizon.
    """

    scenario: Scenario
    seed: int
    point: np.ndarray
    outcomes: np.ndarray
    values: pd.DataFrame
    days: int


def run_ensemble(scenario: Scenario | str, vectors: int, worlds: int, point_worlds: int, seed: int = 0,
                 days: int | None = None, chunk: int = 20_000,
                 progress: Callable[[int], None] | None = None) -> EnsembleRun:
    """Simulate the point estimate (``point_worlds`` worlds) and ``vectors`` x ``worlds`` worlds of drawn vectors.

    Outcomes only; each chunk of up to ``chunk`` worlds is one vectorized run with per-world values.
    ``progress`` is called with the worlds done after each chunk.
    """
    from sim.runner import simulate

    loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    for name, value, least in (("--vectors", vectors, 1), ("--worlds", worlds, 1), ("--point-worlds", point_worlds, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            raise InputError(f"expected a whole number of at least {least}, got {value!r}", key=name)
    values = draw_vectors(loaded, seed, np.arange(vectors))
    horizon = int(days or loaded.days)
    done = 0
    point = []
    for low in range(0, point_worlds, chunk):
        ids = np.arange(low, min(low + chunk, point_worlds))
        result = simulate(loaded, world_seeds=derive_seeds(int(seed), ids), world_ids=ids, days=horizon,
                          collect_events=False, collect_series=False)
        point.append(result.outcomes["outcome"].astype(str).to_numpy())
        done += len(ids)
        if progress:
            progress(done)
    total = vectors * worlds
    vector_of_world = np.repeat(np.arange(vectors), worlds)
    replicate_of_world = np.tile(np.arange(worlds), vectors)
    classes = []
    for low in range(0, total, chunk):
        rows = slice(low, min(low + chunk, total))
        v, r = vector_of_world[rows], replicate_of_world[rows]
        overrides = {path: values[path].to_numpy()[v] for path in values.columns}
        result = simulate(loaded, world_seeds=world_seeds(seed, v, r), days=horizon, overrides=overrides,
                          collect_events=False, collect_series=False)
        classes.append(result.outcomes["outcome"].astype(str).to_numpy())
        done += len(v)
        if progress:
            progress(done)
    return EnsembleRun(loaded, int(seed), np.concatenate(point), np.concatenate(classes).reshape(vectors, worlds),
                       values, horizon)


# --------------------------------------------------------------------------------------------------
# In the results store: `escalation batch --ensemble M`


class EnsemblePlan(Plan):
    """A plan whose design rows are per scenario: row 0 the point estimate, rows 1..M the drawn vectors.

    Each scenario's worlds get only that scenario's paths as overrides (a path another scenario lacks is
    NaN in the shared table and left out).
    """

    def chunks(self, done: np.ndarray, chunk_size: int, collect_series: bool, collect_events: bool) -> Iterator[ChunkTask]:
        names = self.parameter_names()
        for ids in self.chunk_ids(done, chunk_size):
            scenario_index = int(self.scenario_of_point[self.point_of_world[ids[0]]])
            rows = self.values.iloc[self.point_of_world[ids]]
            overrides = {name: rows[name].to_numpy() for name in names if not rows[name].isna().any()}
            yield ChunkTask(scenario=self.scenarios[scenario_index], days=self.days, world_ids=ids,
                            seeds=self.seeds[ids], overrides=overrides, collect_series=collect_series,
                            collect_events=collect_events)

    def points_table(self) -> pd.DataFrame | None:
        frame = self.values.copy()
        frame.insert(0, "scenario", [self.scenario_names[i] for i in self.scenario_of_point])
        frame.insert(0, "point", np.arange(len(frame), dtype=np.int64))
        return frame


def plan_ensemble(scenarios: Sequence[str], vectors: int, worlds: int, point_worlds: int | None = None,
                  seed: int = 0, days: int | None = None) -> EnsemblePlan:
    """Plan, per scenario, the point estimate's worlds and ``vectors`` x ``worlds`` worlds of drawn vectors.

    The store reads as a sweep whose design kind is ``ensemble``: design row 0 of each scenario is the
    point estimate (``point_worlds`` worlds, default ``worlds``, seeded as a plain batch), rows 1..M the
    vectors 0..M-1 (``worlds`` worlds each, seeded by :func:`world_seeds`); every world's parameter values
    are columns of its outcomes row.

    Raises:
        InputError: bad sizes, a scenario listed twice, or one with neither ensembles nor priors.
    """
    from analysis.runs.guards import PLAN_BYTES_PER_WORLD, check_days, check_fits, check_seed

    scenarios = [scenarios] if isinstance(scenarios, str) else list(scenarios)
    if not scenarios:
        raise InputError("expected at least one scenario", key="SCENARIO")
    if len(set(scenarios)) != len(scenarios):
        raise InputError("a scenario is listed twice", key="SCENARIO")
    point_worlds = worlds if point_worlds is None else point_worlds
    for name, value in (("--ensemble", vectors), ("--worlds", worlds), ("--point-worlds", point_worlds)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise InputError(f"expected a positive whole number, got {value!r}", key=name)
    seed = check_seed(seed, "--seed")
    days = check_days(days, "--days")
    loaded = [load_scenario(name) for name in scenarios]
    for scenario in loaded:
        check_uncertain(scenario)
    per_scenario = point_worlds + vectors * worlds
    check_fits(per_scenario * len(scenarios), PLAN_BYTES_PER_WORLD, "the plan's seeds and world ids", key="--worlds")
    import pandas as pd

    rows = vectors + 1
    tables, points, replicates, seeds = [], [], [], []
    for index, scenario in enumerate(loaded):
        drawn = draw_vectors(scenario, seed, np.arange(vectors)).reset_index(drop=True)
        point = pd.DataFrame([point_values(scenario)])
        table = pd.concat([point, drawn], ignore_index=True)
        table.insert(0, "design_row", np.arange(rows, dtype=np.int64))
        tables.append(table)
        base = index * rows
        points += [np.full(point_worlds, base, np.int64), np.repeat(base + 1 + np.arange(vectors), worlds)]
        replicates += [np.arange(point_worlds, dtype=np.int64), np.tile(np.arange(worlds, dtype=np.int64), vectors)]
        seeds += [derive_seeds(int(seed), np.arange(point_worlds)),
                  world_seeds(seed, np.repeat(np.arange(vectors), worlds), np.tile(np.arange(worlds), vectors))]
    values = pd.concat(tables, ignore_index=True)
    for path in values.columns[1:]:  # a path a scenario lacks: NaN only there (each scenario's own value elsewhere)
        for index, scenario in enumerate(loaded):
            block = slice(index * rows, (index + 1) * rows - 1)
            infos = parameter_paths(scenario)
            if values.loc[block, path].isna().all() and path in infos:
                values.loc[block, path] = float(infos[path].default)
    parameters = list(values.columns[1:])
    stems = "+".join(s.name for s in loaded)
    seeding = (f"design row 0 (the point estimate), world k: derive_seeds(seed, k); design row v+1 (vector v), world "
               f"r: derive_seeds(seed, {ENSEMBLE_KEY}, v, r); vector v's values are keyed by "
               f"derive_seeds(seed, {ENSEMBLE_KEY}, v) (analysis.calibration.ensemble)")
    return EnsemblePlan(
        kind="sweep",
        name=f"ensemble-{stems}-m{vectors}-k{worlds}-n{point_worlds}-s{seed}",
        scenario_names=scenarios,
        scenarios=loaded,
        days=None if days is None else int(days),
        point_of_world=np.concatenate(points),
        replicate_of_world=np.concatenate(replicates),
        seeds=np.concatenate(seeds).astype(np.uint64),
        scenario_of_point=np.repeat(np.arange(len(loaded), dtype=np.int64), rows),
        values=values,
        spec={"kind": "ensemble", "scenarios": scenarios, "vectors": int(vectors), "worlds": int(worlds),
              "point_worlds": int(point_worlds), "seed": int(seed), "days": None if days is None else int(days)},
        design_manifest={"kind": "ensemble", "parameters": [{"path": p} for p in parameters],
                         "settings": {"vectors": int(vectors), "worlds": int(worlds), "point_worlds": int(point_worlds),
                                      "seeding": seeding},
                         "salib_problem": None, "rows": rows,
                         "sample_order": "design_row 0: the point estimate; design_row v+1: vector v"},
        design_raw=values.copy(),
    )
