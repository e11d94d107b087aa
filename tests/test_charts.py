"""Every figure renders from synthetic contract tables; chart helpers compute the right numbers."""

import io

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from analysis.report import charts, palette, sweep_charts
from analysis.stats import intervals as stats
from analysis.stats import sweeps as sweepstats
from analysis.report.sections import strike_ratios
from analysis.stats.prim import prim
from analysis.stats.survival import survival_curve


def synthetic_outcomes(label: str, n: int, seed: int, days: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    max_rung = rng.choice(8, size=n, p=[0.02, 0.03, 0.2, 0.25, 0.4, 0.05, 0.04, 0.01])
    outcome = np.select([max_rung >= 7, max_rung >= 5, max_rung >= 2], ["confrontation", "crisis", "provocation"],
                        "quiet")
    attacks = rng.poisson(40, n)
    strike_day = np.where(rng.random(n) < 0.7, rng.integers(0, days, n), -1)
    killed_day = np.where(rng.random(n) < 0.3, rng.integers(0, days, n), -1)
    return pd.DataFrame({
        "label": label, "world": np.arange(n), "scenario": label, "days": days, "max_rung": max_rung,
        "outcome": outcome, "attacks": attacks, "us_strikes": rng.binomial(attacks, 0.04),
        "us_killed": rng.poisson(0.5, n), "militia_killed": rng.poisson(8, n),
        "first_day_us_strike": pd.array(np.where(strike_day < 0, None, strike_day), dtype="Int32"),
        "first_day_us_killed": pd.array(np.where(killed_day < 0, None, killed_day), dtype="Int32"),
    })


def synthetic_series(label: str, worlds: int, days: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    level = np.minimum(7, np.maximum.accumulate(rng.poisson(0.02, (worlds, days)), axis=1) + rng.integers(0, 3, (worlds, 1)))
    return pd.DataFrame({"label": label, "world": np.repeat(np.arange(worlds), days),
                         "day": np.tile(np.arange(days), worlds), "level_30d": level.ravel()})


@pytest.fixture(scope="module")
def outcomes():
    return pd.concat([synthetic_outcomes("baseline", 400, 1), synthetic_outcomes("hawkish", 300, 2)],
                     ignore_index=True)


@pytest.fixture(scope="module")
def series():
    return pd.concat([synthetic_series("baseline", 50, 90, 3), synthetic_series("hawkish", 40, 90, 4)],
                     ignore_index=True)


@pytest.fixture(scope="module")
def sweep():
    rng = np.random.default_rng(5)
    levels = np.linspace(0.2, 1.0, 5)
    grid = np.array(np.meshgrid(levels, [1.0, 2.0, 3.0])).reshape(2, -1).T
    frame = pd.DataFrame(np.repeat(grid, 60, axis=0), columns=["quds_force.leash_strength", "united_states.strike_threshold"])
    frame["point"] = np.repeat(np.arange(len(grid)), 60)
    p = np.where((frame["quds_force.leash_strength"] <= 0.4) & (frame["united_states.strike_threshold"] <= 1.0), 0.3, 0.01)
    frame["outcome"] = np.where(rng.random(len(frame)) < p, "confrontation",
                                np.where(rng.random(len(frame)) < 0.1, "crisis", "provocation"))
    return frame


def render(figure) -> bytes:
    assert isinstance(figure, Figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    data = buffer.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    return data


def visible_axes(figure):
    return [ax for ax in figure.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]


def assert_labelled(figure):
    """Every visible data axis has an x label and the figure says what it shows."""
    axes = visible_axes(figure)
    assert axes
    assert all(ax.get_xlabel() for ax in axes)
    assert figure.get_suptitle() or all(ax.get_title() for ax in axes)


def test_agg_backend_and_no_pyplot_figures_are_left_open(outcomes):
    assert matplotlib.get_backend().lower() == "agg"
    before = len(plt.get_fignums())
    render(charts.max_rung_figure(outcomes))
    assert len(plt.get_fignums()) == before


def test_outcome_shares_figure(outcomes):
    figure = charts.outcome_shares_figure(stats.outcome_shares(outcomes, by="label"), threshold=0.05)
    render(figure)
    assert_labelled(figure)
    assert [ax.get_title() for ax in figure.axes] == ["quiet", "provocation", "crisis", "contained exchange",
                                                     "confrontation"]


def test_max_rung_figure_uses_one_colour_per_rung(outcomes):
    figure = charts.max_rung_figure(outcomes)
    render(figure)
    assert_labelled(figure)
    colours = {to_hex(patch.get_facecolor()).upper() for patch in figure.axes[0].patches}
    assert colours == {c.upper() for c in palette.RUNG_COLORS}


def test_distributions_figure(outcomes):
    figure = charts.distributions_figure(outcomes)
    render(figure)
    assert_labelled(figure)
    assert len(visible_axes(figure)) == 4


def test_fan_chart_marks_rungs_and_firebreaks(series):
    figure = charts.fan_chart(series)
    render(figure)
    svg = io.StringIO()
    figure.savefig(svg, format="svg")
    assert "American dead" in svg.getvalue()  # text stays text in SVG (svg.fonttype none)
    assert_labelled(figure)
    ax = figure.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].startswith("0 ") and labels[-1] == "7 sustained open war"
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "American dead" in texts and "Iranian soil" in texts
    assert {round(line.get_ydata()[0], 1) for line in ax.lines if len(set(line.get_ydata())) == 1} >= {2.5, 5.5}


def test_fan_quantiles_are_observed_levels():
    frame = pd.DataFrame({"label": "x", "world": np.repeat(np.arange(100), 2), "day": np.tile([0, 1], 100),
                          "level_30d": np.tile([0, 0], 100)})
    frame.loc[frame["day"] == 1, "level_30d"] = np.arange(100) % 8
    q = charts.fan_quantiles(frame).set_index("day")
    assert q.loc[0, ["q05", "q50", "q95"]].tolist() == [0, 0, 0]
    day1 = np.arange(100) % 8
    assert q.loc[1, "q50"] == np.quantile(day1, 0.5, method="higher")
    assert q.loc[1, "q05"] == np.quantile(day1, 0.05, method="lower")
    assert q.loc[1, "mean"] == pytest.approx(day1.mean())


def test_level_share_figure(series):
    figure = charts.level_share_figure(series)
    render(figure)
    assert_labelled(figure)


def test_survival_curve_without_censoring_is_the_empirical_share():
    days = pd.Series([0, 1, 1, 3], dtype="Int32")
    curve = survival_curve(days, 10)
    # event on day d counts at d + 1 days elapsed: S(1) = 3/4, S(2) = 1/4, S(4) = 0
    lookup = dict(zip(curve["time"], curve["survival"]))
    assert lookup[0.0] == 1.0 and lookup[1.0] == pytest.approx(0.75) and lookup[2.0] == pytest.approx(0.25)
    assert lookup[4.0] == pytest.approx(0.0)
    assert (curve["lower"] <= curve["survival"] + 1e-12).all() and (curve["upper"] >= curve["survival"] - 1e-12).all()


def test_survival_curve_censors_at_the_horizon():
    days = pd.Series([5, None, None, None], dtype="Int32")
    curve = survival_curve(days, 30)
    assert curve["survival"].iloc[-1] == pytest.approx(0.75) and curve["time"].iloc[-1] == 30
    never = survival_curve(pd.Series([None] * 3, dtype="Int32"), 30)
    assert never["survival"].tolist() == [1.0, 1.0]


def test_time_to_event_figure(outcomes):
    figure = charts.time_to_event_figure(outcomes)
    render(figure)
    assert_labelled(figure)


def test_strike_ratio_figure(outcomes):
    figure = charts.strike_ratio_figure(strike_ratios(outcomes))
    render(figure)
    assert_labelled(figure)


def test_sweep_figures(sweep):
    x, y = "quds_force.leash_strength", "united_states.strike_threshold"
    cells = sweepstats.cell_table(sweep, x, y, threshold=0.05)
    figure = sweep_charts.sweep_heatmap(cells, x, y, {x: "share", y: "pressure"}, 0.05)
    render(figure)
    assert figure.axes[0].get_xlabel() == f"{x} (share)"
    assert len(figure.axes[0].texts) == len(cells) == 15
    binned = sweepstats.binned_shares(sweep, [x, y])
    figure = sweep_charts.sweep_lines(binned, {x: "share"})
    render(figure)
    assert_labelled(figure)


def test_sensitivity_figure():
    indices = pd.DataFrame({"parameter": ["a", "a", "b", "b"], "index": ["S1", "ST", "S1", "ST"],
                            "value": [0.2, 0.3, 0.6, 0.7], "conf": [0.05, 0.05, 0.04, 0.06]})
    figure = sweep_charts.sensitivity_figure(indices, "Sobol indices of P(confrontation)")
    render(figure)
    assert_labelled(figure)


def test_prim_figures(sweep):
    X = sweep[["quds_force.leash_strength", "united_states.strike_threshold"]]
    y = sweepstats.event_indicator(sweep, "confrontation")
    boxes = prim(X, y)
    assert boxes[0].limits  # the planted corner is found
    ranges = {c: (X[c].min(), X[c].max()) for c in X.columns}
    render(sweep_charts.prim_boxes_figure(boxes, ranges, None, "confrontation", float(y.mean())))
    render(sweep_charts.prim_trajectory_figure(boxes[0].trajectory, boxes[0].chosen_step,
                                         (boxes[0].coverage, boxes[0].density)))


def test_palette_is_okabe_ito():
    allowed = {c.upper() for c in palette.OKABE_ITO.values()} | {palette.GREY.upper(), palette.LIGHT_GREY.upper()}
    used = [*palette.RUNG_COLORS, *palette.ACTOR_COLORS.values(), *palette.OUTCOME_COLORS.values(),
            *palette.SCENARIO_COLORS, *palette.VERDICT_COLORS.values()]
    assert {c.upper() for c in used} <= allowed
    assert len(set(palette.RUNG_COLORS)) == 8
    assert len(set(palette.ACTOR_COLORS.values())) == len(palette.ACTOR_COLORS)
    assert palette.actor_color("kataib_hezbollah") == palette.ACTOR_COLORS["militias"]


def test_most_contrasting_pair_finds_the_planted_interaction(sweep):
    rng = np.random.default_rng(9)
    frame = sweep.assign(noise=rng.uniform(0, 1, len(sweep)))
    x, y, score = sweepstats.most_contrasting_pair(frame, ["noise", "quds_force.leash_strength",
                                                           "united_states.strike_threshold"])
    assert {x, y} == {"quds_force.leash_strength", "united_states.strike_threshold"} and score > 0.05
    shuffled = frame.assign(outcome=rng.permutation(frame["outcome"].to_numpy()))
    assert sweepstats.explained_by_cells(sweepstats.cell_table(shuffled, "noise", "quds_force.leash_strength",
                                                               None)) < 0.01


def test_charts_take_the_frames_the_python_api_returns(outcomes, series):
    """Frames with a ``scenario`` column and no ``label`` (Results.outcomes(), outcome_shares()) draw the same."""
    api_outcomes = outcomes.drop(columns="label")
    shares = stats.outcome_shares(api_outcomes)  # by scenario, its default
    assert "label" not in shares.columns
    figure = charts.outcome_shares_figure(shares)
    assert [t.get_text() for t in figure.axes[0].get_yticklabels()] == ["baseline", "hawkish"]
    for draw in (charts.max_rung_figure, charts.distributions_figure, charts.time_to_event_figure):
        render(draw(api_outcomes))
    render(charts.fan_chart(series.drop(columns="label").assign(scenario=series["label"])))
    with pytest.raises(ValueError, match="'label' or a 'scenario' column"):
        charts.fan_chart(series.drop(columns="label"))


# -- outputs that never mislead (issue 14) ----------------------------------------------------------------

def scripted_rows(label: str, *rows) -> pd.DataFrame:
    """Scripted history rows (label, day, action, killed) as sections.scripted_history builds them."""
    return pd.DataFrame([{"label": label, "day": d, "action": a, "killed": k} for d, a, k in rows])


def shaded_spans(ax) -> list[tuple[float, float]]:
    """x extents of the axvspan patches of the scripted-history colour."""
    spans = []
    for patch in ax.patches:
        if to_hex(patch.get_facecolor()) == charts.SCRIPTED_COLOR:
            left, width = patch.get_x(), patch.get_width()  # axvspan draws a Rectangle in data x
            spans.append((round(float(left), 1), round(float(left + width), 1)))
    return spans


def test_scripted_days_select_by_label_and_kind():
    rows = pd.concat([scripted_rows("crisis", (87, "attack", 1), (89, "strike_militia", 0), (91, "siege", 0),
                                    (94, "leader_killing", 3)),
                      scripted_rows("talks", (20, "attack", 0))], ignore_index=True)
    assert charts.scripted_days(rows, "crisis") == [87, 89, 91, 94]
    assert charts.scripted_days(rows, "crisis", "us_strike") == [89]
    assert charts.scripted_days(rows, "crisis", "us_killed") == [87]
    assert charts.scripted_days(rows, "talks", "us_killed") == []  # an attack that killed nobody
    assert charts.scripted_days(None, "crisis") == [] and charts.scripted_days(rows, "baseline") == []
    assert charts._stretches([87, 89, 91, 94, 200]) == [(87, 94), (200, 200)]


def test_fan_chart_shades_scripted_history_only_in_its_panel(series):
    scripted = scripted_rows("hawkish", (30, "attack", 1), (33, "strike_militia", 0), (60, "leader_killing", 3))
    figure = charts.fan_chart(series, scripted=scripted)
    render(figure)
    baseline, hawkish = figure.axes[0], figure.axes[1]
    assert shaded_spans(baseline) == []
    assert sorted(shaded_spans(hawkish)) == [(29.5, 33.5), (59.5, 60.5)]
    assert "scripted history" in " ".join(t.get_text() for t in hawkish.texts)
    assert any("scripted history" in t.get_text() for legend in figure.legends for t in legend.get_texts())
    unmarked = charts.fan_chart(series)
    assert not any("scripted" in t.get_text() for legend in unmarked.legends for t in legend.get_texts())


def test_survival_curves_mark_scripted_strikes_and_deaths_by_kind(outcomes):
    scripted = scripted_rows("hawkish", (40, "strike_militia", 0), (35, "attack", 2), (50, "siege", 0))
    figure = charts.time_to_event_figure(outcomes, scripted=scripted)
    render(figure)
    strike_panel, killed_panel = visible_axes(figure)
    assert shaded_spans(strike_panel) == [(39.5, 40.5)]  # the siege is not a strike
    assert shaded_spans(killed_panel) == [(34.5, 35.5)]
    assert any("scripted history" in t.get_text() for legend in figure.legends for t in legend.get_texts())


def test_outcome_share_panels_share_one_axis(outcomes):
    """The quiet panel ran 0-1 % while the others ran 0-100 %: now every panel has the same x axis."""
    shares = stats.outcome_shares(outcomes, by="label")
    figure = charts.outcome_shares_figure(shares, threshold=0.05)
    render(figure)
    limits = {ax.get_xlim() for ax in figure.axes}
    assert len(limits) == 1
    assert all(ax.get_xscale() == "symlog" for ax in figure.axes)
    right = limits.pop()[1]
    assert right >= shares["upper"].max() * 100  # every interval fits
    rare = shares.assign(share=shares["share"] / 100, lower=shares["lower"] / 100, upper=shares["upper"] / 100)
    small = charts.outcome_shares_figure(rare, threshold=0.05)
    assert small.axes[0].get_xlim()[1] == pytest.approx(10.0)  # fits the data and the 5 % threshold line


@pytest.mark.parametrize("scale", [0.02, 1.0])
def test_heatmap_colour_scale_fits_the_cells_shown(sweep, scale):
    x, y = "quds_force.leash_strength", "united_states.strike_threshold"
    cells = sweepstats.cell_table(sweep, x, y, threshold=0.05)
    cells = cells.assign(share=cells["share"] * scale)
    figure = sweep_charts.sweep_heatmap(cells, x, y, threshold=0.05)
    render(figure)
    image = figure.axes[0].images[0]
    assert image.norm.vmin == 0
    assert image.norm.vmax == pytest.approx(cells["share"].max() * 100)
    # at 2 % of the planted shares every cell is below 1 %, and the colours still spread over the whole map
    colours = {tuple(np.round(image.cmap(image.norm(v)), 3)) for v in cells["share"] * 100}
    assert len(colours) > 3


def test_level_shares_mark_scripted_days_with_dotted_lines(series):
    scripted = scripted_rows("baseline", (30, "attack", 1), (33, "strike_militia", 0))
    figure = charts.level_share_figure(series, scripted=scripted)
    render(figure)
    dotted = [line.get_xdata()[0] for line in figure.axes[0].lines if line.get_linestyle() == ":"]
    assert dotted == [30, 33] and not [l for l in figure.axes[1].lines if l.get_linestyle() == ":"]
    assert "scripted history" in " ".join(t.get_text() for t in figure.axes[0].texts)
