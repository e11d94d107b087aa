"""Paths into confrontation and contained exchange (issue 10): the vocabulary, the table, the wiring.

Unit tests build event tables by hand, one per step of the vocabulary (analysis/stats/paths.py); the
integration tests run real batches and check the rebuilt exchanges against the model's own tallies.
"""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.runs.store import part_name, write_parquet_atomic
from analysis.stats.intervals import proportion_interval
from analysis.stats.paths import (
    ALL_CLASSES, ARROW, NO_EVENTS, NO_EVENTS_REPORT, PATH_COLUMNS, STEPS, TABLE_COLUMNS, path_table, world_paths,
)
from sim.runner import simulate
from sim.scenario import load_scenario, validate_scenario

QUDS = "Quds Force commander killed (scripted)"


def ev(day, actor, action, target="", killed=0, intended=None, scripted=False, world=0):
    """One event row (the columns world_paths reads)."""
    if intended is None:
        intended = 6 if action == "direct_strike" else 0
    return {"world": world, "day": day, "actor": actor, "action": action, "target": target, "killed": killed,
            "intended": intended, "scripted": scripted}


def us_strike(day, **kw):
    return ev(day, "united_states", "direct_strike", "iran", killed=5, **kw)


def salvo(day, warned=True, killed=0, **kw):
    return ev(day, "iran", "direct_strike", "us_forces", killed=killed, intended=2 if warned else 6, **kw)


def ended(day, by, **kw):
    """exchange_ended, recorded by the side that did not answer."""
    return ev(day, by, "exchange_ended", "iran" if by == "united_states" else "united_states", **kw)


def quds(day, scripted=False, **kw):
    return ev(day, "united_states", "leader_killing", "quds_force", killed=3, intended=5, scripted=scripted, **kw)


def attack(day, killed=1, scripted=False, **kw):
    return ev(day, "kataib_hezbollah", "attack", "base_iraq", killed=killed, intended=3, scripted=scripted, **kw)


def path_of(rows, outcome="contained_exchange", world=0):
    events = pd.DataFrame(rows)
    outcomes = pd.DataFrame({"world": [world], "outcome": [outcome]})
    paths = world_paths(events, outcomes, ALL_CLASSES)
    assert list(paths.columns) == list(PATH_COLUMNS) and len(paths) == 1
    return paths.iloc[0]


# -- the vocabulary, step by step ------------------------------------------------------------------------

def test_scripted_commander_killing_warned_salvo_with_dead_us_answer_iran_holds_back():
    row = path_of([quds(94, scripted=True), ev(94, "kataib_hezbollah", "threat", "united_states"),
                   salvo(103, killed=2), us_strike(104), ev(108, "iran", "no_direct_answer", "united_states"),
                   ended(135, "iran")])
    assert row["path"] == ARROW.join([QUDS, "Iran's warned salvo kills Americans", "US strike on Iran",
                                      "Iran holds back"])
    assert (row["rounds"], row["first_strike_day"], row["first_by"], row["first_warned"], row["first_killed"]) == \
        (2, 103, "iran", True, 2)
    assert row["first_step"] == QUDS and row["first_step_scripted"] and row["ending"] == "ended"


def test_american_dead_then_us_leader_killing_then_unwarned_strikes_to_open_war():
    row = path_of([attack(50, killed=2), quds(55), salvo(60, warned=False), us_strike(62),
                   salvo(68, warned=False, killed=3), us_strike(70), ev(70, "united_states", "open_war", "iran")],
                  outcome="confrontation")
    assert row["path"] == ARROW.join([
        "militia attack kills Americans", "US kills the Quds Force commander", "Iran's unwarned strike",
        "US strike on Iran", "Iran's unwarned strike kills Americans", "US strike on Iran", "open war"])
    assert row["rounds"] == 4 and row["ending"] == "open_war" and not row["first_step_scripted"]
    assert row["first_warned"] is not None and not row["first_warned"]


def test_american_dead_count_only_within_ten_days_and_carry_the_scripted_mark():
    late = path_of([attack(40), quds(55), salvo(60), us_strike(62), ended(93, "iran")])
    assert late["path"].startswith("US kills the Quds Force commander -> Iran's warned salvo ->")
    scripted = path_of([attack(50, scripted=True), quds(55), salvo(60), us_strike(62), ended(93, "iran")])
    assert scripted["path"].startswith("militia attack kills Americans (scripted) -> US kills the Quds Force")
    assert scripted["first_step_scripted"]
    # before a scripted killing the dead are history, not the cause of a decision: not a step
    history = path_of([attack(87, scripted=True), quds(94, scripted=True), salvo(99), us_strike(100),
                       ended(131, "iran")])
    assert history["path"].startswith(QUDS + " -> Iran's warned salvo")


def test_us_strike_from_pressure_in_escalation_posture_and_us_does_not_answer():
    row = path_of([attack(10, killed=0), us_strike(30), salvo(36), ended(67, "united_states")])
    assert row["path"] == ARROW.join(["US strike on Iran from pressure (Iran in escalation posture)",
                                      "Iran's warned salvo", "US does not answer"])
    assert row["first_by"] == "united_states" and pd.isna(row["first_warned"]) and not row["first_step_scripted"]


def test_us_strike_after_dead_and_after_irans_answers_short_of_a_strike():
    dead = path_of([attack(25, killed=3), us_strike(30), salvo(36), ended(67, "united_states")])
    assert dead["path"].startswith("militia attack kills Americans -> US strike on Iran (Iran in escalation posture)"
                                   " -> Iran's warned salvo")
    surge = path_of([quds(10, scripted=True), ev(15, "iran", "proxy_surge", "militias"), attack(20, killed=1),
                     us_strike(22), salvo(27), ended(58, "united_states")])
    assert surge["path"] == ARROW.join([QUDS, "Iran's proxy surge", "militia attack kills Americans",
                                        "US strike on Iran", "Iran's warned salvo", "US does not answer"])
    held = path_of([quds(10, scripted=True), ev(15, "iran", "no_direct_answer", "united_states"), us_strike(22),
                    salvo(27, warned=False), ended(58, "united_states")])
    assert held["path"] == ARROW.join([QUDS, "Iran holds back",
                                       "US strike on Iran from pressure (Iran in escalation posture)",
                                       "Iran's unwarned strike", "US does not answer"])
    # the humiliation is looked for before Iran's answer to it, not only 30 days before the US strike
    old = path_of([quds(10, scripted=True), ev(15, "iran", "proxy_surge", "militias"), us_strike(42), salvo(45),
                   ended(76, "united_states")])
    assert old["path"].startswith(QUDS + " -> Iran's proxy surge -> US strike on Iran from pressure -> ")


def test_endings_after_a_us_strike_ceasefire_and_horizon():
    opening = [quds(0, scripted=True), salvo(5), us_strike(7)]
    surge = path_of([*opening, ev(12, "iran", "proxy_surge", "militias"), ended(38, "iran")])
    assert surge["path"].endswith("US strike on Iran -> Iran answers by proxy surge")
    silent = path_of([*opening, ended(38, "iran")])
    assert silent["path"].endswith("US strike on Iran -> Iran does not answer")
    ceasefire = path_of([*opening, ended(9, "iran", scripted=True),
                         ev(9, "united_states", "ceasefire", "iran", scripted=True),
                         ev(9, "iran", "ceasefire", "united_states", scripted=True)])
    assert ceasefire["path"].endswith("US strike on Iran -> ceasefire") and ceasefire["ending"] == "ceasefire"
    horizon = path_of([*opening])
    assert horizon["path"].endswith("US strike on Iran -> still running at the horizon")
    assert horizon["ending"] == "horizon"


def test_scripted_openers_are_the_first_step():
    us = path_of([us_strike(10, scripted=True), salvo(16), ended(47, "united_states")])
    assert us["path"] == "US strike on Iran (scripted) -> Iran's warned salvo -> US does not answer"
    assert us["first_step_scripted"] and us["first_strike_day"] == 10
    iran = path_of([salvo(10, warned=False, killed=1, scripted=True), us_strike(12), ended(43, "iran")])
    assert iran["path"] == ("Iran's unwarned strike kills Americans (scripted) -> US strike on Iran -> "
                            "Iran does not answer")
    assert iran["first_step_scripted"] and iran["first_warned"] is not None and not iran["first_warned"]


def test_earlier_us_strike_and_no_humiliation():
    earlier = path_of([us_strike(10), ended(16, "iran"), salvo(20), us_strike(22), ended(53, "iran")])
    assert earlier["path"] == ARROW.join(["earlier US strike on Iran", "Iran's warned salvo", "US strike on Iran",
                                          "Iran does not answer"])
    assert earlier["earlier_direct_strikes"] == 1
    nothing = path_of([quds(10), salvo(60), us_strike(61), ended(92, "iran")])
    assert nothing["path"].startswith(STEPS["no_humiliation"] + " -> Iran's warned salvo")


def test_the_decisive_exchange_is_the_longest_and_repeats_are_not_rounds():
    row = path_of([quds(0, scripted=True), salvo(5), ended(36, "united_states"),
                   attack(95, killed=1), us_strike(100), us_strike(102), salvo(108), ended(139, "united_states")])
    assert row["rounds"] == 2 and row["first_strike_day"] == 100 and row["earlier_direct_strikes"] == 1
    assert row["path"] == ("militia attack kills Americans -> US strike on Iran (Iran in escalation posture) -> "
                           "Iran's warned salvo -> US does not answer")
    assert not row["first_step_scripted"]


def test_long_exchanges_are_cut_after_the_listed_rounds():
    rows = [us_strike(10, scripted=True), salvo(12), us_strike(14), salvo(16), us_strike(18),
            ev(18, "united_states", "open_war", "iran")]
    row = path_of(rows, outcome="confrontation")
    assert row["rounds"] == 5
    assert row["path"] == ARROW.join(["US strike on Iran (scripted)", "Iran's warned salvo", "US strike on Iran",
                                      "Iran's warned salvo", "... 5 rounds", "open war"])


def test_worlds_without_a_direct_strike_other_classes_and_categorical_columns():
    rows = [ev(3, "iran", "proxy_surge", "militias", world=0), us_strike(10, world=1, scripted=True),
            salvo(15, world=1), ended(46, "united_states", world=1), us_strike(10, world=2)]
    events = pd.DataFrame(rows).astype({"actor": "category", "action": "category", "target": "category"})
    outcomes = pd.DataFrame({"world": [0, 1, 2], "outcome": ["confrontation", "contained_exchange", "crisis"]})
    paths = world_paths(events, outcomes)
    assert list(paths["world"]) == [0, 1]
    assert paths["path"].iloc[0] == STEPS["no_strike"] and paths["rounds"].iloc[0] == 0
    assert paths["path"].iloc[1] == "US strike on Iran (scripted) -> Iran's warned salvo -> US does not answer"
    assert world_paths(events, outcomes, classes=("quiet",)).empty
    only = world_paths(events, outcomes.assign(outcome_model="crisis"), column="outcome_model")
    assert only.empty


# -- the table -------------------------------------------------------------------------------------------

def fake_paths(counts: dict, outcome="confrontation", scripted=True):
    rows = []
    for index, (label, k) in enumerate(counts.items()):
        for j in range(k):
            rows.append({"world": len(rows), "outcome": outcome, "path": label, "first_strike_day": 10 * index + j,
                         "first_step_scripted": scripted if not callable(scripted) else scripted(index)})
    return pd.DataFrame(rows)


def test_path_table_shares_intervals_and_grouping():
    counts = {f"path {i}": k for i, k in enumerate([9, 7, 5, 4, 3, 2, 2, 1, 1])}
    paths = pd.concat([fake_paths(counts, scripted=lambda i: i % 2 == 0),
                       fake_paths({"a": 3, "b": 1}, outcome="contained_exchange", scripted=False)], ignore_index=True)
    table = path_table(paths)
    assert list(table.columns) == list(TABLE_COLUMNS)
    confrontation = table[table["outcome"] == "confrontation"]
    assert list(confrontation["path"]) == [f"path {i}" for i in range(6)] + ["other (3 paths)"]
    assert list(confrontation["worlds"]) == [9, 7, 5, 4, 3, 2, 4]
    n = sum(counts.values())
    assert confrontation["share"].sum() == pytest.approx(1.0)
    lower, upper = proportion_interval(9, n)
    first = confrontation.iloc[0]
    assert (first["lower"], first["upper"]) == (pytest.approx(float(lower)), pytest.approx(float(upper)))
    assert first["median_first_strike_day"] == 4  # days 0..8
    assert list(confrontation["first_step_scripted"]) == ["yes", "no", "yes", "no", "yes", "no", "mixed"]
    contained = table[table["outcome"] == "contained_exchange"]
    assert list(contained["path"]) == ["a", "b"] and list(contained["first_step_scripted"]) == ["no", "no"]
    assert contained["share"].sum() == pytest.approx(1.0)
    assert list(table["outcome"].unique()) == ["confrontation", "contained_exchange"]


def test_path_table_groups_only_two_or_more_and_orders_ties_by_label():
    table = path_table(fake_paths({f"p{i}": 1 for i in range(7)}))
    assert len(table) == 7 and "other" not in " ".join(table["path"])  # one path left over: shown, not grouped
    assert list(table["path"]) == sorted(table["path"])
    assert path_table(fake_paths({f"p{i}": 1 for i in range(8)}))["path"].iloc[-1] == "other (2 paths)"
    assert path_table(pd.DataFrame(columns=list(PATH_COLUMNS))).empty


# -- real batches ----------------------------------------------------------------------------------------

def check_against_outcomes(result):
    """Shares sum to 1 per class, several paths, and the rebuilt exchanges match the model's tallies."""
    outcomes = result.outcomes
    paths = world_paths(result.events, outcomes)
    chosen = outcomes[outcomes["outcome"].isin(["confrontation", "contained_exchange"])]
    assert len(paths) == len(chosen) > 0
    merged = paths.merge(outcomes[["world", "exchange_rounds_max", "max_rung"]], on="world")
    assert (merged["rounds"] == merged["exchange_rounds_max"]).all()
    assert ((merged["ending"] == "open_war") == (merged["max_rung"] == 7)).all()
    assert not (paths["path"] == STEPS["no_strike"]).any()
    table = path_table(paths)
    for _, part in table.groupby("outcome"):
        assert part["share"].sum() == pytest.approx(1.0)
        assert part["worlds"].sum() == (paths["outcome"] == part["outcome"].iloc[0]).sum()
    assert paths["path"].nunique() > 1
    return paths, table


@pytest.fixture(scope="module")
def scripted_strike_run():
    """Baseline with a scripted US strike on Iran on day 10: exchanges are common, a few go on."""
    data = load_scenario("baseline").model_dump()
    data["timeline"] = list(data["timeline"]) + [{"type": "direct_strike", "by": "united_states", "day": 10, "size": 1}]
    data.update(days=200, name="scripted_strike")
    return simulate(validate_scenario(data), n_worlds=1500, seed=1, collect_series=False)


def test_a_scripted_us_strike_batch(scripted_strike_run):
    paths, table = check_against_outcomes(scripted_strike_run)
    assert set(table["outcome"]) == {"confrontation", "contained_exchange"}
    opened = paths[paths["first_strike_day"] == 10]
    assert (opened["first_step"] == "US strike on Iran (scripted)").all() and opened["first_step_scripted"].all()
    top = table[table["outcome"] == "contained_exchange"].iloc[0]
    assert top["path"] == "US strike on Iran (scripted) -> Iran's warned salvo -> US does not answer"


def test_a_hawkish_us_batch():
    paths, table = check_against_outcomes(simulate("hawkish_us", n_worlds=1000, seed=0, collect_series=False))
    assert paths["first_step"].str.contains("Quds Force commander").any()


# -- every other class: crisis without a direct strike, provocation, quiet --------------------------------

def hit(day, killed=0, wounded=0, rung=None, scripted=False, actor="kataib_hezbollah", **kw):
    """A militia attack with its casualties and rung (rung 1: a harmless roadside bomb)."""
    rung = rung if rung is not None else (3 if killed or wounded else 2)
    return {**ev(day, actor, "attack", "base_iraq", killed=killed, intended=rung, scripted=scripted, **kw),
            "wounded": wounded, "rung": rung}


def act(day, actor, action, target="", rung=0, scripted=False, killed=0, **kw):
    return {**ev(day, actor, action, target, killed=killed, scripted=scripted, **kw), "wounded": 0, "rung": rung}


def full(rows):
    """Rows with ``wounded`` and ``rung`` everywhere (as the store writes them)."""
    defaults = {"attack": 2, "strike_militia": 4, "leader_killing": 5, "direct_strike": 6, "siege": 1}
    return [{"wounded": 0, "rung": defaults.get(r["action"], 0), **r} for r in rows]


def test_provocation_milestones_in_the_order_they_came_with_their_days():
    row = path_of(full([hit(3), hit(20, wounded=2), act(25, "united_states", "strike_militia", "kataib_hezbollah", 4),
                        hit(40, killed=1), hit(41, killed=2)]), outcome="provocation")
    assert row["path"] == ARROW.join(["militia attacks begin", "militia attack wounds Americans",
                                      "US strikes militia sites", "militia attack kills Americans"])
    assert row["step_days"] == (3, 20, 25, 40) and row["rounds"] == 0 and row["first_step"] == "militia attacks begin"
    pressure = path_of(full([hit(3), act(9, "united_states", "strike_militia", "badr", 4), hit(30, killed=1)]),
                       outcome="provocation")
    assert pressure["path"] == ARROW.join(["militia attacks begin", "US strikes militia sites from pressure",
                                           "militia attack kills Americans"])
    first_dead = path_of(full([hit(5, killed=1, scripted=True), hit(9)]), outcome="provocation")
    assert first_dead["path"] == "militia attack kills Americans (scripted)" and first_dead["first_step_scripted"]
    assert first_dead["step_days"] == (5,)


def test_quiet_worlds_harass_or_only_threaten():
    harassed = path_of(full([act(4, "kataib_hezbollah", "threat", "united_states"), hit(12, rung=1),
                             act(15, "kataib_hezbollah", "siege", "embassy", 1)]), outcome="quiet")
    assert harassed["path"] == STEPS["harassment"] and harassed["step_days"] == (12,)
    threats = path_of(full([act(4, "kataib_hezbollah", "threat", "united_states")]), outcome="quiet")
    assert threats["path"] == STEPS["threats_only"] and threats["step_days"] == (None,)


def test_crisis_by_leader_killing_and_irans_answer_or_none():
    commander = path_of(full([hit(40, killed=2), quds(45), ev(48, "iran", "proxy_surge", "militias")]),
                        outcome="crisis")
    assert commander["path"] == ARROW.join(["militia attack kills Americans", "US kills the Quds Force commander",
                                            "Iran's proxy surge"])
    assert commander["step_days"] == (40, 45, 48)
    silent = path_of(full([quds(94, scripted=True), ev(130, "iran", "no_direct_answer", "united_states")]),
                     outcome="crisis")  # an answer 36 days later is not the answer to this killing
    assert silent["path"] == ARROW.join([QUDS, STEPS["no_iranian_answer"]]) and silent["step_days"] == (94, None)
    militia = path_of(full([hit(10), act(60, "united_states", "leader_killing", "badr", 5, killed=1)]),
                      outcome="crisis")
    assert militia["path"] == "US kills a militia leader from pressure" and militia["step_days"] == (60,)
    # Muhandis and Soleimani on one day: the commander is the step
    both = path_of(full([act(94, "united_states", "leader_killing", "kataib_hezbollah", 5, scripted=True),
                         quds(94, scripted=True), ev(99, "iran", "no_direct_answer", "united_states")]),
                   outcome="crisis")
    assert both["path"] == ARROW.join([QUDS, "Iran holds back"])
    # an unanswered warned salvo is a one-round exchange: the exchange vocabulary tells it
    salvo_crisis = path_of(full([quds(94, scripted=True), salvo(99), ended(130, "united_states")]), outcome="crisis")
    assert salvo_crisis["path"] == ARROW.join([QUDS, "Iran's warned salvo", "US does not answer"])
    assert salvo_crisis["step_days"] == (94, 99, 130)


def test_exchange_paths_date_every_step():
    row = path_of([attack(50, killed=2), quds(55), salvo(60, warned=False), us_strike(62),
                   ev(65, "iran", "no_direct_answer", "united_states"), ended(93, "iran")])
    assert row["path"].split(ARROW)[-1] == "Iran holds back"
    assert row["step_days"] == (50, 55, 60, 62, 65)
    horizon = path_of([quds(0, scripted=True), salvo(5), us_strike(7)])
    assert horizon["step_days"] == (0, 5, 7, None)


attack_days = st.lists(st.tuples(st.integers(0, 200), st.integers(0, 2), st.integers(0, 2), st.booleans()),
                       min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(attack_days, st.lists(st.integers(0, 200), max_size=3))
def test_milestone_paths_have_one_day_per_step_in_order(attacks, strikes):
    """Invariant: a provocation path names each milestone once, dates every step, in the order they came."""
    rows = [hit(d, killed=k, wounded=w, scripted=sc) for d, k, w, sc in attacks]
    rows += [act(d, "united_states", "strike_militia", "kataib_hezbollah", 4) for d in strikes]
    rows.sort(key=lambda r: r["day"])
    row = path_of(rows, outcome="provocation")
    steps = row["path"].split(ARROW)
    assert len(steps) == len(row["step_days"]) == len(set(steps)) and 1 <= len(steps) <= 4
    assert list(row["step_days"]) == sorted(row["step_days"])
    assert min(d for d, *_ in attacks) in row["step_days"]  # the first attack is always a milestone
    assert sum("US strikes militia sites" in step for step in steps) == (1 if strikes else 0)


def test_path_stories_pick_the_median_world_and_tell_its_timing():
    import datetime as dt

    from analysis.stats.paths import path_stories, story_text

    rows, outcomes = [], []
    for world, offset in enumerate([0, 1, 2, 3, 10]):  # world 2 sits at the median of every step
        rows += [dict(r, world=world) for r in full([quds(94, scripted=True), salvo(98 + offset),
                                                     ended(129 + offset, "united_states")])]
        outcomes.append((world, "crisis"))
    rows += [dict(r, world=9) for r in full([quds(94, scripted=True), ev(99, "iran", "proxy_surge", "militias")])]
    outcomes.append((9, "crisis"))
    paths = world_paths(pd.DataFrame(rows), pd.DataFrame(outcomes, columns=["world", "outcome"]), ["crisis"])
    stories = path_stories(paths, top=3)
    assert [(s.worlds, s.traced) for s in stories] == [(5, 6), (1, 6)]
    top = stories[0]
    assert top.representative == 2 and top.representative_days == (94, 100, 131)
    assert [step[1] for step in top.steps] == [94, 100, 131]
    lower, upper = proportion_interval(5, 6)
    assert (top.lower, top.upper) == (pytest.approx(float(lower)), pytest.approx(float(upper)))
    text = story_text(top, dt.date(2019, 10, 1))
    assert text.startswith("83% of the traced crisis worlds follow this path (5 of 6;")
    assert "Quds Force commander killed (scripted history), day 94 (3 Jan 2020)." in text
    assert "around day 100 (9 Jan 2020); days 99-101 in the middle half" in text
    assert "the exchange window closed around day 131" in text and "representative world: 2" in text
    single = story_text(stories[1])
    assert "Iran's proxy surge, day 99." in single and "middle half" not in single  # one world: no spread


def test_sampled_worlds_are_evenly_spaced_and_capped_per_class():
    from analysis.stats.paths import sampled_worlds

    outcomes = pd.DataFrame({"world": np.arange(100), "outcome": ["crisis"] * 90 + ["quiet"] * 10})
    picked = sampled_worlds(outcomes, ["crisis", "quiet"], 5)
    assert picked.tolist() == [0, 22, 44, 67, 89, 90, 92, 94, 97, 99]
    assert len(sampled_worlds(outcomes, ["crisis"], None)) == 90 and sampled_worlds(outcomes, [], 5).empty


# -- the thesis text and the report ----------------------------------------------------------------------

def write_store(path, result, events: bool):
    outcomes = result.outcomes.assign(point=0, replicate=result.outcomes["world"])
    (path / "outcomes").mkdir(parents=True)
    name = part_name(int(outcomes["world"].min()), int(outcomes["world"].max()))
    manifest = {"kind": "batch", "name": path.name, "worlds_total": len(outcomes), "seed": 1,
                "tables": {"series": False, "events": events},
                "scenarios": [{"name": s} for s in outcomes["scenario"].unique()]}
    if events:
        (path / "events").mkdir()
        write_parquet_atomic(result.events, path / "events" / name)
    (path / "manifest.json").write_text(json.dumps(manifest))
    write_parquet_atomic(outcomes, path / "outcomes" / name)
    return path


def test_thesis_prints_path_tables_or_says_events_are_needed(scripted_strike_run, tmp_path, capsys):
    from analysis.cli.main import main

    with_events = write_store(tmp_path / "with", scripted_strike_run, events=True)
    without = write_store(tmp_path / "without", scripted_strike_run, events=False)
    assert main(["thesis", str(with_events), str(without)]) in (0, 1, 3)
    text = capsys.readouterr().out
    first, second = text.split("without: scripted_strike")
    assert "Paths into confrontation (" in first and "Paths into contained exchange (" in first
    assert "US strike on Iran (scripted) -> Iran's warned salvo -> US does not answer" in first
    assert NO_EVENTS not in first
    assert NO_EVENTS in second and "Paths into" not in second
    assert second.count(NO_EVENTS) == 1


def test_report_has_a_path_table_per_scenario(scripted_strike_run, tmp_path):
    from analysis.report.html import build_report

    store = write_store(tmp_path / "with", scripted_strike_run, events=True)
    bare = write_store(tmp_path / "bare", scripted_strike_run, events=False)
    page = build_report([store, bare], tmp_path / "report").read_text()
    assert "Paths into each outcome class" in page
    assert NO_EVENTS_REPORT in page and NO_EVENTS not in page  # no flag to rerun with in the report
    csv = [p for p in (tmp_path / "report" / "tables").glob("*paths*.csv")]
    assert len(csv) == 1
    table = pd.read_csv(csv[0])
    assert table.columns[0] == "path"
    assert np.allclose(table.groupby("outcome")["share"].sum(), 1.0)
    assert "Iran&#x27;s warned salvo" in page or "Iran's warned salvo" in page
