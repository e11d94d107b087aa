"""The Mesa twin (benchmarks/mesa_twin.py) gives the vectorised model's outcomes, world by world.

The twin is the one-world-per-model Mesa implementation that ``benchmarks/bench_mesa.py`` times against
``EscalationModel``; the comparison is honest only if both simulate the same rules. Both use the keyed
draws of ``sim.seeds``, so world k of the twin must equal world k of ``simulate`` in every outcome column.
A rule changed in ``sim/`` without the twin fails here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import seeds as keyed
from sim.runner import simulate

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # `benchmarks` is a folder of the repository, not an installed package
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.mesa_twin import TARGETS, WEAPONS, World, keyed_uniform, poisson_from_uniform, run_worlds  # noqa: E402

BASELINE_WORLDS = 300
SEED = 0
# Parameters that make the rare branches common: leader killings (also of the Quds Force commander), US
# strikes on Iran, Iranian salvos, exchanges that end and exchanges that become open war, withdrawals.
HOT = (("united_states.hawkishness", 8.0), ("united_states.war_aversion", 0.0),
       ("united_states.quds_commander_share", 0.7), ("iran.direct_weight", 2.0), ("iran.war_cost", 2.0),
       ("iran.unwarned_strike_cost", 0.5))
HOT_WORLDS = 40


def _plain(values: pd.Series) -> list:
    """A column as Python values with missing values as None, for an exact comparison across dtypes."""
    return [None if pd.isna(value) else value for value in values.astype(object)]


def _mismatches(reference: pd.DataFrame, twin: pd.DataFrame) -> dict[str, list[int]]:
    """Worlds whose value differs, per outcome column of the reference (an int equals the same float)."""
    found = {}
    for column in reference.columns:
        pairs = zip(reference["world"], _plain(reference[column]), _plain(twin[column]))
        differing = [world for world, left, right in pairs if left != right]
        if differing:
            found[column] = differing
    return found


def test_the_twin_indexes_targets_and_weapons_as_the_model_does():
    from sim.attacks import TARGET_NAMES, WEAPON_NAMES

    assert TARGETS == TARGET_NAMES and WEAPONS == WEAPON_NAMES


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**64 - 1), day=st.integers(0, 4000), actor=st.sampled_from(["iran", "badr", "x"]),
       site=st.sampled_from(["day", "lag", "salvo_wounded"]))
def test_the_twin_s_scalar_draw_is_the_project_s_keyed_draw(seed, day, actor, site):
    expected = keyed.uniform(np.array([seed], dtype=np.uint64), day, keyed.site_code(actor), keyed.site_code(site))
    assert keyed_uniform(seed, day, keyed.site_code(actor), keyed.site_code(site)) == expected[0]


@settings(max_examples=300, deadline=None)
@given(u=st.floats(0.0, 1.0, exclude_max=True), mean=st.floats(0.0, 300.0))
def test_the_twin_s_poisson_count_is_the_project_s(u, mean):
    assert poisson_from_uniform(u, mean) == keyed.poisson_from_uniform(np.array([u]), mean)[0]


@pytest.fixture(scope="module")
def baseline_pair():
    reference = simulate("baseline", n_worlds=BASELINE_WORLDS, seed=SEED, collect_events=False,
                         collect_series=False).outcomes
    rows = run_worlds(BASELINE_WORLDS, master_seed=SEED)  # mesa.batch_run in this process
    twin = pd.DataFrame(rows).sort_values("world").reset_index(drop=True)
    return reference, twin


def test_the_twin_reports_every_outcome_column(baseline_pair):
    reference, twin = baseline_pair
    assert set(reference.columns) <= set(twin.columns), "outcome columns the twin lacks"
    assert len(twin) == BASELINE_WORLDS and twin["world"].tolist() == list(range(BASELINE_WORLDS))


def test_the_twin_reproduces_the_baseline_world_by_world(baseline_pair):
    reference, twin = baseline_pair
    mismatches = _mismatches(reference, twin)
    differing = sorted({world for worlds in mismatches.values() for world in worlds})
    assert not mismatches, (f"{BASELINE_WORLDS - len(differing)} of {BASELINE_WORLDS} worlds agree in every column; "
                            f"first differences by column: { {c: w[:5] for c, w in mismatches.items()} }")
    # the comparison is not vacuous: the baseline's worlds differ from each other and reach the upper rungs
    assert reference["attacks"].nunique() > 10 and (reference["us_strikes"] > 0).any()
    assert (reference["us_killed"] > 0).any()


def test_the_twin_reproduces_the_rare_branches_world_by_world():
    reference = simulate("baseline", n_worlds=HOT_WORLDS, seed=SEED, collect_events=False, collect_series=False,
                         overrides=dict(HOT)).outcomes
    rows = []
    for world in range(HOT_WORLDS):
        model = World(world=world, master_seed=SEED, overrides=HOT)
        while model.running:
            model.step()
        rows.append({name: values[-1] for name, values in model.datacollector.model_vars.items()})
    twin = pd.DataFrame(rows)
    assert not _mismatches(reference, twin)
    for column in ("us_leader_killings", "us_strikes_on_iran", "iran_direct_strikes", "exchanges_ended", "us_withdrawal"):
        assert reference[column].astype(int).sum() > 0, f"{column} never happened: the branch went untested"
    assert set(reference["outcome"]) >= {"confrontation", "contained_exchange", "crisis", "provocation"}


def test_the_twin_refuses_a_scenario_with_rules_it_omits():
    with pytest.raises(ValueError, match="timeline"):
        World(world=0, scenario="crisis_2019_2020")
