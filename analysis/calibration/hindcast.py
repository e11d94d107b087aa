"""Hindcasts: an era scenario's simulated attacks per period of the public record, against the record.

A *record file* (YAML, read strictly with :func:`sim.yamlio.read_yaml`) holds the attack counts of the
record per period and its dated events; analysts can write their own::

    name: record_2023_2024                 # optional (default: the file name)
    scenario: campaign_2023_2024           # optional: the scenario(s) it is the default record of
    description: one line                  # optional
    sources: ["[DoDBriefings2024] cumulative tallies", ...]     # optional list of text
    periods:                               # required: attack counts per period (inclusive dates)
      - {start: 2023-10-01, end: 2023-10-16, attacks: 0, range: [0, 2], confidence: H}
      - {start: 2023-11-24, end: 2023-12-01, attacks: 0, range: [0, 2], label: truce, lull: true}
    events:                                # optional: dated record events drawn on the chart
      - {date: 2023-10-26, label: first US strikes}

A period needs ``start``, ``end``, ``attacks`` (the record's count, >= 0) and ``range`` ([low, high]
around it: the counts the record accepts); ``confidence`` (H/M/L), ``label`` (a short name), ``lull``
(true: a truce or lull, shaded on the chart) and ``note`` are optional. Periods may leave gaps but must
not overlap. Event labels are short (at most :data:`MAX_LABEL` characters). Every mistake is one
:class:`~sim.errors.InputError` line naming the file, the key and what was expected.

:func:`run_hindcast` simulates the scenario and counts, per world and period, the militia attacks *of
the model's own making* (rows of the event table with ``action == "attack"`` by a faction and
``scripted`` false: an attack the timeline scripts is history replayed, not the model's output).
Periods outside the scenario's horizon are skipped. A period is *inside* when the record's count lies
within the simulated 10-90 % band (:data:`INSIDE_BAND`).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from sim.calendar import DAYS_PER_MONTH
from sim.errors import InputError
from sim.yamlio import did_you_mean, read_yaml

if TYPE_CHECKING:  # pandas (and pyarrow with it) is imported where a table is built: bad input is refused without it
    import pandas as pd

RECORD_KEYS = ("name", "scenario", "description", "sources", "periods", "events")
PERIOD_KEYS = ("start", "end", "attacks", "range", "confidence", "label", "lull", "note")
EVENT_KEYS = ("date", "label", "note")
MAX_LABEL = 40
QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
INSIDE_BAND = (0.10, 0.90)
MIN_GAP_DAYS = 7  # a gap between record periods shorter than this is not drawn
CHUNK_WORLDS = 1000  # worlds simulated at once (large chunks are fast per world; events of a chunk ~ 30 MB)


# --------------------------------------------------------------------------------------------------
# The record file


@dataclass(frozen=True)
class RecordPeriod:
    """One period of the record: inclusive dates, the record's attack count and its accepted range."""

    start: dt.date
    end: dt.date
    attacks: float
    low: float
    high: float
    confidence: str | None = None
    label: str = ""
    lull: bool = False
    note: str = ""

    @property
    def days(self) -> int:
        """Days in the period (inclusive)."""
        return (self.end - self.start).days + 1

    def text(self) -> str:
        """``2023-10-01 to 2023-10-16`` (with the label, if any)."""
        span = f"{self.start} to {self.end}"
        return f"{span} ({self.label})" if self.label else span


@dataclass(frozen=True)
class RecordEvent:
    """A dated event of the record, drawn on the chart as a vertical line with its label."""

    date: dt.date
    label: str
    note: str = ""


@dataclass(frozen=True)
class Record:
    """A record file: attack counts per period and dated events."""

    name: str
    scenarios: tuple[str, ...]
    periods: tuple[RecordPeriod, ...]
    events: tuple[RecordEvent, ...] = ()
    sources: tuple[str, ...] = ()
    description: str = ""
    path: str = ""


def _fail(message: str, file: str, key: str | None = None) -> InputError:
    return InputError(message, file=file, key=key)


def _got(value) -> str:
    text = repr(value) if not isinstance(value, (dt.date, list, dict)) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _unknown_keys(entry: dict, allowed: tuple[str, ...], file: str, where: str) -> None:
    unknown = [k for k in entry if k not in allowed]
    if unknown:
        key = unknown[0]
        shown = f"{where}.{key}" if where else str(key)
        raise _fail(f"unknown key{did_you_mean(str(key), allowed)}; expected some of {', '.join(allowed)}", file, shown)


def _text(value, file: str, key: str, short: bool = False) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"expected text, got {_got(value)}", file, key)
    if short and len(value) > MAX_LABEL:
        raise _fail(f"expected a short label (at most {MAX_LABEL} characters), got {len(value)} characters", file, key)
    return value.strip()


def _date(value, file: str, key: str) -> dt.date:
    if type(value) is not dt.date:  # noqa: E721 - a datetime (date with a time) is not a calendar date
        raise _fail(f"expected a date YYYY-MM-DD, got {_got(value)}", file, key)
    return value


def _number(value, file: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise _fail(f"expected a count of attacks (a number >= 0), got {_got(value)}", file, key)
    return float(value)


def _parse_period(entry, index: int, file: str) -> RecordPeriod:
    where = f"periods[{index}]"
    if not isinstance(entry, dict):
        raise _fail(f"expected a mapping {{start, end, attacks, range}}, got {_got(entry)}", file, where)
    _unknown_keys(entry, PERIOD_KEYS, file, where)
    for key in ("start", "end", "attacks", "range"):
        if key not in entry:
            raise _fail("missing required key (a period needs start, end, attacks and range)", file, f"{where}.{key}")
    start = _date(entry["start"], file, f"{where}.start")
    end = _date(entry["end"], file, f"{where}.end")
    if end < start:
        raise _fail(f"expected an end on or after start {start}, got {end}", file, f"{where}.end")
    attacks = _number(entry["attacks"], file, f"{where}.attacks")
    bounds = entry["range"]
    if not (isinstance(bounds, list) and len(bounds) == 2):
        raise _fail(f"expected [low, high], two counts around attacks, got {_got(bounds)}", file, f"{where}.range")
    low, high = (_number(v, file, f"{where}.range") for v in bounds)
    if not low <= attacks <= high:
        raise _fail(f"expected low <= attacks <= high, got {low:g} <= {attacks:g} <= {high:g}", file, f"{where}.range")
    confidence = entry.get("confidence")
    if confidence is not None and confidence not in ("H", "M", "L"):
        raise _fail(f"expected confidence H, M or L, got {_got(confidence)}", file, f"{where}.confidence")
    label = _text(entry["label"], file, f"{where}.label", short=True) if "label" in entry else ""
    lull = entry.get("lull", False)
    if not isinstance(lull, bool):
        raise _fail(f"expected true or false, got {_got(lull)}", file, f"{where}.lull")
    note = _text(entry["note"], file, f"{where}.note") if "note" in entry else ""
    return RecordPeriod(start, end, attacks, low, high, confidence, label, lull, note)


def _parse_event(entry, index: int, file: str) -> RecordEvent:
    where = f"events[{index}]"
    if not isinstance(entry, dict):
        raise _fail(f"expected a mapping {{date, label}}, got {_got(entry)}", file, where)
    _unknown_keys(entry, EVENT_KEYS, file, where)
    for key in ("date", "label"):
        if key not in entry:
            raise _fail("missing required key (an event needs date and label)", file, f"{where}.{key}")
    note = _text(entry["note"], file, f"{where}.note") if "note" in entry else ""
    return RecordEvent(_date(entry["date"], file, f"{where}.date"), _text(entry["label"], file, f"{where}.label", True),
                       note)


def load_record(path: str | Path) -> Record:
    """Read and check a record file (see the module docstring for the format).

    Raises:
        InputError: one line naming the file, the key and what was expected.
    """
    path = Path(path)
    file = str(path)
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise _fail("expected a mapping with a 'periods:' list of {start, end, attacks, range} "
                    "(and optional name, scenario, sources, events)", file)
    if "targets" in data and "periods" not in data:
        raise _fail("this is a calibration targets file (escalation calibrate); expected a record file with a "
                    "'periods:' list of {start, end, attacks, range}", file, "targets")
    _unknown_keys(data, RECORD_KEYS, file, "")
    name = _text(data["name"], file, "name") if "name" in data else path.stem
    raw = data.get("scenario")
    if raw is None:
        scenarios: tuple[str, ...] = ()
    elif isinstance(raw, str):
        scenarios = (_text(raw, file, "scenario"),)
    elif isinstance(raw, list) and raw:
        scenarios = tuple(_text(s, file, f"scenario[{i}]") for i, s in enumerate(raw))
    else:
        raise _fail(f"expected a scenario name or a list of them, got {_got(raw)}", file, "scenario")
    sources = data.get("sources", [])
    if isinstance(sources, str):
        sources = [sources]
    if not isinstance(sources, list):
        raise _fail(f"expected a list of text, got {_got(sources)}", file, "sources")
    sources = tuple(_text(s, file, f"sources[{i}]") for i, s in enumerate(sources))
    description = _text(data["description"], file, "description") if "description" in data else ""
    periods_raw = data.get("periods")
    if not isinstance(periods_raw, list) or not periods_raw:
        raise _fail("expected a non-empty list of periods {start, end, attacks, range}", file, "periods")
    periods = [_parse_period(entry, i, file) for i, entry in enumerate(periods_raw)]
    order = sorted(range(len(periods)), key=lambda i: periods[i].start)
    for before, after in zip(order, order[1:]):
        if periods[after].start <= periods[before].end:
            raise _fail(f"overlaps periods[{before}] ({periods[before].start} to {periods[before].end}); expected "
                        "periods that do not overlap", file, f"periods[{after}].start")
    events_raw = data.get("events", [])
    if events_raw is None:
        events_raw = []
    if not isinstance(events_raw, list):
        raise _fail(f"expected a list of events {{date, label}}, got {_got(events_raw)}", file, "events")
    events = sorted((_parse_event(entry, i, file) for i, entry in enumerate(events_raw)), key=lambda e: e.date)
    return Record(name, scenarios, tuple(periods[i] for i in order), tuple(events), sources, description, file)


def shipped_records() -> list[Path]:
    """The record files shipped in ``scenarios/targets`` (``record_*.yaml``)."""
    folder = Path(str(resources.files("scenarios.targets")))
    return sorted(folder.glob("record_*.yaml"))


def default_record_path(scenario: str) -> Path:
    """The shipped record file whose ``scenario:`` names the scenario.

    Raises:
        InputError: no shipped record names it (the message lists the records and their scenarios).
    """
    listed = []
    for path in shipped_records():
        record = load_record(path)
        if scenario in record.scenarios:
            return path
        listed.append(f"{path.name} ({', '.join(record.scenarios) or 'no scenario'})")
    shipped = f"; shipped records: {'; '.join(listed)}" if listed else ""
    raise InputError(f"no record file names scenario {scenario!r}; expected --targets FILE, a record of attack counts "
                     f"per period{shipped}", key="--targets")


# --------------------------------------------------------------------------------------------------
# Periods on the scenario's horizon


@dataclass(frozen=True)
class Bin:
    """A stretch of the horizon drawn on the chart: a record period, or a month the record leaves open."""

    start: dt.date
    end: dt.date
    first: int  # day index of start
    last: int  # day index of end
    period: RecordPeriod | None = None

    @property
    def days(self) -> int:
        return self.last - self.first + 1

    @property
    def months(self) -> float:
        return self.days / DAYS_PER_MONTH


def layout(record: Record, start_date: dt.date, days: int) -> tuple[list[Bin], list[RecordPeriod]]:
    """The record periods inside the horizon and, in the gaps between them, calendar months (without record).

    Returns:
        (bins in date order, record periods skipped because they do not lie wholly inside the horizon).
    """
    horizon_end = start_date + dt.timedelta(days=days - 1)
    inside = [p for p in record.periods if p.start >= start_date and p.end <= horizon_end]
    skipped = [p for p in record.periods if p not in inside]
    bins = [Bin(p.start, p.end, (p.start - start_date).days, (p.end - start_date).days, p) for p in inside]
    covered = np.zeros(days, dtype=bool)
    for b in bins:
        covered[b.first:b.last + 1] = True
    day = 0
    while day < days:
        if covered[day]:
            day += 1
            continue
        date = start_date + dt.timedelta(days=day)
        month_end = (date.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        last = min((month_end - start_date).days, days - 1)
        stop = np.flatnonzero(covered[day:last + 1])
        if stop.size:
            last = day + int(stop[0]) - 1
        if last - day + 1 >= MIN_GAP_DAYS:
            bins.append(Bin(date, start_date + dt.timedelta(days=last), day, last))
        day = last + 1
    return sorted(bins, key=lambda b: b.first), skipped


def attack_counts(events: pd.DataFrame, factions: list[str], bins: list[Bin], world_ids: np.ndarray,
                  by_faction: bool = False) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Militia attacks per world and bin from an event table.

    Args:
        events: the event table (``world``, ``day``, ``actor``, ``action``, ``scripted``).
        factions: the scenario's faction keys (attacks by other actors do not count).
        bins: the bins (day ranges) to count in.
        world_ids: the worlds, in the order of the result's rows (worlds without events count zero).
        by_faction: also count per faction.

    Returns:
        (model-made attacks, worlds x bins; scripted attacks, worlds x bins; {faction: worlds x bins}).
    """
    n_days = max((b.last for b in bins), default=-1) + 1
    day_bin = np.full(max(n_days, 1), -1, dtype=np.int64)
    for index, b in enumerate(bins):
        day_bin[b.first:b.last + 1] = index
    shape = (len(world_ids), len(bins))
    attacks = events[(events["action"] == "attack") & events["actor"].isin(factions)]
    day = attacks["day"].to_numpy(np.int64)
    keep = (day >= 0) & (day < n_days)
    attacks, day = attacks[keep], day[keep]
    column = day_bin[day]
    import pandas as pd

    row = pd.Index(np.asarray(world_ids)).get_indexer(attacks["world"].to_numpy())
    ok = (column >= 0) & (row >= 0)
    scripted = attacks["scripted"].to_numpy(bool)
    own, replayed = np.zeros(shape, np.int64), np.zeros(shape, np.int64)
    np.add.at(own, (row[ok & ~scripted], column[ok & ~scripted]), 1)
    np.add.at(replayed, (row[ok & scripted], column[ok & scripted]), 1)
    per_faction: dict[str, np.ndarray] = {}
    if by_faction:
        actor = attacks["actor"].astype(str).to_numpy()
        for faction in factions:
            matrix = np.zeros(shape, np.int64)
            pick = ok & ~scripted & (actor == faction)
            np.add.at(matrix, (row[pick], column[pick]), 1)
            per_faction[faction] = matrix
    return own, replayed, per_faction


def band(counts: np.ndarray) -> dict[float, np.ndarray]:
    """Per bin (column): quantiles :data:`QUANTILES` of the counts over worlds (observed values) and the mean."""
    if counts.shape[0] == 0:
        nan = np.full(counts.shape[1], np.nan)
        return {**{q: nan for q in QUANTILES}, "mean": nan}
    out = {q: np.quantile(counts, q, axis=0, method="inverted_cdf").astype(float) for q in QUANTILES}
    out["mean"] = counts.mean(axis=0)
    return out


def inside(value: float, lower: float, upper: float) -> bool:
    """Whether the record's count lies within the simulated band [lower, upper] (ends included)."""
    return bool(lower <= value <= upper)


def verdict(period: RecordPeriod, lower: float, upper: float) -> str:
    """``yes`` (count inside the band), ``no (range overlaps)`` (the record's range meets it) or ``NO``."""
    if inside(period.attacks, lower, upper):
        return "yes"
    if period.low <= upper and lower <= period.high:
        return "no (range overlaps)"
    return "NO"


# --------------------------------------------------------------------------------------------------
# Running a hindcast


@dataclass
class Hindcast:
    """A scenario's simulated attacks per bin, and the record they are compared with."""

    scenario: str
    title: str
    start_date: dt.date
    days: int
    record: Record
    bins: list[Bin]
    skipped: list[RecordPeriod]
    counts: np.ndarray  # worlds x bins, model-made attacks
    scripted: np.ndarray  # worlds x bins, scripted (timeline) attacks, not counted
    factions: dict[str, np.ndarray] = field(default_factory=dict)
    faction_names: dict[str, str] = field(default_factory=dict)
    seed: int | None = None

    @property
    def n_worlds(self) -> int:
        return int(self.counts.shape[0])

    @property
    def horizon_end(self) -> dt.date:
        return self.start_date + dt.timedelta(days=self.days - 1)

    @property
    def events(self) -> list[RecordEvent]:
        """Record events inside the horizon."""
        return [e for e in self.record.events if self.start_date <= e.date <= self.horizon_end]

    def record_bins(self) -> list[int]:
        return [i for i, b in enumerate(self.bins) if b.period is not None]

    def table(self) -> pd.DataFrame:
        """One row per record period inside the horizon: the record, the simulated quantiles, inside or not."""
        q = band(self.counts)
        rows = []
        low_q, high_q = INSIDE_BAND
        for i in self.record_bins():
            b, p = self.bins[i], self.bins[i].period
            rows.append({
                "start": p.start, "end": p.end, "days": p.days, "label": p.label, "lull": p.lull,
                "record": p.attacks, "record_low": p.low, "record_high": p.high, "confidence": p.confidence or "",
                "sim_median": q[0.50][i], "sim_q10": q[low_q][i], "sim_q90": q[high_q][i],
                "sim_q05": q[0.05][i], "sim_q25": q[0.25][i], "sim_q75": q[0.75][i], "sim_q95": q[0.95][i],
                "sim_mean": q["mean"][i], "scripted_excluded_per_world": float(self.scripted[:, i].mean())
                if self.n_worlds else 0.0,
                "inside": inside(p.attacks, q[low_q][i], q[high_q][i]),
                "verdict": verdict(p, q[low_q][i], q[high_q][i]),
            })
        import pandas as pd

        return pd.DataFrame(rows)

    def faction_table(self) -> pd.DataFrame:
        """Long table: per record period and faction, the simulated median and 10-90 % band."""
        rows = []
        for faction, counts in self.factions.items():
            q = band(counts)
            for i in self.record_bins():
                p = self.bins[i].period
                rows.append({"start": p.start, "end": p.end, "faction": faction, "sim_median": q[0.50][i],
                             "sim_q10": q[INSIDE_BAND[0]][i], "sim_q90": q[INSIDE_BAND[1]][i],
                             "sim_mean": q["mean"][i]})
        import pandas as pd

        return pd.DataFrame(rows)

    def text(self) -> str:
        """The printed table, ending with ``N of M periods inside``."""
        table = self.table()
        seed = f", seed {self.seed}" if self.seed is not None else ""
        lines = [f"Hindcast of {self.scenario} ({self.start_date} to {self.horizon_end}) against {self.record.name} "
                 f"({_shown_path(self.record.path)}): {self.n_worlds:,} worlds{seed}",
                 "Counted: militia attacks of the model's own making; attacks the scenario's timeline scripts are "
                 "excluded" + _scripted_note(table) + "."]
        if self.skipped:
            lines.append(f"Skipped {len(self.skipped)} record period(s) not wholly inside the horizon: "
                         + "; ".join(p.text() for p in self.skipped) + ".")
        head = ("period", "record [range]", "simulated median [10-90%]", "inside")
        body = []
        for row in table.itertuples():
            period = f"{row.start} to {row.end}" + (f" {row.label}" if row.label else "")
            record = f"{_num(row.record)} [{_num(row.record_low)}, {_num(row.record_high)}]" + (
                f" {row.confidence}" if row.confidence else "")
            simulated = f"{_num(row.sim_median)} [{_num(row.sim_q10)}, {_num(row.sim_q90)}]"
            body.append((period, record, simulated, row.verdict))
        widths = [max(len(r[c]) for r in [head, *body]) for c in range(4)]
        lines.append("")
        lines.append(" | ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip())
        lines.append("-+-".join("-" * w for w in widths))
        lines.extend(" | ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in body)
        lines.append("")
        lines.append(f"{int(table['inside'].sum()) if len(table) else 0} of {len(table)} periods inside "
                     "(the record's count within the simulated 10-90% band of attacks per period).")
        if self.factions:
            lines.append("")
            lines.append("By faction (simulated median [10-90%], model-made attacks per period):")
            ft = self.faction_table()
            names = list(self.factions)
            heads = ["period", *[self.faction_names.get(f, f) for f in names]]
            cells = []
            for i in self.record_bins():
                p = self.bins[i].period
                part = ft[(ft["start"] == p.start)]
                cells.append([f"{p.start} to {p.end}", *[
                    "{} [{}, {}]".format(*(_num(v) for v in part[part["faction"] == f][
                        ["sim_median", "sim_q10", "sim_q90"]].iloc[0])) for f in names]])
            widths = [max(len(r[c]) for r in [heads, *cells]) for c in range(len(heads))]
            lines.append(" | ".join(h.ljust(w) for h, w in zip(heads, widths)).rstrip())
            lines.append("-+-".join("-" * w for w in widths))
            lines.extend(" | ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells)
        return "\n".join(lines)


def _shown_path(path: str) -> str:
    """A path relative to the working directory when it lies below it (as a user would type it)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return path


def _scripted_note(table: pd.DataFrame) -> str:
    if table.empty:
        return ""
    total = float(table["scripted_excluded_per_world"].sum())
    if total == 0:
        return " (none fall in the compared periods)"
    return f" ({_num(total)} per world in the compared periods; a record's counts may include them)"


def _num(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "nan"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _check_overlap(record: Record, scenario_name: str, start_date: dt.date, days: int, bins: list[Bin]) -> None:
    if not any(b.period is not None for b in bins):
        end = start_date + dt.timedelta(days=days - 1)
        spans = f"{record.periods[0].start} to {record.periods[-1].end}"
        raise InputError(f"no period of the record ({spans}) lies wholly inside the horizon of scenario "
                         f"{scenario_name} ({start_date} to {end}); expected a record of this scenario's dates",
                         file=record.path)


def hindcast_from_events(scenario, record: Record, events: pd.DataFrame, world_ids, days: int | None = None,
                         by_faction: bool = False, seed: int | None = None) -> Hindcast:
    """A hindcast from an event table already simulated (e.g. a stored batch with ``--events``).

    Args:
        scenario: the Scenario simulated (its start date, factions and name are used).
        record: the record to compare with.
        events: the event table of the worlds.
        world_ids: the worlds' ids (those without any event count zero attacks).
        days: the horizon simulated (default the scenario's).
        by_faction: also count per faction.
    """
    days = int(days or scenario.days)
    bins, skipped = layout(record, scenario.start_date, days)
    _check_overlap(record, scenario.name, scenario.start_date, days, bins)
    factions = list(scenario.faction_keys)
    own, replayed, per_faction = attack_counts(events, factions, bins, np.asarray(world_ids), by_faction)
    return Hindcast(scenario.name, scenario.title or scenario.name, scenario.start_date, days, record, bins, skipped,
                    own, replayed, per_faction, _faction_names(scenario), seed)


def _faction_names(scenario) -> dict[str, str]:
    return {key: getattr(faction, "name", None) or key for key, faction in scenario.militias.items()}


def run_hindcast(scenario, record: Record, worlds: int = 1000, seed: int = 0, by_faction: bool = False,
                 progress: Callable[[int], None] | None = None, chunk: int = CHUNK_WORLDS) -> Hindcast:
    """Simulate ``worlds`` worlds of the scenario (seeded as ``escalation batch``) and count attacks per bin.

    Args:
        scenario: a Scenario, or the name or path of one.
        record: the record (:func:`load_record`).
        worlds: worlds to simulate (world k's seed is ``derive_seeds(seed, k)``, as in a batch).
        seed: master seed.
        by_faction: also count per faction.
        progress: called with the number of worlds finished after each chunk.
        chunk: worlds simulated at once.

    Raises:
        InputError: no record period lies inside the scenario's horizon, or fewer than one world.
    """
    from sim import seeds as keyed
    from sim.runner import simulate
    from sim.scenario import Scenario, load_scenario

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if worlds < 1:
        raise InputError(f"expected at least one world, got {worlds}", key="--worlds")
    bins, skipped = layout(record, scenario.start_date, scenario.days)
    _check_overlap(record, scenario.name, scenario.start_date, scenario.days, bins)
    factions = list(scenario.faction_keys)
    shape = (worlds, len(bins))
    own, replayed = np.zeros(shape, np.int64), np.zeros(shape, np.int64)
    per_faction = {f: np.zeros(shape, np.int64) for f in factions} if by_faction else {}
    seeds = keyed.derive_seeds(seed, np.arange(worlds))
    for first in range(0, worlds, chunk):
        ids = np.arange(first, min(first + chunk, worlds))
        result = simulate(scenario, world_seeds=seeds[ids], world_ids=ids, collect_series=False)
        columns = ["world", "day", "actor", "action", "scripted"]
        a, r, f = attack_counts(result.events[columns], factions, bins, ids, by_faction)
        own[ids], replayed[ids] = a, r
        for key, matrix in f.items():
            per_faction[key][ids] = matrix
        del result
        if progress is not None:
            progress(len(ids))
    return Hindcast(scenario.name, scenario.title or scenario.name, scenario.start_date, scenario.days, record, bins,
                    skipped, own, replayed, per_faction, _faction_names(scenario), seed)
