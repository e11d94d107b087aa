"""The world behind the dashboard: its configuration, its model and the tables its panels show.

:class:`AppConfig` is what ``escalation app`` passes to the page (a scenario to explore, or a stored world
to replay, see :mod:`analysis.dashboard.replay`); :class:`DashboardModel` is an ``EscalationModel`` with
one world, built from the flat keyword arguments SolaraViz passes; :func:`model_params` gives SolaraViz
its inputs (a seed, sliders for the key parameters). Nothing here imports Solara or draws.
"""

from __future__ import annotations

import json
import os
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
# to the schema's bounds and widened to include the scenario's own value.
KEY_PARAMETERS: tuple[tuple[str, str, Any], ...] = (
    ("quds_force.leash_strength", "Quds Force leash strength (share)", (0.0, 1.0, 0.05)),
    ("united_states.hawkishness", "US hawkishness (lowers thresholds)", (-5.0, 5.0, 0.25)),
    ("united_states.strike_threshold", "US strike threshold (pressure)", (0.0, 20.0, 0.2)),
    ("united_states.war_aversion", "US war aversion (pressure)", (0.0, 40.0, 1.0)),
    ("context.external_grievance", "External grievance (regional shock)", (0.0, 10.0, 0.5)),
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
    """One world of a scenario, built from the flat keyword arguments SolaraViz passes on reset.

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


def model_params(config: AppConfig) -> dict[str, Any]:
    """SolaraViz ``model_params``: fixed values and the user inputs (sliders, checkbox, seed).

    A replay fixes everything (scenario, seed, days and parameter values) to the stored world's.
    """
    if config.replay:
        return replay_params(config.scenario, config.replay)
    scenario = load_scenario(config.scenario)
    infos = parameter_paths(scenario)
    params: dict[str, Any] = {
        "scenario": config.scenario,
        "seed": {"type": "InputText", "value": str(config.seed), "label": "Seed (whole number)"},
    }
    for path, label, spec in key_parameters(scenario):
        info = infos[path]
        if spec == "bool":
            params[path] = {"type": "Checkbox", "value": bool(info.default), "label": label}
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
        low = round(float(default - np.floor(below / step + 1e-9) * step), 10)
        high = round(float(default + np.floor(above / step + 1e-9) * step), 10)
        params[path] = {"type": "SliderFloat", "value": default, "min": low, "max": high, "step": step,
                        "label": label}
    return params


def _decimals(value: float) -> int:
    """Decimal places of a number as written (at most 6)."""
    text = f"{round(float(value), 6):.6f}".rstrip("0")
    return len(text.split(".")[1])


def initial_values(params: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments SolaraViz passes to the model before any input changes."""
    return {name: (spec["value"] if isinstance(spec, dict) and "type" in spec else spec)
            for name, spec in params.items()}


def build_model(config: AppConfig) -> DashboardModel:
    """The model the page opens with."""
    return DashboardModel(**initial_values(model_params(config)))


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
        "days_done": day, "horizon": model.horizon,
        "date": str(model.scenario.start_date + pd.Timedelta(days=max(day - 1, 0)).to_pytimedelta()),
        "max_rung": max_rung, "max_rung_label": Rung(max_rung).label, "outcome": outcome,
        "events": len(events), "world_seed": int(model.seeds[0]), **counts,
    }


def changed_parameters(model: DashboardModel) -> list[str]:
    """``"label: value (scenario: default)"`` for each parameter of the run that differs from its scenario."""
    infos = parameter_paths(model.scenario)
    labels = {path: label for path, label, _ in key_parameters(model.scenario)}
    lines = []
    for path, value in model.parameter_values.items():
        default = infos[path].default if path in infos else None
        if default is not None and not np.isclose(float(value), float(default)):
            lines.append(f"{labels.get(path, path)} {_format(value)} (scenario: {_format(default)})")
    return lines


def _format(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "on" if value else "off"
    value = float(value)
    return f"{value:g}"
