"""``escalation report``: one self-contained HTML report of one or more results directories.

The report (``report.html``, figures embedded as base64 PNG, opens from disk) compares every scenario of
every directory side by side: outcome-class shares with exact 95 % intervals, distributions of the highest
rung, attacks, strikes and casualties, the escalation fan chart (when daily series were stored), time to
the first US strike and the first American death (Kaplan-Meier [KaplanMeier1958], censored at the horizon), and the
US-strike-to-attack ratio. Each sweep adds P(confrontation) along each parameter and over the two most
influential ones, sensitivity indices and PRIM boxes. Batches of an era scenario that a shipped record
(``scenarios/targets/record_*.yaml``) names, stored with events, add a hindcast panel
(``analysis.report.hindcast_charts``). Every figure is also written as PNG and SVG under
``figures/`` and every table as CSV under ``tables/``.

The report is written into a temporary directory beside ``--out`` and renamed into place, so a failed
run leaves nothing half-written. An existing ``--out`` is replaced only if it is an earlier report.

This module assembles the page (thesis verdicts, sources, then the sections of
``analysis.report.sections``, written with ``analysis.report.writer``) and places it atomically.
"""

from __future__ import annotations

import html
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from analysis.report.sections import comparison_section, sweep_section
from analysis.report.writer import CSS, Writer
from analysis.runs.resultsets import ResultSet, load_result_sets
from analysis.runs.store import utc_now
from analysis.stats import intervals as stats
from analysis.stats import thesis
from sim.errors import InputError

MARKER = ".escalation-report"


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


def render(sets: list[ResultSet], directory: Path, threshold: float) -> None:
    """Write the whole report (HTML, figures, tables) into an existing empty directory."""
    w = Writer(directory)
    verdicts = [thesis.evaluate(s, threshold) for s in sets]
    final = thesis.overall(verdicts)
    now = utc_now()
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
    comparison_section(w, sets, threshold)
    for s in sets:
        if s.kind == "sweep" and s.parameters:
            sweep_section(w, s, threshold)
    from analysis.report.hindcast_charts import hindcast_section  # era batches with a shipped record

    hindcast_section(w, sets)
    document = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Escalation report</title>"
                f"<style>{CSS}</style></head><body>{''.join(w.parts)}</body></html>")
    (directory / "report.html").write_text(document, encoding="utf-8")
    (directory / MARKER).write_text("written by escalation report; this directory may be replaced by it\n")


def build_report(paths: list[str | Path], out: str | Path, threshold: float = 0.05) -> Path:
    """Write the report for ``paths`` to ``out`` atomically; returns the path of ``report.html``.

    Raises:
        InputError: bad results directories or threshold, or ``out`` is an existing non-report directory.
    """
    from analysis.runs.guards import check_output_dir, write_error

    threshold = stats.check_threshold(threshold)
    out = check_output_dir(Path(out), key="--out")
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
    except BaseException as error:
        shutil.rmtree(temporary, ignore_errors=True)
        if isinstance(error, OSError) and not isinstance(error, BrokenPipeError):
            raise write_error(error, out, "the report (nothing was kept)") from None
        raise
    return out / "report.html"
