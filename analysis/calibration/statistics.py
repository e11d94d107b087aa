"""The named statistics shared by calibration and facts: measures of simulated worlds, with 95 % intervals.

Each statistic in :data:`STATISTICS` measures one quantity of the public record in a batch of simulated
worlds (:class:`Worlds`) as per-world numerators and denominators, so the value (the pooled ratio), its
bootstrap interval over worlds, and its value per group of worlds (one group per candidate parameter
vector in a calibration batch) all come from one pass. Calibration targets
(:mod:`analysis.calibration.targets`) name a statistic; the stylized facts
(:mod:`analysis.calibration.facts`) reuse them. :func:`measure` measures targets with their intervals.

The module is one catalogue (a little over 400 lines): the worlds' arrays, the statistics that read them
and the table naming them are kept together so that a statistic and its name cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Literal

import numpy as np

from analysis.stats.intervals import proportion_interval, ratio_interval
from sim.calendar import DAYS_PER_MONTH
from sim.errors import InputError

if TYPE_CHECKING:  # pandas (and pyarrow with it) is imported where a table is built: bad input is refused without it
    import pandas as pd

    from analysis.calibration.targets import Target
    from sim.scenario import Scenario

RESPONSE_WINDOW = 10  # days: "lag 0-10 days" ([PressReports], P(US kinetic response | Americans killed))
COUNTER_WINDOW = 3  # days: militia counter-retaliation "within 1-3 days" ([PressReports])
US_KINETIC = ("strike_militia", "leader_killing", "direct_strike")


# --------------------------------------------------------------------------------------------------
# Worlds as arrays


@dataclass
class Worlds:
    """A batch of simulated worlds as arrays the statistics read (events of the model's own making).

    Attributes:
        scenario: the scenario simulated.
        n_worlds: worlds in the batch (``world`` ids are 0..n-1).
        days: horizon simulated.
        events: the event table; ``scripted`` marks what the timeline did (history, not a decision).
        outcomes: the outcomes table.
    """

    scenario: Scenario
    n_worlds: int
    days: int
    events: pd.DataFrame
    outcomes: pd.DataFrame
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_run(cls, scenario: Scenario, result, days: int) -> "Worlds":
        """Wrap a RunResult whose ``world`` ids are 0..n-1."""
        import pandas as pd

        events = result.events
        compact = pd.DataFrame({
            "world": events["world"].to_numpy(np.int64),
            "day": events["day"].to_numpy(np.int64),
            "actor": events["actor"].astype(str).to_numpy(),
            "action": events["action"].astype(str).to_numpy(),
            "target": events["target"].astype(str).to_numpy(),
            "killed": events["killed"].to_numpy(np.int64),
            "wounded": events["wounded"].to_numpy(np.int64),
            "rung": events["rung"].to_numpy(np.int64),
            "intended": events["intended"].to_numpy(np.int64),
            "weapon": events["weapon"].astype(str).to_numpy(),
            "attributed_to": events["attributed_to"].astype(str).to_numpy(),
            "scripted": events["scripted"].to_numpy(bool),
        })
        return cls(scenario, len(result.outcomes), days, compact, result.outcomes)

    def day_of(self, date: dt.date | None, default: int) -> int:
        """Day index of a date (or the default when None)."""
        return default if date is None else (date - self.scenario.start_date).days

    def window(self, target: Target) -> tuple[int, int]:
        """First and last day of a target's period inside the horizon.

        Raises:
            InputError: the period lies outside the simulated horizon.
        """
        first = max(self.day_of(target.start, 0), 0)
        last = min(self.day_of(target.end, self.days - 1), self.days - 1)
        if last < first:
            raise InputError(f"period {target.period_text()} lies outside the simulated horizon of scenario "
                             f"{self.scenario.name} ({self.scenario.start_date}, {self.days} days)", key=target.name)
        return first, last

    def select(self, key: str) -> pd.DataFrame:
        """Named event subsets, cached: militia ``attacks`` and US ``kinetic`` actions, model-made or all."""
        if key not in self._cache:
            e = self.events
            militia = set(self.scenario.faction_keys)
            if key == "attacks":
                rows = e[(e["action"] == "attack") & e["actor"].isin(militia)]
            elif key == "kinetic":
                rows = e[(e["actor"] == "united_states") & e["action"].isin(US_KINETIC)]
            elif key == "iran_strikes":
                rows = e[(e["actor"] == "iran") & (e["action"] == "direct_strike")]
            else:
                raise KeyError(key)
            self._cache[key] = rows
        return self._cache[key]

    def daily(self, rows: pd.DataFrame, values: np.ndarray | None = None, how: str = "count") -> np.ndarray:
        """A (worlds, days) matrix of a count (or max of values) of the rows per world and day."""
        matrix = np.zeros((self.n_worlds, self.days), dtype=np.int64 if how == "count" else float)
        world = rows["world"].to_numpy()
        day = rows["day"].to_numpy()
        if how == "count":
            np.add.at(matrix, (world, day), 1)
        else:
            matrix[:] = -1
            np.maximum.at(matrix, (world, day), values)
        return matrix


# --------------------------------------------------------------------------------------------------
# Statistics: each returns per-world (numerator, denominator) over a target's period


@dataclass(frozen=True)
class Statistic:
    """A named statistic of simulated worlds.

    Attributes:
        name: key in :data:`STATISTICS`.
        meaning: what it measures, in one line.
        kind: ``ratio`` (pooled ratio over worlds, bootstrap interval) or ``share_of_worlds`` (exact binomial).
        unit: unit of the value.
        compute: ``(worlds, first_day, last_day) -> (numerator, denominator)`` arrays over worlds.
    """

    name: str
    meaning: str
    kind: Literal["ratio", "share_of_worlds"]
    unit: str
    compute: Callable[[Worlds, int, int], tuple[np.ndarray, np.ndarray]]


def within(rows: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    """The rows whose day lies in [first, last]."""
    return rows[(rows["day"] >= first) & (rows["day"] <= last)]


def per_world(worlds: Worlds, rows: pd.DataFrame, weights=None) -> np.ndarray:
    """Per world: the number of rows (or the sum of their ``weights``), as floats."""
    return np.bincount(rows["world"].to_numpy(), weights=weights, minlength=worlds.n_worlds).astype(float)


def attacks_per_month(worlds: Worlds, first: int, last: int):
    """Militia attacks of any kind (rungs 1-3, scripted ones included) per month of the period."""
    rows = within(worlds.select("attacks"), first, last)
    months = (last - first + 1) / DAYS_PER_MONTH
    return per_world(worlds, rows), np.full(worlds.n_worlds, months)


def _attack_share(condition: Callable[[pd.DataFrame], np.ndarray]):
    def compute(worlds: Worlds, first: int, last: int):
        rows = within(worlds.select("attacks"), first, last)
        return per_world(worlds, rows, condition(rows)), per_world(worlds, rows)
    return compute


def _severity_matrices(worlds: Worlds):
    """Per world and day: the worst model-made attack (-1 none, 0 no casualties, 1 wounded, 2 killed), and
    US kinetic actions attributed to a severity class (the worst model-made attack in the 10 days before)."""
    if "severity" in worlds._cache:
        return worlds._cache["severity"]
    attacks = worlds.select("attacks")
    attacks = attacks[~attacks["scripted"]]
    severity = np.where(attacks["killed"] > 0, 2, np.where(attacks["wounded"] > 0, 1, 0)).astype(float)
    worst = worlds.daily(attacks, severity, how="max")
    kinetic_rows = worlds.select("kinetic")
    kinetic = worlds.daily(kinetic_rows[~kinetic_rows["scripted"]]) > 0
    trigger = worst.copy()
    for shift in range(1, RESPONSE_WINDOW + 1):
        trigger[:, shift:] = np.maximum(trigger[:, shift:], worst[:, :-shift])
    answered = {}
    for level in (0, 1, 2):
        strikes = kinetic & (trigger == level) if level < 2 else kinetic & (trigger >= 2)
        ahead = strikes.copy()
        for shift in range(1, RESPONSE_WINDOW + 1):
            ahead[:, :-shift] |= strikes[:, shift:]
        answered[level] = ahead
    next_kinetic = np.full(kinetic.shape, 10**6, dtype=np.int64)
    upcoming = np.full(worlds.n_worlds, 10**6, dtype=np.int64)
    for day in range(worlds.days - 1, -1, -1):
        upcoming = np.where(kinetic[:, day], day, upcoming)
        next_kinetic[:, day] = upcoming
    worlds._cache["severity"] = (attacks, severity, answered, next_kinetic)
    return worlds._cache["severity"]


def _response_share(level: int):
    def compute(worlds: Worlds, first: int, last: int):
        attacks, severity, answered, _ = _severity_matrices(worlds)
        keep = (severity == level) & (attacks["day"].to_numpy() >= first) & (attacks["day"].to_numpy() <= last)
        rows = attacks[keep]
        hit = answered[level][rows["world"].to_numpy(), rows["day"].to_numpy()]
        return per_world(worlds, rows, hit.astype(float)), per_world(worlds, rows)
    return compute


def response_lag_if_killed(worlds: Worlds, first: int, last: int):
    """Mean days from a model-made deadly attack to the next US kinetic action, among those answered in 10 days."""
    attacks, severity, _, next_kinetic = _severity_matrices(worlds)
    days = attacks["day"].to_numpy()
    rows = attacks[(severity == 2) & (days >= first) & (days <= last)]
    lag = next_kinetic[rows["world"].to_numpy(), rows["day"].to_numpy()] - rows["day"].to_numpy()
    answered = lag <= RESPONSE_WINDOW
    return (per_world(worlds, rows[answered], lag[answered].astype(float)), per_world(worlds, rows[answered]))


def strike_rounds_per_attack(worlds: Worlds, first: int, last: int):
    """US kinetic rounds of its own decision (strikes on militia sites, leader killings) per militia attack."""
    kinetic = worlds.select("kinetic")
    rounds = within(kinetic[~kinetic["scripted"] & (kinetic["action"] != "direct_strike")], first, last)
    return per_world(worlds, rounds), per_world(worlds, within(worlds.select("attacks"), first, last))


def counter_attack_after_strike(worlds: Worlds, first: int, last: int):
    """Share of US strikes on militia sites followed by a militia attack within 1-3 days."""
    strikes = within(worlds.select("kinetic"), first, last)
    strikes = strikes[strikes["action"] == "strike_militia"]
    attacks = worlds.daily(worlds.select("attacks")) > 0
    padded = np.concatenate([attacks, np.zeros((worlds.n_worlds, COUNTER_WINDOW + 1), dtype=bool)], axis=1)
    w, d = strikes["world"].to_numpy(), strikes["day"].to_numpy()
    followed = np.zeros(len(strikes), dtype=bool)
    for shift in range(1, COUNTER_WINDOW + 1):
        followed |= padded[w, d + shift]
    return per_world(worlds, strikes, followed.astype(float)), per_world(worlds, strikes)


def iran_strikes_without_us_dead(worlds: Worlds, first: int, last: int):
    """Share of Iran's direct strikes that kill no American."""
    rows = within(worlds.select("iran_strikes"), first, last)
    return per_world(worlds, rows, (rows["killed"] == 0).to_numpy(float)), per_world(worlds, rows)


def iran_salvo_wounded(worlds: Worlds, first: int, last: int):
    """Mean Americans wounded (brain injuries) per direct Iranian strike."""
    rows = within(worlds.select("iran_strikes"), first, last)
    return per_world(worlds, rows, rows["wounded"].to_numpy(float)), per_world(worlds, rows)


def _worlds_where(condition: Callable[[Worlds, int, int], np.ndarray]):
    def compute(worlds: Worlds, first: int, last: int):
        return condition(worlds, first, last).astype(float), np.ones(worlds.n_worlds)
    return compute


def _first_day(outcomes: pd.DataFrame, column: str) -> np.ndarray:
    return outcomes[column].astype("Int64").fillna(-1).to_numpy(np.int64)


def _us_struck_iran(worlds: Worlds, first: int, last: int) -> np.ndarray:
    kinetic = within(worlds.select("kinetic"), first, last)
    return per_world(worlds, kinetic[kinetic["action"] == "direct_strike"]) > 0


def _us_kills_leader(worlds: Worlds, first: int, last: int) -> np.ndarray:
    kinetic = within(worlds.select("kinetic"), first, last)
    own = kinetic[(kinetic["action"] == "leader_killing") & ~kinetic["scripted"]]
    return per_world(worlds, own) > 0


def _open_war(worlds: Worlds, first: int, last: int) -> np.ndarray:
    day = _first_day(worlds.outcomes, "first_day_rung_7")
    return (day >= first) & (day <= last)


def _iran_answers_commander(worlds: Worlds, first: int, last: int) -> np.ndarray:
    """Iran fires a direct strike within 30 days of the first killing of the Quds Force commander."""
    e = worlds.events
    killings = within(e[(e["action"] == "leader_killing") & (e["target"] == "quds_force")], first, last)
    first_killing = np.full(worlds.n_worlds, -1, dtype=np.int64)
    grouped = killings.groupby("world")["day"].min()
    first_killing[grouped.index.to_numpy()] = grouped.to_numpy()
    strikes = worlds.select("iran_strikes")
    after = strikes["day"].to_numpy() - first_killing[strikes["world"].to_numpy()]
    hit = strikes[(first_killing[strikes["world"].to_numpy()] >= 0) & (after >= 0) & (after <= 30)]
    return per_world(worlds, hit) > 0


STATISTICS: dict[str, Statistic] = {s.name: s for s in (
    Statistic("attacks_per_month", "militia attacks (rungs 1-3) per month of the period", "ratio", "attacks/month",
              attacks_per_month),
    Statistic("share_attacks_killing", "share of militia attacks that kill an American", "ratio", "share",
              _attack_share(lambda rows: (rows["killed"] > 0).to_numpy(float))),
    Statistic("share_attacks_wounding", "share of militia attacks that wound an American", "ratio", "share",
              _attack_share(lambda rows: (rows["wounded"] > 0).to_numpy(float))),
    Statistic("p_response_if_killed", "share of model-made attacks killing Americans followed by a US kinetic "
              "action within 10 days", "ratio", "share", _response_share(2)),
    Statistic("p_response_if_wounded_only", "share of attacks wounding (not killing) Americans followed within 10 "
              "days by a US kinetic action with no deadly attack in the 10 days before it", "ratio", "share",
              _response_share(1)),
    Statistic("p_response_if_no_casualties", "share of attacks without casualties followed within 10 days by a US "
              "kinetic action with no casualty attack in the 10 days before it", "ratio", "share", _response_share(0)),
    Statistic("response_lag_if_killed", "mean days from a deadly attack to the US kinetic answer (answered ones)",
              "ratio", "days", response_lag_if_killed),
    Statistic("strike_rounds_per_attack", "US strike rounds on militias of its own decision per militia attack",
              "ratio", "rounds/attack", strike_rounds_per_attack),
    Statistic("counter_attack_within_3_days", "share of US strikes on militia sites followed by a militia attack "
              "within 1-3 days", "ratio", "share", counter_attack_after_strike),
    Statistic("iran_strikes_without_us_dead", "share of Iran's direct strikes that kill no American", "ratio",
              "share", iran_strikes_without_us_dead),
    Statistic("iran_salvo_wounded", "mean Americans wounded per direct Iranian strike", "ratio", "people",
              iran_salvo_wounded),
    Statistic("p_iran_answers_commander_killing", "share of worlds where Iran strikes directly within 30 days of "
              "the Quds Force commander's killing", "share_of_worlds", "share", _worlds_where(_iran_answers_commander)),
    Statistic("p_us_strikes_iran", "share of worlds where the US strikes Iran", "share_of_worlds", "share",
              _worlds_where(_us_struck_iran)),
    Statistic("p_us_kills_leader", "share of worlds where the US kills a leader of its own decision (not scripted)",
              "share_of_worlds", "share", _worlds_where(_us_kills_leader)),
    Statistic("p_open_war", "share of worlds that reach sustained open war (rung 7)", "share_of_worlds", "share",
              _worlds_where(_open_war)),
)}


# --------------------------------------------------------------------------------------------------
# Measuring targets


@dataclass(frozen=True)
class Measured:
    """A target's statistic measured in simulated worlds, with its 95 % interval."""

    target: Target
    value: float
    lower: float
    upper: float
    count: float

    @property
    def holds(self) -> bool:
        """Whether the simulated value lies in the target's range."""
        return self.target.holds(self.value) if np.isfinite(self.value) else False

    @property
    def interval_overlaps(self) -> bool:
        """Whether the 95 % interval overlaps the target's range."""
        return bool(np.isfinite(self.value) and self.lower <= self.target.high and self.upper >= self.target.low)


def per_world_statistic(worlds: Worlds, target: Target) -> tuple[np.ndarray, np.ndarray]:
    """The (numerator, denominator) arrays over worlds of one target."""
    first, last = worlds.window(target)
    return STATISTICS[target.statistic].compute(worlds, first, last)


def interval(kind: str, numerator: np.ndarray, denominator: np.ndarray, seed: int = 0) -> tuple[float, float, float]:
    """Value and 95 % interval: exact binomial for shares of worlds, bootstrap over worlds for ratios."""
    if kind == "share_of_worlds":
        k, n = float(numerator.sum()), float(denominator.sum())
        lo, hi = proportion_interval(k, n)
        return k / n, float(lo), float(hi)
    return ratio_interval(numerator, denominator, seed=seed)


def measure(worlds: Worlds, targets: list[Target]) -> list[Measured]:
    """Measure each target in the worlds with its 95 % interval."""
    measured = []
    for target in targets:
        numerator, denominator = per_world_statistic(worlds, target)
        value, lower, upper = interval(STATISTICS[target.statistic].kind, numerator, denominator)
        measured.append(Measured(target, value, lower, upper, float(denominator.sum())))
    return measured


def format_measured(rows: list[Measured]) -> list[str]:
    """A fit table: target, period, record (range), simulated value [95 % interval], in range or not."""
    lines = [f"  {'target':<34} {'record':>8} {'range':>15}   {'simulated [95% interval]':<30} {'n':>8}  in range"]
    for row in rows:
        t = row.target
        unit = STATISTICS[t.statistic].unit
        if np.isfinite(row.value):
            sim = f"{_num(row.value)} [{_num(row.lower)}, {_num(row.upper)}]"
            verdict = "yes" if row.holds else ("no (interval overlaps)" if row.interval_overlaps else "NO")
        else:
            sim, verdict = "no events to measure", "n/a"
        lines.append(f"  {t.name:<34} {_num(t.value):>8} {f'[{_num(t.low)}, {_num(t.high)}]':>15}   {sim:<30} "
                     f"{row.count:>8,.0f}  {verdict}   ({t.role}, {t.confidence}; {unit})")
    return lines


def _num(value: float) -> str:
    if not np.isfinite(value):
        return "nan"
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 0.1:
        return f"{value:.2f}"
    return f"{value:.3f}"
