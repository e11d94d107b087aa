"""`escalation hindcast`: record files, attacks per period, the inside test, the chart, the command and the report."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from analysis.calibration.hindcast import (
    Record, RecordPeriod, attack_counts, band, default_record_path, hindcast_from_events, inside, layout,
    load_record, run_hindcast, shipped_records, verdict,
)
from sim.errors import InputError
from sim.scenario import load_scenario

D = dt.date
CAMPAIGN_LIKE = """\
name: campaign_like
extends: baseline
title: campaign-like test
sources: ["a test scenario on the 2023-24 calendar"]
start_date: 2023-10-01
days: 183
timeline:
  - {date: 2023-10-20, type: attack, faction: kataib_hezbollah, weapon: rockets, target: base_iraq, note: scripted}
"""
GOOD_RECORD = """\
name: my_counts
scenario: campaign_like
sources: ["an analyst's own count"]
periods:
  - {start: 2023-11-01, end: 2023-11-30, attacks: 12, range: [8, 16], confidence: M}
  - {start: 2023-10-01, end: 2023-10-31, attacks: 5, range: [3, 7]}
  - {start: 2023-12-01, end: 2023-12-07, attacks: 0, range: [0, 2], label: truce, lull: true, confidence: H}
  - {start: 2025-01-01, end: 2025-01-31, attacks: 3, range: [1, 5]}
events:
  - {date: 2023-11-21, label: second event}
  - {date: 2023-10-26, label: first event}
"""


@pytest.fixture
def campaign_like(tmp_path):
    path = tmp_path / "campaign_like.yaml"
    path.write_text(CAMPAIGN_LIKE)
    return path


@pytest.fixture
def record_file(tmp_path):
    path = tmp_path / "record.yaml"
    path.write_text(GOOD_RECORD)
    return path


# --- the record file -------------------------------------------------------------------------------


def test_a_good_record_file_is_read_sorted_with_defaults(record_file):
    record = load_record(record_file)
    assert record.name == "my_counts" and record.scenarios == ("campaign_like",)
    assert [p.start for p in record.periods] == [D(2023, 10, 1), D(2023, 11, 1), D(2023, 12, 1), D(2025, 1, 1)]
    first = record.periods[0]
    assert (first.attacks, first.low, first.high, first.confidence, first.lull) == (5, 3, 7, None, False)
    assert first.days == 31
    assert record.periods[2].lull and record.periods[2].label == "truce"
    assert [e.label for e in record.events] == ["first event", "second event"]


def test_the_shipped_records_load_and_name_their_scenarios():
    names = {path.name: load_record(path) for path in shipped_records()}
    assert {"record_2019_2021.yaml", "record_2023_2024.yaml"} <= set(names)
    campaign = names["record_2023_2024.yaml"]
    assert campaign.scenarios == ("campaign_2023_2024",) and len(campaign.periods) == 8 and len(campaign.events) == 10
    assert [p.attacks for p in campaign.periods] == [0, 27, 46, 0, 42.5, 50, 4, 2]
    assert [p.label for p in campaign.periods if p.lull] == ["truce", "lull"]
    assert all(p.low <= p.attacks <= p.high for p in campaign.periods)
    assert names["record_2019_2021.yaml"].scenarios == ("crisis_2019_2020", "talks_2021")
    assert default_record_path("talks_2021").name == "record_2019_2021.yaml"
    assert default_record_path("campaign_2023_2024").name == "record_2023_2024.yaml"
    with pytest.raises(InputError, match="no record file names scenario 'baseline'; expected --targets FILE"):
        default_record_path("baseline")


PERIOD = "periods:\n  - {start: 2023-10-01, end: 2023-10-31, attacks: 5, range: [3, 7]}\n"
BAD_RECORDS = {
    "a list": ("- 1\n- 2\n", "expected a mapping with a 'periods:' list"),
    "a targets file": ("targets: []\n", "targets: this is a calibration targets file (escalation calibrate)"),
    "unknown top key": ("perods: []\n", "perods: unknown key (did you mean 'periods'?)"),
    "no periods": ("name: x\n", "periods: expected a non-empty list of periods"),
    "unknown period key": ("periods:\n  - {start: 2023-10-01, end: 2023-10-31, atacks: 5, range: [3, 7]}\n",
                           "periods[0].atacks: unknown key (did you mean 'attacks'?)"),
    "missing range": ("periods:\n  - {start: 2023-10-01, end: 2023-10-31, attacks: 5}\n",
                      "periods[0].range: missing required key"),
    "date as text": ("periods:\n  - {start: 2023-10-01, end: 'Oct 31', attacks: 5, range: [3, 7]}\n",
                     "periods[0].end: expected a date YYYY-MM-DD, got 'Oct 31'"),
    "impossible date": ("periods:\n  - {start: 2023-02-30, end: 2023-10-31, attacks: 5, range: [3, 7]}\n",
                        "impossible date '2023-02-30'"),
    "end before start": ("periods:\n  - {start: 2023-10-31, end: 2023-10-01, attacks: 5, range: [3, 7]}\n",
                         "periods[0].end: expected an end on or after start 2023-10-31"),
    "negative count": ("periods:\n  - {start: 2023-10-01, end: 2023-10-31, attacks: -1, range: [3, 7]}\n",
                       "periods[0].attacks: expected a count of attacks (a number >= 0), got -1"),
    "range misses the count": ("periods:\n  - {start: 2023-10-01, end: 2023-10-31, attacks: 9, range: [3, 7]}\n",
                               "periods[0].range: expected low <= attacks <= high, got 3 <= 9 <= 7"),
    "range of one": ("periods:\n  - {start: 2023-10-01, end: 2023-10-31, attacks: 5, range: [3]}\n",
                     "periods[0].range: expected [low, high]"),
    "bad confidence": (PERIOD.replace("]}", "], confidence: high}"), "periods[0].confidence: expected confidence H"),
    "lull not a boolean": (PERIOD.replace("]}", "], lull: yes}"), "periods[0].lull: expected true or false"),
    "overlap": (PERIOD + "  - {start: 2023-10-31, end: 2023-11-30, attacks: 5, range: [3, 7]}\n",
                "periods[1].start: overlaps periods[0] (2023-10-01 to 2023-10-31)"),
    "event without label": (PERIOD + "events:\n  - {date: 2023-10-05}\n", "events[0].label: missing required key"),
    "long event label": (PERIOD + "events:\n  - {date: 2023-10-05, label: " + "x" * 60 + "}\n",
                         "events[0].label: expected a short label (at most 40 characters)"),
    "duplicate key": (PERIOD + "name: a\nname: b\n", "duplicate key 'name'"),
}


@pytest.mark.parametrize("case", list(BAD_RECORDS))
def test_a_bad_record_file_is_one_line_naming_file_key_and_expectation(tmp_path, case):
    text, message = BAD_RECORDS[case]
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as error:
        load_record(path)
    line = error.value.one_line()
    assert "\n" not in line and line.startswith(str(path)) and message in line, line


# --- periods, counts and the inside test -------------------------------------------------------------


def _record(*periods: RecordPeriod) -> Record:
    return Record("r", (), tuple(periods))


def test_layout_keeps_periods_inside_the_horizon_and_fills_gaps_with_months():
    record = _record(RecordPeriod(D(2023, 10, 5), D(2023, 10, 31), 5, 3, 7),
                     RecordPeriod(D(2023, 12, 1), D(2023, 12, 31), 5, 3, 7),
                     RecordPeriod(D(2023, 12, 20), D(2024, 2, 10), 5, 3, 7),  # runs past the horizon
                     RecordPeriod(D(2023, 9, 1), D(2023, 9, 30), 5, 3, 7))    # before it
    bins, skipped = layout(record, D(2023, 10, 1), 92)  # Oct 1 - Dec 31
    spans = [(b.start, b.end, b.period is not None) for b in bins]
    # Oct 1-4 is a gap shorter than a week (not drawn); November has no record: a month of its own
    assert spans == [(D(2023, 10, 5), D(2023, 10, 31), True), (D(2023, 11, 1), D(2023, 11, 30), False),
                     (D(2023, 12, 1), D(2023, 12, 31), True)]
    assert [p.start for p in skipped] == [D(2023, 12, 20), D(2023, 9, 1)]
    assert bins[0].first == 4 and bins[2].last == 91


def _events(rows):
    return pd.DataFrame(rows, columns=["world", "day", "actor", "action", "scripted"])


def test_attack_counts_count_model_made_faction_attacks_per_world_and_period():
    record = _record(RecordPeriod(D(2023, 10, 1), D(2023, 10, 10), 1, 0, 2),
                     RecordPeriod(D(2023, 10, 11), D(2023, 10, 20), 1, 0, 2))
    bins, _ = layout(record, D(2023, 10, 1), 20)
    events = _events([
        (7, 0, "kh", "attack", False), (7, 9, "kh", "attack", False), (7, 10, "nujaba", "attack", False),
        (7, 3, "kh", "attack", True),                      # scripted: history, not the model's
        (7, 4, "kh", "threat", False),                     # not an attack
        (7, 5, "united_states", "attack", False),          # not a faction
        (9, 19, "nujaba", "attack", False), (9, 25, "kh", "attack", False),  # day 25: past the periods
        (4, 1, "kh", "attack", False),                     # a world not asked for
    ])
    own, scripted, factions = attack_counts(events, ["kh", "nujaba"], bins, np.array([7, 8, 9]), by_faction=True)
    assert own.tolist() == [[2, 1], [0, 0], [0, 1]]  # world 8 has no events: zero attacks
    assert scripted.tolist() == [[1, 0], [0, 0], [0, 0]]
    assert factions["kh"].tolist() == [[2, 0], [0, 0], [0, 0]]
    assert factions["nujaba"].tolist() == [[0, 1], [0, 0], [0, 1]]


def test_band_inside_and_verdict():
    counts = np.array([[v] for v in range(10)])  # 0..9 in ten worlds
    q = band(counts)
    assert (q[0.10][0], q[0.50][0], q[0.90][0]) == (0, 4, 8)  # observed values (inverted CDF)
    assert inside(8, 0, 8) and inside(0, 0, 8) and not inside(8.5, 0, 8)
    period = RecordPeriod(D(2023, 10, 1), D(2023, 10, 31), 12, 7, 15)
    assert verdict(period, 3, 12) == "yes"
    assert verdict(period, 3, 10) == "no (range overlaps)"  # count outside, its range [7, 15] meets [3, 10]
    assert verdict(period, 16, 20) == "NO"


def test_hindcast_from_events_prints_the_table_and_the_count_inside(campaign_like, record_file):
    scenario = load_scenario(campaign_like)
    worlds = np.arange(10)
    # October: 0..9 attacks per world (band [0, 8], record 5 inside); November: none (record 12 outside)
    rows = [(w, d, "kataib_hezbollah", "attack", False) for w in worlds for d in range(w)]
    rows += [(w, 19, "kataib_hezbollah", "attack", True) for w in worlds]
    h = hindcast_from_events(scenario, load_record(record_file), _events(rows), worlds)
    table = h.table()
    assert table["inside"].tolist() == [True, False, True]
    assert table["verdict"].tolist() == ["yes", "NO", "yes"]
    assert table["scripted_excluded_per_world"].tolist() == [1.0, 0.0, 0.0]
    text = h.text()
    assert "period" in text and "| record [range] | simulated median [10-90%] | inside" in text
    assert re.search(r"^2023-10-01 to 2023-10-31 +\| 5 \[3, 7\] +\| 4 \[0, 8\] +\| yes$", text, re.M), text
    assert re.search(r"^2023-11-01 to 2023-11-30 +\| 12 \[8, 16\] M +\| 0 \[0, 0\] +\| NO$", text, re.M), text
    assert "Skipped 1 record period(s) not wholly inside the horizon: 2025-01-01 to 2025-01-31" in text
    assert "model's own making" in text and "1 per world in the compared periods" in text
    assert text.rstrip().endswith("2 of 3 periods inside (the record's count within the simulated 10-90% band "
                                  "of attacks per period).")


def test_a_record_outside_the_horizon_is_one_line(campaign_like):
    record = _record(RecordPeriod(D(2019, 10, 1), D(2019, 10, 31), 5, 3, 7))
    with pytest.raises(InputError, match="no period of the record .* lies wholly inside the horizon of scenario "
                                         "campaign_like"):
        run_hindcast(load_scenario(campaign_like), record, worlds=2)


def test_the_chart_draws_the_record_events_and_factions(campaign_like):
    from analysis.report.hindcast_charts import _label_rows, hindcast_figure

    record = load_record(default_record_path("campaign_2023_2024"))
    h = run_hindcast(load_scenario(campaign_like), record, worlds=12, seed=1, by_faction=True)
    assert h.counts.shape == (12, 8) and set(h.factions) == set(load_scenario(campaign_like).faction_keys)
    assert h.counts.sum() == sum(m.sum() for m in h.factions.values())
    assert h.scripted[:, 1].tolist() == [1] * 12  # the scripted attack of Oct 20, excluded
    rows = _label_rows(h, 9.8)
    assert len(rows) == 10
    for a, b in zip(rows, rows[1:]):  # a cluster stacks its earliest label highest
        if b[0] - a[0] < 3:
            assert a[1] > b[1]
    figure = hindcast_figure(h)
    texts = {t.get_text() for ax in figure.axes for t in ax.texts}
    assert "28 Jan Tower 22 (3 US killed)" in texts and "truce" in texts
    assert len(figure.axes) == 2 + len(h.factions)
    main = figure.axes[0]
    assert all(ax.get_ylim() == main.get_ylim() for ax in figure.axes[2:])  # one shared y axis


# --- the command line ----------------------------------------------------------------------------------


def test_cli_hindcast_of_the_crisis_prints_the_table_and_writes_the_chart(tmp_path, escalation, repo_root):
    out = tmp_path / "out"
    record = repo_root / "scenarios" / "targets" / "record_2019_2021.yaml"
    done = escalation("hindcast", "crisis_2019_2020", "--targets", record, "--worlds", 30, "--seed", 2, "--out", out,
                      cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "period                   | record [range] | simulated median [10-90%] | inside" in done.stdout
    assert "2019-10-01 to 2020-01-31 | 20 [14, 28] M" in done.stdout
    assert "of 2 periods inside" in done.stdout and "model's own making" in done.stdout
    assert "Skipped 3 record period(s)" in done.stdout and str(out / "hindcast.png") in done.stdout
    png = (out / "hindcast.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    assert (out / "hindcast.svg").stat().st_size > 0
    table = pd.read_csv(out / "hindcast.csv")
    assert len(table) == 2 and {"record", "sim_median", "sim_q10", "sim_q90", "inside"} <= set(table.columns)


def test_cli_hindcast_of_an_analysts_own_scenario_and_record_by_faction(tmp_path, escalation, campaign_like,
                                                                        record_file):
    done = escalation("hindcast", campaign_like, "--targets", record_file, "--worlds", 8, "--by-faction",
                      "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "By faction" in done.stdout and "of 3 periods inside" in done.stdout
    folder = tmp_path / "results" / "hindcast-campaign_like"
    assert {p.name for p in folder.iterdir()} == {"hindcast.png", "hindcast.svg", "hindcast.csv",
                                                  "hindcast-by-faction.csv"}


HINDCAST_REFUSALS = [
    (["hindcast", "baseline", "--worlds", 5],
     "escalation hindcast: error: --targets: no record file names scenario 'baseline'; expected --targets FILE"),
    (["hindcast", "crisis_2019_2020", "--targets", "bad.yaml"],
     "escalation hindcast: error: bad.yaml: periods[0].range: expected low <= attacks <= high, got 3 <= 9 <= 7"),
    (["hindcast", "crisis_2019_2020", "--worlds", 0], "--worlds: expected at least 1 world, got 0"),
    (["hindcast", "crisis_2019_2020", "--worlds", 10**15],
     "--worlds: 1,000,000,000,000,000 worlds do not fit in memory"),
]


@pytest.mark.parametrize("args, message", HINDCAST_REFUSALS)
def test_cli_hindcast_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, escalation, escalation_in_process,
                                                                      args, message):
    """The first case runs in a subprocess, as a user runs it; the others call the entry point in this process
    (conftest.InProcessEscalation): the same message and exit code, without an interpreter start each."""
    bad = "periods:\n  - {start: 2019-10-01, end: 2019-10-31, attacks: 9, range: [3, 7]}\n"
    (tmp_path / "bad.yaml").write_text(bad)
    done = (escalation if args == HINDCAST_REFUSALS[0][0] else escalation_in_process)(*args, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
    assert not (tmp_path / "results").exists()


# --- the report ------------------------------------------------------------------------------------


def test_the_report_draws_a_hindcast_panel_for_a_stored_era_batch(tmp_path):
    from analysis.report.hindcast_charts import hindcasts_figure, report_hindcasts
    from analysis.runs.execute import batch
    from analysis.runs.resultsets import load_result_sets

    store = tmp_path / "crisis"
    batch(["crisis_2019_2020", "baseline"], 12, seed=4, out=store, events=True, workers=1, quiet=True)
    sets = load_result_sets([store])
    hindcasts, without = report_hindcasts(sets)
    assert [h.scenario for h in hindcasts] == ["crisis_2019_2020"] and without == []
    again = run_hindcast("crisis_2019_2020", hindcasts[0].record, worlds=12, seed=4)
    assert np.array_equal(hindcasts[0].counts, again.counts)  # the same worlds as `escalation hindcast`
    assert len(hindcasts_figure(hindcasts).axes) == 2
