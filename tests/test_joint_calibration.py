"""The joint fit of the era scenarios (analysis.calibration.joint): shared columns move every era together."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from analysis.calibration.joint import _era_columns, _joint_layout, calibrate_jointly
from analysis.calibration.statistics import Worlds, measure
from analysis.calibration.targets import load_targets
from sim.errors import InputError
from sim.runner import simulate
from sim.scenario import load_scenario

KILL = "militia_dynamics.lethality.*.kill"


def test_a_shared_column_serves_every_era_and_an_own_column_one():
    eras = [load_scenario("baseline"), load_scenario("campaign_2023_2024")]
    own = {"baseline": ["militias.*.base_attack_rate"], "campaign_2023_2024": ["militia_dynamics.outside_war_multiplier"]}
    names, scopes, box, multiplier, knobs = _joint_layout(eras, [KILL], own, 2.0)
    assert names == [f"{KILL} (shared)", "militias.*.base_attack_rate (baseline)",
                     "militia_dynamics.outside_war_multiplier (campaign_2023_2024)"]
    assert scopes == [("baseline", "campaign_2023_2024"), ("baseline",), ("campaign_2023_2024",)]
    assert multiplier == [True, True, False]
    assert _era_columns(1, [1, 1]) == [[0, 1], [0, 2]]
    # the shared multiplier scales each era's OWN values: the campaign's weapons keep their ratio to 2019's
    baseline_kill = knobs[0][0].values(np.array([2.0]))
    campaign_kill = knobs[1][0].values(np.array([2.0]))
    path = "militia_dynamics.lethality.rockets.kill"
    assert baseline_kill[path][0] == pytest.approx(2 * knobs[0][0].originals[knobs[0][0].paths.index(path)])
    assert campaign_kill[path][0] != pytest.approx(baseline_kill[path][0])
    assert np.log(2.0) == pytest.approx(box[0, 1])


def _targets_file(tmp_path, values: dict[str, float]) -> str:
    rows = [{"name": f"{scenario}_share_killing", "quantity": "share of attacks that kill", "scenario": scenario,
             "statistic": "share_attacks_killing", "value": float(value), "range": [0.8 * value, 1.2 * value],
             "role": "fit", "confidence": "M", "source": "simulated at a known multiplier (test)"}
            for scenario, value in values.items()]
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump({"targets": rows}, sort_keys=False))
    return str(path)


def test_the_joint_fit_recovers_a_shared_multiplier_that_made_the_targets(tmp_path):
    """Targets simulated at x1.6 on the kill probabilities of two eras; the joint fit finds ~1.6.

    Tolerance: 2 x 120 common worlds per candidate hold ~16,000 attacks and ~130 deadly ones, so one era's
    kill share has a relative standard error near 9 % and the joint estimate near 6 %; [1.25, 2.0] is about
    +-3.5 standard errors of the multiplier (the kill share is about proportional to it).
    """
    truth = 1.6
    values = {}
    for name in ("baseline", "talks_2021"):
        scenario = load_scenario(name)
        overrides = {p: v * truth for p, v in _kill_paths(scenario).items()}
        run = simulate(scenario, n_worlds=1000, seed=99, overrides=overrides, collect_series=False)
        target = [t for t in load_targets(_targets_file(tmp_path, {name: 0.01})) if t.scenario == name]
        values[name] = measure(Worlds.from_run(scenario, run, scenario.days), target)[0].value
    source = _targets_file(tmp_path, values)
    result = calibrate_jointly(["baseline", "talks_2021"], targets_files={"baseline": source, "talks_2021": source},
                               shared=[KILL], own={}, worlds=120, candidates=16, rounds=2, bootstrap=20,
                               fit_worlds=400, search_factor=3.0)
    (kill,) = result.parameters
    assert kill.eras == ("baseline", "talks_2021")
    assert 1.25 <= kill.value <= 2.0, result.summary()
    assert kill.lower <= kill.value <= kill.upper
    assert result.out_of_range() == [], result.summary()


def _kill_paths(scenario) -> dict[str, float]:
    from sim.scenario import parameter_paths

    return {p: float(info.default) for p, info in parameter_paths(scenario).items()
            if p.startswith("militia_dynamics.lethality.") and p.endswith(".kill")}


def test_one_era_is_not_a_joint_fit():
    with pytest.raises(InputError, match="at least two era scenarios"):
        calibrate_jointly(["baseline"], worlds=20, candidates=4, rounds=1, bootstrap=0)


def test_cli_calibrate_joint_prints_every_era_and_writes_only_under_out(tmp_path, escalation):
    done = escalation("calibrate", "--joint", "--worlds", "10", "--candidates", "4", "--rounds", "1",
                      "--bootstrap", "0", "--fit-worlds", "10", "--out", tmp_path / "joint", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for era in ("baseline", "crisis_2019_2020", "talks_2021", "campaign_2023_2024"):
        assert f"{era} at the joint values" in done.stdout
    assert "(shared)" in done.stdout and ("Every target in range" in done.stdout or "Out of range:" in done.stdout)
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["joint/joint_fit.txt"]
    refused = escalation("calibrate", "--joint", "baseline", cwd=tmp_path)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "takes no SCENARIO" in refused.stderr
