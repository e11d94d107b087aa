"""Batches and sweeps: plan the worlds, run them in chunks on an executor, store them, resume.

The Python API mirrors the command line::

    import analysis
    results = analysis.batch(["baseline", "crisis_2019_2020"], worlds=10_000, seed=1)
    results = analysis.sweep("scenarios/sweeps/leash_vs_us_threshold.yaml", workers=2)
    results.outcomes().groupby("quds_force.leash_strength")["outcome"].value_counts(normalize=True)

Both return a :class:`analysis.runs.store.Results` handle (see that module for the store layout and
reading API). Running the same call again resumes: stored chunks are skipped.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import pandas as pd

from analysis.runs.design import SweepSpec, build_design, load_sweep_spec
from analysis.runs.store import Results, StoreWriter, utc_now
from sim.errors import InputError

# A chunk is one vectorized simulate() call. Its per-day Python overhead (about a second for a year) is
# shared by its worlds, so large chunks run several times faster per world than small ones; series and
# events are held in memory per chunk, so those chunks stay smaller (1,000 worlds of series ~ 26 MiB).
MIN_CHUNK = 500
MAX_CHUNK_OUTCOMES = 20_000
MAX_CHUNK_WITH_SERIES = 2_500


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


def run_chunk(task: ChunkTask) -> dict[str, pd.DataFrame]:
    """Simulate one chunk (runs on a worker); returns its tables."""
    from sim.runner import simulate

    result = simulate(
        task.scenario,
        n_worlds=len(task.world_ids),
        days=task.days,
        world_seeds=task.seeds,
        world_ids=task.world_ids,
        overrides=task.overrides or None,
        collect_events=task.collect_events,
        collect_series=task.collect_series,
    )
    tables = {"outcomes": result.outcomes}
    if task.collect_series:
        tables["series"] = result.series
    if task.collect_events:
        tables["events"] = result.events
    return tables


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
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"expected a non-negative integer seed, got {seed!r}", key="--seed")
    if days is not None and (isinstance(days, bool) or not isinstance(days, (int, np.integer)) or days <= 0):
        raise InputError(f"expected a positive number of days, got {days!r}", key="--days")
    loaded = _load_scenarios(scenarios)
    k = np.arange(worlds, dtype=np.int64)
    replicate_seeds = np.asarray(derive_seeds(int(seed), k), dtype=np.uint64)
    n = len(scenarios)
    stems = "+".join(Path(s).stem for s in scenarios)
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
    from sim.seeds import derive_seeds

    design = build_design(spec)
    loaded = _load_scenarios(spec.scenarios)
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


def _identity(plan: Plan, collect_series: bool, collect_events: bool) -> dict[str, Any]:
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


def _manifest(plan: Plan, identity: dict[str, Any]) -> dict[str, Any]:
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


def default_chunk_size(missing: int, workers: int, collect_series: bool, collect_events: bool) -> int:
    """Worlds per chunk: as large as the memory cap allows, with every worker busy in every round.

    The worlds are split into ``rounds`` of ``workers`` equal chunks, with the fewest rounds that keep
    chunks under the cap; so two workers get chunks as large as one worker would (the throughput per
    worker does not drop) and no worker idles in the last round.
    """
    cap = MAX_CHUNK_WITH_SERIES if (collect_series or collect_events) else MAX_CHUNK_OUTCOMES
    workers = max(1, workers)
    rounds = max(1, math.ceil(missing / (workers * cap)))
    return int(min(cap, max(MIN_CHUNK, math.ceil(missing / (workers * rounds)))))


def execute(plan: Plan, out: str | Path | None = None, *, workers: int | None = None, chunk_size: int | None = None,
            scheduler: str | None = None, dask: bool = False, series: bool = False, events: bool = False,
            quiet: bool = False, stream=None, label: str | None = None, connect_timeout: float = 10.0) -> Results:
    """Run (or resume) a planned batch or sweep into its results directory.

    Args:
        plan: from :func:`plan_batch` or :func:`plan_sweep`.
        out: results directory (default ``results/<plan name>``).
        workers: local worker processes (default: CPUs; 1 runs in this process).
        chunk_size: worlds per chunk (default: automatic; never changes the results).
        scheduler: a Dask scheduler address (runs on that cluster).
        dask: start a local Dask cluster on 127.0.0.1.
        series: also store daily series.
        events: also store event logs.
        quiet: no progress output.
        stream: where progress goes (default stderr).
        label: progress line prefix.
        connect_timeout: seconds to wait for a Dask scheduler and its workers.

    Returns:
        The results handle.
    """
    from analysis.runs.executors import make_executor
    from analysis.runs.progress import Progress

    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise InputError(f"expected a positive number of workers, got {workers}", key="--workers")
    if chunk_size is not None and (isinstance(chunk_size, bool) or chunk_size < 1):
        raise InputError(f"expected a positive chunk size, got {chunk_size}", key="--chunk-size")
    out = Path(out) if out is not None else Path("results") / plan.name
    identity = _identity(plan, series, events)
    writer = StoreWriter(out, identity, _manifest(plan, identity))
    writer.check()
    done_before = writer.done_mask(plan.total) if (out / "manifest.json").exists() else np.zeros(plan.total, bool)
    missing = int((~done_before).sum())
    n_workers = workers or os.cpu_count() or 1
    size = chunk_size or default_chunk_size(missing, n_workers, series, events)
    chunk_count = sum(1 for _ in plan.chunk_ids(done_before, size)) if missing else 0
    label = label or f"escalation {plan.kind} {plan.name}"
    progress = Progress(plan.total, initial=plan.total - missing, label=label, quiet=quiet, stream=stream)

    executor = make_executor(workers=workers, scheduler=scheduler, dask=dask, timeout=connect_timeout,
                             total_chunks=None if (scheduler or dask) else chunk_count) if missing else None
    run_record: dict[str, Any] = {}
    try:
        writer.open()
        points = plan.points_table()
        if points is not None:
            writer.write_side_table("points", points)
            writer.write_side_table("design", plan.design_raw)
        done = writer.done_mask(plan.total)
        missing = int((~done).sum())
        progress.initial = progress.done = plan.total - missing
        if missing == 0:
            if not writer.manifest.get("finished_at"):
                writer.manifest["finished_at"] = utc_now()
                writer.write_manifest()
            progress.start(f"all {plan.total:,} worlds already stored in {out}")
            return Results(out)
        clock = time.perf_counter()
        run_record = {"started_at": utc_now(), "ended_at": None, "seconds": None, "worlds_run": 0, "status": "running",
                      "executor": executor.describe(), "chunk_size": size,
                      "worlds_stored_before": plan.total - missing, "pid": os.getpid()}
        writer.manifest.setdefault("runs", []).append(run_record)
        writer.write_manifest()
        progress.start(f"{missing:,} worlds to run in {chunk_count:,} chunks on {executor.describe()} -> {out}")
        for task, tables in executor.imap_unordered(run_chunk, plan.chunks(done, size, series, events)):
            writer.write_chunk(task.first, task.last, plan.decorate(task, tables))
            run_record["worlds_run"] += len(task.world_ids)
            progress.advance(len(task.world_ids))
        executor.close()
        executor = None
        run_record.update(ended_at=utc_now(), seconds=round(time.perf_counter() - clock, 3), status="complete")
        writer.manifest["finished_at"] = run_record["ended_at"]
        writer.write_manifest()
        progress.finish(f"{plan.total:,} worlds stored in {out}")
        return Results(out)
    except BaseException as error:
        if executor is not None:
            executor.close(cancel=True)
            executor = None
        if run_record:
            interrupted = isinstance(error, KeyboardInterrupt)
            run_record.update(ended_at=utc_now(), seconds=round(time.perf_counter() - clock, 3),
                              status="interrupted" if interrupted else f"failed: {type(error).__name__}")
            try:
                writer.write_manifest()
            except Exception:  # keep the original error
                pass
        raise
    finally:
        if executor is not None:
            executor.close(cancel=True)
        writer.close()


def batch(scenarios: str | Sequence[str], worlds: int, seed: int = 0, *, days: int | None = None,
          out: str | Path | None = None, workers: int | None = None, chunk_size: int | None = None,
          scheduler: str | None = None, dask: bool = False, series: bool = False, events: bool = False,
          quiet: bool = False, connect_timeout: float = 10.0) -> Results:
    """Run ``worlds`` worlds of each scenario (``escalation batch``) and return the results handle.

    Args:
        scenarios: scenario names or YAML paths.
        worlds: worlds per scenario.
        seed: master seed; world k of every scenario gets ``derive_seeds(seed, k)``.
        days: horizon (default: each scenario's own).
        out: results directory (default ``results/batch-<scenarios>-n<worlds>-s<seed>``).
        workers, chunk_size, scheduler, dask, series, events, quiet, connect_timeout: see :func:`execute`.
    """
    plan = plan_batch(scenarios, worlds, seed, days)
    return execute(plan, out, workers=workers, chunk_size=chunk_size, scheduler=scheduler, dask=dask,
                   series=series, events=events, quiet=quiet, connect_timeout=connect_timeout)


def sweep(spec: str | Path | dict | SweepSpec, *, out: str | Path | None = None, workers: int | None = None,
          chunk_size: int | None = None, scheduler: str | None = None, dask: bool = False, series: bool = False,
          events: bool = False, quiet: bool = False, connect_timeout: float = 10.0) -> Results:
    """Run the sweep a YAML spec (or mapping) describes (``escalation sweep``) and return the results handle.

    Args:
        spec: path to a sweep YAML, a mapping of the same form, or a loaded :class:`SweepSpec`.
        out: results directory (default ``results/<spec name>``).
        workers, chunk_size, scheduler, dask, series, events, quiet, connect_timeout: see :func:`execute`.
    """
    if not isinstance(spec, SweepSpec):
        spec = load_sweep_spec(spec)
    plan = plan_sweep(spec)
    return execute(plan, out, workers=workers, chunk_size=chunk_size, scheduler=scheduler, dask=dask,
                   series=series, events=events, quiet=quiet, connect_timeout=connect_timeout)


def outcome_summary(results: Results) -> str:
    """One line: worlds stored and the share of each outcome class."""
    frame = results.outcomes(columns=["outcome"])
    shares = frame["outcome"].value_counts(normalize=True)
    order = ["quiet", "provocation", "crisis", "confrontation"]
    parts = [f"{name} {100 * shares.get(name, 0.0):.1f}%" for name in order]
    return f"{results.path}: {results.worlds_done:,}/{results.worlds_total:,} worlds; " + ", ".join(parts)


def install_sigterm_as_interrupt() -> None:
    """Treat SIGTERM like Ctrl-C (stop cleanly, keep only complete parts)."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    if sys.platform != "win32":
        signal.signal(signal.SIGTERM, handler)
