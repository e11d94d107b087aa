"""Parameter uncertainty: priors and ensembles in the schema, keyed draws, replay, coverage and the thesis under it."""

import copy
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats

from analysis.calibration.ensemble import (
    draw_vectors, ensemble_coverage, plan_ensemble, point_values, replay_world, run_ensemble, uncertain_paths,
    world_parameters, world_seeds,
)
from analysis.stats.thesis import predictive_interval, uncertain_verdict
from sim.errors import InputError
from sim.runner import simulate
from sim.scenario import ScenarioError, load_scenario, parameter_paths, validate_scenario

ERA_SCENARIOS = ["baseline", "crisis_2019_2020", "talks_2021", "campaign_2023_2024", "after_talks_2021_2023"]


def _with(scenario_name: str, **sections):
    data = load_scenario(scenario_name).model_dump()
    data.update(copy.deepcopy(sections))
    return data


# -- the schema ---------------------------------------------------------------------------------------------


def test_every_era_scenario_has_priors_on_values_set_by_judgement_and_the_fitted_ones_an_ensemble():
    for name in ERA_SCENARIOS:
        scenario = load_scenario(name)
        assert scenario.priors, name
        assert all(p.source == "judgement" or p.source.startswith("[") for p in scenario.priors.values())
        assert "baseline" in scenario.ensembles, name  # every era inherits the baseline's fit of lethality and the US
    assert set(load_scenario("crisis_2019_2020").ensembles) == {"baseline", "crisis_2019_2020"}
    assert set(load_scenario("talks_2021").ensembles) == {"baseline", "talks_2021"}
    assert "militia_dynamics.outside_war_multiplier" in load_scenario("campaign_2023_2024").priors
    assert "context.mission_end_restraint" in load_scenario("after_talks_2021_2023").priors
    # the uncertainty sections are not parameters: sweeps and overrides cannot reach them
    assert not any(p.startswith(("priors.", "ensembles.")) for p in parameter_paths(load_scenario("baseline")))


@pytest.mark.parametrize("priors, message", [
    ({"iran.war_cst": {"range": [5, 20], "source": "judgement"}},
     "priors.iran.war_cst: unknown parameter path (did you mean 'iran.war_cost'?)"),
    ({"iran.war_cost": {"range": [11, 20], "source": "judgement"}},
     "priors.iran.war_cost.range: the scenario's value 10 lies outside [11, 20]"),
    ({"iran.war_cost": {"range": [5, 200], "source": "judgement"}},
     "priors.iran.war_cost.range: [5.0, 200.0] leaves the schema's range [0.0, 100.0]"),
    ({"iran.war_cost": {"range": [20, 5], "source": "judgement"}}, "expected [low, high] with low < high"),
    ({"iran.war_cost": {"range": [5, 20], "source": "a hunch"}}, "expected 'judgement' or a reference key"),
    ({"iran.war_cost": {"range": [5, 20], "source": "judgement", "distribution": "normal"}},
     "priors.iran.war_cost.distribution"),
    ({"iran.surge_cost": {"range": [0, 2], "source": "judgement", "distribution": "log_uniform"}},
     "a log_uniform prior needs a range above 0"),
    ({"iran.war_cost": {"range": [5, 20], "source": "judgement", "mode": 12}}, "only a triangular prior has a mode"),
    ({"iran.talks_active": {"range": [0, 1], "source": "judgement"}}, "a true/false switch takes no prior"),
])
def test_bad_priors_are_one_line_naming_the_key(priors, message):
    with pytest.raises(ScenarioError, match="^<scenario>: .*") as raised:
        validate_scenario(_with("baseline", priors=priors))
    assert message in str(raised.value) and "\n" not in str(raised.value)


@pytest.mark.parametrize("ensemble, message", [
    ({"knobs": ["militias.*.nope"]}, "ensembles.test.knobs[0]: 'militias.*.nope' names no parameter path"),
    ({"members": [[1.0], [1.1, 0.9]]}, "ensembles.test.members[0]: expected 2 factors (one per knob), got 1"),
    ({"members": [[1.0, -1.0], [1.1, 0.9]]}, "member 0: expected factors above 0"),
    ({"knobs": ["iran.war_cost", "united_states.strike_threshold"]},
     "ensembles.test.knobs[0]: iran.war_cost is fitted and also has a prior"),
    ({"knobs": ["militias.*.base_attack_rate", "militias.badr.base_attack_rate"]},
     "militias.badr.base_attack_rate is set by two knobs"),
])
def test_bad_ensembles_are_one_line_naming_the_key(ensemble, message):
    good = {"method": "test", "fitted_to": "test", "knobs": ["militias.*.base_attack_rate", "united_states.strike_threshold"],
            "members": [[1.0, 1.0], [1.1, 0.9]]}
    with pytest.raises(ScenarioError) as raised:
        validate_scenario(_with("baseline", ensembles={"test": {**good, **ensemble}}))
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_a_child_drops_an_inherited_prior_or_ensemble_with_null(tmp_path):
    child = tmp_path / "child.yaml"
    child.write_text("extends: baseline\nsources: ['[PressReports]']\npriors:\n  iran.war_cost: null\n"
                     "ensembles:\n  baseline: null\n", encoding="utf-8")
    loaded = load_scenario(child)
    assert "iran.war_cost" not in loaded.priors and "iran.round_cost" in loaded.priors and not loaded.ensembles


def test_validate_cli_refuses_a_bad_prior_in_one_line(tmp_path, escalation):
    path = tmp_path / "bad.yaml"
    path.write_text("extends: baseline\nsources: ['[PressReports]']\npriors:\n"
                    "  iran.war_cost: {range: [11, 20], source: judgement}\n", encoding="utf-8")
    done = escalation("validate", path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "priors.iran.war_cost.range: the scenario's value 10 lies outside [11, 20]" in done.stderr


# -- keyed draws ------------------------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32), vector=st.integers(0, 10_000))
def test_a_vector_depends_only_on_the_seed_and_its_index_and_stays_in_range(seed, vector):
    scenario = load_scenario("campaign_2023_2024")
    alone = draw_vectors(scenario, seed, [vector])
    among = draw_vectors(scenario, seed, [vector + 1, vector, vector + 7]).loc[[vector]]
    assert alone.equals(among)
    infos = parameter_paths(scenario)
    for path, prior in scenario.priors.items():
        value = float(alone[path].iloc[0])
        assert prior.range[0] <= value <= prior.range[1]
        if infos[path].kind == "int":
            assert value == round(value)
    for path in uncertain_paths(scenario):
        info = infos[path]
        assert (info.lo is None or alone[path].iloc[0] >= info.lo) and (info.hi is None or alone[path].iloc[0] <= info.hi)


def test_adding_a_prior_leaves_the_other_draws_alone():
    base = load_scenario("baseline")
    more = validate_scenario(_with("baseline", priors={**base.model_dump()["priors"],
                                                        "iran.talks_restraint": {"range": [0.8, 1.6], "source": "judgement"}}))
    a, b = draw_vectors(base, 3, range(20)), draw_vectors(more, 3, range(20))
    assert a.equals(b[a.columns]) and "iran.talks_restraint" in b


def test_priors_are_drawn_from_their_distributions():
    """4,000 vectors: each prior's draws pass a Kolmogorov-Smirnov test against its distribution (p > 0.001; the
    draws are deterministic for seed 5, so the test cannot flake)."""
    priors = {"iran.war_cost": {"range": [5, 20], "source": "judgement", "distribution": "log_uniform"},
              "iran.round_cost": {"range": [0.5, 3], "source": "judgement"},
              "iran.us_round_cost": {"range": [1, 8], "source": "judgement", "distribution": "triangular"}}
    scenario = validate_scenario(_with("baseline", priors=priors, ensembles={}))
    drawn = draw_vectors(scenario, 5, range(4000))
    assert stats.kstest(np.log(drawn["iran.war_cost"]), stats.uniform(np.log(5), np.log(4)).cdf).pvalue > 1e-3
    assert stats.kstest(drawn["iran.round_cost"], stats.uniform(0.5, 2.5).cdf).pvalue > 1e-3
    triangular = stats.triang((3 - 1) / 7, loc=1, scale=7)  # mode: the scenario's value, 3
    assert stats.kstest(drawn["iran.us_round_cost"], triangular.cdf).pvalue > 1e-3


def test_ensemble_members_are_drawn_evenly_and_set_factors_of_the_scenario_values():
    scenario = load_scenario("talks_2021")
    drawn = draw_vectors(scenario, 0, range(3000), priors=False)
    members = np.array(scenario.ensembles["talks_2021"].members)[:, 0]
    value = scenario.militias["badr"].base_attack_rate
    factors = drawn["militias.badr.base_attack_rate"].to_numpy() / value
    nearest = np.abs(factors[:, None] - members[None, :]).min(axis=1)
    assert nearest.max() < 1e-9  # every draw is a member's factor
    counts = np.bincount(np.abs(factors[:, None] - members[None, :]).argmin(axis=1), minlength=len(members))
    assert stats.chisquare(counts[counts > 0]).pvalue > 1e-3 or len(set(members)) < len(members)
    # the priors keep the scenario's value when only the ensembles are drawn
    assert (drawn["iran.war_cost"] == scenario.iran.war_cost).all()


def test_point_values_are_the_scenarios_own():
    scenario = load_scenario("crisis_2019_2020")
    values = point_values(scenario)
    assert values["militia_dynamics.grievance_half_life"] == scenario.militia_dynamics.grievance_half_life
    assert world_parameters(scenario, 0, -1) == values


def test_a_scenario_without_priors_or_ensembles_is_refused():
    bare = validate_scenario(_with("baseline", priors={}, ensembles={}))
    with pytest.raises(InputError, match="neither `ensembles:` nor `priors:`"):
        draw_vectors(bare, 0, [0])


# -- runs: the point estimate is the plain batch, any world replays alone -------------------------------------


def test_the_point_estimate_worlds_are_the_plain_batch_and_vector_worlds_replay_alone():
    run = run_ensemble("baseline", vectors=3, worlds=8, point_worlds=12, seed=4, days=60)
    plain = simulate("baseline", n_worlds=12, seed=4, days=60, collect_events=False, collect_series=False)
    assert (run.point == plain.outcomes["outcome"].astype(str).to_numpy()).all()
    alone = replay_world("baseline", 4, vector=2, replicate=5, days=60, collect_series=False)
    assert alone.outcomes["outcome"].astype(str).iloc[0] == run.outcomes[2, 5]
    assert int(alone.outcomes["seed"].iloc[0]) == int(world_seeds(4, 2, 5)[0])


def test_a_stored_ensemble_world_replays_alone(tmp_path):
    from analysis.runs.execute import execute

    plan = plan_ensemble(["baseline", "talks_2021"], vectors=3, worlds=6, point_worlds=10, seed=2, days=45)
    results = execute(plan, tmp_path / "store", workers=1, quiet=True)
    outcomes = results.outcomes()
    assert len(outcomes) == 2 * (10 + 3 * 6)
    row = outcomes[(outcomes["scenario"] == "talks_2021") & (outcomes["design_row"] == 2)].iloc[4]
    assert int(row["replicate"]) == 4
    alone = replay_world("talks_2021", 2, vector=1, replicate=4, days=45, collect_series=False).outcomes.iloc[0]
    for column in ("seed", "outcome", "attacks", "us_killed", "max_rung", "us_strikes"):
        assert str(alone[column]) == str(row[column]), column
    drawn = world_parameters("talks_2021", 2, 1)
    assert all(row[path] == pytest.approx(value) for path, value in drawn.items())
    point = outcomes[(outcomes["scenario"] == "baseline") & (outcomes["design_row"] == 0)]
    plain = simulate("baseline", n_worlds=10, seed=2, days=45, collect_events=False, collect_series=False).outcomes
    assert list(point["seed"]) == list(plain["seed"]) and list(point["outcome"]) == list(plain["outcome"].astype(str))


# -- the spread covers the record ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["baseline", "crisis_2019_2020", "talks_2021", "campaign_2023_2024"])
def test_the_ensembles_spread_covers_every_fitted_target(name):
    """10 ensemble vectors x 50 common worlds (seed 0): for every fitted target of the scenario the vectors'
    simulated statistics reach into the target's accepted range, and their median lies inside it.

    The fit has more targets than knobs, so it is a compromise inside the ranges, not on every central value;
    the criterion is the range, and the worlds are common so the spread is the parameters'."""
    coverage = ensemble_coverage(name, vectors=10, worlds=50, seed=0)
    assert len(coverage) >= 1
    assert coverage["brackets"].all(), coverage.to_string()
    assert coverage["centred"].all(), coverage.to_string()


# -- the three numbers --------------------------------------------------------------------------------------


def test_the_three_numbers_on_known_counts():
    hits = np.array([0, 0, 0, 40, 1])  # one vector fails, three hold, one (1/200) holds too
    worlds = np.full(5, 200)
    result = uncertain_verdict(np.zeros(1000, bool), hits, worlds, 0.05, label="x")
    assert result.point.verdict == "holds" and result.point.upper < 0.004
    assert result.shares == {"holds": 0.8, "fails": 0.2, "inconclusive": 0.0}
    assert result.share == pytest.approx(41 / 1000)
    exact = stats.beta.ppf([0.025, 0.975], [41, 42], [1000 - 41 + 1, 1000 - 41])
    assert result.lower <= exact[0] and result.upper >= exact[1]  # never narrower than the pooled exact interval
    assert result.upper > 0.05 and result.verdict == "inconclusive"  # one bad vector in five: not settled
    text = result.text
    assert "(i) at the point estimate" in text and "(ii) posterior predictive" in text and "(iii) per parameter vector" in text


def test_the_predictive_interval_widens_with_spread_across_vectors_and_covers_the_mean():
    """200 seeded experiments of 40 vectors x 300 worlds, vectors' P drawn from Beta(1, 49) (mean 2 %): the
    interval holds the true mean in at least 90 % of them (nominal 95 %; binomial SE ~1.5 % at 200), and it is
    wider than for the same worlds with no spread across vectors."""
    rng = np.random.default_rng(1)
    covered, wider = 0, 0
    for _ in range(200):
        p = rng.beta(1, 49, size=40)
        hits = rng.binomial(300, p)
        low, high = predictive_interval(hits, np.full(40, 300), replicates=1000, seed=2)
        covered += low <= 0.02 <= high
        flat = rng.binomial(300, np.full(40, hits.sum() / 12_000))
        flat_low, flat_high = predictive_interval(flat, np.full(40, 300), replicates=1000, seed=2)
        wider += (high - low) > (flat_high - flat_low)
    assert covered >= 180
    assert wider >= 150


def test_thesis_ensemble_cli_prints_the_three_numbers(escalation):
    done = escalation("thesis", "--ensemble", "baseline", "campaign_2023_2024", "--vectors", "3", "--worlds", "20",
                      "--point-worlds", "40", "--days", "40")
    assert done.returncode in (0, 1, 3), done.stderr
    for name in ("baseline", "campaign_2023_2024"):
        assert f"{name}: 3 parameter vectors x 20 worlds; point estimate 40 worlds" in done.stdout
    assert done.stdout.count("(i) at the point estimate") == 2
    assert done.stdout.count("(ii) posterior predictive") == 2 and done.stdout.count("(iii) per parameter vector") == 2
    assert done.stderr == ""  # no progress bar when standard error is not a terminal


def test_thesis_ensemble_cli_bad_input_is_one_line(tmp_path, escalation, escalation_in_process):
    """The first refusal runs in a subprocess, as a user runs it; the others call the entry point in this process
    (conftest.InProcessEscalation): the same message and exit code, without an interpreter start each."""
    bare = tmp_path / "bare.yaml"
    bare.write_text("extends: baseline\nsources: ['[PressReports]']\nensembles: {baseline: null}\npriors:\n"
                    + "".join(f"  {p}: null\n" for p in load_scenario("baseline").priors), encoding="utf-8")
    refusals = ((["--ensemble", bare], "neither `ensembles:` nor `priors:`"),
                (["--ensemble", "--settle", "baseline"], "--settle and --ensemble do not combine"),
                (["--ensemble", "baseline", "--vectors", "0"], "--vectors: expected a positive number"))
    for index, (args, message) in enumerate(refusals):
        done = (escalation if index == 0 else escalation_in_process)("thesis", *args, cwd=tmp_path)
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and message in done.stderr, done.stderr


def test_batch_ensemble_store_prints_the_three_numbers(tmp_path, escalation, escalation_in_process):
    done = escalation("batch", "talks_2021", "--worlds", "10", "--ensemble", "2", "--point-worlds", "20", "--days",
                      "30", "--out", tmp_path / "ens", "--workers", "1", "--quiet")
    assert done.returncode == 0, done.stderr
    shown = escalation("thesis", tmp_path / "ens")
    assert shown.returncode in (0, 1, 3), shown.stderr
    assert re.search(r"\(i\) at the point estimate: \d+/20 worlds in confrontation", shown.stdout), shown.stdout
    assert re.search(r"\(ii\) posterior predictive \(parameters drawn\): \d+/20 worlds", shown.stdout)  # 2 x 10
    assert "(iii) per parameter vector" in shown.stdout and "ensemble store" in shown.stdout
    from analysis.runs.store import open_results

    test = open_results(tmp_path / "ens").thesis()
    verdict = test.verdicts[0]
    assert verdict.ensemble is not None and verdict.ensemble.members == 2 and "(iii)" in test.text
    # a refusal: its message and exit code do not depend on the process (conftest.InProcessEscalation)
    bad = escalation_in_process("batch", "talks_2021", "--worlds", "10", "--point-worlds", "20", "--out", tmp_path / "x",
                                "--workers", "1", cwd=tmp_path)
    assert bad.returncode == 2 and "--point-worlds needs --ensemble M" in bad.stderr
