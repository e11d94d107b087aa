"""Scenarios: the schema of a scenario file, its timeline events, loading with ``extends:``, and parameter paths.

A scenario is data: every parameter and every timeline event lives in a validated YAML file, never in
code. The package is split by job:

- :mod:`~sim.scenario.sections`: the pydantic sections of the actors' parameters and the setting;
- :mod:`~sim.scenario.timeline`: the dated events of a timeline;
- :mod:`~sim.scenario.schema`: the whole document (:class:`Scenario`) and its validation;
- :mod:`~sim.scenario.loading`: reading files strictly, ``extends:`` and the shipped scenarios;
- :mod:`~sim.scenario.paths`: dotted parameter paths for sweeps and overrides;
- :mod:`~sim.scenario.uncertainty`: ``priors:`` (ranges of values set by judgement) and ``ensembles:`` (the
  calibration's parameter vectors);
- :mod:`~sim.scenario.errors`: a validation error as one :class:`ScenarioError` line.

Callers import from here: ``from sim.scenario import load_scenario, parameter_paths``.
"""

from sim.scenario.errors import ScenarioError
from sim.scenario.loading import (
    SCENARIO_PATH_ENV, ScenarioInfo, list_scenarios, load_scenario, resolve_scenario_path, scenario_search_path,
    scenarios_dir,
)
from sim.scenario.paths import ParameterInfo, field_bounds, parameter_paths
from sim.scenario.schema import DEFAULT_FACTIONS, Scenario, validate_scenario
from sim.scenario.sections import (
    Context, Faction, Hostility, IranConfig, IraqiGovernmentConfig, MilitiaDynamics, QudsForceConfig, TargetExposure,
    TargetMix, UnitedStatesConfig, WeaponLethality,
)
from sim.scenario.uncertainty import DISTRIBUTIONS, Ensemble, Prior, knob_paths
from sim.scenario.timeline import (
    AttackEvent, CapabilityEvent, CeasefireEvent, DirectStrikeEvent, DrawdownEvent, ElectionEvent, EventBase,
    LeaderKilledEvent, MissionEndEvent, OrderEvent, OutsideWarEvent, ShockEvent, SiegeEvent, StrikeEvent, TalksEvent,
    TimelineEvent, TruceEvent,
)

__all__ = [
    "AttackEvent", "CapabilityEvent", "DISTRIBUTIONS", "Ensemble", "Prior", "knob_paths", "CeasefireEvent", "Context", "DEFAULT_FACTIONS", "DirectStrikeEvent",
    "DrawdownEvent", "ElectionEvent", "EventBase",
    "Faction", "Hostility", "IranConfig", "IraqiGovernmentConfig", "LeaderKilledEvent", "MilitiaDynamics", "MissionEndEvent", "OrderEvent",
    "OutsideWarEvent",
    "ParameterInfo", "QudsForceConfig", "SCENARIO_PATH_ENV", "Scenario", "ScenarioError", "ScenarioInfo", "ShockEvent", "SiegeEvent",
    "StrikeEvent", "TalksEvent", "TargetExposure", "TargetMix", "TimelineEvent", "TruceEvent", "UnitedStatesConfig",
    "WeaponLethality", "field_bounds", "list_scenarios", "load_scenario", "parameter_paths", "resolve_scenario_path",
    "scenario_search_path", "scenarios_dir", "validate_scenario",
]
