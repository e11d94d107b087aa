"""Sweep designs, spec validation, seeding, and tables independent of executor and chunk size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

import analysis
from analysis.runs.designs import build_design
from analysis.runs.plan import plain_columns
from analysis.runs.spec import load_sweep_spec, shipped_sweeps_dir
from sim.errors import InputError
from sim.runner import simulate
from sim.scenario import load_scenario
from sim.seeds import derive_seeds

SWEEPS = shipped_sweeps_dir()

SPEC = {
    "name": "tiny",
    "scenarios": ["baseline"],
    "parameters": {
        "quds_force.leash_strength": {"lo": 0.3, "hi": 0.9, "levels": 3},
        "iran.talks_active": {"values": [False, True]},
    },
    "design": {"kind": "grid"},
    "replicates": 12,
    "days": 40,
    "seed": 7,
}


def _spec(**changes):
    spec = {key: (dict(value) if isinstance(value, dict) else value) for key, value in SPEC.items()}
    spec.update(changes)
    return spec


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The tiny sweep run in this process, one chunk, with every table."""
    out = tmp_path_factory.mktemp("ref") / "tiny"
    return analysis.sweep(_spec(), out=out, workers=1, chunk_size=10_000, series=True, events=True, quiet=True)


def _assert_same_tables(left, right):
    for table in ("outcomes", "series", "events"):
        pd.testing.assert_frame_equal(getattr(left, table)(), getattr(right, table)(), check_exact=True)


def test_grid_is_the_cartesian_product_in_order():
    design = build_design(load_sweep_spec(_spec()))
    assert design.table["quds_force.leash_strength"].tolist() == [0.3, 0.3, 0.6, 0.6, 0.9, 0.9]
    assert design.table["iran.talks_active"].tolist() == [False, True] * 3
    assert design.table["design_row"].tolist() == list(range(6))
    assert design.salib_problem is None  # value lists have no SALib problem


def test_sobol_design_is_salibs_sample_in_salibs_order():
    from SALib.sample import sobol

    spec = load_sweep_spec(_spec(parameters={
        "quds_force.leash_strength": {"lo": 0.3, "hi": 0.9},
        "united_states.strike_threshold": {"lo": 1.0, "hi": 6.0},
        "context.external_grievance": {"lo": 0.0, "hi": 4.0},
    }, design={"kind": "sobol", "samples": 16}))
    design = build_design(spec)
    expected = sobol.sample(design.salib_problem, 16, calc_second_order=False, scramble=True, seed=7)
    assert design.table.shape == (16 * (3 + 2), 4)
    np.testing.assert_array_equal(design.raw.drop(columns="design_row").to_numpy(), expected)
    assert design.salib_problem["names"] == list(spec_names(spec))
    assert design.salib_problem["bounds"][1] == [1.0, 6.0]


def spec_names(spec):
    return [p.path for p in spec.parameters]


def test_lhs_puts_one_point_in_each_stratum_and_morris_uses_trajectories():
    spec = load_sweep_spec(_spec(parameters={
        "quds_force.leash_strength": {"lo": 0.0, "hi": 1.0},
        "united_states.misperception": {"lo": 0.0, "hi": 0.5},
    }, design={"kind": "lhs", "samples": 20}))
    table = build_design(spec).table
    strata = np.floor(table["quds_force.leash_strength"].to_numpy() * 20).astype(int)
    assert sorted(strata) == list(range(20))
    strata = np.floor(table["united_states.misperception"].to_numpy() / 0.5 * 20).astype(int)
    assert sorted(strata) == list(range(20))

    spec = load_sweep_spec(_spec(parameters={
        "quds_force.leash_strength": {"lo": 0.0, "hi": 1.0},
        "united_states.misperception": {"lo": 0.0, "hi": 0.5},
        "context.external_grievance": {"lo": 0.0, "hi": 6.0},
    }, design={"kind": "morris", "samples": 5, "num_levels": 4}))
    design = build_design(spec)
    assert len(design.table) == 5 * (3 + 1)
    levels = set(np.round(design.table["quds_force.leash_strength"] * 3, 9))
    assert levels <= {0.0, 1.0, 2.0, 3.0}


def test_random_design_is_deterministic_in_the_seed_and_integers_are_rounded():
    spec = _spec(parameters={"united_states.max_sites": {"lo": 1, "hi": 5}}, design={"kind": "random", "samples": 30})
    first = build_design(load_sweep_spec(spec)).table
    again = build_design(load_sweep_spec(spec)).table
    other = build_design(load_sweep_spec(dict(spec, seed=8))).table
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)
    assert first["united_states.max_sites"].dtype == np.int64
    assert first["united_states.max_sites"].between(1, 5).all()


@pytest.mark.parametrize("changes, expected", [
    ({"parameters": {"quds_force.leash_strenght": {"lo": 0.1, "hi": 0.5}}}, "did you mean 'quds_force.leash_strength'"),
    ({"parameters": {"quds_force.leash_strength": {"lo": 0.9, "hi": 0.1}}}, "lo (0.9) is greater than hi (0.1)"),
    ({"parameters": {"quds_force.leash_strength": {"lo": 0.1, "hi": 1.5}}}, "outside the parameter's domain"),
    ({"parameters": {"quds_force.leash_strength": {"lo": 0.1, "hi": 0.5}}, "design": {"kind": "sobol", "samples": 100}},
     "power of two (got 100; try 64 or 128)"),
    ({"replicates": 0}, "replicates: expected a positive integer"),
    ({"replicates": -3}, "replicates: expected a positive integer"),
    ({"design": {"kind": "sobel", "samples": 8}}, "did you mean 'sobol'"),
    ({"parameters": {"iran.talks_active": {"values": [False, True]}}, "design": {"kind": "sobol", "samples": 8}},
     "need a range"),
    ({"parameters": {"quds_force.leash_strength": [0.1, 0.5]}}, "ambiguous list"),
    ({"parameters": {"quds_force.leash_strength": {"lo": "low", "hi": 0.5}}}, "expected a number"),
    ({"replicate": 3}, "did you mean 'replicates'"),
    ({"scenarios": ["baselin"]}, "baselin"),
])
def test_bad_specs_raise_one_clear_line(changes, expected):
    with pytest.raises(InputError) as caught:
        load_sweep_spec(_spec(**changes))
    message = caught.value.one_line()
    assert expected in message
    assert "\n" not in message


def test_malformed_yaml_names_the_file_and_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nparameters: {quds_force.leash_strength: {lo: 0.1, hi: 0.5}\nreplicates: 3\n")
    with pytest.raises(InputError) as caught:
        load_sweep_spec(path)
    assert str(path) in caught.value.one_line()
    assert "YAML syntax error at line" in caught.value.one_line()


def test_a_duplicate_key_is_refused_not_overwritten(tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text(yaml.safe_dump(SPEC) + "replicates: 7\n")
    with pytest.raises(InputError, match=r"twice.yaml: .*duplicate key 'replicates'"):
        load_sweep_spec(path)


@pytest.mark.parametrize("path", sorted(SWEEPS.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_sweep_specs_are_valid_and_cite_sources(path):
    spec = load_sweep_spec(path)
    design = build_design(spec)
    assert len(design.table) > 1
    assert spec.sources and spec.description
    assert spec.name == path.stem
    raw = yaml.safe_load(path.read_text())
    # a robust-decision spec (escalation robust) names its swept parameters `uncertainties`
    assert set(raw["uncertainties" if spec.is_robust else "parameters"]) == {p.path for p in spec.parameters}


def test_seeds_and_world_ids_derive_from_point_and_replicate(reference):
    outcomes = reference.outcomes()
    assert len(outcomes) == 6 * 12
    expected_seeds = derive_seeds(7, outcomes["point"].to_numpy(), outcomes["replicate"].to_numpy())
    np.testing.assert_array_equal(outcomes["seed"].to_numpy(dtype=np.uint64), expected_seeds)
    np.testing.assert_array_equal(outcomes["world"], outcomes["point"] * 12 + outcomes["replicate"])
    points = reference.points()
    merged = outcomes.merge(points, on=["point", "design_row"], suffixes=("", "_point"))
    assert (merged["quds_force.leash_strength"] == merged["quds_force.leash_strength_point"]).all()
    manifest = reference.manifest
    assert manifest["design"]["kind"] == "grid"
    assert manifest["design"]["parameters"][0] == {"path": "quds_force.leash_strength", "kind": "float",
                                                   "lo": 0.3, "hi": 0.9, "levels": 3}
    assert manifest["scenarios"][0]["sha256"] == load_scenario("baseline").content_hash()
    assert manifest["started_at"] and manifest["finished_at"]


def test_tables_do_not_depend_on_workers_or_chunk_size(reference, tmp_path):
    pooled = analysis.sweep(_spec(), out=tmp_path / "pooled", workers=2, chunk_size=7, series=True, events=True,
                            quiet=True)
    assert pooled.manifest["runs"][-1]["executor"].startswith("local process pool, 2 workers")
    _assert_same_tables(reference, pooled)
    inline = analysis.sweep(_spec(), out=tmp_path / "inline", workers=1, chunk_size=13, series=True, events=True,
                            quiet=True)
    _assert_same_tables(reference, inline)


def test_a_stored_world_replays_alone_with_its_seed_and_values(reference):
    scenario = load_scenario("baseline")
    stored = reference.outcomes()
    for world in (0, 31, 71):
        result = simulate(scenario, days=40, world_seeds=np.array([reference.world_seed(world)], dtype=np.uint64),
                          world_ids=np.array([world]), overrides={k: np.array([v]) for k, v in
                                                                  reference.world_overrides(world).items()})
        row = stored[stored["world"] == world][list(result.outcomes.columns)].reset_index(drop=True)
        pd.testing.assert_frame_equal(row, result.outcomes, check_exact=True)
        events = reference.events(worlds=[world])
        pd.testing.assert_frame_equal(events, plain_columns(result.events.reset_index(drop=True)), check_exact=True)


def test_batch_seeds_world_k_like_a_plain_run(tmp_path):
    results = analysis.batch(["baseline"], worlds=30, seed=3, days=40, out=tmp_path / "b", workers=2, chunk_size=8,
                             quiet=True)
    direct = simulate("baseline", n_worlds=30, seed=3, days=40, collect_events=False, collect_series=False).outcomes
    stored = results.outcomes()
    assert stored["replicate"].tolist() == list(range(30))
    pd.testing.assert_frame_equal(stored[list(direct.columns)], direct, check_exact=True)


def test_several_scenarios_get_consecutive_world_ids_and_common_seeds(tmp_path):
    variant = tmp_path / "hawkish.yaml"
    variant.write_text(yaml.safe_dump({"extends": "baseline", "name": "hawkish", "sources": ["test variant"],
                                       "united_states": {"hawkishness": 2.0}}))
    results = analysis.batch(["baseline", str(variant)], worlds=10, seed=1, days=30, out=tmp_path / "two",
                             workers=1, chunk_size=4, quiet=True)
    outcomes = results.outcomes()
    assert outcomes["world"].tolist() == list(range(20))
    assert outcomes["scenario"].tolist() == ["baseline"] * 10 + ["hawkish"] * 10
    np.testing.assert_array_equal(outcomes["seed"][:10].to_numpy(), outcomes["seed"][10:].to_numpy())
    assert results.world_scenario(15) == str(variant)
