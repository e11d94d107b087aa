"""Batches and sweeps: run a plan's worlds in chunks on an executor, store them, resume.

The Python API mirrors the command line::

    import analysis
    results = analysis.batch(["baseline", "crisis_2019_2020"], worlds=10_000, seed=1)
    results = analysis.sweep("scenarios/sweeps/leash_vs_us_threshold.yaml", workers=2)
    results.outcomes().groupby("quds_force.leash_strength")["outcome"].value_counts(normalize=True)

Both return a :class:`analysis.runs.store.Results` handle (see that module for the store layout and
reading API). Running the same call again resumes: stored chunks are skipped. The worlds are planned by
:mod:`analysis.runs.plan`; :func:`run_chunk` is what worker processes (and Dask workers) run, and they
find it by this module's path.
"""

from __future__ import annotations

import math
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from analysis.runs.plan import ChunkTask, Plan, plan_batch, plan_identity, plan_manifest, plan_sweep
from analysis.runs.spec import SweepSpec, load_sweep_spec
from analysis.runs.store import Results, StoreWriter, utc_now
from sim.errors import InputError

# A chunk is one vectorized simulate() call. Its per-day Python overhead (about a second for a year) is
# shared by its worlds, so large chunks run several times faster per world than small ones; series and
# events are held in memory per chunk, so those chunks stay smaller (1,000 worlds of series ~ 26 MiB).
MIN_CHUNK = 500
MAX_CHUNK_OUTCOMES = 20_000
MAX_CHUNK_WITH_SERIES = 2_500


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
    identity = plan_identity(plan, series, events)
    writer = StoreWriter(out, identity, plan_manifest(plan, identity))
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
