"""The world behind the dashboard: its configuration, its model and the tables its panels show.

:class:`AppConfig` is what ``escalation app`` passes to the page (a scenario to explore, or a stored world
to replay, see :mod:`analysis.dashboard.replay`); :class:`DashboardModel` is an ``EscalationModel`` with
one world, built from flat keyword arguments (:func:`model_args`: the scenario, the seed and the parameter
values by dotted path); :func:`parameter_inputs` gives the page its sliders for the key parameters, with
their units, ranges and explanations from the scenario schema. Nothing here imports Solara or draws.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.dashboard.replay import replay_params
from analysis.report import palette
from analysis.runs.plan import plain_columns
from sim.errors import InputError
from sim.ladder import Rung
from sim.model import EscalationModel
from sim.scenario import Scenario, load_scenario, parameter_paths

CONFIG_ENV = "ESCALATION_APP_CONFIG"

# The key parameters shown as inputs: (dotted path, label, (min, max, step) of the slider or "bool").
# "militias.*.obedience" expands to one slider per faction of the scenario. Slider ranges are clipped
# to the schema's bounds and widened to include the scenario's own value; the unit and the explanation
# shown with each slider are the schema's (``sim.scenario.parameter_paths``).
KEY_PARAMETERS: tuple[tuple[str, str, Any], ...] = (
    ("quds_force.leash_strength", "Quds Force leash strength", (0.0, 1.0, 0.05)),
    ("united_states.hawkishness", "US hawkishness", (-5.0, 5.0, 0.25)),
    ("united_states.strike_threshold", "US strike threshold", (0.0, 20.0, 0.2)),
    ("united_states.war_aversion", "US war aversion", (0.0, 40.0, 1.0)),
    ("context.external_grievance", "External grievance", (0.0, 10.0, 0.5)),
    ("iran.talks_active", "Nuclear talks under way on day 0", "bool"),
    ("militias.*.obedience", "Obedience: {name}", (0.0, 1.0, 0.05)),
)

# ------------------------------------------------------------------------------------------------
# Configuration passed by `escalation app`


@dataclass
class AppConfig:
    """What the page opens: a scenario to explore, or one stored world to replay.

    Args:
        scenario: scenario name or YAML path.
        seed: master seed of the explored world (world 0 of ``escalation run --seed S``).
        replay: for a replay, the stored world: ``results``, ``name``, ``world``, ``world_seed``,
            ``overrides`` (dotted path -> value) and ``days`` (None: the scenario's).
    """

    scenario: str = "baseline"
    seed: int = 0
    replay: dict[str, Any] | None = None

    def to_json(self) -> str:
        """The configuration as JSON (for the environment variable)."""
        return json.dumps({"scenario": self.scenario, "seed": self.seed, "replay": self.replay})

    @classmethod
    def from_env(cls) -> "AppConfig":
        """The configuration set by ``escalation app`` (defaults: the baseline scenario, seed 0)."""
        raw = os.environ.get(CONFIG_ENV)
        if not raw:
            return cls()
        data = json.loads(raw)
        return cls(scenario=data.get("scenario", "baseline"), seed=int(data.get("seed", 0)),
                   replay=data.get("replay"))


# ------------------------------------------------------------------------------------------------
# The model behind the page


def parse_seed(value: Any) -> int:
    """A master seed from a text input: a whole number >= 0.

    Raises:
        InputError: the value is not a whole number >= 0.
    """
    text = str(value).strip().replace("_", "").replace(",", "")
    if not text.isdigit():
        raise InputError(f"expected a whole number >= 0, got {str(value)!r}", key="seed")
    return int(text)


class DashboardModel(EscalationModel):
    """One world of a scenario, built from flat keyword arguments (see :func:`model_args`).

    ``lock`` guards the world while the page's play loop steps it and the panels read it.

    Args:
        scenario: scenario name or YAML path.
        seed: master seed (text or int); the world's seed is ``derive_seeds(seed, 0)``.
        days: horizon (default: the scenario's).
        world_seed: an explicit 64-bit world seed (replay); overrides ``seed``.
        world_id: the id written in the ``world`` column (replay: the stored world's id).
        **kwargs: parameter values by dotted path (e.g. ``quds_force.leash_strength=0.5``).
    """

    def __init__(self, scenario: str | Scenario = "baseline", seed: int | str = 0, days: int | None = None,
                 world_seed: int | None = None, world_id: int = 0, **kwargs):
        try:
            self.master_seed = parse_seed(seed)
            self.note = ""
        except InputError as error:
            self.master_seed, self.note = 0, f"{error.one_line()}; using seed 0"
        self.world_seed = world_seed
        self.lock = threading.RLock()
        self.parameter_values = {path: _plain(value) for path, value in kwargs.items()}
        super().__init__(
            scenario, n_worlds=1, seed=self.master_seed, days=days,
            world_seeds=None if world_seed is None else np.array([int(world_seed)], dtype=np.uint64),
            world_ids=np.array([int(world_id)], dtype=np.int64), overrides=self.parameter_values,
        )


def _plain(value: Any) -> float | bool:
    """A JSON- and slider-friendly scalar."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    return float(value)


def key_parameters(scenario: Scenario) -> list[tuple[str, str, Any]]:
    """The key parameters of a scenario: (dotted path, label, range or "bool"), factions expanded."""
    expanded = []
    for path, label, spec in KEY_PARAMETERS:
        if "*" in path:
            for key, faction in scenario.militias.items():
                expanded.append((path.replace("*", key), label.format(name=faction.name), spec))
        else:
            expanded.append((path, label, spec))
    return expanded


@dataclass(frozen=True)
class ParameterInput:
    """One input of the page: a slider (``kind="float"``) or a checkbox (``kind="bool"``) for a dotted path.

    ``value`` is the scenario's own value; ``min``/``max``/``step`` the slider's range and grid (the
    scenario's value lies on it); ``unit`` and ``doc`` are the schema's, and ``lo``/``hi`` the values the
    schema allows (None where open).
    """

    path: str
    label: str
    kind: str
    value: float | bool
    min: float = 0.0
    max: float = 1.0
    step: float = 1.0
    unit: str = ""
    doc: str = ""
    lo: float | None = None
    hi: float | None = None

    @property
    def decimals(self) -> int:
        """Decimal places the slider's values are shown with (those of its step)."""
        return _decimals(self.step)

    def show(self, value: Any) -> str:
        """A value as the page shows it, with its unit: ``"0.80 share"``, ``"on"``."""
        if self.kind == "bool":
            return "on" if value else "off"
        return f"{float(value):.{self.decimals}f}" + (f" {self.unit}" if self.unit else "")

    def show_range(self) -> str:
        """The slider's range with the unit: ``"0 to 1 share"``."""
        if self.kind == "bool":
            return "off or on"
        unit = f" {self.unit}" if self.unit else ""
        return f"{_format(self.min)} to {_format(self.max)}{unit}"


def parameter_inputs(scenario: Scenario | str) -> list[ParameterInput]:
    """The page's inputs for the key parameters of a scenario, at the scenario's values."""
    scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    infos = parameter_paths(scenario)
    inputs = []
    for path, label, spec in key_parameters(scenario):
        info = infos[path]
        if spec == "bool":
            inputs.append(ParameterInput(path, label, "bool", bool(info.default), 0.0, 1.0, 1.0, "", info.doc))
            continue
        lo, hi, step = spec
        default = float(info.default)
        lo = max(lo, info.lo) if info.lo is not None else lo
        hi = min(hi, info.hi) if info.hi is not None else hi
        # The slider snaps to min + k * step, rounded to the step's decimals: refine the step until it can
        # show the scenario's own value, and shift the grid so that the value lies on it.
        if _decimals(default) > _decimals(step):
            step = 10.0 ** -_decimals(default)
        below, above = max(0.0, default - lo), max(0.0, hi - default)
        low = round(float(default - np.floor(below / step + 1e-9) * step), 10) + 0.0  # + 0.0: no "-0"
        high = round(float(default + np.floor(above / step + 1e-9) * step), 10) + 0.0
        inputs.append(ParameterInput(path, label, "float", default, low, high, step, info.unit, info.doc,
                                     info.lo, info.hi))
    return inputs


def model_args(config: AppConfig, seed: int | str | None = None,
               values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The :class:`DashboardModel` keyword arguments of a world on the page.

    Explore mode: ``config``'s scenario with ``seed`` (default ``config.seed``) and the parameter
    ``values`` by dotted path (default: the scenario's own). A replay fixes everything (scenario, seed,
    days and parameter values) to the stored world's, whatever ``seed`` and ``values`` say.
    """
    if config.replay:
        return replay_params(config.scenario, config.replay)
    args: dict[str, Any] = {"scenario": config.scenario, "seed": str(config.seed if seed is None else seed)}
    if values is None:
        values = {item.path: item.value for item in parameter_inputs(config.scenario)}
    args.update(values)
    return args


def _decimals(value: float) -> int:
    """Decimal places of a number as written (at most 6)."""
    text = f"{round(float(value), 6):.6f}".rstrip("0")
    return len(text.split(".")[1])


def build_model(config: AppConfig, seed: int | str | None = None,
                values: dict[str, Any] | None = None) -> DashboardModel:
    """The world the page shows: see :func:`model_args`."""
    return DashboardModel(**model_args(config, seed, values))


# ------------------------------------------------------------------------------------------------
# Tables for the panels


def faction_names(model: EscalationModel) -> dict[str, str]:
    """Display names of every actor key (factions by their scenario names)."""
    names = dict(palette.ACTOR_LABELS)
    names.update({key: faction.name for key, faction in model.scenario.militias.items()})
    return names


def event_table(model: EscalationModel) -> pd.DataFrame:
    """The events so far as plain strings and numbers (categoricals decoded)."""
    return plain_columns(model.events_frame())


def attacks_by_faction(model: EscalationModel, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Militia attacks so far: one row per faction (scenario order), one column per rung 1-3."""
    events = event_table(model) if events is None else events
    attacks = events[(events["action"] == "attack") & events["actor"].isin(model.scenario.faction_keys)]
    table = pd.crosstab(attacks["actor"], attacks["rung"].astype(int)) if len(attacks) else pd.DataFrame()
    return table.reindex(index=model.scenario.faction_keys, columns=[1, 2, 3], fill_value=0).fillna(0).astype(int)


def run_summary(model: EscalationModel) -> dict[str, Any]:
    """Day, date, highest rung and outcome class so far, and the run's totals."""
    series = model.series_frame()
    events = model.events_frame()
    day = int(series["day"].max()) + 1 if len(series) else 0
    max_rung = int(model.max_rung[0])
    outcome = str(model.outcomes_frame()["outcome"].iloc[0])
    counts = {name: int(values[0]) for name, values in model.outcome_counts.items()}
    return {
        "scenario": model.scenario.name, "seed": getattr(model, "master_seed", None),
        "days_done": day, "horizon": model.horizon,
        "date": str(model.scenario.start_date + pd.Timedelta(days=max(day - 1, 0)).to_pytimedelta()),
        "max_rung": max_rung, "max_rung_label": Rung(max_rung).label, "outcome": outcome,
        "events": len(events), "world_seed": int(model.seeds[0]), **counts,
    }


def changed_parameters(model: DashboardModel) -> list[str]:
    """``"label value unit (scenario: default)"`` for each parameter of the run that differs from its scenario."""
    inputs = {item.path: item for item in parameter_inputs(model.scenario)}
    infos = parameter_paths(model.scenario)
    lines = []
    for path, value in model.parameter_values.items():
        default = infos[path].default if path in infos else None
        if default is not None and not np.isclose(float(value), float(default)):
            item = inputs.get(path)
            if item is None:
                lines.append(f"{path} {_format(value)} (scenario: {_format(default)})")
            else:
                unit = f" {item.unit}" if item.unit and item.kind != "bool" else ""
                lines.append(f"{item.label} {_format(value)}{unit} (scenario: {_format(default)})")
    return lines


def stored_parameters(model: EscalationModel, overrides: dict[str, Any] | None = None) -> list[tuple[str, str, bool]]:
    """The key parameters a (replayed) world ran with: ``(label, value with unit, set by the run)``.

    ``overrides`` are the stored world's own values (a sweep's design point); the other key parameters
    show the scenario's values. Overrides of parameters that are not key parameters are listed too.
    """
    overrides = overrides or {}
    rows = []
    shown = set()
    for item in parameter_inputs(model.scenario):
        value = np.asarray(model.values.get(item.path, item.value)).reshape(-1)[0]  # one value per world
        value = bool(value) if item.kind == "bool" else float(value)
        rows.append((item.label, item.show(value), item.path in overrides))
        shown.add(item.path)
    infos = parameter_paths(model.scenario)
    for path, value in overrides.items():
        if path not in shown:
            unit = infos[path].unit if path in infos and infos[path].unit not in ("", "bool") else ""
            rows.append((path, _format(value) + (f" {unit}" if unit else ""), True))
    return rows


def _format(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "on" if value else "off"
    value = float(value)
    return f"{value:g}"
