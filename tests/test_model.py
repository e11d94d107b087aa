"""Model-level properties: batch independence, invariants over random parameters, consistent tables."""

import gc
import importlib.util
import json
import typing
import weakref
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim.runner
from sim.model import EscalationModel
from sim.runner import simulate
from sim.scenario import TimelineEvent, list_scenarios, load_scenario, parameter_paths
from sim.seeds import derive_seeds
from sim.timeline import HANDLERS


def _world(result, world: int):
    events = result.events[result.events["world"] == world].reset_index(drop=True)
    series = result.series[result.series["world"] == world].reset_index(drop=True)
    outcomes = result.outcomes[result.outcomes["world"] == world].reset_index(drop=True)
    return events, series, outcomes


@pytest.mark.parametrize("scenario", ["baseline", "crisis_2019_2020"])
def test_world_k_of_a_big_batch_equals_the_same_world_run_alone(scenario):
    batch = simulate(scenario, n_worlds=1000, seed=42, days=200)
    for k in (0, 137, 999):
        alone = simulate(scenario, world_seeds=derive_seeds(42, [k]), world_ids=[k], days=200)
        for got, want in zip(_world(batch, k), (alone.events, alone.series, alone.outcomes)):
            pd.testing.assert_frame_equal(got.astype({c: str for c in got.select_dtypes("category")}),
                                          want.astype({c: str for c in want.select_dtypes("category")}))


def test_per_world_parameters_equal_the_same_scalar_runs():
    values = np.array([0.0, 0.5, 1.0])
    seeds = derive_seeds(3, np.arange(3))
    swept = simulate("baseline", world_seeds=seeds, overrides={"quds_force.leash_strength": values}, days=150)
    for k, value in enumerate(values):
        alone = simulate("baseline", world_seeds=seeds[k:k + 1], world_ids=[k], days=150,
                         overrides={"quds_force.leash_strength": value})
        got = swept.outcomes[swept.outcomes["world"] == k].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, alone.outcomes)


def test_one_world_is_an_ordinary_mesa_run():
    model = EscalationModel("baseline", n_worlds=1, seed=5, days=30)
    assert model.rng is not None and len(model.agents) == 4 + len(model.scenario.militias)
    for _ in range(10):
        model.step()
    assert model.steps == 10 and model.running
    model.run()
    assert model.steps == 30 and not model.running
    assert len(model.series_frame()) == 30


NUMERIC = {path: info for path, info in parameter_paths(load_scenario("baseline")).items()
           if info.kind == "float" and info.lo is not None and info.hi is not None}
SAMPLED = sorted(NUMERIC)


@st.composite
def parameter_draws(draw):
    chosen = draw(st.lists(st.sampled_from(SAMPLED), min_size=1, max_size=8, unique=True))
    values = {}
    for path in chosen:
        info = NUMERIC[path]
        hi = min(info.hi, info.lo + 50 * (1 + abs(info.lo)))
        values[path] = draw(st.floats(info.lo, hi, allow_nan=False))
    return values


@given(overrides=parameter_draws(), seed=st.integers(0, 2**32), days=st.integers(1, 120),
       scenario=st.sampled_from(["baseline", "crisis_2019_2020", "talks_2021"]))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_invariants_hold_for_random_parameters(overrides, seed, days, scenario):
    first = simulate(scenario, n_worlds=6, seed=seed, days=days, overrides=overrides)
    events, series, outcomes = first.events, first.series, first.outcomes
    assert events["rung"].between(0, 7).all() and series["level"].between(0, 7).all()
    assert outcomes["max_rung"].between(0, 7).all()
    assert (events["day"] < days).all() and (series["day"] < days).all() and len(series) == 6 * days
    for column in ("killed", "wounded"):
        assert (events[column] >= 0).all()
    counts = outcomes.select_dtypes("number").drop(columns=["seed"])
    assert (counts.fillna(0) >= 0).all().all()
    per_world = events.groupby("world")["rung"].max().reindex(outcomes["world"], fill_value=0)
    assert np.array_equal(per_world.to_numpy(), outcomes["max_rung"].to_numpy())
    attacks = (events["action"] == "attack").groupby(events["world"]).sum().reindex(outcomes["world"], fill_value=0)
    assert np.array_equal(attacks.to_numpy(), outcomes["attacks"].to_numpy())
    assert (series["leash_strength"].between(0, 1)).all()
    again = simulate(scenario, n_worlds=6, seed=seed, days=days, overrides=overrides)
    pd.testing.assert_frame_equal(first.outcomes, again.outcomes)
    pd.testing.assert_frame_equal(first.events, again.events)


def test_tables_agree_with_each_other(baseline_run):
    events, series, outcomes = baseline_run.events, baseline_run.series, baseline_run.outcomes
    attacks = events[events["action"] == "attack"]
    assert series.groupby("world")["attacks"].sum().sum() == len(attacks) == outcomes["attacks"].sum()
    assert series["us_killed"].sum() == outcomes["us_killed"].sum() == events.loc[
        events["actor"].isin(["iran", *load_scenario("baseline").faction_keys]), "killed"].sum()
    with_casualties = outcomes["first_day_rung_3"].notna()
    assert (outcomes.loc[with_casualties, "max_rung"] >= 3).all()
    assert (outcomes["attacks_rung_1"] + outcomes["attacks_rung_2"] + outcomes["attacks_rung_3"]
            == outcomes["attacks"]).all()
    faction_columns = [c for c in outcomes if c.startswith("attacks_") and not c.startswith("attacks_rung")]
    assert (outcomes[faction_columns].sum(axis=1) == outcomes["attacks"]).all()
    strikes = events[events["action"] == "strike_militia"].groupby("world").size()
    assert strikes.sum() == outcomes["us_strikes"].sum()


def test_baseline_stays_a_provocation_with_calibrated_rates(baseline_run):
    """The baseline reproduces the record's order of magnitude (tolerances state the calibration band)."""
    outcomes, events = baseline_run.outcomes, baseline_run.events
    monthly = outcomes["attacks"].mean() / 12
    assert 3.0 < monthly < 8.0  # [PressReports]: ~5 a month Oct 2019 - Jan 2020
    attacks = events[events["action"] == "attack"]
    assert 0.003 < (attacks["killed"] > 0).mean() < 0.03  # [PressReports]: ~1-3 % of attacks kill
    assert 0.02 < (attacks["wounded"] > 0).mean() < 0.12  # [PressReports]: ~5-10 % injure
    assert (outcomes["outcome"] == "confrontation").mean() < 0.02


def test_a_scripted_us_strike_counts_as_the_us_answer():
    """The 2019-12-29 strikes answer the scripted contractor death: no second, model-made strike that day."""
    result = simulate("crisis_2019_2020", n_worlds=300, seed=4, days=95)
    strikes = result.events[(result.events["action"] == "strike_militia") & (result.events["day"] == 89)]
    assert len(strikes) == 300 and (strikes["killed"] == 25).all()


def test_every_timeline_event_type_has_a_handler():
    event_types = typing.get_args(typing.get_args(TimelineEvent)[0])
    assert set(HANDLERS) == set(event_types)


def test_a_finished_model_is_released(monkeypatch):
    """Mesa keeps a class-level id registry keyed by model; simulate() closes its model so it can be collected."""
    built = []

    class Tracked(EscalationModel):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            built.append(weakref.ref(self))

    monkeypatch.setattr(sim.runner, "EscalationModel", Tracked)
    registered = set(mesa.Agent._ids)
    for _ in range(3):
        simulate("baseline", n_worlds=10, days=5)
    gc.collect()
    assert len(built) == 3 and all(ref() is None for ref in built)
    assert set(mesa.Agent._ids) <= registered

    with EscalationModel("baseline", n_worlds=2, days=3) as model:
        model.run()
        outcomes = model.outcomes_frame()
    assert len(outcomes) == 2 and len(model.agents) == 0 and model not in mesa.Agent._ids
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None


def _reference_tables_module():
    path = Path(__file__).with_name("make_reference_tables.py")
    spec = importlib.util.spec_from_file_location("make_reference_tables", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_seeded_tables_match_the_reference():
    """The events, series and outcomes of 1,000 seeded worlds (seed 7) of every shipped scenario are unchanged.

    tests/data/reference_tables.json holds their hashes. A refactoring must leave them byte-identical; a
    deliberate change of the model's behaviour regenerates the file with
    ``python -m tests.make_reference_tables`` and commits it with the change.
    """
    reference = _reference_tables_module()
    expected = json.loads(reference.REFERENCE.read_text())
    assert sorted(expected) == sorted(info.name for info in list_scenarios())
    for name, hashes in expected.items():
        assert reference.scenario_hashes(name) == hashes, f"{name}: tables changed (see this test's docstring)"


# -- speed without changing a single draw (issue "a million worlds in a minute") -----------------------


@pytest.mark.parametrize("scenario", ["baseline", "crisis_2019_2020", "campaign_2023_2024", "many_factions_40"])
def test_bounded_bands_decide_exactly_what_every_band_decides(scenario, monkeypatch):
    """Computing the day's bands only where the draw can fall in them changes no decision, no table.

    ``Factions.bounded_from`` picks the path: 1 bounds every day of every scenario, a number above the
    factions computes every band; the campaign covers the outside war, suspensions and deterrence.
    """
    from sim.actors.militia import Factions

    tables = []
    for bounded_from in (1, 1_000):
        monkeypatch.setattr(Factions, "bounded_from", bounded_from)
        result = simulate(scenario, n_worlds=400, seed=3, days=200)
        tables.append(result)
    for name in ("events", "series", "outcomes"):
        pd.testing.assert_frame_equal(getattr(tables[0], name), getattr(tables[1], name), check_exact=True)
    assert len(tables[0].events) > 0


def test_rates_at_chosen_pairs_equal_the_rates_of_every_pair():
    """``Factions.attack_rates_at`` gives, bit for bit, the entries of ``Factions.attack_rates``."""
    model = EscalationModel("many_factions_40", n_worlds=300, seed=2, days=120,
                            overrides={"militias.badr.obedience": np.linspace(0.1, 0.9, 300)})
    for _ in range(60):
        model.step()
    factions = model.factions
    full = factions.attack_rates()
    faction, world = np.divmod(np.arange(full.size), full.shape[1])
    assert np.array_equal(factions.attack_rates_at(faction, world).reshape(full.shape), full)
    model.close()


@pytest.mark.parametrize("scenario, overrides", [
    ("baseline", {}),
    ("campaign_2023_2024", {"militia_dynamics.threat_rate": np.linspace(0.0, 0.2, 500),
                            "militia_dynamics.grievance_weight": np.linspace(0.2, 1.5, 500)}),
])
def test_bands_computed_where_the_draw_can_fall_decide_what_every_band_decides(scenario, overrides):
    """With few factions the bands' own functions run only where the draw can reach them: same pairs, day by day.

    Compared against the rule computed for every (faction, world), on the same draws and state, every 25
    days of a run (per-world threat parameters in the campaign: the bound takes their largest values).
    """
    model = EscalationModel(scenario, n_worlds=500, seed=5, days=200, overrides=overrides,
                            collect_events=False, collect_series=False)
    factions, rows, compared = model.factions, slice(None), 0
    for day in range(200):
        model.step()
        if day % 25 == 24:
            draws = factions.uniform("day", rows)
            every = factions._decide_all(draws.copy(), factions.attack_rates(rows), rows)
            reached = factions._decide_everywhere(draws.copy(), rows)
            for (got_faction, got_world), (want_faction, want_world) in zip(reached, every):
                assert np.array_equal(got_faction, want_faction) and np.array_equal(got_world, want_world)
            compared += sum(world.size for _, world in every)
    assert compared > 0
    model.close()


def test_capability_ratchet_applied_on_read_equals_the_daily_ratchet():
    """Capability read after days of supply equals ``max(capability, min(floor(progress), MISSILES))`` taken daily."""
    from sim.ladder import Capability

    model = EscalationModel("baseline", n_worlds=300, seed=4, days=150, collect_events=False, collect_series=False,
                            overrides={"quds_force.capability_supply_rate": np.linspace(0.0, 0.05, 300)})
    factions = model.factions
    daily = factions.capability.copy()
    initial = daily.copy()
    for day in range(150):
        model.step()
        daily = np.maximum(daily, np.minimum(np.floor(factions.capability_progress), int(Capability.MISSILES)))
        if day % 10 == 9:
            faction, world = np.divmod(np.arange(daily.size), daily.shape[1])
            assert np.array_equal(factions.capability_at(faction, world).reshape(daily.shape), daily)
    assert np.array_equal(factions.capability, daily)
    assert (daily > initial).any() and (daily == initial).any()  # the ratchet moved in some worlds, not all
    model.close()


def test_a_finished_run_leaves_nothing_behind_in_the_process():
    """simulate() frees its model at once: repeated chunks do not accumulate finished models' arrays.

    Ten days are enough: without events and series a model's arrays do not grow with the horizon (a finished
    model of 2,000 worlds holds 2.3 MiB after 10 days as after 60).
    """
    import tracemalloc

    simulate("baseline", n_worlds=2000, seed=0, days=10, collect_events=False, collect_series=False)
    tracemalloc.start()
    try:
        simulate("baseline", n_worlds=2000, seed=1, days=10, collect_events=False, collect_series=False)
        after_one = tracemalloc.get_traced_memory()[0]
        for seed in range(2, 6):
            simulate("baseline", n_worlds=2000, seed=seed, days=10, collect_events=False, collect_series=False)
        after_five = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # a model of 2,000 worlds holds over 1 MiB of arrays; four more left behind would add 4 MiB
    assert after_five - after_one < 1 * 2**20


def test_draw_keys_of_many_actors_equal_each_actors_draw_key():
    from sim.seeds import draw_key, draw_keys

    codes = np.array([0, 1, 2**32 - 1, 123456789], dtype=np.uint64)
    for day in (0, 17, 364, 10_000):
        assert [int(k) for k in draw_keys(day, codes, 99)] == [draw_key(day, int(c), 99) for c in codes]
