"""The results store: one directory per batch or sweep, append-only Parquet parts and a JSON manifest.

Reading (the API other modules use; pandas DataFrames throughout)::

    import analysis
    results = analysis.open_results("results/leash_vs_us_threshold")   # an existing directory
    results = analysis.sweep("scenarios/sweeps/leash_vs_us_threshold.yaml")  # runs or resumes, then opens
    results = analysis.batch(["baseline"], worlds=1000, seed=0)            # idem for a batch

    results.outcomes()            # one row per world (the outcomes table of docs/architecture.md) plus
                                  # `point`, `replicate` and, for sweeps, `design_row` and one column
                                  # per swept parameter (named by its dotted path)
    results.outcomes(columns=["world", "outcome"], worlds=[0, 5])   # a subset
    results.series(worlds=[17])   # daily series (only when run with series=True / --series)
    results.events(worlds=[17])   # event log (only when run with events=True / --events)
    results.points()              # sweeps: one row per design point (point, scenario, design_row, values)
    results.design_sample()       # sweeps: the sampler's raw matrix in sample order (SALib order)
    results.salib_problem         # sweeps over ranges: {"num_vars", "names", "bounds"} for SALib.analyze
    results.manifest              # dict: see below
    results.complete              # all planned worlds are stored
    results.worlds_done, results.worlds_total
    results.world_seed(17)        # the seed that replays world 17: simulate(scenario, world_seeds=[seed],
    results.world_overrides(17)   #   overrides=...) gives the same rows (see sim.runner.simulate)
    results.world_scenario(17)    # the scenario world 17 ran
    results.thesis()              # the thesis test of `escalation thesis DIR`: .table (one row per
                                  # scenario), .verdict, .exit_code, .text (printed by print())

A world's id (the ``world`` column) is unique within a store and joins the three tables. For a
batch, world ``k`` of the ``i``-th scenario has id ``i * worlds + k``, replicate ``k`` and seed
``derive_seeds(seed, k)`` (the seed ``escalation run --seed S`` gives world ``k``), so scenarios
share random numbers. For a sweep, point ``p`` (scenario ``i``, design row ``d``: ``p = i * rows + d``)
and replicate ``r`` give world ``p * replicates + r`` and seed ``derive_seeds(seed, p, r)``. Rows are
returned sorted by world (then day), whatever the worker count, chunk size or executor.

Layout of ``results/<name>/``::

    manifest.json        kind, name, spec (canonical), spec hash, scenarios (name, path, SHA-256 of
                         content), package version, model code fingerprint, seeding, days, tables
                         collected, design (kind, parameters and ranges, settings, SALib problem),
                         worlds total, started_at / finished_at (UTC ISO), runs (one entry per invocation)
    points.parquet       sweeps: the design points        design.parquet   sweeps: raw sample matrix
    outcomes/part-<first>-<last>.parquet                  one part per finished chunk of worlds
    series/part-...      events/part-...                  when collected

Writing is append-only and atomic: each part is written under a temporary name, flushed and
renamed; a chunk counts as done once its outcomes part exists (series and events parts are written
before it, and orphans from an interrupted chunk are deleted on resume). Re-running the same
command resumes; a different spec, scenario content, model code or table selection pointed at an
existing directory is refused with an :class:`sim.errors.InputError`.

One writer at a time: the writer holds ``flock`` on ``.lock`` and records its PID, process start
time, host and start date in it (one JSON line), emptied on a clean close. The kernel releases a
``flock`` when every descriptor of it is closed, so a writer that is killed (kill -9, the OOM killer)
leaves only a stale record: the next writer takes the lock over with a one-line notice on stderr.
The descriptor is close-on-exec and closed in every ``fork`` child (``os.register_at_fork``), so worker
processes never hold it; if a lock is nevertheless still held while the recorded writer is dead (a
process it left behind inherited the descriptor), the next writer replaces the lock file with a fresh
one, also with a notice. A lock whose recorded writer is alive (or on another host) is refused.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import json
import os
import re
import socket
import sys
import time
import weakref
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from sim.errors import InputError

FORMAT_VERSION = 1
TABLES = ("outcomes", "series", "events")
_PART = re.compile(r"^part-(\d{9})-(\d{9})\.parquet$")


def utc_now() -> str:
    """The current UTC time as an ISO-8601 string (seconds)."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def part_name(first: int, last: int) -> str:
    """File name of the part holding worlds ``first..last`` (inclusive)."""
    return f"part-{first:09d}-{last:09d}.parquet"


def _parts(directory: Path) -> list[tuple[int, int, Path]]:
    if not directory.is_dir():
        return []
    found = []
    for entry in directory.iterdir():
        match = _PART.match(entry.name)
        if match:
            found.append((int(match.group(1)), int(match.group(2)), entry))
    return sorted(found)


def _write_atomic_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def write_parquet_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` via a temporary file and a rename (never a half-written file)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        with open(tmp, "wb") as handle:
            pq.write_table(table, handle, compression="zstd")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def damaged_part_error(path: Path, reason: str) -> InputError:
    """One line for a Parquet part that cannot be read back whole (names the part and what to do)."""
    return InputError(f"damaged Parquet part ({reason}); expected a part written by escalation: rerun the same "
                      "batch or sweep command to set it aside and run its worlds again", file=str(path))


def _arrow_reason(error: BaseException) -> str:
    text = " ".join(str(error).split())
    text = re.sub(r"^Could not open Parquet input source '[^']*': ", "", text).split(". ")[0].rstrip(".")
    return (text[:100] + "...") if len(text) > 100 else (text or type(error).__name__)


def _shared(names: set[str]) -> set[str]:
    """Columns every part of a table has: all but the per-faction tallies (``attacks_<faction>``), which
    differ between scenarios with different factions (a batch may hold several)."""
    return {name for name in names if not (name.startswith("attacks_") and not name.startswith("attacks_rung_"))}


def _read_parts(paths: list[Path], columns=None, worlds=None) -> pd.DataFrame | None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    tables = []
    reference: tuple[Path, set[str]] | None = None
    for path in paths:
        # a damaged part (empty, truncated, not Parquet, other columns) is refused by name, never skipped
        try:
            names = set(pq.read_schema(path).names)
        except (pa.ArrowException, OSError, ValueError) as error:
            raise damaged_part_error(path, _arrow_reason(error)) from None
        if reference is None:
            reference = (path, names)
        elif _shared(names) != _shared(reference[1]):
            missing, extra = sorted(_shared(reference[1]) - _shared(names)), sorted(_shared(names) - _shared(reference[1]))
            what = f"no column {missing[0]!r}" if missing else f"an extra column {extra[0]!r}"
            raise damaged_part_error(path, f"{what}, unlike {reference[0].name}")
        wanted = ["world"] if columns is None else list(dict.fromkeys(["world", *columns]))
        absent = [c for c in wanted if c not in names]
        if absent:
            raise InputError(f"no column {absent[0]!r} in this part", file=str(path))
        try:
            table = pq.read_table(path, columns=None if columns is None else wanted)
        except (pa.ArrowException, OSError, ValueError) as error:
            raise damaged_part_error(path, _arrow_reason(error)) from None
        match = _PART.match(path.name)
        if match and path.parent.name == "outcomes" and table.num_rows != int(match.group(2)) - int(match.group(1)) + 1:
            raise damaged_part_error(path, f"{table.num_rows} rows for worlds {int(match.group(1))}-{int(match.group(2))}")
        if worlds is not None:
            table = table.filter(pc.is_in(table["world"], value_set=pa.array(worlds, pa.int64())))
        tables.append(table)
    if not tables:
        return None
    try:
        table = pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowException, ValueError) as error:
        raise damaged_part_error(paths[-1].parent, f"parts disagree on column types: {_arrow_reason(error)}") from None
    frame = table.to_pandas()
    if columns is not None:
        frame = frame[list(columns)]
    return frame.reset_index(drop=True)


def check_manifest(manifest: Any, path: Path) -> None:
    """Refuse a manifest without the keys and types readers rely on (one line naming the key)."""
    def fail(key: str | None, expected: str, value: Any = None) -> InputError:
        if isinstance(value, (str, int)) and not isinstance(value, bool) and len(str(value)) <= 40:
            got = repr(value)
        else:
            got = {dict: "an object", list: "a list", type(None): "nothing"}.get(type(value), type(value).__name__)
        return InputError(f"expected {expected}, got {got} (not a manifest written by escalation batch, sweep or run)",
                          file=str(path), key=key)

    if not isinstance(manifest, dict):
        raise fail(None, "a JSON object", manifest)
    for key, kinds, expected in (("name", str, "text"), ("kind", str, "'batch' or 'sweep'"),
                                 ("worlds_total", int, "a number of worlds"), ("tables", dict, "an object")):
        value = manifest.get(key)
        if not isinstance(value, kinds) or isinstance(value, bool):
            raise fail(key, expected, value)
    if manifest["kind"] not in ("batch", "sweep"):
        raise fail("kind", "'batch' or 'sweep'", manifest["kind"])
    if manifest["worlds_total"] < 0:
        raise fail("worlds_total", "a number of worlds", manifest["worlds_total"])
    for table, value in manifest["tables"].items():
        if not isinstance(value, bool):
            raise fail(f"tables.{table}", "true or false", value)
    if not isinstance(manifest.get("scenarios", []), list):
        raise fail("scenarios", "a list of scenarios", manifest["scenarios"])
    for index, entry in enumerate(manifest.get("scenarios", [])):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise fail(f"scenarios[{index}].name", "a scenario name", entry.get("name") if isinstance(entry, dict) else entry)
    for key, kinds, expected in (("identity", dict, "an object"), ("runs", list, "a list"),
                                 ("days", int, "a number of days"), ("seed", int, "a seed"),
                                 ("format_version", int, "a format number")):
        value = manifest.get(key)
        if value is not None and (not isinstance(value, kinds) or isinstance(value, bool)):
            raise fail(key, expected, value)
    design = manifest.get("design")
    if manifest["kind"] == "sweep" or design is not None:
        if not isinstance(design, dict):
            raise fail("design", "an object", design)
        rows = design.get("rows")
        if not isinstance(rows, int) or isinstance(rows, bool) or rows < 1:
            raise fail("design.rows", "a number of design points", rows)
        parameters = design.get("parameters", [])
        if not isinstance(parameters, list) or not all(isinstance(p, dict) and isinstance(p.get("path"), str)
                                                       for p in parameters):
            raise fail("design.parameters", "a list of {path: ...} objects", parameters)


class Results:
    """A handle on a results directory; tables load as pandas DataFrames (see the module docstring)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        manifest_path = self.path / "manifest.json"
        if not manifest_path.is_file():
            raise InputError("not a results directory (no manifest.json)", file=str(self.path))
        from sim.yamlio import read_json

        self.manifest: dict[str, Any] = read_json(manifest_path, "the JSON manifest of a results directory")
        check_manifest(self.manifest, manifest_path)

    def __repr__(self) -> str:
        return (f"Results({str(self.path)!r}, kind={self.kind!r}, worlds={self.worlds_done}/{self.worlds_total}"
                f"{'' if self.complete else ', incomplete'})")

    @property
    def name(self) -> str:
        """The batch or sweep name."""
        return self.manifest["name"]

    @property
    def kind(self) -> str:
        """``"batch"`` or ``"sweep"``."""
        return self.manifest["kind"]

    @property
    def worlds_total(self) -> int:
        """Worlds planned."""
        return int(self.manifest["worlds_total"])

    def done_ranges(self) -> list[tuple[int, int]]:
        """Inclusive world-id ranges whose outcomes are stored."""
        return [(first, last) for first, last, _ in _parts(self.path / "outcomes")]

    @property
    def worlds_done(self) -> int:
        """Worlds whose outcomes are stored."""
        return sum(last - first + 1 for first, last in self.done_ranges())

    @property
    def complete(self) -> bool:
        """Whether every planned world is stored."""
        return self.worlds_done == self.worlds_total

    @property
    def salib_problem(self) -> dict[str, Any] | None:
        """The SALib problem definition of a sweep over ranges (None otherwise)."""
        return (self.manifest.get("design") or {}).get("salib_problem")

    def _table(self, table: str, columns=None, worlds=None) -> pd.DataFrame:
        if table != "outcomes" and not self.manifest["tables"].get(table):
            flag = f"--{table}"
            raise InputError(f"this {self.kind} did not collect {table} (rerun it with {flag} into a new directory)",
                             file=str(self.path))
        paths = [p for _, _, p in _parts(self.path / table)]
        frame = _read_parts(paths, columns=columns, worlds=None if worlds is None else list(map(int, worlds)))
        if frame is None:
            return pd.DataFrame(columns=list(columns) if columns else ["world"])
        return frame

    def outcomes(self, columns: Iterable[str] | None = None, worlds: Iterable[int] | None = None) -> pd.DataFrame:
        """The outcomes table (one row per stored world, sorted by world).

        Args:
            columns: the columns to load (default all).
            worlds: only these world ids (default all).
        """
        return self._table("outcomes", columns, worlds)

    def series(self, columns: Iterable[str] | None = None, worlds: Iterable[int] | None = None) -> pd.DataFrame:
        """The daily series (one row per world and day), when collected."""
        return self._table("series", columns, worlds)

    def events(self, columns: Iterable[str] | None = None, worlds: Iterable[int] | None = None) -> pd.DataFrame:
        """The event log (one row per action), when collected."""
        return self._table("events", columns, worlds)

    def points(self) -> pd.DataFrame:
        """Sweeps: the design points (``point``, ``scenario``, ``design_row`` and parameter values)."""
        path = self.path / "points.parquet"
        if not path.is_file():
            raise InputError("a batch has no design points", file=str(self.path))
        return _read_side_table(path)

    def design_sample(self) -> pd.DataFrame:
        """Sweeps: the sampler's raw matrix in sample order (value-list parameters as indices)."""
        path = self.path / "design.parquet"
        if not path.is_file():
            raise InputError("a batch has no design sample", file=str(self.path))
        return _read_side_table(path)

    def world_seed(self, world: int) -> int:
        """The 64-bit seed of a stored world."""
        row = self.outcomes(columns=["seed"], worlds=[world])
        if row.empty:
            raise InputError(f"world {world} is not stored", file=str(self.path))
        return int(row["seed"].iloc[0])

    def world_overrides(self, world: int) -> dict[str, Any]:
        """The swept parameter values of a stored world (empty for a batch)."""
        names = [p["path"] for p in (self.manifest.get("design") or {}).get("parameters", [])]
        if not names:
            return {}
        row = self.outcomes(columns=names, worlds=[world])
        if row.empty:
            raise InputError(f"world {world} is not stored", file=str(self.path))
        return {name: row[name].iloc[0].item() if hasattr(row[name].iloc[0], "item") else row[name].iloc[0]
                for name in names}

    def thesis(self, threshold: float = 0.05, definition: str = "shipped") -> ThesisTest:
        """The thesis test "provocation, not confrontation" on this store, as ``escalation thesis DIR`` runs it.

        One verdict per scenario (never pooled across scenarios); see :mod:`analysis.stats.thesis` for the
        rule.

        Args:
            threshold: the largest P(confrontation) compatible with the thesis (strictly between 0 and 1).
            definition: ``shipped`` (a contained exchange is not a confrontation) or ``broad`` (any direct
                exchange is).

        Raises:
            InputError: a bad threshold or definition, or a store without a finished world.
        """
        from analysis.runs.resultsets import load_result_sets
        from analysis.stats import thesis
        from analysis.stats.intervals import check_threshold

        threshold = check_threshold(threshold)
        if definition not in thesis.DEFINITIONS:
            raise InputError(f"unknown definition {definition!r}; expected one of {', '.join(thesis.DEFINITIONS)}")
        verdicts = [thesis.evaluate(s, threshold, definition) for s in load_result_sets([self.path])]
        return ThesisTest(verdicts, threshold, definition)

    def world_scenario(self, world: int) -> str:
        """The scenario (as given: a name or a path) a stored world ran."""
        row = self.outcomes(columns=["point"], worlds=[world])
        if row.empty:
            raise InputError(f"world {world} is not stored", file=str(self.path))
        point = int(row["point"].iloc[0])
        if self.kind == "batch":
            return self.manifest["scenarios"][point]["name"]
        rows = int(self.manifest["design"]["rows"])
        return self.manifest["scenarios"][point // rows]["name"]


class ThesisTest:
    """The thesis test of one results directory, as :meth:`Results.thesis` returns it.

    Attributes:
        table: one row per scenario: ``scenario``, ``label``, ``kind``, ``definition``, ``threshold``,
            ``worlds``, ``confrontations``, ``share``, ``lower``, ``upper`` (exact 95 % interval of
            P(confrontation) over all the scenario's worlds), ``verdict`` (for sweeps: pointwise, fails if it
            fails at any design point), ``pooled_verdict`` (all the scenario's worlds pooled), for sweeps
            ``points`` and the shares of the sampled space where it ``holds``, ``fails`` or is
            ``inconclusive`` (NaN for batches),
            and the pooled reading under the other definition: ``other_definition``, ``other_share``,
            ``other_lower``, ``other_upper``, ``other_verdict``.
        verdict: ``holds`` (every scenario holds), ``fails`` (one fails) or ``inconclusive``.
        exit_code: the exit code of ``escalation thesis`` (0 holds, 1 fails, 3 inconclusive).
        text: the full text ``escalation thesis`` prints (``print(test)`` prints it).
        verdicts: the :class:`analysis.stats.thesis.SetVerdict` of each scenario.
    """

    def __init__(self, verdicts: list, threshold: float, definition: str):
        from analysis.stats import thesis

        self.verdicts = verdicts
        self.threshold = threshold
        self.definition = definition
        self.verdict = thesis.overall(verdicts)
        self.exit_code = thesis.EXIT_CODES[self.verdict]
        self.text = thesis.report_text(verdicts, threshold)
        rows = []
        for v in verdicts:
            s, p, space = v.result_set, v.pooled, v.space or {}
            other = thesis.OTHER[definition]
            alternative = thesis.evaluate(s, threshold, other).pooled
            rows.append({
                "scenario": s.scenario, "label": s.label, "kind": s.kind, "definition": definition,
                "threshold": threshold, "worlds": p.worlds, "confrontations": p.confrontations, "share": p.share,
                "lower": p.lower, "upper": p.upper, "verdict": v.verdict, "pooled_verdict": p.verdict,
                "points": space.get("points", np.nan),
                "holds": space.get("holds", np.nan), "fails": space.get("fails", np.nan),
                "inconclusive": space.get("inconclusive", np.nan), "other_definition": other,
                "other_share": alternative.share, "other_lower": alternative.lower,
                "other_upper": alternative.upper, "other_verdict": alternative.verdict,
            })
        self.table = pd.DataFrame(rows)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        per_scenario = ", ".join(f"{row.label}: {row.verdict}" for row in self.table.itertuples())
        return f"ThesisTest({self.verdict}; threshold {self.threshold:.4g}, {self.definition} definition; {per_scenario})"

    def _repr_html_(self) -> str:
        """Notebooks show the table."""
        return self.table._repr_html_()


def _read_side_table(path: Path) -> pd.DataFrame:
    import pyarrow as pa

    try:
        return pd.read_parquet(path)
    except (pa.ArrowException, OSError, ValueError) as error:
        raise damaged_part_error(path, _arrow_reason(error)) from None


def open_results(path: str | Path) -> Results:
    """Open an existing results directory for reading.

    Raises:
        InputError: the directory has no readable manifest.
    """
    return Results(path)


def _differences(old: dict, new: dict, prefix: str = "") -> list[str]:
    keys = sorted(set(old) | set(new))
    diffs = []
    for key in keys:
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            diffs.extend(_differences(a, b, f"{prefix}{key}."))
        elif a != b:
            diffs.append(f"{prefix}{key}: stored {json.dumps(a)[:60]}, now {json.dumps(b)[:60]}")
    return diffs


class StoreWriter:
    """Writes a batch or sweep into its directory; resumes a matching one, refuses a different one.

    Args:
        path: the results directory.
        identity: what must match to resume (spec, scenario hashes, seeds, days, tables, code).
        manifest: the full manifest to write for a new store (must contain ``identity``'s keys).
    """

    def __init__(self, path: str | Path, identity: dict[str, Any], manifest: dict[str, Any]):
        self.path = Path(path)
        self.identity = identity
        self.manifest = manifest
        self._lock_fd: int | None = None
        self._lock_pid: int | None = None

    def check(self) -> None:
        """Refuse a directory holding something else (before anything is written or run)."""
        if self.path.exists() and not self.path.is_dir():
            raise InputError("exists and is not a directory", file=str(self.path))
        manifest_path = self.path / "manifest.json"
        if self.path.is_dir() and not manifest_path.exists():
            if any(e for e in self.path.iterdir() if not e.name.startswith(".")):
                raise InputError("directory exists, is not empty and holds no manifest.json; choose another --out",
                                 file=str(self.path))
            return
        if manifest_path.exists():
            stored = Results(self.path).manifest
            if stored.get("format_version") != FORMAT_VERSION:
                raise InputError(f"store format {stored.get('format_version')} is not {FORMAT_VERSION}", file=str(self.path))
            diffs = _differences(stored.get("identity", {}), self.identity)
            if diffs:
                raise InputError(
                    f"holds a different {stored.get('kind', 'run')} ({'; '.join(diffs[:3])}"
                    f"{'; ...' if len(diffs) > 3 else ''}); refusing to mix results: use another --out or delete it",
                    file=str(self.path))

    def open(self) -> "StoreWriter":
        """Create or reopen the directory, take the writer lock and clean up after a crash."""
        self.check()
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock_fd = acquire_writer_lock(self.path)
        self._lock_pid = os.getpid()
        # released when the writer is dropped without close(), as a file object's lock would be
        self._lock_finalizer = weakref.finalize(self, release_writer_lock, self._lock_fd, self._lock_pid)
        manifest_path = self.path / "manifest.json"
        if manifest_path.exists():
            self.manifest = Results(self.path).manifest
        else:
            self.manifest = dict(self.manifest, format_version=FORMAT_VERSION, identity=self.identity,
                                 started_at=utc_now(), finished_at=None, runs=[])
            self.write_manifest()
        collected = self.manifest.get("tables", {})
        for table in TABLES:
            if table == "outcomes" or collected.get(table):
                (self.path / table).mkdir(exist_ok=True)
        self._clean()
        return self

    def _clean(self) -> None:
        """Delete temporary files and series/events parts of chunks whose outcomes never landed."""
        for directory in [self.path, *(self.path / t for t in TABLES)]:
            if not directory.is_dir():
                continue
            for entry in directory.iterdir():
                if entry.name.startswith(".") and ".tmp-" in entry.name:
                    entry.unlink(missing_ok=True)
        done = {(first, last) for first, last, _ in _parts(self.path / "outcomes")}
        for table in ("series", "events"):
            for first, last, path in _parts(self.path / table):
                if (first, last) not in done:
                    path.unlink(missing_ok=True)

    def write_manifest(self) -> None:
        """Write the manifest atomically."""
        data = json.dumps(self.manifest, indent=2, sort_keys=False, default=_json_default).encode()
        _write_atomic_bytes(self.path / "manifest.json", data)

    def write_side_table(self, name: str, frame: pd.DataFrame) -> None:
        """Write a whole-store table (``points``, ``design``) once, atomically."""
        path = self.path / f"{name}.parquet"
        if not path.exists():
            write_parquet_atomic(frame, path)

    def done_mask(self, total: int) -> np.ndarray:
        """Boolean mask over world ids 0..total-1: True where outcomes are stored."""
        mask = np.zeros(total, dtype=bool)
        for first, last, _ in _parts(self.path / "outcomes"):
            mask[first:last + 1] = True
        return mask

    def write_chunk(self, first: int, last: int, tables: dict[str, pd.DataFrame]) -> None:
        """Store one finished chunk: series and events first, outcomes (the commit marker) last."""
        name = part_name(first, last)
        marker = self.path / "outcomes" / name
        written: list[Path] = []
        try:
            for table in ("series", "events"):
                if table in tables:
                    written.append(self.path / table / name)
                    write_parquet_atomic(tables[table], written[-1])
            write_parquet_atomic(tables["outcomes"], marker)
        except BaseException:
            # Interrupted (e.g. Ctrl-C) before the chunk committed: leave no orphan parts behind.
            if not marker.exists():
                for path in written:
                    path.unlink(missing_ok=True)
            raise

    def close(self) -> None:
        """Release the writer lock (only in the process that took it: a fork child's copy does nothing)."""
        if self._lock_fd is not None:
            self._lock_finalizer.detach()
            release_writer_lock(self._lock_fd, self._lock_pid)
        self._lock_fd = None
        self._lock_pid = None


# Writer-lock descriptors held by this process; closed in fork children so that workers forked while a
# writer runs never keep the directory locked (flock belongs to the shared open file description).
_HELD_LOCK_FDS: set[int] = set()


def _close_lock_fds_in_child() -> None:
    for fd in list(_HELD_LOCK_FDS):
        with contextlib.suppress(OSError):
            os.close(fd)  # closing (not LOCK_UN, which would release the parent's lock too)
    _HELD_LOCK_FDS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_lock_fds_in_child)


def process_start_time(pid: int) -> str | None:
    """An identifier of when process ``pid`` started (Linux: boot ticks from /proc), or None if unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[19].decode() if len(fields) > 19 else None  # field 22 of stat(5): starttime


def process_alive(pid: int, start: str | None = None) -> bool:
    """Whether ``pid`` runs (a zombie does not), and is the process that started at ``start`` if given."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            if handle.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X"):
                return False
    except (OSError, IndexError):
        pass
    if start is not None:
        now = process_start_time(pid)
        if now is not None and now != start:
            return False  # the PID was reused
    return True


def _read_record(fd: int) -> dict[str, Any] | None:
    try:
        data = os.pread(fd, 4096, 0)
    except OSError:
        return None
    if not data.strip():
        return None
    try:
        record = json.loads(data.decode("utf-8", "replace").splitlines()[0])
    except (ValueError, IndexError):
        return {}
    return record if isinstance(record, dict) else {}


def _record_alive(record: dict[str, Any]) -> bool | None:
    """True/False for a writer on this host, None if it cannot be told (another host, unreadable)."""
    if record.get("host") != socket.gethostname() or not isinstance(record.get("pid"), int):
        return None
    return process_alive(record["pid"], record.get("start"))


def _describe(record: dict[str, Any]) -> str:
    where = "" if record.get("host") == socket.gethostname() else f" on {record.get('host')}"
    return f"PID {record.get('pid')}{where}, started {record.get('since', '?')}"


def _same_file(fd: int, path: Path) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _processes_holding(fd: int) -> list[int]:
    """Linux: the other processes with the file of ``fd`` open (those /proc lets us see)."""
    try:
        target = os.fstat(fd)
        entries = os.listdir("/proc")
    except OSError:
        return []
    pids = []
    for entry in entries:
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            for name in os.listdir(f"/proc/{entry}/fd"):
                info = os.stat(f"/proc/{entry}/fd/{name}")
                if (info.st_dev, info.st_ino) == (target.st_dev, target.st_ino):
                    pids.append(int(entry))
                    break
        except OSError:
            continue
    return sorted(pids)


@contextlib.contextmanager
def _directory_guard(directory: Path, timeout: float = 10.0):
    """Serialize lock take-overs between writers (flock on the directory itself)."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise InputError("another escalation process is taking over this directory's lock",
                                     file=str(directory)) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)


def acquire_writer_lock(directory: Path, stream=None) -> int:
    """Take the writer lock of a results directory; returns its descriptor (see the module docstring).

    Raises:
        InputError: another live writer (or one that cannot be checked) holds it.
    """
    path = directory / ".lock"
    stream = sys.stderr if stream is None else stream
    for _ in range(50):
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                record = _read_record(fd)
                if record is None:  # a writer between flock and writing its record, or an older version
                    time.sleep(0.1)
                    record = _read_record(fd)
                alive = None if not record else _record_alive(record)
                if alive is not False:
                    if record:
                        holder = f" ({_describe(record)})"
                    else:  # no record (e.g. a writer of an older version): name the processes holding it
                        pids = _processes_holding(fd)
                        holder = f" (held by PID {', '.join(map(str, pids))})" if pids else ""
                    raise InputError(f"another escalation process is writing to this directory{holder}",
                                     file=str(directory))
                # The recorded writer is dead, yet the lock is held: by a process it left behind that
                # inherited the descriptor. Replace the lock file (that process keeps the old inode).
                with _directory_guard(directory):
                    if _same_file(fd, path):
                        path.unlink()
                        print(f"escalation: note: {directory}: the writer lock of {_describe(record)} (no longer "
                              f"running) is held by a process it left behind; taking it over", file=stream, flush=True)
                os.close(fd)
                fd = -1
                continue
            if not _same_file(fd, path):  # replaced by a take-over since we opened it
                os.close(fd)
                fd = -1
                continue
            previous = _read_record(fd)
            if previous is not None:
                state = "no longer running" if _record_alive(previous) is False else "it did not release it"
                print(f"escalation: note: {directory}: taking over the writer lock left by "
                      f"{_describe(previous) if previous else 'an unknown writer'} ({state})", file=stream, flush=True)
            record = {"pid": os.getpid(), "start": process_start_time(os.getpid()), "host": socket.gethostname(),
                      "since": utc_now(), "argv": sys.argv[:8]}
            data = (json.dumps(record) + "\n").encode()
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
            _HELD_LOCK_FDS.add(fd)
            return fd
        except BaseException:
            if fd >= 0:
                os.close(fd)
            raise
    raise InputError("could not take the writer lock (it keeps being replaced)", file=str(directory))


def release_writer_lock(fd: int, owner: int | None = None) -> None:
    """Empty the record (a clean release) and release the lock; nothing unless this process is ``owner``."""
    if owner is not None and owner != os.getpid():
        return  # a fork child's copy: the descriptor was closed at fork and its number may be reused
    if fd not in _HELD_LOCK_FDS:
        return
    _HELD_LOCK_FDS.discard(fd)
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    with contextlib.suppress(OSError):
        os.close(fd)


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
