"""Column buffers for the three tables a run yields: events, daily series and outcomes."""

from __future__ import annotations

import numpy as np
import pandas as pd

EVENT_STRING_COLUMNS = ("actor", "action", "target", "weapon", "claimed_by", "attributed_to", "location")
EVENT_COLUMNS = (
    "world", "day", "actor", "action", "target", "rung", "weapon", "killed", "wounded",
    "claimed_by", "intended", "perceived", "attributed_to", "location", "scripted",
)
SERIES_COLUMNS = (
    "level", "level_30d", "escalation_score", "attacks", "us_killed", "us_wounded", "militia_killed",
    "hostility_militias_us", "hostility_us_militias", "hostility_iran_us", "hostility_us_iran",
    "leash_strength", "us_pressure", "sovereignty_pressure", "iran_posture", "us_force_level",
)
INTEGER_SERIES = {"level", "level_30d", "attacks", "us_killed", "us_wounded", "militia_killed", "iran_posture"}


class Vocabulary:
    """Strings of the event table stored as small integer codes (the first code is the empty string)."""

    def __init__(self):
        self.names: list[str] = [""]
        self.codes: dict[str, int] = {"": 0}

    def code(self, name: str) -> int:
        """The code of a name, adding it if new."""
        code = self.codes.get(name)
        if code is None:
            code = self.codes[name] = len(self.names)
            self.names.append(name)
        return code

    def encode(self, value, size: int) -> np.ndarray:
        """Codes for a scalar string, an array of strings or an array of codes."""
        if isinstance(value, str):
            return np.full(size, self.code(value), dtype=np.int32)
        value = np.asarray(value)
        if value.dtype == object or value.dtype.kind == "U":
            return np.array([self.code(str(v)) for v in value], dtype=np.int32)
        return value.astype(np.int32)


class EventLog:
    """Append-only column buffers of event records, one chunk per call."""

    def __init__(self, vocabulary: Vocabulary, enabled: bool = True):
        self.vocabulary = vocabulary
        self.enabled = enabled
        self.chunks: dict[str, list[np.ndarray]] = {name: [] for name in EVENT_COLUMNS}

    def append(self, world_ids: np.ndarray, day: int, **columns) -> None:
        """Append one chunk: ``world_ids`` rows of the given day; other columns scalar or per row."""
        if not self.enabled:
            return
        size = world_ids.size
        self.chunks["world"].append(world_ids)
        self.chunks["day"].append(np.full(size, day, dtype=np.int32))
        for name in EVENT_COLUMNS[2:]:
            value = columns[name]
            if name in EVENT_STRING_COLUMNS:
                self.chunks[name].append(self.vocabulary.encode(value, size))
            elif name == "scripted":
                self.chunks[name].append(np.full(size, bool(value)))
            else:
                self.chunks[name].append(np.broadcast_to(np.asarray(value), (size,)).astype(
                    np.int8 if name in ("rung", "intended", "perceived") else np.int32))

    def frame(self) -> pd.DataFrame:
        """The events as a DataFrame ordered by world, then day, then the order they happened in."""
        categories = pd.Index(self.vocabulary.names, dtype=object)
        data = {}
        for name in EVENT_COLUMNS:
            chunks = self.chunks[name]
            if name == "world":
                values = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
                data[name] = values.astype(np.int64)
            elif name in EVENT_STRING_COLUMNS:
                codes = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int32)
                data[name] = pd.Categorical.from_codes(codes, categories=categories)
            elif name == "scripted":
                data[name] = np.concatenate(chunks) if chunks else np.zeros(0, dtype=bool)
            else:
                dtype = np.int8 if name in ("rung", "intended", "perceived") else np.int32
                data[name] = np.concatenate(chunks).astype(dtype) if chunks else np.zeros(0, dtype=dtype)
        frame = pd.DataFrame(data, copy=False)
        order = np.lexsort((np.arange(len(frame)), frame["day"].to_numpy(), frame["world"].to_numpy()))
        return frame.iloc[order].reset_index(drop=True)


class SeriesBuffer:
    """Preallocated (worlds x days) arrays of the daily series (world-major, so the long table is a view)."""

    def __init__(self, days: int, n_worlds: int, enabled: bool = True):
        self.enabled = enabled
        self.days_written = 0
        shape = (n_worlds, days) if enabled else (n_worlds, 0)
        self.columns = {
            name: np.zeros(shape, dtype=np.int32 if name in INTEGER_SERIES else np.float32) for name in SERIES_COLUMNS
        }

    def write(self, day: int, values: dict[str, np.ndarray]) -> None:
        """Store one day's values."""
        if not self.enabled:
            return
        for name, column in self.columns.items():
            column[:, day] = values[name]
        self.days_written = day + 1

    def frame(self, world_ids: np.ndarray) -> pd.DataFrame:
        """The series as a long DataFrame: one row per world and day, ordered by world then day."""
        days = self.days_written
        n_worlds = world_ids.size
        data = {
            "world": np.repeat(world_ids.astype(np.int64), days),
            "day": np.tile(np.arange(days, dtype=np.int32), n_worlds),
        }
        for name, column in self.columns.items():
            data[name] = column[:, :days].reshape(-1)
        return pd.DataFrame(data, copy=False)
