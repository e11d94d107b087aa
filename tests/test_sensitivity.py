"""Sensitivity indices against functions whose indices are known analytically."""

import numpy as np
import pandas as pd
import pytest
from SALib.sample import sobol as sobol_sample

from analysis.stats.sensitivity import (
    between_point_p_value,
    factorial_indices,
    ishigami,
    ishigami_indices,
    is_full_factorial,
    rbd_fast_indices,
    replicate_noise,
    second_order_from_size,
    sobol_indices,
    sweep_sensitivity,
)

PROBLEM = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
TRUE = ishigami_indices()  # S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244


def test_ishigami_reference_values():
    assert TRUE["S1"] == pytest.approx([0.3139, 0.4424, 0.0], abs=1e-4)
    assert TRUE["ST"] == pytest.approx([0.5576, 0.4424, 0.2437], abs=1e-4)


def test_sobol_indices_of_ishigami():
    X = sobol_sample.sample(PROBLEM, 1024, calc_second_order=False, seed=1)
    table = sobol_indices(PROBLEM, ishigami(X), calc_second_order=False, seed=0)
    for kind in ("S1", "ST"):
        part = table[table["index"] == kind]
        estimate, conf = part["value"].to_numpy(), part["conf"].to_numpy()
        # tolerance: 0.06 absolute (Saltelli estimator with N = 1024), and the 95 % interval is informative
        assert estimate == pytest.approx(TRUE[kind], abs=0.06)
        assert np.all(conf < 0.15)


def test_rbd_fast_first_order_of_ishigami_from_a_plain_random_sample():
    X = np.random.default_rng(0).uniform(-np.pi, np.pi, (4000, 3))
    table = rbd_fast_indices(PROBLEM, X, ishigami(X))
    assert table["value"].to_numpy() == pytest.approx(TRUE["S1"], abs=0.06)


def test_second_order_is_inferred_from_sample_size():
    assert second_order_from_size(7 * 5, 3) is False   # N (D + 2)
    assert second_order_from_size(7 * 8, 3) is True    # N (2D + 2)
    with pytest.raises(ValueError):
        second_order_from_size(7, 3)
    with pytest.raises(ValueError, match="pass calc_second_order"):
        second_order_from_size(64 * 5, 3)  # = 40 * 8: ambiguous


def grid_worlds(function, replicates=400, noise=2.0, seed=0):
    rng = np.random.default_rng(seed)
    rows, point = [], 0
    for a in (-1, 0, 1):
        for b in (-1, 0, 1):
            values = function(a, b) + rng.normal(0, noise, replicates)
            rows += [(point, a, b, v) for v in values]
            point += 1
    return pd.DataFrame(rows, columns=["point", "a", "b", "y"])


def test_factorial_indices_of_an_additive_function_with_replicate_noise():
    # y = a + 2b on {-1, 0, 1}^2: Var = 2/3 + 4 * 2/3, so S1 = ST = 0.2 and 0.8; noise sd 2 per world is
    # removed by the replicate-noise correction (tolerance 0.06, ~2 bootstrap half-widths)
    table = factorial_indices(grid_worlds(lambda a, b: a + 2 * b), ["a", "b"], "y").set_index(["parameter", "index"])
    for name, expected in (("a", 0.2), ("b", 0.8)):
        for kind in ("S1", "ST"):
            assert table.loc[(name, kind), "value"] == pytest.approx(expected, abs=0.06)
            assert table.loc[(name, kind), "conf"] < 0.1


def test_factorial_indices_of_a_pure_interaction():
    # y = a * b: no first-order effect, everything is interaction (S1 = 0, ST = 1)
    table = factorial_indices(grid_worlds(lambda a, b: 3 * a * b), ["a", "b"], "y").set_index(["parameter", "index"])
    for name in ("a", "b"):
        assert table.loc[(name, "S1"), "value"] == pytest.approx(0.0, abs=0.06)
        assert table.loc[(name, "ST"), "value"] == pytest.approx(1.0, abs=0.06)


def test_factorial_indices_refuse_pure_noise_and_check_completeness():
    worlds = grid_worlds(lambda a, b: 0.0, noise=1.0)
    with pytest.raises(ValueError):
        factorial_indices(worlds, ["a", "b"], "y")
    points = worlds.groupby("point").first()
    assert is_full_factorial(points, ["a", "b"])
    assert not is_full_factorial(points.iloc[:-1], ["a", "b"])


def test_sweep_sensitivity_picks_the_method_and_refuses_constant_output():
    X = sobol_sample.sample(PROBLEM, 256, calc_second_order=False, seed=2)
    points = pd.DataFrame(X, columns=PROBLEM["names"]).assign(y=ishigami(X))
    table, method = sweep_sensitivity(points, PROBLEM["names"], "y", "sobol", PROBLEM, calc_second_order=False)
    assert "Sobol" in method and set(table["index"]) == {"S1", "ST"}
    table, method = sweep_sensitivity(points.iloc[:-1], PROBLEM["names"], "y", "sobol", PROBLEM,
                                      calc_second_order=False)
    assert "RBD-FAST" in method and "impossible" in method
    with pytest.raises(ValueError):
        sweep_sensitivity(points.assign(y=1.0), PROBLEM["names"], "y", "lhs")


def test_sobol_indices_corrected_for_replicate_noise():
    # Ishigami plus independent noise of variance 4 per output (total variance ~13.8): uncorrected, every
    # ST is inflated by ~4/17.8; the corrected indices recover the analytic ones (tolerance 0.08)
    X = sobol_sample.sample(PROBLEM, 2048, calc_second_order=False, seed=3)
    noisy = ishigami(X) + np.random.default_rng(4).normal(0, 2.0, len(X))
    raw = sobol_indices(PROBLEM, noisy, calc_second_order=False).set_index(["parameter", "index"])
    fixed = sobol_indices(PROBLEM, noisy, calc_second_order=False, noise_variance=4.0).set_index(["parameter", "index"])
    assert raw.loc[("x3", "ST"), "value"] > TRUE["ST"][2] + 0.1  # the bias the correction removes
    for i, name in enumerate(PROBLEM["names"]):
        assert fixed.loc[(name, "S1"), "value"] == pytest.approx(TRUE["S1"][i], abs=0.08)
        assert fixed.loc[(name, "ST"), "value"] == pytest.approx(TRUE["ST"][i], abs=0.08)
    with pytest.raises(ValueError):
        sobol_indices(PROBLEM, noisy, calc_second_order=False, noise_variance=100.0)


def test_between_point_test_separates_signal_from_noise():
    signal = grid_worlds(lambda a, b: 0.5 * a, noise=1.0, replicates=100)
    noise = grid_worlds(lambda a, b: 0.0, noise=1.0, replicates=100)
    assert between_point_p_value(signal, "y") < 1e-6
    assert between_point_p_value(noise, "y") > 0.05
    assert replicate_noise(noise, "y") == pytest.approx(1.0 / 100, rel=0.2)


# --- Indices that cannot be read as results: flagged in the data and drawn greyed in the chart ----------------

from analysis.stats.sensitivity import NEGATIVE, NO_INTERVAL, TOTAL_BELOW_FIRST, flag_usable, usable_note


def index_table(rows):
    return pd.DataFrame(rows, columns=["parameter", "index", "value", "conf"])


def test_flag_usable_marks_negative_and_inverted_indices_with_their_reason():
    table = flag_usable(index_table([
        ("fine", "S1", 0.30, 0.05), ("fine", "ST", 0.40, 0.05),
        ("about_zero", "S1", -0.03, 0.05), ("about_zero", "ST", 0.01, 0.04),    # negative within its interval
        ("negative", "S1", -0.05, 0.04), ("negative", "ST", -0.07, 0.05),      # beyond: both
        ("inverted", "S1", 0.50, 0.05), ("inverted", "ST", 0.20, 0.05),        # ST + conf < S1 - conf
        ("touching", "S1", 0.30, 0.05), ("touching", "ST", 0.20, 0.05),        # intervals meet: usable
        ("no_interval", "S1", 0.10, np.nan),
    ])).set_index(["parameter", "index"])
    assert table["usable"].to_dict() == {
        ("fine", "S1"): True, ("fine", "ST"): True, ("about_zero", "S1"): True, ("about_zero", "ST"): True,
        ("negative", "S1"): False, ("negative", "ST"): False, ("inverted", "S1"): False,
        ("inverted", "ST"): False, ("touching", "S1"): True, ("touching", "ST"): True,
        ("no_interval", "S1"): False}
    assert table.loc[("negative", "ST"), "reason"] == NEGATIVE
    assert table.loc[("inverted", "S1"), "reason"] == TOTAL_BELOW_FIRST
    assert table.loc[("no_interval", "S1"), "reason"] == NO_INTERVAL
    assert (table.loc[table["usable"], "reason"] == "").all()
    note = usable_note(table.reset_index())
    assert note.startswith("5 of 11 indices are not usable") and "inverted ST" in note and "about_zero" not in note
    assert usable_note(table.reset_index().query("parameter == 'fine'")) == ""


def test_estimators_return_the_usable_flags_and_a_working_estimator_passes_them():
    # Ishigami at N = 1024: the Saltelli estimator works, so every index is usable (the flags' logic itself is
    # tested on the constructed table above); RBD-FAST and the factorial decomposition carry the flags too
    X = sobol_sample.sample(PROBLEM, 1024, calc_second_order=False, seed=1)
    good = sobol_indices(PROBLEM, ishigami(X), calc_second_order=False, seed=0)
    assert {"usable", "reason"} <= set(good.columns) and good["usable"].all() and (good["reason"] == "").all()
    sample = np.random.default_rng(0).uniform(-np.pi, np.pi, (2000, 3))
    assert rbd_fast_indices(PROBLEM, sample, ishigami(sample))["usable"].all()
    factorial = factorial_indices(grid_worlds(lambda a, b: a + 2 * b), ["a", "b"], "y")
    assert factorial["usable"].all()


def test_sensitivity_chart_greys_and_hatches_unusable_indices_and_says_why():
    from analysis.report.sweep_charts import sensitivity_figure

    table = index_table([("a", "S1", 0.3, 0.05), ("a", "ST", 0.4, 0.05),
                         ("b", "S1", -0.2, 0.05), ("b", "ST", 0.1, 0.05)])
    figure = sensitivity_figure(table, "test")
    ax = figure.axes[0]
    hatched = [p for p in ax.patches if p.get_gid() == "not-usable"]
    assert len(hatched) == 1 and hatched[0].get_hatch() == "///"
    assert hatched[0].get_width() == pytest.approx(-0.2)
    notes = [t.get_text() for t in figure.texts if t.get_gid() == "usable-note"]
    assert len(notes) == 1 and "b S1" in notes[0].replace("\n", " ") and NEGATIVE in notes[0].replace("\n", " ")
    assert "not usable (see note)" in [t.get_text() for t in ax.get_legend().get_texts()]
    clean = sensitivity_figure(table[table["parameter"] == "a"], "test")
    assert not [p for p in clean.axes[0].patches if p.get_gid() == "not-usable"] and not clean.texts
