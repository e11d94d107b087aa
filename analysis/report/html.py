"""``escalation report``: one self-contained HTML report of one or more results directories.

The report (``report.html``, figures embedded as base64 PNG, opens from disk) compares every scenario of
every directory side by side: outcome-class shares with exact 95 % intervals, distributions of the highest
rung, attacks, strikes and casualties, the escalation fan chart (when daily series were stored), time to
the first US strike and the first American death (Kaplan-Meier, censored at the horizon), and the
US-strike-to-attack ratio. Each sweep adds P(confrontation) along each parameter and over the two most
influential ones, sensitivity indices and PRIM boxes. Every figure is also written as PNG and SVG under
``figures/`` and every table as CSV under ``tables/``.

The report is written into a temporary directory beside ``--out`` and renamed into place, so a failed
run leaves nothing half-written. An existing ``--out`` is replaced only if it is an earlier report.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.report import charts
from analysis.stats import prim as discovery
from analysis.stats import sensitivity
from analysis.stats import intervals as stats
from analysis.stats import sweeps as sweepstats
from analysis.stats import thesis
from analysis.runs.resultsets import ResultSet, as_float, combined_outcomes, load_result_sets, numeric_parameters
from sim.errors import InputError

MARKER = ".escalation-report"
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
            curve = charts.survival_curve(part[column], part["days"])
            below = curve[curve["survival"] <= 0.5]
            rows.append({"label": label, "event": title, "worlds": len(part), "happened": happened,
                         "share": happened / len(part), "lower": float(lo), "upper": float(hi),
                         "median_days_to_event": float(below["time"].iloc[0]) if len(below) else np.nan,
                         "horizon_days": int(part["days"].max())})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------------
# Writing


def _worlds(count: int) -> str:
    return f"{count} world" if count == 1 else f"{count} worlds"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "set"


class _Writer:
    """Collects figures, tables and HTML fragments for one report directory."""

    def __init__(self, directory: Path):
        self.directory = directory
        (directory / "figures").mkdir()
        (directory / "tables").mkdir()
        self.parts: list[str] = []
        self.figure_count = 0

    def heading(self, text: str, level: int = 2) -> None:
        self.parts.append(f"<h{level} id='{_slug(text)}'>{html.escape(text)}</h{level}>")

    def paragraph(self, text: str, css: str = "") -> None:
        cls = f" class='{css}'" if css else ""
        self.parts.append(f"<p{cls}>{html.escape(text)}</p>")

    def raw(self, fragment: str) -> None:
        self.parts.append(fragment)

    def figure(self, figure, name: str, caption: str) -> None:
        self.figure_count += 1
        stem = f"{self.figure_count:02d}-{_slug(name)}"
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=150)
        png = buffer.getvalue()
        (self.directory / "figures" / f"{stem}.png").write_bytes(png)
        figure.savefig(self.directory / "figures" / f"{stem}.svg", format="svg")
        encoded = base64.b64encode(png).decode("ascii")
        self.parts.append(
            f"<figure><img alt='{html.escape(caption)}' src='data:image/png;base64,{encoded}'>"
            f"<figcaption>Figure {self.figure_count}. {html.escape(caption)} "
            f"<span class='files'>(figures/{stem}.png, .svg)</span></figcaption></figure>")

    def table(self, frame: pd.DataFrame, name: str, caption: str, percent: tuple[str, ...] = (),
              digits: int = 3, max_rows: int = 40, sort_by: str | None = None) -> None:
        frame = frame.reset_index(drop=True)
        path = self.directory / "tables" / f"{_slug(name)}.csv"
        frame.to_csv(path, index=False)
        if sort_by is not None:
            frame = frame.sort_values(sort_by, ascending=False, kind="stable")
            caption += f" Sorted by {sort_by}, highest first."
        shown = frame.head(max_rows).copy()
        if max_rows == 0:
            self.parts.append(f"<p class='caption'>{html.escape(caption)} <span class='files'>(tables/{path.name})"
                              "</span></p>")
            return
        if len(frame) > max_rows:
            caption += f" First {max_rows} of {len(frame)} rows; all rows in the CSV."
        for column in shown.columns:
            if column in percent:
                shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.2%}")
            elif pd.api.types.is_float_dtype(shown[column]):
                shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.{digits}g}")
        self.parts.append(f"<div class='table' style='overflow-x: auto'><p class='caption'>{html.escape(caption)} "
                          f"<span class='files'>(tables/{path.name})</span></p>"
                          + shown.to_html(index=False, escape=True, border=0) + "</div>")


CSS = """
body { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; max-width: 1120px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
figure { margin: 1.2em 0; } figure img { width: 100%; height: auto; border: 1px solid #eee; }
figcaption, .caption { font-size: 0.9em; color: #444; } .files { color: #888; font-size: 0.85em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.4em 0 1.2em; }
th, td { padding: 3px 8px; border-bottom: 1px solid #e5e5e5; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
pre.verdict { background: #f7f7f7; border-left: 4px solid #0072B2; padding: 0.8em; white-space: pre-wrap;
              font-size: 0.88em; }
.note { background: #FFF8E1; border-left: 4px solid #E69F00; padding: 0.5em 0.8em; }
.holds { color: #009E73; font-weight: bold; } .fails { color: #D55E00; font-weight: bold; }
.inconclusive { color: #555; font-weight: bold; }
table.verdicts td { white-space: nowrap; } table.verdicts td:first-child { white-space: normal; }
"""


def _verdict_table(verdicts: list) -> str:
    """An HTML table: one row per result set with P(confrontation), its interval and the verdict."""
    rows = []
    for v in verdicts:
        p = v.pooled
        space = ("" if v.space is None else f"holds {v.space['holds']:.0%} / fails {v.space['fails']:.0%} / "
                 f"inconclusive {v.space['inconclusive']:.0%} of {v.space['points']} points")
        rows.append(f"<tr><td>{html.escape(v.result_set.label)}</td><td>{p.confrontations}/{p.worlds}</td>"
                    f"<td>{p.share:.2%}</td><td>[{p.lower:.2%}, {p.upper:.2%}]</td><td>{html.escape(space)}</td>"
                    f"<td class='{v.verdict}'>{v.verdict.upper()}</td></tr>")
    head = ("<tr><th>scenario</th><th>confrontations / worlds</th><th>P(confrontation)</th>"
            "<th>95 % interval</th><th>sweep: share of design points</th><th>verdict</th></tr>")
    return f"<table class='verdicts'>{head}{''.join(rows)}</table>"


def _sources_table(sets: list[ResultSet]) -> pd.DataFrame:
    rows = []
    for s in sets:
        m = s.manifest
        rows.append({"label": s.label, "directory": str(s.path), "kind": s.kind, "scenario": s.scenario,
                     "worlds": len(s.outcomes), "store complete": "yes" if s.complete else
                     f"NO ({s.worlds_done}/{s.worlds_total})", "days": s.days, "seed": m.get("seed"),
                     "design": s.design_kind or "", "daily series": "yes" if s.has_series else "no",
                     "package": m.get("package_version", ""),
                     "model code": str(m.get("model_code", ""))[:12]})
    return pd.DataFrame(rows)


def _comparison_section(w: _Writer, sets: list[ResultSet], threshold: float) -> None:
    outcomes = combined_outcomes(sets)
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
        w.figure(charts.fan_chart(series), "fan-chart",
                 "Escalation fan chart: the highest rung reached in the trailing 30 days (series column "
                 "level_30d), median (black), mean (vermillion) and the bands holding the middle 50 % and 90 % of worlds, "
                 "by day. Dashed dark lines mark the firebreaks: American dead (between rungs 2 and 3) and "
                 "Iranian soil / forces (at rung 6).")
        w.figure(charts.level_share_figure(series), "level-shares",
                 "Share of worlds at each rung of the 30-day level, by day (the same data as the fan chart, "
                 "shown whole).")
        w.table(charts.fan_quantiles(series), "fan-chart", "Fan chart data (30-day level quantiles and mean per "
                "day) are in the CSV only.", max_rows=0)
    if missing:
        w.paragraph("No fan chart for: " + ", ".join(missing) + " (daily series were not stored: run the batch "
                    "with --series; sweeps are summarised by parameter instead).", "note")

    w.figure(charts.time_to_event_figure(outcomes), "time-to-event",
             "Time to the first US strike on militia sites and to the first American killed: Kaplan-Meier "
             "share of worlds where it has not happened yet, with 95 % log-log band. Worlds where it never "
             "happens are censored at the horizon, so the curves end at the horizon rather than at zero.")
    w.table(time_to_event_summary(outcomes), "time-to-event",
            "Share of worlds where the event happens within the horizon (exact 95 % interval) and the "
            "Kaplan-Meier median time to it (empty when fewer than half the worlds see it).",
            percent=("share", "lower", "upper"))

    w.heading("US-strike-to-attack ratio")
    ratios = strike_ratios(outcomes)
    w.figure(charts.strike_ratio_figure(ratios), "strike-ratio",
             "US strikes on militia sites per militia attack, pooled over worlds, with a bootstrap 95 % "
             "interval over worlds (2,000 resamples). Shaded: the observed 2020-21 ceiling (< 3 %, domain brief).")
    w.table(ratios, "strike-ratio", "US strikes per militia attack.", percent=("ratio", "lower", "upper"))


def _sweep_section(w: _Writer, s: ResultSet, threshold: float) -> None:
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
    w.figure(charts.sweep_lines(binned, s.units, threshold), f"{s.label}-lines",
             "P(confrontation) and P(crisis or worse) along each swept parameter, all other parameters pooled "
             "(each parameter binned: its own levels, or equal-count bins), with exact 95 % bands." + clustered)
    w.table(binned, f"{s.label}-binned", "The figure's numbers (P(event) per parameter bin, with intervals) are in "
            "the CSV.", max_rows=0)

    _sensitivity(w, s, numeric)
    pair = _heatmap_pair(s, numeric)
    if pair:
        x, y, why = pair
        cells = sweepstats.cell_table(s.outcomes, x, y, threshold)
        w.figure(charts.sweep_heatmap(cells, x, y, s.units, threshold), f"{s.label}-heatmap",
                 f"P(confrontation) over {x} and {y} ({why}); other parameters pooled. Each cell: share of "
                 f"worlds, verdict against the {threshold:.0%} threshold, worlds in the cell.")
        w.table(cells, f"{s.label}-heatmap", "The heatmap's cells (share, interval, verdict) are in the CSV.",
                max_rows=0)
    _discovery(w, s, numeric, ranges)


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


def _sensitivity(w: _Writer, s: ResultSet, numeric: list[str]) -> dict[str, pd.DataFrame]:
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
        w.figure(charts.sensitivity_figure(indices, f"Sensitivity of {output} (per design point)\n{method}"), name,
                 f"Sensitivity indices of {output} (per design point) to the swept parameters: {method}. "
                 "S1: share of the output's variance due to the parameter alone; ST: including its "
                 "interactions. Each point's output is a mean over its replicates; the Sobol and "
                 "full-factorial estimates subtract the variance that replicate noise adds, RBD-FAST does not "
                 "(there noise lowers S1).")
        w.table(indices, name, f"Sensitivity indices of {output} (conf = half-width of the 95 % interval).")
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


def _discovery(w: _Writer, s: ResultSet, numeric: list[str], ranges: dict) -> None:
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
    w.figure(charts.prim_boxes_figure(boxes, ranges, s.units, target, base), f"{s.label}-prim-boxes",
             f"PRIM boxes where {target} concentrates (overall rate {base:.1%}). Coverage: share of all "
             f"{target} worlds inside the box; density: share of the box's worlds in {target}.")
    first = boxes[0]
    w.figure(charts.prim_trajectory_figure(first.trajectory, first.chosen_step, (first.coverage, first.density)),
             f"{s.label}-prim-trajectory",
             "PRIM peeling trajectory of the first box: each point a nested box; the circled one was chosen "
             "(best harmonic mean of coverage and density rescaled from the overall rate to the densest box); the star is the final box after dropping the "
             "restrictions a binomial test cannot tell from chance (quasi p-value > 0.05).")
    table = discovery.boxes_table(boxes)
    w.table(table, f"{s.label}-prim", f"PRIM boxes for {target}: limits, coverage, density with exact 95 % "
            "interval, mass (share of worlds in the box) and quasi p-value per restriction.",
            percent=("coverage", "density", "density_lower", "density_upper", "mass"))
    for number, box in enumerate(boxes, start=1):
        w.paragraph(f"Box {number}: {box.describe()} - holds {box.mass:.1%} of the worlds and {box.coverage:.1%} "
                    f"of all {target} worlds; there P({target}) = {box.density:.1%} "
                    f"[{box.density_lower:.1%}, {box.density_upper:.1%}] against {base:.1%} overall.")


def render(sets: list[ResultSet], directory: Path, threshold: float) -> None:
    """Write the whole report (HTML, figures, tables) into an existing empty directory."""
    w = _Writer(directory)
    verdicts = [thesis.evaluate(s, threshold) for s in sets]
    final = thesis.overall(verdicts)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    w.raw("<h1>Provocation or confrontation? Outcome report</h1>")
    w.paragraph(f"Generated {now} by escalation report from: " + ", ".join(str(p) for p in
                dict.fromkeys(s.path for s in sets)))
    w.heading("The thesis test")
    w.raw(f"<p>Overall verdict: <span class='{final}'>{final.upper()}</span> (threshold {threshold:.1%})</p>")
    w.raw(_verdict_table(verdicts))
    w.raw(f"<pre class='verdict'>{html.escape(thesis.report_text(verdicts, threshold))}</pre>")
    w.heading("Sources")
    w.table(_sources_table(sets), "sources", "Result directories in this report.")
    codes = {str(s.manifest.get("model_code", ""))[:12] for s in sets}
    if len(codes) > 1:
        w.paragraph(f"These results come from {len(codes)} different versions of the model code (see the "
                    "'model code' column): differences between them may be code changes, not scenario effects.",
                    "note")
    incomplete = [s.label for s in sets if not s.complete]
    if incomplete:
        w.paragraph("Incomplete stores (numbers cover only the finished worlds): " + ", ".join(incomplete), "note")
    _comparison_section(w, sets, threshold)
    for s in sets:
        if s.kind == "sweep" and s.parameters:
            _sweep_section(w, s, threshold)
    document = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Escalation report</title>"
                f"<style>{CSS}</style></head><body>{''.join(w.parts)}</body></html>")
    (directory / "report.html").write_text(document, encoding="utf-8")
    (directory / MARKER).write_text("written by escalation report; this directory may be replaced by it\n")


def build_report(paths: list[str | Path], out: str | Path, threshold: float = 0.05) -> Path:
    """Write the report for ``paths`` to ``out`` atomically; returns the path of ``report.html``.

    Raises:
        InputError: bad results directories or threshold, or ``out`` is an existing non-report directory.
    """
    threshold = stats.check_threshold(threshold)
    out = Path(out)
    if out.exists() and not (out.is_dir() and (out / MARKER).is_file()):
        if not out.is_dir() or any(out.iterdir()):
            raise InputError("exists and is not an earlier report; choose another --out", file=str(out))
    sets = load_result_sets(paths)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        render(sets, temporary, threshold)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            old.rmdir()
            out.rename(old)
            temporary.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            temporary.rename(out)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return out / "report.html"
