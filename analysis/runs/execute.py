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

import errno
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
from analysis.runs.guards import (
    PLAN_BYTES_PER_WORLD, check_output_dir, check_run_options, check_workers, chunk_bytes_per_world, chunks_in_memory,
    fitting_worlds, usable_cpus,
)
from analysis.runs.store import Results, StoreWriter, utc_now
from sim.errors import InputError
from sim.ladder import OutcomeClass

# A chunk is one vectorized simulate() call. Its per-day Python overhead (about a second for a year) is
# shared by its worlds, so large chunks run several times faster per world than small ones; series and
# events are held in memory per chunk, so those chunks stay smaller (1,000 worlds of series ~ 26 MiB).
MIN_CHUNK = 500
MAX_CHUNK_OUTCOMES = 50_000  # per world: 20,000 cost 1.2x what 50,000 or 100,000 do (a year, baseline)
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
            quiet: bool = False, stream=None, label: str | None = None, connect_timeout: float = 10.0,
            force_workers: bool = False) -> Results:
    """Run (or resume) a planned batch or sweep into its results directory.

    Bad input is refused before anything is written: workers, chunk size and timeout out of range, an
    output directory that cannot be written, chunks that cannot fit in memory. On resume, a damaged part
    (unreadable, truncated, empty, other columns or rows) is moved aside to ``damaged/<table>/<part>.damaged``
    with a one-line notice and its chunk runs again. A full disk stops the run with one line saying what was kept.

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
        force_workers: start ``workers`` processes even when they are more than the usable CPUs.

    Returns:
        The results handle.
    """
    from analysis.runs.executors import make_executor
    from analysis.runs.progress import Progress

    label = label or f"escalation {plan.kind} {plan.name}"
    command = " ".join(label.split()[:2])
    connect_timeout = check_run_options(workers, chunk_size, connect_timeout)
    if workers is not None and not scheduler:
        workers = check_workers(workers, force_workers, command, stream)  # capped at the usable CPUs, with a note
    out = Path(out) if out is not None else Path("results") / plan.name
    check_output_dir(out)
    identity = plan_identity(plan, series, events)
    writer = StoreWriter(out, identity, plan_manifest(plan, identity))
    writer.check()
    resuming = (out / "manifest.json").exists()
    damaged = damaged_parts(out, plan.total) if resuming else []
    done_before = writer.done_mask(plan.total) if resuming else np.zeros(plan.total, bool)
    for _, _, first, last, _ in damaged:
        done_before[first:last + 1] = False
    missing = int((~done_before).sum())
    n_workers = workers or usable_cpus()
    size = chunk_size or default_chunk_size(missing, n_workers, series, events)
    size = _chunk_that_fits(plan, size, chunk_size is not None, n_workers, series, events)
    chunk_count = sum(1 for _ in plan.chunk_ids(done_before, size)) if missing else 0
    progress = Progress(plan.total, initial=plan.total - missing, label=label, quiet=quiet, stream=stream)

    executor = make_executor(workers=workers, scheduler=scheduler, dask=dask, timeout=connect_timeout,
                             total_chunks=None if (scheduler or dask) else chunk_count) if missing else None
    run_record: dict[str, Any] = {}
    try:
        writer.open()
        if damaged:
            set_aside(damaged, out, command, stream)
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
        if isinstance(error, OSError) and error.errno in _WRITE_ERRNOS:
            raise _store_error(error, out, writer, plan.total) from None
        raise
    finally:
        if executor is not None:
            executor.close(cancel=True)
        writer.close()


_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR,
                 errno.EISDIR, errno.EEXIST, errno.ENAMETOOLONG}
_REQUIRED_COLUMNS = {"outcomes": ("world", "seed", "outcome"), "series": ("world", "day"), "events": ("world", "day")}


def _store_error(error: OSError, out: Path, writer: StoreWriter, total: int) -> InputError:
    """One line for a write that failed (a full disk, a read-only or vanished directory): what was kept, how to resume."""
    try:
        kept = int(writer.done_mask(total).sum())
    except OSError:
        kept = 0
    where = f" {error.filename}" if error.filename else ""
    full = error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
    what = (f"disk full (no space left on device) while writing{where}" if full
            else f"cannot write{where} ({error.strerror or type(error).__name__})")
    remedy = "free some space" if full else "make the directory writable"
    if kept:
        return InputError(f"{what}; kept {kept:,} of {total:,} worlds (every stored chunk is complete); {remedy} and "
                          "rerun the same command to resume", file=str(out))
    return InputError(f"{what}; no world was stored; {remedy} and rerun the same command", file=str(out))


def _chunk_that_fits(plan: Plan, size: int, explicit: bool, workers: int, series: bool, events: bool) -> int:
    """The chunk size, bounded by memory: chunks held at once must fit beside the plan's own arrays."""
    days = plan.days or max((int(getattr(s, "days", 0) or 0) for s in plan.scenarios), default=365) or 365
    per_world = chunk_bytes_per_world(days, series, events)
    at_once = chunks_in_memory(workers)
    most = fitting_worlds(per_world * at_once, plan.total * PLAN_BYTES_PER_WORLD)
    if size <= most:
        return size
    tables = " and ".join(["outcomes", *(["series"] if series else []), *(["events"] if events else [])])
    if explicit or most < 1:
        raise InputError(f"{size:,} worlds per chunk do not fit in memory: about {per_world / 1024:,.0f} KiB per "
                         f"world for the {tables} of {days:,} days, {at_once} chunks held at once by {workers} "
                         f"workers beside the plan; at most {max(most, 0):,} worlds per chunk would fit",
                         key="--chunk-size")
    return most


def damaged_parts(out: Path, total: int) -> list[tuple[Path, str, int, int, list[Path]]]:
    """Parts of a store that cannot be read back whole: ``(part, reason, first, last, parts to set aside with it)``.

    Outcomes parts (the commit markers) are read whole and must hold exactly worlds ``first..last`` of this plan,
    with the columns of the other parts; series and events parts must have a readable footer with the columns
    of their table. A damaged series or events part takes its chunk's outcomes part with it, so the chunk runs again.
    """
    import collections

    import pyarrow as pa
    import pyarrow.parquet as pq

    from analysis.runs.store import _arrow_reason as reason_of, _parts

    found: list[tuple[Path, str, int, int, list[Path]]] = []
    committed: dict[tuple[int, int], Path] = {}
    schemas: dict[Path, frozenset] = {}
    previous_last = -1
    for first, last, path in _parts(out / "outcomes"):
        reason = None
        if last < first or last >= total:
            reason = f"worlds {first}-{last} are outside this plan's 0-{total - 1}"
        elif first <= previous_last:
            reason = f"worlds {first}-{last} overlap another part"
        else:
            try:
                table = pq.read_table(path)
                missing = [c for c in _REQUIRED_COLUMNS["outcomes"] if c not in table.column_names]
                if missing:
                    reason = f"no column {missing[0]!r}"
                elif table.num_rows != last - first + 1 or not np.array_equal(
                        table.column("world").to_numpy(), np.arange(first, last + 1)):
                    reason = f"{table.num_rows} rows that are not worlds {first}-{last}"
                else:
                    schemas[path] = frozenset(table.column_names)
            except (pa.ArrowException, OSError, ValueError, TypeError) as error:
                reason = reason_of(error)
        if reason:
            found.append((path, reason, first, last, []))
        else:
            committed[(first, last)] = path
            previous_last = last
    for table_name in ("series", "events"):
        for first, last, path in _parts(out / table_name):
            if (first, last) not in committed:
                continue  # an orphan of an interrupted chunk: the writer deletes it
            try:
                names = pq.read_schema(path).names
                missing = [c for c in _REQUIRED_COLUMNS[table_name] if c not in names]
                reason = f"no column {missing[0]!r}" if missing else None
                if reason is None:
                    schemas[path] = frozenset(names)
            except (pa.ArrowException, OSError, ValueError) as error:
                reason = reason_of(error)
            if reason:
                found.append((path, reason, first, last, [committed.pop((first, last))]))
    for directory in ("outcomes", "series", "events"):  # the columns most parts of a table have
        group = {p: names for p, names in schemas.items() if p.parent.name == directory and p.exists()}
        if len(group) < 2:
            continue
        common = collections.Counter(group.values()).most_common(1)[0][0]
        for path, names in group.items():
            if names != common:
                first, last = (int(x) for x in path.stem.split("-")[1:3])
                if directory == "outcomes":
                    if (first, last) in committed:
                        committed.pop((first, last))
                        found.append((path, "its columns differ from the other parts'", first, last, []))
                elif (first, last) in committed:
                    found.append((path, "its columns differ from the other parts'", first, last,
                                  [committed.pop((first, last))]))
    return found


def set_aside(damaged: list[tuple[Path, str, int, int, list[Path]]], out: Path, command: str, stream=None) -> None:
    """Move damaged parts to ``damaged/<table>/<part>.damaged`` (out of the tables, so no reader of a table's
    folder trips on them); their chunks run again. One notice line each."""
    for path, reason, first, last, companions in damaged:
        moved = []
        for part in (path, *companions):
            if not part.exists():
                continue
            target = out / "damaged" / part.parent.name / f"{part.name}.damaged"
            target.parent.mkdir(parents=True, exist_ok=True)
            count = 1
            while target.exists():
                target = target.with_name(f"{part.name}.damaged.{count}")
                count += 1
            os.replace(part, target)
            moved.append(target.relative_to(out))
        with_it = f" (with its chunk's {', '.join(str(m) for m in moved[1:])})" if len(moved) > 1 else ""
        print(f"{command}: note: {path}: damaged part ({reason}); moved aside to {moved[0] if moved else '?'}{with_it}; "
              f"worlds {first}-{last} run again", file=stream or sys.stderr, flush=True)


def batch(scenarios: str | Sequence[str], worlds: int, seed: int = 0, *, days: int | None = None,
          out: str | Path | None = None, workers: int | None = None, chunk_size: int | None = None,
          scheduler: str | None = None, dask: bool = False, series: bool = False, events: bool = False,
          quiet: bool = False, connect_timeout: float = 10.0, force_workers: bool = False) -> Results:
    """Run ``worlds`` worlds of each scenario (``escalation batch``) and return the results handle.

    Args:
        scenarios: scenario names or YAML paths.
        worlds: worlds per scenario.
        seed: master seed; world k of every scenario gets ``derive_seeds(seed, k)``.
        days: horizon (default: each scenario's own).
        out: results directory (default ``results/batch-<scenarios>-n<worlds>-s<seed>``).
        workers, chunk_size, scheduler, dask, series, events, quiet, connect_timeout, force_workers: see
            :func:`execute`.
    """
    plan = plan_batch(scenarios, worlds, seed, days)
    return execute(plan, out, workers=workers, chunk_size=chunk_size, scheduler=scheduler, dask=dask,
                   series=series, events=events, quiet=quiet, connect_timeout=connect_timeout,
                   force_workers=force_workers)


def sweep(spec: str | Path | dict | SweepSpec, *, out: str | Path | None = None, workers: int | None = None,
          chunk_size: int | None = None, scheduler: str | None = None, dask: bool = False, series: bool = False,
          events: bool = False, quiet: bool = False, connect_timeout: float = 10.0,
          force_workers: bool = False) -> Results:
    """Run the sweep a YAML spec (or mapping) describes (``escalation sweep``) and return the results handle.

    Args:
        spec: path to a sweep YAML, a mapping of the same form, or a loaded :class:`SweepSpec`.
        out: results directory (default ``results/<spec name>``).
        workers, chunk_size, scheduler, dask, series, events, quiet, connect_timeout, force_workers: see
            :func:`execute`.
    """
    if not isinstance(spec, SweepSpec):
        spec = load_sweep_spec(spec)
    plan = plan_sweep(spec)
    return execute(plan, out, workers=workers, chunk_size=chunk_size, scheduler=scheduler, dask=dask,
                   series=series, events=events, quiet=quiet, connect_timeout=connect_timeout,
                   force_workers=force_workers)


def outcome_summary(results: Results) -> str:
    """The closing summary of ``batch`` and ``sweep``: one line per scenario, never pooled across scenarios.

    The first line names the store and the worlds stored. A batch then gives each scenario's share of
    every outcome class; a sweep gives, per scenario, the range of each class's share over its design
    points (lowest to highest point), since its points are unlike worlds too.

    Args:
        results: the store just written.

    Returns:
        The lines, joined by newlines.
    """
    sweep = results.kind == "sweep"
    frame = results.outcomes(columns=["scenario", "outcome", *(["point"] if sweep else [])])
    classes = [outcome.value for outcome in OutcomeClass]
    lines = [f"{results.path}: {results.worlds_done:,}/{results.worlds_total:,} worlds"]
    for scenario, part in frame.groupby(frame["scenario"].astype(str), sort=False):
        if not sweep:
            shares = part["outcome"].astype(str).value_counts(normalize=True)
            lines.append(f"  {scenario} ({len(part):,} worlds): "
                         + ", ".join(f"{name} {100 * shares.get(name, 0.0):.1f}%" for name in classes))
            continue
        per_point = pd.crosstab(part["point"], part["outcome"].astype(str), normalize="index")
        per_point = per_point.reindex(columns=classes, fill_value=0.0)
        lines.append(f"  {scenario} ({per_point.shape[0]:,} points, {len(part):,} worlds; lowest-highest share of a "
                     "point): " + ", ".join(f"{name} {_share_range(per_point[name])}" for name in classes))
    return "\n".join(lines)


def _share_range(shares: pd.Series) -> str:
    """``"2.0-8.5%"``, or ``"0.0%"`` when every point has the same share."""
    low, high = f"{100 * shares.min():.1f}", f"{100 * shares.max():.1f}"
    return f"{low}%" if low == high else f"{low}-{high}%"


def install_sigterm_as_interrupt() -> None:
    """Treat SIGTERM like Ctrl-C (stop cleanly, keep only complete parts)."""

    owner = os.getpid()

    def handler(signum, frame):
        if os.getpid() != owner:
            # a child forked before it could restore the default (a pool worker that the pool terminates
            # while it is still starting): die of the signal, as the default would, without a traceback
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            os._exit(128 + signum)
        raise KeyboardInterrupt

    if sys.platform != "win32":
        signal.signal(signal.SIGTERM, handler)
