"""The sections of ``escalation report``: what the report says about result sets and sweeps, and its tables.

:func:`comparison_section` compares every result set side by side (outcome classes, highest rung,
per-world totals, escalation over time with scripted history shaded, time to first events, the
strike-to-attack ratio, the paths into each outcome class);
:func:`sweep_section` adds, per sweep, P(confrontation) along each parameter and over the most contrasting
pair, sensitivity indices and scenario discovery (PRIM). The summary tables they show are computed here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.report import charts, sweep_charts
from analysis.report.writer import Writer
from analysis.runs.resultsets import ResultSet, as_float, combined_outcomes, numeric_parameters
from analysis.stats import intervals as stats
from analysis.stats import paths as pathstats
from analysis.stats import prim as discovery
from analysis.stats import sensitivity
from analysis.stats import sweeps as sweepstats
from analysis.stats.survival import survival_curve
from sim.errors import InputError

MIN_TARGETS_FOR_PRIM = 10


def strike_ratios(outcomes: pd.DataFrame) -> pd.DataFrame:
    """US strikes on militia sites per militia attack, pooled per label, with bootstrap 95 % intervals."""
    rows = []
    for label, part in outcomes.groupby("label", sort=False, observed=True):
        ratio, lo, hi = stats.ratio_interval(part["us_strikes"], part["attacks"])
        rows.append({"label": label, "worlds": len(part), "attacks": int(part["attacks"].sum()),
                     "us_strikes": int(part["us_strikes"].sum()), "ratio": ratio, "lower": lo, "upper": hi})
    return pd.DataFrame(rows)


def distribution_summary(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Mean, median, 90th percentile and maximum of per-world totals, per label."""
    rows = []
    for label, part in outcomes.groupby("label", sort=False, observed=True):
        for column, (title, unit, _) in charts.DISTRIBUTION_COLUMNS.items():
            values = part[column].astype(float)
            rows.append({"label": label, "quantity": title, "unit": unit, "mean": values.mean(),
                         "median": values.median(), "p90": values.quantile(0.9), "max": values.max(),
                         "share_of_worlds_above_zero": (values > 0).mean()})
    return pd.DataFrame(rows)


def time_to_event_summary(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Per label and event: share of worlds where it happened within the horizon (with interval), median day."""
    rows = []
    for label, part in outcomes.groupby("label", sort=False, observed=True):
        for column, (title, _, _) in charts.TIME_TO_EVENT_COLUMNS.items():
            days = pd.array(part[column], dtype="Int64")
            happened = int((~days.isna()).sum())
            lo, hi = stats.proportion_interval(happened, len(part))
            curve = survival_curve(part[column], part["days"])
            below = curve[curve["survival"] <= 0.5]
            rows.append({"label": label, "event": title, "worlds": len(part), "happened": happened,
                         "share": happened / len(part), "lower": float(lo), "upper": float(hi),
                         "median_days_to_event": float(below["time"].iloc[0]) if len(below) else np.nan,
                         "horizon_days": int(part["days"].max())})
    return pd.DataFrame(rows)


TIMELINE_ACTIONS = {"attack": "attack", "us_strike": "strike_militia", "siege": "siege",
                    "leader_killed": "leader_killing", "direct_strike": "direct_strike", "drawdown": "drawdown"}


def scripted_history(sets: list[ResultSet]) -> pd.DataFrame:
    """The scripted history of each result set: rows ``label``, ``day``, ``action``, ``killed``.

    From the event log of the set's first world when events were stored (its ``scripted`` rows: what the
    timeline did), else from the scenario's timeline (the acts it scripts; an unreadable scenario gives none).
    """
    rows = []
    for s in sets:
        if pathstats.has_events(s):
            try:
                first = int(s.outcomes["world"].iloc[0])
                events = s.handle.events(columns=["world", "day", "action", "killed", "scripted"], worlds=[first])
                events = events[events["scripted"].astype(bool)]
                rows += [{"label": s.label, "day": int(d), "action": str(a), "killed": int(k)}
                         for d, a, k in zip(events["day"], events["action"], events["killed"])]
                continue
            except (InputError, OSError):
                pass
        try:
            from sim.scenario import load_scenario

            scenario = load_scenario(s.scenario)
        except (InputError, OSError):
            continue
        for event in scenario.timeline:
            action = TIMELINE_ACTIONS.get(getattr(event, "type", ""))
            if action:
                rows.append({"label": s.label, "day": int(scenario.event_day(event)), "action": action,
                             "killed": int(getattr(event, "killed", 0) or 0)})
    return pd.DataFrame(rows, columns=["label", "day", "action", "killed"])


def _worlds(count: int) -> str:
    return f"{count} world" if count == 1 else f"{count} worlds"


def comparison_section(w: Writer, sets: list[ResultSet], threshold: float) -> None:
    """Every result set side by side: outcome classes, totals, escalation over time, first events, strike ratio."""
    outcomes = combined_outcomes(sets)
    scripted = scripted_history(sets)
    history = (" Grey stretches: scripted history, the events the scenario's timeline imposes in every world "
               "(not model output)." if not scripted.empty else "")
    w.heading("Outcome classes")
    shares = stats.outcome_shares(outcomes, by="label")
    w.figure(charts.outcome_shares_figure(shares, threshold), "outcome-shares",
             "Share of worlds ending in each outcome class, with exact 95 % Clopper-Pearson intervals "
             "(one-sided 95 % upper bound when a class never occurs). Sweeps are pooled over their design.")
    w.table(shares, "outcome-shares", "Outcome classes per scenario: count, share and 95 % interval.",
            percent=("share", "lower", "upper"))

    w.heading("Highest rung, attacks, strikes and casualties")
    w.figure(charts.max_rung_figure(outcomes), "max-rung", "Highest rung of the escalation ladder reached per world.")
    w.figure(charts.distributions_figure(outcomes), "distributions",
             "Cumulative distributions over worlds of militia attacks, US strikes on militia sites, Americans "
             "killed and militia members killed over the horizon.")
    w.table(distribution_summary(outcomes), "distributions", "Per-world totals over the horizon.",
            percent=("share_of_worlds_above_zero",))

    w.heading("Escalation over time")
    with_series = [s for s in sets if s.has_series and s.kind == "batch"]
    missing = [s.label for s in sets if s not in with_series]
    if with_series:
        series = pd.concat([s.series().assign(label=s.label) for s in with_series], ignore_index=True)
        w.figure(charts.fan_chart(series, scripted=scripted), "fan-chart",
                 "Escalation fan chart: the highest rung reached in the trailing 30 days (series column "
                 "level_30d), median (black), mean (vermillion) and the bands holding the middle 50 % and 90 % of worlds, "
                 "by day. Dashed dark lines mark the firebreaks: American dead (between rungs 2 and 3) and "
                 "Iranian soil / forces (at rung 6)." + history)
        w.figure(charts.level_share_figure(series, scripted=scripted), "level-shares",
                 "Share of worlds at each rung of the 30-day level, by day (the same data as the fan chart, "
                 "shown whole)." + (" Dotted lines: days of scripted history." if not scripted.empty else ""))
        w.table(charts.fan_quantiles(series), "fan-chart", "Fan chart data (30-day level quantiles and mean per "
                "day) are in the CSV only.", max_rows=0)
    if missing:
        w.paragraph("No fan chart for: " + ", ".join(missing) + " (daily series were not stored with these "
                    "worlds; sweeps are summarised by parameter instead).", "note")

    w.figure(charts.time_to_event_figure(outcomes, scripted=scripted), "time-to-event",
             "Time to the first US strike on militia sites and to the first American killed: Kaplan-Meier "
             "share of worlds where it has not happened yet, with 95 % log-log band. Worlds where it never "
             "happens are censored at the horizon, so the curves end at the horizon rather than at zero."
             + (" Grey stretches: a scripted US strike or a scripted attack that killed Americans, which forces "
                "the curve down in every world that had not seen the event yet (history, not model output)."
                if not scripted.empty else ""))
    w.table(time_to_event_summary(outcomes), "time-to-event",
            "Share of worlds where the event happens within the horizon (exact 95 % interval) and the "
            "Kaplan-Meier median time to it (empty when fewer than half the worlds see it).",
            percent=("share", "lower", "upper"))

    w.heading("US-strike-to-attack ratio")
    ratios = strike_ratios(outcomes)
    w.figure(charts.strike_ratio_figure(ratios), "strike-ratio",
             "US strikes on militia sites per militia attack, pooled over worlds, with a bootstrap 95 % "
             "interval over worlds (2,000 resamples). Shaded: the observed 2020-21 ceiling (< 3 %, [PressReports]).")
    w.table(ratios, "strike-ratio", "US strikes per militia attack.", percent=("ratio", "lower", "upper"))
    paths_section(w, sets)


def paths_section(w: Writer, sets: list[ResultSet]) -> None:
    """Per scenario: the share of each outcome class's worlds by path (analysis.stats.paths)."""
    w.heading("Paths into each outcome class")
    w.paragraph("A path is the chain of key events that led a world into its class. Into confrontation and "
                "contained exchange (and a crisis with a direct strike): the trigger of the opening direct strike of "
                "its longest exchange (the last humiliation of Iran in the 30 days before, American dead in the 10 "
                "days before a US decision, Iran's posture), who struck first, warned or unwarned, with or without "
                "American dead, each answer, and how the exchange ended (open war, no answer, a ceasefire, or "
                "still running at the horizon). Into a crisis without a direct strike: the first leader killing, "
                "what preceded it and Iran's answer. Into provocation: the first attack, the first Americans "
                "wounded and killed, the first US strike on militia sites, in the order they came. Quiet: "
                "harassment or threats only. Steps the scenario's timeline made are marked (scripted). Beyond "
                "the six most common paths of a class the rest are grouped. The exchange classes are traced "
                f"whole, the other classes from up to {pathstats.SAMPLE_WORLDS:,} worlds each, evenly spaced.")
    for s in sets:
        try:
            paths = pathstats.result_set_paths(s, pathstats.ALL_CLASSES, per_class=pathstats.SAMPLE_WORLDS)
        except InputError as error:
            w.paragraph(f"{s.label}: the events could not be read ({error}).", "note")
            continue
        if paths is None:
            w.paragraph(f"{s.label}: {pathstats.NO_EVENTS_REPORT}.", "note")
            continue
        table = pathstats.path_table(paths)
        table = table.rename(columns={"median_first_strike_day": "median_day_of_first_direct_strike"})
        columns = ["path", *[c for c in table.columns if c != "path"]]  # the label first: left-aligned
        w.table(table[columns], f"{s.label}-paths",
                f"{s.label}: share of each outcome class's traced worlds by path, with exact 95 % Clopper-Pearson "
                "intervals; median day of the opening direct strike (exchanges only); whether the path's first "
                "step was scripted.", percent=("share", "lower", "upper"), max_rows=60)


def sweep_section(w: Writer, s: ResultSet, threshold: float) -> None:
    """One sweep: per-point verdicts, P(event) along each parameter, sensitivity, a heatmap and PRIM boxes."""
    w.heading(f"Sweep: {s.label}")
    numeric, other = numeric_parameters(s.outcomes, s.parameters)
    points = sweepstats.point_table(s.outcomes, s.parameters, threshold=threshold)
    ranges = {p: (float(s.outcomes[p].astype(float).min()), float(s.outcomes[p].astype(float).max()))
              for p in numeric}
    w.paragraph(f"{s.design_kind} design, {len(points)} design points, median {points['worlds'].median():.0f} "
                f"worlds per point, {len(s.outcomes)} worlds in all; parameters: "
                + ", ".join(f"{p} [{ranges[p][0]:.3g}, {ranges[p][1]:.3g}] {s.units.get(p, '')}".rstrip()
                            for p in numeric)
                + (f"; not numeric (left out of heatmaps and PRIM): {', '.join(other)}" if other else ""))
    first = ["point", "verdict", "share", "lower", "upper", "worlds", "count"]  # verdicts first: wide tables scroll
    points = points[[c for c in first if c in points.columns] + [c for c in points.columns if c not in first]]
    w.table(points, f"{s.label}-points", "Per design point: P(confrontation) with exact 95 % interval and the "
            "thesis verdict at that point.", percent=("share", "lower", "upper"),
            sort_by="share" if len(points) > 40 else None)
    if not numeric:
        w.paragraph("No numeric parameter: nothing to chart along a parameter.", "note")
        return

    binned = sweepstats.binned_shares(s.outcomes, numeric)
    clustered = (" The bands treat the worlds in a bin as independent; in Saltelli and Morris designs the points "
                 "share coordinates in blocks, so bins scatter more than the bands suggest."
                 if s.design_kind in ("sobol", "morris") else "")
    w.figure(sweep_charts.sweep_lines(binned, s.units, threshold), f"{s.label}-lines",
             "P(confrontation) and P(crisis or worse) along each swept parameter, all other parameters pooled "
             "(each parameter binned: its own levels, or equal-count bins), with exact 95 % bands." + clustered)
    w.table(binned, f"{s.label}-binned", "The figure's numbers (P(event) per parameter bin, with intervals) are in "
            "the CSV.", max_rows=0)

    _sensitivity(w, s, numeric)
    pair = _heatmap_pair(s, numeric)
    if pair:
        x, y, why = pair
        cells = sweepstats.cell_table(s.outcomes, x, y, threshold)
        w.figure(sweep_charts.sweep_heatmap(cells, x, y, s.units, threshold), f"{s.label}-heatmap",
                 f"P(confrontation) over {x} and {y} ({why}); other parameters pooled. Each cell: share of "
                 f"worlds, verdict against the {threshold:.0%} threshold, worlds in the cell.")
        w.table(cells, f"{s.label}-heatmap", "The heatmap's cells (share, interval, verdict) are in the CSV.",
                max_rows=0)
    _discovery(w, s, numeric, ranges, threshold)


SENSITIVITY_OUTPUTS = {
    "P(confrontation)": "confrontation",
    "P(crisis or worse)": "crisis or worse",
    "mean highest rung": None,
}
MIN_EVENTS_FOR_SENSITIVITY = 10


def _sensitivity_inputs(s: ResultSet, numeric: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """World-level outputs and per-point means (in design-row order) of every sensitivity output."""
    worlds = s.outcomes[["point", *(["design_row"] if "design_row" in s.outcomes.columns else []), *numeric]].copy()
    for output, event in SENSITIVITY_OUTPUTS.items():
        worlds[output] = (sweepstats.event_indicator(s.outcomes, event) if event
                          else s.outcomes["max_rung"].to_numpy(dtype=float))
    keys = ["point", *(["design_row"] if "design_row" in worlds.columns else [])]
    points = worlds.groupby(keys, sort=True).mean().reset_index()
    if "design_row" in points.columns:
        points = points.sort_values("design_row").reset_index(drop=True)
    return worlds, points


def _sensitivity(w: Writer, s: ResultSet, numeric: list[str]) -> dict[str, pd.DataFrame]:
    w.heading(f"Sensitivity ({s.label})", 3)
    worlds, points = _sensitivity_inputs(s, numeric)
    problem = s.design.get("salib_problem")
    design = s.sample_for_sensitivity()
    kind = s.design_kind or "any"
    factorial = kind == "grid" and numeric == s.parameters and sensitivity.is_full_factorial(points, numeric)
    if kind == "grid" and not factorial:
        w.paragraph("The grid is not a complete full factorial over numeric parameters (an incomplete sweep or a "
                    "non-numeric parameter): RBD-FAST first-order indices are shown instead.", "note")
    sobol_ready = (kind == "sobol" and problem is not None and design is not None
                   and problem["names"] == numeric and len(points) == len(design))
    if kind == "sobol" and not sobol_ready:
        w.paragraph(f"Sobol indices need every row of the Saltelli sample ({len(points)} of "
                    f"{'?' if design is None else len(design)} rows stored): RBD-FAST first-order indices are "
                    "shown instead.", "note")
    if kind == "morris":
        w.paragraph("Morris designs are analysed here with RBD-FAST first-order indices on the given sample; "
                    "Morris elementary effects are not computed by this report.", "note")
    sample = points
    if sobol_ready or (problem is not None and design is not None and len(points) == len(design)
                       and set(problem["names"]) == set(numeric)):
        raw = design.set_index("design_row").loc[points["design_row"], problem["names"]].reset_index(drop=True)
        sample = pd.concat([raw, points[list(SENSITIVITY_OUTPUTS)].reset_index(drop=True)], axis=1)
    else:
        problem = None
    results: dict[str, pd.DataFrame] = {}
    for output, event in SENSITIVITY_OUTPUTS.items():
        if event is not None:
            count = int(worlds[output].sum())
            if count < MIN_EVENTS_FOR_SENSITIVITY:
                w.paragraph(f"No sensitivity indices for {output}: only {_worlds(count)} reached {event} (at least "
                            f"{MIN_EVENTS_FOR_SENSITIVITY} needed for indices that mean anything).", "note")
                continue
        p_value = sensitivity.between_point_p_value(worlds, output)
        if p_value > 0.05:
            w.paragraph(f"No sensitivity indices for {output}: it does not differ between design points beyond "
                        f"the noise of their replicates (one-way ANOVA p = {p_value:.2g}), so any index would "
                        "apportion noise.", "note")
            continue
        try:
            if factorial:
                indices = sensitivity.factorial_indices(worlds, numeric, output)
                method = "full-factorial variance decomposition (95 % interval: bootstrap over replicates)"
            else:
                noise = sensitivity.replicate_noise(worlds, output)
                indices, method = sensitivity.sweep_sensitivity(
                    sample, numeric, output, "sobol" if sobol_ready else "any", problem,
                    s.design.get("settings", {}).get("calc_second_order"), noise_variance=noise)
        except ValueError as error:
            w.paragraph(f"No sensitivity indices for {output}: {error}.", "note")
            continue
        results[output] = indices
        name = f"{s.label}-sensitivity-{output}"
        w.figure(sweep_charts.sensitivity_figure(indices, f"Sensitivity of {output} (per design point)\n{method}"), name,
                 f"Sensitivity indices of {output} (per design point) to the swept parameters: {method}. "
                 "S1: share of the output's variance due to the parameter alone; ST: including its "
                 "interactions. Each point's output is a mean over its replicates; the Sobol and "
                 "full-factorial estimates subtract the variance that replicate noise adds, RBD-FAST does not "
                 "(there noise lowers S1). Bars hatched in grey are not usable as results: negative beyond their "
                 "interval, or a total index below the first-order one beyond their intervals (the estimator "
                 "failed there, e.g. on a rare outcome); the note under the chart names them.")
        w.table(indices, name, f"Sensitivity indices of {output} (conf = half-width of the 95 % interval; usable "
                "and reason: whether the index can be read as a result, and if not why).")
    return results


def _heatmap_pair(s: ResultSet, numeric: list[str]) -> tuple[str, str, str] | None:
    if len(numeric) < 2:
        return None
    if len(numeric) == 2:
        return numeric[0], numeric[1], "the two swept parameters"
    hits = int(sweepstats.event_indicator(s.outcomes, "confrontation").sum())
    event = "confrontation" if hits >= MIN_TARGETS_FOR_PRIM else "crisis or worse"
    x, y, score = sweepstats.most_contrasting_pair(s.outcomes, numeric, event)
    return x, y, (f"of all pairs, the one whose cells differ most in P({event}): {score:.1%} of its variance "
                  "explained beyond chance; chosen on these data, so read it as exploratory")


def _discovery(w: Writer, s: ResultSet, numeric: list[str], ranges: dict, threshold: float) -> None:
    w.heading(f"Scenario discovery ({s.label})", 3)
    X = as_float(s.outcomes, numeric)
    target, y = "confrontation", sweepstats.event_indicator(s.outcomes, "confrontation")
    if y.sum() < MIN_TARGETS_FOR_PRIM:
        w.paragraph(f"Only {_worlds(int(y.sum()))} ended in confrontation (PRIM needs at least "
                    f"{MIN_TARGETS_FOR_PRIM}); the boxes below are for crisis or worse instead.", "note")
        target, y = "crisis or worse", sweepstats.event_indicator(s.outcomes, "crisis or worse")
    if y.sum() < MIN_TARGETS_FOR_PRIM:
        w.paragraph(f"Only {_worlds(int(y.sum()))} reached crisis or worse: too few for scenario discovery.", "note")
        return
    if y.sum() == len(y):
        w.paragraph(f"Every world reached {target}: there is no region to discover.", "note")
        return
    boxes = discovery.prim(X, y)
    base = y.mean()
    if not boxes or not boxes[0].limits:
        w.paragraph(f"PRIM found no region where {target} is concentrated beyond its overall rate of {base:.1%} "
                    "(no restriction passes the binomial test at 5 %).", "note")
        return
    w.figure(sweep_charts.prim_boxes_figure(boxes, ranges, s.units, target, base,
                                            threshold if target == "confrontation" else None), f"{s.label}-prim-boxes",
             f"PRIM boxes where {target} concentrates (overall rate {base:.1%}). Coverage: share of all "
             f"{target} worlds inside the box; density: share of the box's worlds in {target}.")
    first = boxes[0]
    w.figure(sweep_charts.prim_trajectory_figure(first.trajectory, first.chosen_step, (first.coverage, first.density)),
             f"{s.label}-prim-trajectory",
             "PRIM peeling trajectory of the first box: each point a nested box; the circled one was chosen "
             "(best harmonic mean of coverage and density rescaled from the overall rate to the densest box); the star is the final box after dropping the "
             "restrictions a binomial test cannot tell from chance (quasi p-value > 0.05).")
    table = discovery.boxes_table(boxes, threshold if target == "confrontation" else None)
    w.table(table, f"{s.label}-prim", f"PRIM boxes for {target}: limits, coverage, density with exact 95 % "
            "interval, mass (share of worlds in the box), quasi p-value per restriction"
            + (f" and the verdict against the {threshold:.0%} threshold (a box below it is not a break)."
               if target == "confrontation" else "."),
            percent=("coverage", "density", "density_lower", "density_upper", "mass"))
    for number, box in enumerate(boxes, start=1):
        w.paragraph(f"Box {number}: " + discovery.box_in_words(box, threshold, target, ranges, base_rate=base,
                                                               max_conditions=5))
    if target == "confrontation":
        _breaks(w, s, X, y, ranges, threshold)


def _breaks(w: Writer, s: ResultSet, X: pd.DataFrame, y: np.ndarray, ranges: dict, threshold: float) -> None:
    """Where the thesis breaks: PRIM aimed at P(confrontation) above the threshold, checked on held-out worlds."""
    holdout = (s.outcomes["replicate"].to_numpy() % 2 == 1) if "replicate" in s.outcomes.columns else None
    if holdout is not None and (holdout.all() or not holdout.any()):
        holdout = None
    groups = s.outcomes["point"].to_numpy() if "point" in s.outcomes.columns else None
    found = discovery.break_boxes(X, y, threshold, holdout=holdout, groups=groups)
    held = "the odd replicates, held out of the search" if holdout is not None else "the same worlds"
    w.paragraph(f"Where the thesis breaks: PRIM aimed at P(confrontation) above {threshold:.0%} (among the nested "
                f"boxes credibly above it, exact lower bound above the threshold, the best trade of coverage and "
                f"density, keeping the restrictions it needs to stay above; boxes of at least 2 % of the search "
                f"worlds), searched on {'the even replicates' if holdout is not None else 'all worlds'} and "
                f"measured again on {held}. A box whose density is below the threshold is not a break.")
    for number, (box, check) in enumerate(found, start=1):
        text = f"Break search, box {number}: " + discovery.box_in_words(box, threshold, "confrontation", ranges,
                                                                         max_conditions=5)
        if "verdict" in check:
            text += (f" On the held-out worlds: {check['density']:.2%} [{check['density_lower']:.2%}, "
                     f"{check['density_upper']:.2%}] of {check['points']:,} worlds: {check['verdict']}.")
        if "top_group" in check:
            text += (f" Its most confrontational design point ({check['top_group']}) carries "
                     f"{check['top_group_share']:.0%} of its confrontations; without it the box is at "
                     f"{check['density_without_top_group']:.2%}.")
        w.paragraph(text)
    if found and all(discovery.break_verdict(box, threshold) == discovery.NOT_A_BREAK for box, _ in found):
        densest = discovery.densest_on_trajectory(found[0][0])
        if densest:
            w.paragraph(f"No box reaches P(confrontation) {threshold:.0%}: the densest box on the peeling trajectory "
                        f"({densest['mass']:.1%} of the search worlds, {densest['restricted']} parameters restricted) "
                        f"reaches {densest['density']:.2%} [{densest['density_lower']:.2%}, "
                        f"{densest['density_upper']:.2%}].", "note")
