"""Run a scenario for a batch of worlds and return the three tables."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sim.model import EscalationModel
from sim.scenario import Scenario, load_scenario


@dataclass
class RunResult:
    """The tables of one run: events, daily series and outcomes."""

    events: pd.DataFrame
    series: pd.DataFrame
    outcomes: pd.DataFrame


def simulate(scenario: Scenario | str, **options) -> RunResult:
    """Simulate a batch of worlds of a scenario to its horizon, then release the model.

    Args:
        scenario: a Scenario, or the name or path of one.
        **options: the keyword arguments of :class:`~sim.model.EscalationModel` (``n_worlds``, ``seed``,
            ``days``, ``world_seeds``, ``world_ids``, ``overrides``, ``collect_events``, ``collect_series``).

    Returns:
        RunResult with ``events``, ``series`` and ``outcomes`` DataFrames.

    Example:
        >>> result = simulate("baseline", n_worlds=20, seed=1, days=90)
        >>> len(result.outcomes)
        20
        >>> set(result.outcomes["outcome"]) <= {"quiet", "provocation", "crisis", "contained_exchange", "confrontation"}
        True
        >>> int(result.outcomes["max_rung"].max()) <= 7
        True
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    with EscalationModel(scenario, **options) as model:
        model.run()
        result = RunResult(model.events_frame(), model.series_frame(), model.outcomes_frame())
    discard(model)
    return result


def discard(model: EscalationModel) -> None:
    """Drop a finished model's state (its arrays) at once; the model is unusable afterwards.

    A model and its agents refer to each other, so only the cyclic garbage collector would free a finished
    model, and its full pass is rare: a pool worker running chunk after chunk held several finished models
    (tens of MiB each) and grew with the number of chunks it had run. Emptying the objects of the cycle
    frees the arrays by reference counting; what the collector finds later is a few empty objects. The
    tables already built keep their own data.
    """
    for holder in (*model.militias, model.quds_force, model.iran, model.united_states, model.iraqi_government,
                   model.factions, model.events, model.series, model.outside_war, model.timeline, model):
        vars(holder).clear()
