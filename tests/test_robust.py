"""Robust decision making (``escalation robust``, analysis.stats.robust): regret rules on hand-made tables,
common random numbers across policies, the robust-decision spec's validation, and the command line run on a
tiny spec in a subprocess (its tables, its resume, and levers moving the statistic each is for)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.runs.spec import load_sweep_spec, shipped_sweeps_dir
from analysis.stats.intervals import thesis_verdict
from analysis.stats.robust import (
    analyse, paired_bootstrap, plan_robust, point_table, rank_policies, regret_summary, regret_table, space_shares,
    world_statistics,
)
from sim.errors import InputError

# ------------------------------------------------------------------------------------------------
# Regret rules on a hand-made table: 3 policies x 4 states of the world

#   state:      0     1     2     3
#   A         0.10  0.30  0.20  0.05
#   B         0.20  0.10  0.10  0.10
#   C         0.00  0.50  0.15  0.05
HAND = pd.DataFrame({
    "policy": ["A"] * 4 + ["B"] * 4 + ["C"] * 4,
    "uncertainty_row": [0, 1, 2, 3] * 3,
    "stat": [0.10, 0.30, 0.20, 0.05, 0.20, 0.10, 0.10, 0.10, 0.00, 0.50, 0.15, 0.05],
})
# best per state: 0.00 (C), 0.10 (B), 0.10 (B), 0.05 (A and C)
HAND_REGRET = {"A": [0.10, 0.20, 0.10, 0.00], "B": [0.20, 0.00, 0.00, 0.05], "C": [0.00, 0.40, 0.05, 0.00]}


def test_regret_is_the_value_less_the_best_value_in_the_same_state():
    regret = regret_table(HAND, "stat")
    for policy, expected in HAND_REGRET.items():
        np.testing.assert_allclose(regret[HAND["policy"] == policy].to_numpy(), expected, atol=1e-12)


def test_max_regret_is_the_worst_state_of_each_policy():
    summary = regret_summary(HAND, "stat", percentile=90)
    np.testing.assert_allclose(summary.loc[["A", "B", "C"], "max"], [0.20, 0.20, 0.40], atol=1e-12)


def test_percentile_regret_interpolates_linearly_between_states():
    # A's regrets sorted: 0, 0.1, 0.1, 0.2; the 90th percentile sits at rank 0.9 * 3 = 2.7: 0.1 + 0.7 * 0.1
    summary = regret_summary(HAND, "stat", percentile=90)
    assert summary.loc["A", "percentile"] == pytest.approx(0.17)
    assert summary.loc["B", "percentile"] == pytest.approx(0.05 + 0.7 * 0.15)  # 0, 0, 0.05, 0.2
    assert regret_summary(HAND, "stat", percentile=50).loc["C", "percentile"] == pytest.approx(0.025)


def test_mean_regret_averages_over_states():
    summary = regret_summary(HAND, "stat", percentile=90)
    np.testing.assert_allclose(summary.loc[["A", "B", "C"], "mean"], [0.10, 0.0625, 0.1125], atol=1e-12)


def test_minimax_regret_ranks_by_the_worst_state_then_the_percentile_then_the_mean():
    summary = regret_summary(HAND, "stat", percentile=90).rename(
        columns={"max": "regret_max_stat", "percentile": "regret_p_stat", "mean": "regret_mean_stat"})
    ranks = rank_policies(summary, "stat")
    # A and B tie on max regret (0.2); B's 90th-percentile regret (0.155) is below A's (0.17); C is worst (0.4)
    assert ranks.sort_values().index.tolist() == ["B", "A", "C"]
    assert ranks["B"] == 1 and ranks["C"] == 3
    # the policy with the best mean is not always the minimax choice: make C's worst state mild, its mean bad
    other = summary.copy()
    other.loc["C"] = [0.15, 0.15, 0.15]
    assert rank_policies(other, "stat").idxmin() == "C"


def _replicated(hand: pd.DataFrame, replicates: int, noise: float, seed: int = 0) -> pd.DataFrame:
    """Worlds whose casualty means per (policy, state) are HAND's ``stat`` (x100), replicates +- ``noise``."""
    rng = np.random.default_rng(seed)
    rows = []
    for row in hand.itertuples():
        wiggle = rng.normal(0, noise, replicates) if noise else np.zeros(replicates)
        wiggle -= wiggle.mean()
        rows.append(pd.DataFrame({"policy": row.policy, "uncertainty_row": row.uncertainty_row,
                                  "replicate": np.arange(replicates), "outcome": "crisis", "attacks": 0.0,
                                  "us_killed": 100 * row.stat + wiggle, "us_wounded": 0.0}))
    return pd.concat(rows, ignore_index=True)


def test_without_replicate_noise_the_paired_bootstrap_collapses_onto_the_estimate():
    worlds = world_statistics(_replicated(HAND, replicates=5, noise=0.0))
    noise = paired_bootstrap(worlds, ["A", "B", "C"], "us_killed", percentile=90, resamples=30)
    np.testing.assert_allclose(noise["regret_max_us_killed_lower"], [20.0, 20.0, 40.0], atol=1e-9)
    np.testing.assert_allclose(noise["regret_max_us_killed_upper"], [20.0, 20.0, 40.0], atol=1e-9)
    assert noise["p_most_robust"].tolist() == [0.0, 1.0, 0.0]  # B, as rank_policies says


def test_with_replicate_noise_the_interval_of_the_max_regret_widens_and_the_ranking_is_shared():
    worlds = world_statistics(_replicated(HAND, replicates=40, noise=30.0, seed=3))
    noise = paired_bootstrap(worlds, ["A", "B", "C"], "us_killed", percentile=90, resamples=200)
    assert ((noise["regret_max_us_killed_upper"] - noise["regret_max_us_killed_lower"]) > 1.0).all()
    assert noise["p_most_robust"].sum() == pytest.approx(1.0)
    assert 0 < noise.loc["A", "p_most_robust"] < 1 and 0 < noise.loc["B", "p_most_robust"] < 1  # A and B tie at 20
    ragged = worlds[~((worlds["policy"] == "A") & (worlds["replicate"] == 0))]
    assert paired_bootstrap(ragged, ["A", "B", "C"], "us_killed", 90, resamples=5) is None


def test_regret_needs_every_policy_in_every_state():
    with pytest.raises(ValueError, match="every uncertainty point"):
        regret_table(HAND.iloc[:-1], "stat")


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 5), st.integers(1, 6), st.data())
def test_regret_is_never_negative_zero_for_the_best_and_blind_to_a_common_shift(policies, states, data):
    values = data.draw(st.lists(st.floats(0, 100, allow_nan=False), min_size=policies * states,
                                max_size=policies * states))
    shift = data.draw(st.lists(st.floats(-10, 10, allow_nan=False), min_size=states, max_size=states))
    table = pd.DataFrame({"policy": np.repeat([f"p{i}" for i in range(policies)], states),
                          "uncertainty_row": np.tile(np.arange(states), policies), "stat": values})
    regret = regret_table(table, "stat")
    assert (regret >= -1e-9).all()
    assert np.allclose(regret.groupby(table["uncertainty_row"]).min(), 0.0)
    shifted = table.assign(stat=table["stat"] + np.tile(shift, policies))  # the same shift for every policy in a state
    np.testing.assert_allclose(regret_table(shifted, "stat"), regret, atol=1e-6)


def test_the_verdict_at_each_point_is_the_thesis_test_and_the_shares_count_points():
    # policy X: 0/400 confrontations (holds at 5 %), 60/400 (fails), 20/400 (inconclusive); Y: all hold
    worlds = []
    for policy, counts in {"X": [0, 60, 20], "Y": [1, 2, 3]}.items():
        for point, hits in enumerate(counts):
            outcome = ["confrontation"] * hits + ["crisis"] * (400 - hits)
            worlds.append(pd.DataFrame({"policy": policy, "uncertainty_row": point, "outcome": outcome,
                                        "attacks": 1, "us_killed": 0, "us_wounded": 0}))
    points = point_table(world_statistics(pd.concat(worlds, ignore_index=True)), threshold=0.05)
    for row in points.itertuples():
        expected = thesis_verdict(int(row.confrontations), int(row.worlds), 0.05)
        assert row.verdict == expected.verdict
        assert row.p_confrontation_upper == pytest.approx(expected.upper)
    assert points.set_index(["policy", "uncertainty_row"]).loc[("X", 1), "verdict"] == "fails"
    assert points.set_index(["policy", "uncertainty_row"]).loc[("X", 0), "verdict"] == "holds"
    shares = space_shares(points)
    assert shares.loc["X"].tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3])
    assert shares.loc["Y", "holds"] == pytest.approx(1.0)


def test_analyse_ranks_by_the_stated_criterion():
    # two policies, two states: L is best on confrontation in both, worse on casualties in one
    rows = []
    for policy, hits, killed in (("L", [0, 2], [5, 5]), ("H", [4, 4], [1, 5])):
        for point in range(2):
            outcome = ["confrontation"] * hits[point] + ["crisis"] * (100 - hits[point])
            rows.append(pd.DataFrame({"policy": policy, "uncertainty_row": point, "outcome": outcome,
                                      "attacks": 3, "us_killed": killed[point], "us_wounded": 1}))
    outcomes = pd.concat(rows, ignore_index=True)
    by_confrontation = analyse(outcomes, ["L", "H"], criterion="p_confrontation", resamples=50)
    by_casualties = analyse(outcomes, ["L", "H"], criterion="us_casualties", resamples=50)
    assert by_confrontation.policies["policy"].tolist() == ["L", "H"]
    assert by_casualties.policies["policy"].tolist() == ["H", "L"]
    table = by_confrontation.policies.set_index("policy")
    assert table.loc["H", "regret_max_p_confrontation"] == pytest.approx(0.04)
    assert table.loc["L", "regret_max_us_casualties"] == pytest.approx(4.0)
    assert table.loc["L", "us_casualties"] == pytest.approx(6.0)
    assert "minimax regret" in by_confrontation.text()


# ------------------------------------------------------------------------------------------------
# The spec


def _robust(**changes) -> dict:
    spec = {
        "name": "tiny_robust",
        "scenario": "crisis_2019_2020",
        "levers": {"iraqi_government.militia_pressure": {}, "united_states.withdrawal_compliance": {},
                   "united_states.drawdown_rate": {}, "united_states.strike_threshold": {}},
        "policies": {"today": {}, "baghdad_presses": {"iraqi_government.militia_pressure": 3.0},
                     "drawdown": {"united_states.withdrawal_compliance": 1.0, "united_states.drawdown_rate": 200.0}},
        "uncertainties": {"quds_force.leash_strength": {"lo": 0.6, "hi": 0.9},
                          "iran.direct_weight": {"lo": 0.5, "hi": 2.0}},
        "design": {"kind": "lhs", "samples": 2},
        "replicates": 150,
        "days": 200,
        "seed": 11,
    }
    for key, value in changes.items():
        if value is None:
            spec.pop(key, None)
        else:
            spec[key] = value
    return spec


@pytest.mark.parametrize("changes, fragment", [
    ({"levers": {"iran.direct_weight": {}}, "policies": {"a": {}}}, "levers.iran.direct_weight: is also listed under uncertainties"),
    ({"levers": {"united_states.strike_treshold": {}}, "policies": {"a": {}}}, "did you mean 'united_states.strike_threshold'"),
    ({"policies": {}}, "policies: expected at least one policy"),
    ({"policies": []}, "policies: expected at least one policy"),
    ({"policies": {"a": {"iran.direct_weight": 1.0}}}, "policies.a.iran.direct_weight: an uncertainty"),
    ({"policies": {"a": {"united_states.drawdown_rate": -5.0}}}, "outside the parameter's domain"),
    ({"policies": {"a": {}, "b": {"united_states.strike_threshold": 3.598}}}, "sets the same lever values as policy 'a'"),
    ({"policies": None}, "expected {values: [...]} or {lo, hi, levels}"),
    ({"levers": None}, "needs `levers`"),
    ({"uncertainties": None}, "uncertainties: expected a mapping"),
    ({"parameters": {"iran.war_cost": {"lo": 5, "hi": 6}}}, "not `parameters`"),
    ({"scenario": None, "scenarios": ["crisis_2019_2020", "baseline"]}, "on one scenario, got 2"),
    ({"robust": {"criterion": "casualties"}}, "robust.criterion: unknown statistic"),
    ({"robust": {"threshold": 1.5}}, "robust.threshold"),
])
def test_bad_robust_specs_are_one_input_error(changes, fragment):
    with pytest.raises(InputError) as error:
        load_sweep_spec(_robust(**changes))
    assert fragment in error.value.one_line()


def test_without_policies_every_combination_of_lever_values_is_a_policy():
    spec = load_sweep_spec(_robust(policies=None, levers={
        "united_states.strike_threshold": {"values": [3.6, 7.2]},
        "united_states.max_sites": {"lo": 1, "hi": 5, "levels": 3}}))
    assert [p.name for p in spec.policies] == [f"strike_threshold={s:g},max_sites={m}" for s in (3.6, 7.2)
                                               for m in (1, 3, 5)]
    assert spec.policies[4].as_mapping() == {"united_states.strike_threshold": 7.2, "united_states.max_sites": 3}


def test_a_policy_keeps_the_scenarios_value_of_every_lever_it_does_not_name():
    from sim.scenario import load_scenario, parameter_paths

    spec = load_sweep_spec(_robust())
    own = parameter_paths(load_scenario("crisis_2019_2020"))
    today = spec.policies[0].as_mapping()
    assert today == {path: own[path].default for path in today}
    assert spec.policies[1].as_mapping()["iraqi_government.militia_pressure"] == 3.0
    assert spec.policies[1].as_mapping()["united_states.drawdown_rate"] == own["united_states.drawdown_rate"].default


def test_other_specs_keep_their_canonical_form():
    for path in sorted(shipped_sweeps_dir().glob("*.yaml")):
        spec = load_sweep_spec(path)
        if not spec.is_robust:
            assert set(spec.as_dict()) == {"name", "scenarios", "parameters", "design", "replicates", "days", "seed"}


def test_the_shipped_robust_spec_is_valid_with_four_to_six_policies_and_six_to_ten_uncertainties():
    spec = load_sweep_spec("robust_us_policy_crisis")
    assert spec.is_robust and spec.scenarios == ("crisis_2019_2020",)
    assert 4 <= len(spec.policies) <= 6 and 6 <= len(spec.parameters) <= 10
    assert spec.policies[0].name == "today" and spec.policies[0].named == ()


# ------------------------------------------------------------------------------------------------
# Common random numbers


def test_every_policy_sees_the_same_uncertainty_points_and_seeds():
    spec = load_sweep_spec(_robust(replicates=7))
    plan = plan_robust(spec)
    values = plan.values
    point = plan.point_of_world
    frame = pd.DataFrame({"policy": values["policy"].to_numpy()[point],
                          "u": values["uncertainty_row"].to_numpy()[point],
                          "r": plan.replicate_of_world, "seed": plan.seeds})
    by_policy = {name: part.sort_values(["u", "r"])["seed"].to_numpy() for name, part in frame.groupby("policy")}
    reference = by_policy["today"]
    assert len(reference) == 2 * 7 and len(np.unique(reference)) == len(reference)  # distinct within a policy
    for seeds in by_policy.values():
        np.testing.assert_array_equal(seeds, reference)
    for path in ("quds_force.leash_strength", "iran.direct_weight"):
        per_policy = values.pivot(index="uncertainty_row", columns="policy", values=path)
        assert (per_policy.nunique(axis=1) == 1).all()
    levers = values.groupby("policy")["iraqi_government.militia_pressure"].agg(["min", "max"])
    assert (levers["min"] == levers["max"]).all() and levers.loc["baghdad_presses", "min"] == 3.0


# ------------------------------------------------------------------------------------------------
# The command line, in a subprocess, on a tiny spec


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, escalation):
    """``escalation robust`` on 3 policies x 2 uncertainty points x 150 worlds of 200 days."""
    import yaml

    root = tmp_path_factory.mktemp("robust")
    (root / "tiny.yaml").write_text(yaml.safe_dump(_robust()))
    done = escalation("robust", "tiny.yaml", "--out", "store", "--workers", "1", "--quiet", cwd=root)
    return root, done


def test_the_command_prints_the_table_and_writes_the_documented_files(tiny_run):
    root, done = tiny_run
    assert done.returncode == 0, done.stderr
    assert "P(confrontation) [95%]" in done.stdout and "minimax regret" in done.stdout
    store = root / "store"
    table = pd.read_parquet(store / "robust.parquet")
    assert sorted(table["policy"]) == ["baghdad_presses", "drawdown", "today"]
    assert table["rank"].tolist() == [1, 2, 3] and (table["worlds"] == 300).all() and (table["points"] == 2).all()
    assert (table["p_confrontation_lower"] <= table["p_confrontation"]).all()
    assert (table["p_confrontation"] <= table["p_confrontation_upper"]).all()
    assert np.allclose(table[["holds", "fails", "inconclusive"]].sum(axis=1), 1.0)
    assert table["p_most_robust"].sum() == pytest.approx(1.0)
    assert (table["regret_max_p_confrontation_lower"] <= table["regret_max_p_confrontation_upper"]).all()
    assert len(pd.read_csv(store / "robust.csv")) == 3
    assert len(pd.read_parquet(store / "robust_points.parquet")) == 6
    meta = json.loads((store / "robust.json").read_text())
    assert meta["criterion"] == "p_confrontation" and meta["ranking"] == table["policy"].tolist()
    assert meta["worlds_per_point"] == 150 and meta["uncertainty_points"] == 2


def test_the_today_policy_is_the_scenario_as_it_is_in_the_same_worlds(tiny_run):
    from analysis.runs.store import Results
    from sim.runner import simulate

    root, done = tiny_run
    assert done.returncode == 0, done.stderr
    stored = Results(root / "store").outcomes()
    today = stored[(stored["policy"] == "today") & (stored["uncertainty_row"] == 0)].reset_index(drop=True)
    other = stored[(stored["policy"] == "drawdown") & (stored["uncertainty_row"] == 0)].reset_index(drop=True)
    np.testing.assert_array_equal(today["seed"].to_numpy(), other["seed"].to_numpy())  # common random numbers
    uncertain = {p: float(today[p].iloc[0]) for p in ("quds_force.leash_strength", "iran.direct_weight")}
    alone = simulate("crisis_2019_2020", days=200, world_seeds=today["seed"].to_numpy(dtype=np.uint64),
                     overrides=uncertain, collect_events=False, collect_series=False).outcomes
    for column in ("attacks", "us_killed", "us_wounded", "max_rung", "outcome"):
        np.testing.assert_array_equal(alone[column].astype(str).to_numpy(), today[column].astype(str).to_numpy())


def test_switching_a_lever_moves_the_statistic_it_is_for(tiny_run):
    # seeded (seed 11, 300 worlds per policy); the effects are many times the intervals' half-widths
    root, done = tiny_run
    assert done.returncode == 0, done.stderr
    table = pd.read_parquet(root / "store" / "robust.parquet").set_index("policy")
    # Baghdad's pressure on the militias (0.5 -> 3.0) is for fewer attacks
    assert table.loc["baghdad_presses", "attacks_upper"] < table.loc["today", "attacks_lower"]
    # a US that leaves when Baghdad asks (compliance 0.15 -> 1, 200 troops a day) is for fewer Americans killed
    assert table.loc["drawdown", "us_killed_upper"] < table.loc["today", "us_killed_lower"]
    assert table.loc["drawdown", "regret_max_us_killed"] < table.loc["today", "regret_max_us_killed"]


def test_rerunning_resumes_and_a_dry_run_prints_the_size(tiny_run, escalation):
    root, done = tiny_run
    assert done.returncode == 0, done.stderr
    before = pd.read_parquet(root / "store" / "robust.parquet")
    again = escalation("robust", "tiny.yaml", "--out", "store", "--workers", "1", cwd=root)
    assert again.returncode == 0, again.stderr
    assert "already stored" in again.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(root / "store" / "robust.parquet"), before)
    dry = escalation("robust", "tiny.yaml", "--dry-run", "--worlds-per-point", "4", cwd=root)
    assert dry.returncode == 0 and "3 policies" in dry.stdout and "24 worlds" in dry.stdout, dry.stderr
    plain = escalation("robust", "leash_vs_us_threshold", "--dry-run", cwd=root)
    assert plain.returncode == 2 and "not a robust-decision spec" in plain.stderr
