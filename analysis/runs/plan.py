"""Planning batches and sweeps: every world's id, scenario, seed and parameter values, and their chunks.

A :class:`Plan` is made by :func:`plan_batch` (worlds of one or more scenarios) or :func:`plan_sweep`
(every design point of a sweep spec, replicated); :mod:`analysis.runs.execute` runs it. The plan also
gives the results store its identity (what a resume must match) and its manifest.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np

from analysis.runs.guards import PLAN_BYTES_PER_WORLD, DESIGN_BYTES_PER_ROW, check_days, check_fits, check_seed, fitting_worlds
from sim.errors import InputError

if TYPE_CHECKING:  # pandas (and pyarrow with it) is imported where a table is built: bad input is refused without it
    import pandas as pd

    from analysis.runs.spec import SweepSpec


@dataclass
class ChunkTask:
    """One chunk of consecutive worlds of one scenario, sent to a worker."""

    scenario: Any
    days: int | None
    world_ids: np.ndarray
    seeds: np.ndarray
    overrides: dict[str, np.ndarray]
    collect_series: bool
    collect_events: bool

    @property
    def first(self) -> int:
        """First world id."""
        return int(self.world_ids[0])

    @property
    def last(self) -> int:
        """Last world id (inclusive)."""
        return int(self.world_ids[-1])


def scenario_digest(scenario: Any) -> str:
    """SHA-256 of a loaded scenario's full content (after ``extends:``), so edits are detected."""
    if hasattr(scenario, "content_hash"):
        return scenario.content_hash()
    if hasattr(scenario, "model_dump"):
        content = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, default=str)
    else:
        content = repr(scenario)
    return hashlib.sha256(content.encode()).hexdigest()


def _package_version() -> str:
    try:
        from importlib.metadata import version

        return version("escalation-sim")
    except Exception:  # not installed (running from a source tree)
        return "unknown"


def _scenario_path(name: str) -> str | None:
    try:
        from sim.scenario import resolve_scenario_path

        return str(Path(resolve_scenario_path(name)).resolve())
    except Exception:  # informative only
        return None


@dataclass
class Plan:
    """Every world of a batch or sweep: its id, scenario, seed and parameter values.

    Worlds are numbered so that each scenario's worlds are consecutive; chunks never cross scenarios.
    """

    kind: str
    name: str
    scenario_names: list[str]
    scenarios: list[Any]
    days: int | None
    point_of_world: np.ndarray
    replicate_of_world: np.ndarray
    seeds: np.ndarray
    scenario_of_point: np.ndarray
    values: pd.DataFrame | None = None  # sweeps: one row per point (design_row and parameter columns)
    spec: dict[str, Any] = field(default_factory=dict)
    design_manifest: dict[str, Any] | None = None
    design_raw: pd.DataFrame | None = None

    @property
    def total(self) -> int:
        """Number of worlds."""
        return len(self.seeds)

    def parameter_names(self) -> list[str]:
        """Swept parameter paths (empty for a batch)."""
        if self.values is None:
            return []
        return [c for c in self.values.columns if c != "design_row"]

    def chunk_ids(self, done: np.ndarray, chunk_size: int) -> Iterator[np.ndarray]:
        """World ids of each chunk covering the worlds not yet done, in world order (one scenario each)."""
        missing = np.flatnonzero(~done)
        if missing.size == 0:
            return
        scenario_of_world = self.scenario_of_point[self.point_of_world[missing]]
        # break where ids jump or the scenario changes
        breaks = np.flatnonzero((np.diff(missing) != 1) | (np.diff(scenario_of_world) != 0)) + 1
        for run in np.split(missing, breaks):
            for start in range(0, len(run), chunk_size):
                yield run[start:start + chunk_size].astype(np.int64)

    def chunks(self, done: np.ndarray, chunk_size: int, collect_series: bool, collect_events: bool) -> Iterator[ChunkTask]:
        """Chunks covering the worlds not yet done, in world order."""
        names = self.parameter_names()
        for ids in self.chunk_ids(done, chunk_size):
            scenario_index = int(self.scenario_of_point[self.point_of_world[ids[0]]])
            overrides = {}
            if names:
                rows = self.values.iloc[self.point_of_world[ids] % len(self.values)]
                overrides = {name: rows[name].to_numpy() for name in names}
            yield ChunkTask(
                scenario=self.scenarios[scenario_index],
                days=self.days,
                world_ids=ids,
                seeds=self.seeds[ids],
                overrides=overrides,
                collect_series=collect_series,
                collect_events=collect_events,
            )

    def decorate(self, task: ChunkTask, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """Add point, replicate and parameter columns to a chunk's outcomes; sort every table by world."""
        out = {}
        for table, frame in tables.items():
            if "world" in frame.columns and len(frame) and not frame["world"].is_monotonic_increasing:
                frame = frame.sort_values("world", kind="stable")
            out[table] = plain_columns(frame.reset_index(drop=True))
        outcomes = out["outcomes"].copy()
        ids = outcomes["world"].to_numpy(dtype=np.int64)
        expected = task.world_ids
        if len(ids) != len(expected) or not np.array_equal(ids, expected):
            raise RuntimeError(f"simulate returned worlds {ids[:5]}... for chunk {task.first}-{task.last}")
        points = self.point_of_world[ids]
        outcomes["point"] = points.astype(np.int64)
        outcomes["replicate"] = self.replicate_of_world[ids].astype(np.int64)
        if self.values is not None:
            rows = self.values.iloc[points % len(self.values)].reset_index(drop=True)
            outcomes["design_row"] = rows["design_row"].to_numpy(dtype=np.int64)
            for name in self.parameter_names():
                outcomes[name] = rows[name].to_numpy()
        out["outcomes"] = outcomes
        return out

    def points_table(self) -> pd.DataFrame | None:
        """Sweeps: one row per point (point, scenario, design_row, parameter values)."""
        if self.values is None:
            return None
        import pandas as pd

        rows = len(self.values)
        frames = []
        for i, name in enumerate(self.scenario_names):
            frame = self.values.copy()
            frame.insert(0, "scenario", name)
            frame.insert(0, "point", np.arange(i * rows, (i + 1) * rows, dtype=np.int64))
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)


def plain_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as plain strings: a chunk's categories depend on which values it happened to
    see, so storing them would make the tables depend on the chunking."""
    import pandas as pd

    categorical = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    if not categorical:
        return frame
    frame = frame.copy()
    for column in categorical:
        frame[column] = frame[column].astype(str)
    return frame


def _load_scenarios(names: Sequence[str]) -> list[Any]:
    from sim.scenario import load_scenario

    return [load_scenario(name) for name in names]


def plan_batch(scenarios: Sequence[str], worlds: int, seed: int = 0, days: int | None = None) -> Plan:
    """Plan ``worlds`` worlds of each scenario (world ``k`` seeded as ``escalation run`` seeds it)."""
    from sim.seeds import derive_seeds

    if isinstance(scenarios, str):
        scenarios = [scenarios]
    scenarios = list(scenarios)
    if not scenarios:
        raise InputError("expected at least one scenario", key="SCENARIO")
    if len(set(scenarios)) != len(scenarios):
        raise InputError("a scenario is listed twice", key="SCENARIO")
    if isinstance(worlds, bool) or not isinstance(worlds, (int, np.integer)) or worlds <= 0:
        raise InputError(f"expected a positive number of worlds, got {worlds!r}", key="--worlds")
    seed = check_seed(seed, "--seed")
    days = check_days(days, "--days")
    loaded = _load_scenarios(scenarios)
    check_fits(int(worlds) * len(scenarios), PLAN_BYTES_PER_WORLD, "the plan's seeds and world ids", key="--worlds",
               hint=f" ({fitting_worlds(PLAN_BYTES_PER_WORLD * len(scenarios)):,} per scenario)")
    k = np.arange(worlds, dtype=np.int64)
    replicate_seeds = np.asarray(derive_seeds(int(seed), k), dtype=np.uint64)
    n = len(scenarios)
    stems = "+".join(s.name for s in loaded)  # validated names (letters, digits, '_', '-'): a safe directory name
    return Plan(
        kind="batch",
        name=f"batch-{stems}-n{worlds}-s{seed}",
        scenario_names=scenarios,
        scenarios=loaded,
        days=None if days is None else int(days),
        point_of_world=np.repeat(np.arange(n, dtype=np.int64), worlds),
        replicate_of_world=np.tile(k, n),
        seeds=np.tile(replicate_seeds, n),
        scenario_of_point=np.arange(n, dtype=np.int64),
        spec={"kind": "batch", "scenarios": scenarios, "worlds": int(worlds), "seed": int(seed),
              "days": None if days is None else int(days)},
    )


def plan_sweep(spec: SweepSpec) -> Plan:
    """Plan every (point, replicate) world of a validated sweep spec."""
    from analysis.runs.designs import build_design
    from sim.seeds import derive_seeds

    loaded = _load_scenarios(spec.scenarios)
    _check_sweep_fits(spec)
    design = build_design(spec)
    rows = len(design.table)
    n_points = rows * len(spec.scenarios)
    replicates = spec.replicates
    point_of_world = np.repeat(np.arange(n_points, dtype=np.int64), replicates)
    replicate_of_world = np.tile(np.arange(replicates, dtype=np.int64), n_points)
    seeds = np.asarray(derive_seeds(spec.seed, point_of_world, replicate_of_world), dtype=np.uint64)
    design_manifest = {
        "kind": design.kind,
        "parameters": [p.as_dict() for p in spec.parameters],
        "settings": design.settings,
        "salib_problem": design.salib_problem,
        "rows": rows,
        "sample_order": "design_row: row i of design.parquet / points.parquet is row i of the sampler's matrix",
    }
    return Plan(
        kind="sweep",
        name=spec.name,
        scenario_names=list(spec.scenarios),
        scenarios=loaded,
        days=spec.days,
        point_of_world=point_of_world,
        replicate_of_world=replicate_of_world,
        seeds=seeds,
        scenario_of_point=np.arange(n_points, dtype=np.int64) // rows,
        values=design.table,
        spec=dict(spec.as_dict(), kind="sweep", description=spec.description, sources=list(spec.sources)),
        design_manifest=design_manifest,
        design_raw=design.raw,
    )


def _check_sweep_fits(spec: SweepSpec) -> None:
    """Refuse a sweep whose design or worlds cannot be held in memory (before any array is made)."""
    from analysis.runs.designs import design_rows

    rows = design_rows(spec)
    where = {"file": spec.file, "key": "replicates"}
    per_row = DESIGN_BYTES_PER_ROW + 64 * len(spec.parameters)
    check_fits(rows, per_row, "the design table", unit="design points", file=spec.file, key="design")
    points = rows * len(spec.scenarios)
    total = points * spec.replicates
    most = fitting_worlds(PLAN_BYTES_PER_WORLD, rows * per_row)
    if total > most:
        check_fits(total, PLAN_BYTES_PER_WORLD, f"the plan's seeds and world ids ({points:,} design points x "
                   f"{spec.replicates:,} replicates)", fixed=rows * per_row,
                   hint=f" (replicates: {max(0, most // max(points, 1)):,} at most)", **where)


def plan_identity(plan: Plan, collect_series: bool, collect_events: bool) -> dict[str, Any]:
    """What a store must match to be resumed: the spec, the scenarios' content, the tables kept, the model code."""
    from analysis.runs.executors import model_fingerprint

    spec = {k: v for k, v in plan.spec.items() if k not in ("description", "sources")}
    return {
        "kind": plan.kind,
        "spec_sha256": hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16],
        "spec": spec,
        "scenario_sha256": {name: scenario_digest(s)[:16] for name, s in zip(plan.scenario_names, plan.scenarios)},
        "tables": {"series": bool(collect_series), "events": bool(collect_events)},
        "model_code": model_fingerprint(),
    }


def plan_manifest(plan: Plan, identity: dict[str, Any]) -> dict[str, Any]:
    """The store's ``manifest.json`` for a plan: its spec, scenarios, seeding, design and sizes."""
    seeding = ("world k of every scenario: derive_seeds(seed, k); world id = scenario_index * worlds + k"
               if plan.kind == "batch" else
               "world of point p, replicate r: derive_seeds(seed, p, r); world id = p * replicates + r; "
               "point p = scenario_index * design rows + design_row")
    return {
        "kind": plan.kind,
        "name": plan.name,
        "spec": plan.spec,
        "spec_sha256": identity["spec_sha256"],
        "scenarios": [
            {"name": name, "path": _scenario_path(name), "sha256": scenario_digest(s),
             "days": int(plan.days or getattr(s, "days", 0) or 0) or None}
            for name, s in zip(plan.scenario_names, plan.scenarios)
        ],
        "package_version": _package_version(),
        "model_code": identity["model_code"],
        "seed": plan.spec.get("seed"),
        "seeding": seeding,
        "days": plan.days,
        "tables": identity["tables"],
        "design": plan.design_manifest,
        "worlds_total": plan.total,
        "points": int(len(plan.scenario_of_point)),
    }
