"""Scenarios: shipped files load, extends merges, every bad input gets one clear line."""

import re

import pytest

from sim.scenario import ScenarioError, list_scenarios, load_scenario, parameter_paths
from analysis.cli.reference import scenario_reference

SHIPPED = ["baseline", "isis_2015", "partnership_2018", "crisis_2019_2020", "talks_2021", "no_leash",
           "hawkish_us", "us_drawdown", "regional_war"]


def test_every_shipped_scenario_loads_and_cites_sources():
    infos = {info.name: info for info in list_scenarios()}
    assert set(SHIPPED) <= set(infos)
    for name in SHIPPED:
        scenario = load_scenario(name)
        assert scenario.sources and scenario.title and scenario.summary
        assert all(event.source for event in scenario.timeline), name


def test_extends_inherits_and_overrides():
    crisis = load_scenario("crisis_2019_2020")
    no_leash = load_scenario("no_leash")
    assert no_leash.quds_force.leash_strength == 0.0
    assert crisis.quds_force.leash_strength == 0.8
    assert no_leash.timeline == crisis.timeline
    assert no_leash.militias == crisis.militias
    assert set(crisis.sources) < set(no_leash.sources)
    assert no_leash.name == "no_leash"


def test_a_faction_set_to_null_is_removed(tmp_path):
    path = tmp_path / "four.yaml"
    path.write_text("name: four\nextends: baseline\nmilitias:\n  badr: null\n")
    scenario = load_scenario(path)
    assert "badr" not in scenario.militias and len(scenario.militias) == 4
    assert "militias.badr.obedience" not in parameter_paths(scenario)


def test_parameter_paths_reach_every_numeric_leaf():
    paths = parameter_paths(load_scenario("baseline"))
    assert paths["militias.kataib_hezbollah.obedience"].hi == 1.0
    assert paths["militia_dynamics.lethality.drone.kill"].kind == "float"
    assert paths["iran.talks_active"].kind == "bool"
    assert "days" not in paths and "timeline" not in paths


def test_with_values_validates():
    scenario = load_scenario("baseline").with_values({"united_states.hawkishness": 2.5})
    assert scenario.united_states.hawkishness == 2.5
    with pytest.raises(ScenarioError, match="less than or equal to 1"):
        load_scenario("baseline").with_values({"quds_force.leash_strength": 2.0})


BAD = {
    "unknown key": ("united_states:\n  hawkishnes: 2\n", "united_states.hawkishnes: unknown key (did you mean 'hawkishness'?)"),
    "wrong type": ("quds_force:\n  leash_strength: strong\n", "quds_force.leash_strength: expected a valid number"),
    "out of range": ("militias:\n  badr:\n    obedience: 1.5\n", "militias.badr.obedience: expected a value less than or equal to 1, got 1.5"),
    "unknown faction": ("timeline:\n  - {date: 2019-12-01, type: attack, faction: kataib_hezbolah}\n",
                        "timeline[0].faction: unknown faction 'kataib_hezbolah' (did you mean 'kataib_hezbollah'?)"),
    "unknown event": ("timeline:\n  - {day: 3, type: atack}\n", "timeline[0].type: unknown event type 'atack'"),
    "date before start": ("timeline:\n  - {date: 2001-01-01, type: talks, status: start}\n", "is before start_date"),
    "yaml syntax": ("iran: [talks_active: true\n", "YAML syntax error at line"),
    "not a mapping": ("- just\n- a list\n", None),
    "bad faction key": ("militias:\n  Bad-Key: {}\n", "must be snake_case"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_scenarios_get_one_clear_line(tmp_path, case):
    body, expected = BAD[case]
    path = tmp_path / "bad.yaml"
    header = "" if case == "not a mapping" else "name: bad\nextends: baseline\n"
    path.write_text(header + body)
    with pytest.raises(ScenarioError) as raised:
        load_scenario(path)
    line = raised.value.one_line()
    assert "\n" not in line and str(path) in line
    if expected:
        assert expected in line


def test_circular_extends_and_missing_files_are_reported(tmp_path):
    (tmp_path / "a.yaml").write_text("name: a\nextends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("name: b\nextends: a.yaml\n")
    with pytest.raises(ScenarioError, match=r"circular 'extends' \(a.yaml -> b.yaml -> a.yaml\)"):
        load_scenario(tmp_path / "a.yaml")
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nope.yaml")
    (tmp_path / "c.yaml").write_text("name: c\nextends: nothing_like_it\nsources: [x]\n")
    with pytest.raises(ScenarioError, match="c.yaml: extends: unknown scenario 'nothing_like_it'"):
        load_scenario(tmp_path / "c.yaml")


def test_yaml_is_loaded_safely(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("name: !!python/object/apply:os.system ['echo pwned']\nsources: [x]\n")
    with pytest.raises(ScenarioError, match="YAML syntax error"):
        load_scenario(path)


def test_reference_is_generated_from_the_schema_and_committed_up_to_date():
    from pathlib import Path

    text = scenario_reference()
    baseline = load_scenario("baseline")
    for path in parameter_paths(baseline):
        generic = re.sub(r"^militias\.\w+\.", "militias.<faction>.", path)
        generic = re.sub(r"lethality\.\w+\.", "lethality.<weapon>.", generic)
        assert f"`{generic}`" in text, generic
    committed = Path(__file__).parent.parent / "docs" / "scenario-reference.md"
    assert committed.read_text() == text, "run: escalation schema --out docs/scenario-reference.md"
