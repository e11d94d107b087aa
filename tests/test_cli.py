"""The command line, run as a user would: in a subprocess."""

import re

import pandas as pd
import pytest


def test_run_prints_a_summary_and_writes_three_parquet_tables(tmp_path, escalation):
    done = escalation("run", "crisis_2019_2020", "--worlds", "40", "--seed", "3", "--days", "200",
                      "--out", "out", "--workers", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "40 worlds x 200 days" in text and "Clopper-Pearson" in text
    for name in ("quiet", "provocation", "crisis", "confrontation"):
        assert name in text
    assert "Highest rung reached" in text and "Key events of world 0" in text
    assert "United States: leader killing Quds Force (airstrike)" in text  # the scripted 2020-01-03 killing
    killing = next(line for line in text.splitlines() if "leader killing Quds Force" in line)
    demand = next(line for line in text.splitlines() if "Iraqi government: withdrawal demand United States" in line)
    assert killing.endswith("[scripted]") and not demand.endswith("[scripted]")  # Baghdad's answer is the model's
    # it ends with the thesis test: the timeline's rungs named, then the verdict line last
    lines = text.rstrip("\n").splitlines()
    assert re.fullmatch(r'Thesis "provocation, not confrontation" \(P\(confrontation\) < 5%\) (HOLDS|FAILS|INCONCLUSIVE): '
                        r"\d+/40 worlds in confrontation, P = .*", lines[-1])
    scripted = next(line for line in lines if line.startswith("  rungs from scripted history"))
    # the crisis scripts a contractor killed (3), five KH sites struck (4), the embassy stormed (1), Soleimani (5)
    assert re.findall(r"(\d) [a-z ,-]+ \(100\.0% of worlds\)", scripted) == ["1", "3", "4", "5"]
    assert any(line.startswith("  under the broad definition") for line in lines)  # analysis.stats.thesis's lines
    tables = {name: pd.concat(pd.read_parquet(p) for p in sorted((tmp_path / "out" / name).glob("*.parquet")))
              for name in ("events", "series", "outcomes")}
    assert len(tables["outcomes"]) == 40 and len(tables["series"]) == 40 * 200
    assert tables["events"]["world"].nunique() == 40


def test_scenarios_lists_one_line_each(tmp_path, escalation):
    done = escalation("scenarios", cwd=tmp_path)
    assert done.returncode == 0
    lines = done.stdout.strip().splitlines()
    assert len(lines) >= 9 and any(line.startswith("talks_2021 ") for line in lines)


def test_validate_accepts_good_files_and_rejects_bad_ones_with_exit_2(tmp_path, escalation, repo_root):
    good = escalation("validate", str(repo_root / "scenarios" / "baseline.yaml"), cwd=tmp_path)
    assert good.returncode == 0 and good.stdout == f"1 file valid: {repo_root / 'scenarios' / 'baseline.yaml'} (scenario)\n"
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nextends: baseline\nunited_states:\n  hawkishnes: 2\n")
    done = escalation("validate", str(bad), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "did you mean 'hawkishness'" in done.stderr


def test_validate_prints_one_summary_line_naming_each_file_and_its_kind(tmp_path, escalation, repo_root):
    """A scenario, a sweep spec, and a scenario without sources of its own (inherited through ``extends:``)."""
    (tmp_path / "examples").mkdir()
    for name in ("my_scenario.yaml", "my_sweep.yaml"):
        (tmp_path / "examples" / name).write_bytes((repo_root / "examples" / name).read_bytes())
    (tmp_path / "examples" / "no_sources.yaml").write_text("name: no_sources\nextends: baseline\n")
    done = escalation("validate", "examples/my_scenario.yaml", "examples/my_sweep.yaml", "examples/no_sources.yaml",
                      cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout == ("3 files valid: examples/my_scenario.yaml (scenario), examples/my_sweep.yaml (sweep), "
                           "examples/no_sources.yaml (scenario)\n")


# In each matrix of refused inputs below, the first case runs in a subprocess, as a user runs it; the others
# call the entry point in this process (conftest.InProcessEscalation): the same message and exit code, without
# an interpreter start per case.
@pytest.mark.parametrize("args, message, in_subprocess", [
    (("run", "baselin"), "did you mean 'baseline'", True),
    (("run", "missing.yaml"), "missing.yaml: file not found", False),
    (("run", "baseline", "--worlds", "0"), "--worlds: expected a positive number of worlds", False),
    (("run", "baseline", "--days", "-1"), "--days: expected a positive number of days", False),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, args, message, in_subprocess, escalation,
                                                          escalation_in_process):
    done = (escalation if in_subprocess else escalation_in_process)(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "results").exists()


def test_schema_prints_the_reference(tmp_path, escalation):
    done = escalation("schema", cwd=tmp_path)
    assert done.returncode == 0 and "`militias.<faction>.obedience`" in done.stdout


@pytest.mark.parametrize("args, in_subprocess", [(("run",), True), (("batch", "baseline", "--worlds", "x"), False),
                                                 (("nosuch",), False)])
def test_usage_errors_are_one_line_with_exit_2(tmp_path, args, in_subprocess, escalation, escalation_in_process):
    done = (escalation if in_subprocess else escalation_in_process)(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "error:" in done.stderr and "--help" in done.stderr


def test_version_and_no_abbreviated_options(escalation, escalation_in_process, tmp_path):
    from importlib.metadata import version as installed_version

    version = escalation("--version")
    assert version.returncode == 0 and version.stdout == f"escalation {installed_version('escalation-sim')}\n"
    # a refusal, as in the matrix below: in this process (conftest.InProcessEscalation)
    abbreviated = escalation_in_process("run", "baseline", "--world", "10", cwd=tmp_path)
    assert abbreviated.returncode == 2
    assert abbreviated.stderr.count("\n") == 1 and "unrecognized arguments: --world 10" in abbreviated.stderr


def test_one_spelling_per_faction_and_front_in_a_batchs_events_and_in_runs_summary(tmp_path, escalation):
    """Ids in data columns, one label in text (analysis.labels): a faction is its key in the events table and
    its scenario name in the printed summary; a front is its name as the scenario's militia gives it."""
    from analysis import batch, open_results
    from sim.model import EscalationModel
    from sim.scenario import load_scenario

    scenario = load_scenario("crisis_2019_2020")
    model = EscalationModel(scenario, n_worlds=1, days=1)
    keys = list(scenario.faction_keys)
    names = {key: scenario.militias[key].name for key in keys}
    fronts = {militia.key: militia.front_name for militia in model.militias}
    other_spellings = {key: {names[key], key.replace("_", " "), key.replace("_", " ").title()} - {key} for key in keys}

    # the batch's events are only read here (escalation batch has subprocess tests of its own): written in this
    # process by what the command runs; the run's printed summary below comes from the command itself
    batch(["crisis_2019_2020"], worlds=30, seed=5, days=150, events=True, workers=1, quiet=True, out=tmp_path / "b")
    events = open_results(tmp_path / "b").events()
    seen = {column: set(events[column].astype(str)) - {""} for column in ("actor", "target", "claimed_by",
                                                                           "attributed_to")}
    assert seen["claimed_by"] <= set(keys) | set(fronts.values())  # an open claim's key, or the front's name
    assert seen["claimed_by"] & set(keys) and seen["claimed_by"] & set(fronts.values())  # both kinds occur
    assert seen["attributed_to"] <= set(keys)
    for column, values in seen.items():
        for key in keys:
            assert not values & other_spellings[key], (column, key)

    run = escalation("run", "crisis_2019_2020", "--worlds", "30", "--seed", "5", "--days", "150", "--workers", "1",
                     "--quiet", "--out", "r", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    text = run.stdout
    for key in keys:
        for spelling in {key, key.replace("_", " ")}:  # no id, and no id with spaces, in text
            assert not re.search(rf"(?<![\w-]){re.escape(spelling)}(?![\w-])", text), spelling
    quoted_fronts = set(re.findall(r'front name "([^"]+)"', text))
    assert quoted_fronts and quoted_fronts <= set(fronts.values())
    assert "Kataib Hezbollah: attack" in text and "United States: leader killing Quds Force" in text
    # outside quoted front names, every faction is named as the scenario names it
    plain = re.sub(r'front name "[^"]+"', "", text)
    assert names["kataib_hezbollah"] in plain


def all_parsers(parser, path=()):
    """The parser and every sub-command parser below it, with the command words that reach each."""
    import argparse

    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from all_parsers(sub, (*path, name))


def test_no_parser_takes_prefix_abbreviations():
    from analysis.cli.main import build_parser

    parsers = dict(all_parsers(build_parser()))
    assert {"run", "batch", "sweep", "app", "thesis", "report", "calibrate", "hindcast"} <= {p[0] for p in parsers if p}
    assert [path for path, parser in parsers.items() if parser.allow_abbrev] == []


@pytest.mark.parametrize("args, complaint, in_subprocess", [
    (("batch", "baseline", "--world", "10"), "the following arguments are required: --worlds", True),
    (("batch", "baseline", "--worlds", "10", "--see", "3"), "unrecognized arguments: --see 3", False),
    (("sweep", "leash_vs_us_threshold", "--dry-ru"), "unrecognized arguments: --dry-ru", False),
    (("app", "--replay", "results/x", "--worl", "3"), "unrecognized arguments: --worl", False),
    (("thesis", "results/x", "--threshol", "0.1"), "unrecognized arguments: --threshol 0.1", False),
])
def test_an_abbreviated_option_is_one_line_and_exit_2(tmp_path, args, complaint, in_subprocess, escalation,
                                                      escalation_in_process):
    done = (escalation if in_subprocess else escalation_in_process)(*args, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and complaint in done.stderr, done.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("listening", [True, False], ids=["a server listens", "a socket holds it"])
def test_app_on_a_port_in_use_is_one_line_and_exit_2(tmp_path, listening, escalation):
    """Another program holds 127.0.0.1:PORT (a server listening on it, or a socket only bound to it)."""
    import socket

    pytest.importorskip("solara", reason="`escalation app` needs the app extra", exc_type=ImportError)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        if listening:
            taken.listen(1)
        port = taken.getsockname()[1]
        done = escalation("app", "--port", port, cwd=tmp_path, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (f"escalation app: error: --port: port {port} on 127.0.0.1 is in use; "
                           "pick another with --port P (--port 0 picks a free one)\n")


def test_a_custom_front_name_is_stored_and_printed_as_the_scenario_spells_it(tmp_path):
    from analysis.labels import claim_text, display_labels, label
    from sim.runner import simulate
    from sim.scenario import load_scenario

    path = tmp_path / "fronts.yaml"
    path.write_text("name: fronts\nextends: baseline\nmilitias:\n  kataib_hezbollah:\n    front_name: Ashab al-Kahf\n")
    scenario = load_scenario(path)
    claims = set(simulate(scenario, n_worlds=40, seed=2, days=60, collect_series=False).events["claimed_by"]
                 .astype(str))
    assert "Ashab al-Kahf" in claims and "kataib_hezbollah" in claims and "front of Kataib Hezbollah" not in claims
    labels = display_labels(scenario)
    assert claim_text("Ashab al-Kahf", labels) == 'claimed under the front name "Ashab al-Kahf"'
    assert claim_text("kataib_hezbollah", labels) == "claimed by Kataib Hezbollah"
    assert claim_text("", labels) == ""
    assert [label(x, labels) for x in ("badr", "united_states", "us_forces", "ballistic_missiles")] == [
        "Badr Organization", "United States", "US forces", "ballistic missiles"]
