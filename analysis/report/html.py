"""``escalation report``: one self-contained HTML report of one or more results directories.

The report (``report.html``, figures embedded as base64 PNG, opens from disk) leads with the answer in plain
language (``analysis.report.answer``: per scenario the thesis verdict with its intervals, where it breaks and
which policies keep it holding; then, per outcome class, the typical paths into it as short narratives), under
a table of contents, and never pools a verdict across unlike scenarios. It then compares every scenario of
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

This module assembles the page (the answer, the thesis test in detail, sources, then the sections of
``analysis.report.sections``, written with ``analysis.report.writer``) and places it atomically. A progress
bar (tqdm) on stderr follows the stages when stderr is a terminal and ``quiet`` is off.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.stats import intervals as stats
from sim.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from analysis.runs.resultsets import ResultSet

# The sections, their charts (matplotlib), the sensitivity indices (SALib, scipy.stats) and the stores (pandas,
# pyarrow) are imported by the functions that draw and read them: build_report checks its input first.

MARKER = ".escalation-report"


def _verdict_table(verdicts: list) -> str:
    """An HTML table: one row per result set with P(confrontation), its interval and the verdict."""
    rows = []
    for v in verdicts:
        p = v.pooled
        space = ("" if v.space is None else f"holds {v.space['holds']:.0%} / fails {v.space['fails']:.0%} / "
                 f"inconclusive {v.space['inconclusive']:.0%} of {v.space['points']} points")
        rows.append(f"<tr><td>{html.escape(v.result_set.label)}</td><td class='{v.verdict}'>{v.verdict.upper()}</td>"
                    f"<td>{p.confrontations}/{p.worlds}</td><td>{p.share:.2%}</td><td>[{p.lower:.2%}, {p.upper:.2%}]</td>"
                    f"<td>{html.escape(space)}</td></tr>")
    head = ("<tr><th>scenario</th><th>verdict</th><th>confrontations / worlds</th><th>P(confrontation)</th>"
            "<th>95 % interval</th><th>sweep: share of design points</th></tr>")
    return f"<div class='table'><table class='verdicts'>{head}{''.join(rows)}</table></div>"


def _verdict_text(verdicts: list, threshold: float) -> str:
    """The thesis test's full text per scenario, without its path tables (shown as tables below) or commands."""
    from analysis.report.answer import without_commands
    from analysis.stats import paths as pathstats
    from analysis.stats import thesis

    lines = [thesis.rule(threshold), f"Definition: {thesis.DEFINITIONS['shipped'][1]}", ""]
    for v in verdicts:
        for line in thesis.describe(v):
            stripped = line.strip()
            if stripped.startswith(("Paths into", "paths:", "share ")) or stripped == pathstats.NO_EVENTS \
                    or re.match(r"^\d+(\.\d+)?%\s+\[", stripped):
                continue
            lines.append(line)
    return without_commands("\n".join(lines))


def _sources_table(sets: list[ResultSet]) -> pd.DataFrame:
    import pandas as pd

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


class _Stages:
    """Progress through the report's stages: a tqdm bar on stderr when it is a terminal, else nothing."""

    def __init__(self, total: int, quiet: bool):
        from tqdm import tqdm

        on_terminal = not quiet and sys.stderr.isatty()
        try:  # a terminal that reports no size (a bare pty) gets 80 x 24, not an invisible bar
            size = os.get_terminal_size(sys.stderr.fileno()) if on_terminal else None
        except (OSError, ValueError):
            size = None
        self.bar = tqdm(total=total, desc="report", unit="step", file=sys.stderr, leave=False, disable=not on_terminal,
                        ncols=(size.columns if size else 0) or 80, nrows=(size.lines if size else 0) or 24,
                        bar_format="report {n}/{total} |{bar:20}| {desc} [{elapsed}]")

    def __call__(self, stage: str) -> None:
        self.bar.set_description_str(stage[:50])
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def render(sets: list[ResultSet], directory: Path, threshold: float, quiet: bool = True) -> None:
    """Write the whole report (HTML, figures, tables) into an existing empty directory.

    Args:
        sets: the result sets, in the order shown.
        directory: an existing empty directory.
        threshold: the thesis threshold.
        quiet: no progress bar (one is shown on a terminal's stderr otherwise).
    """
    sweeps = [s for s in sets if s.kind == "sweep" and s.parameters]
    stages = _Stages(3 + len(sets) + len(sweeps) + 3, quiet)
    try:
        _render(sets, sweeps, directory, threshold, stages)
    finally:
        stages.close()


def _render(sets, sweeps, directory: Path, threshold: float, stage) -> None:
    from analysis.report.answer import answer_section, stories_section
    from analysis.report.sections import comparison_section, sweep_section
    from analysis.report.writer import CSS, Writer
    from analysis.runs.store import utc_now
    from analysis.stats import thesis

    w = Writer(directory)
    stage("thesis verdicts")
    verdicts = [thesis.evaluate(s, threshold) for s in sets]
    now = utc_now()
    w.raw("<h1>Provocation or confrontation? Outcome report</h1>")
    w.paragraph(f"Generated {now} from the results in " + ", ".join(str(p) for p in
                dict.fromkeys(s.path for s in sets)) + f" (escalation-sim {_version()}).")
    contents = len(w.parts)  # the table of contents goes here once every heading is known
    stage("the answer")
    answer_section(w, verdicts, threshold)
    stories_section(w, sets, progress=stage)
    stage("the thesis test in detail")
    w.heading("The thesis test in detail")
    w.raw(_verdict_table(verdicts))
    w.raw(f"<pre class='verdict'>{html.escape(_verdict_text(verdicts, threshold))}</pre>")
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
    stage("outcome comparison")
    comparison_section(w, sets, threshold)
    for s in sweeps:
        stage(f"sweep: {s.label}")
        sweep_section(w, s, threshold)
    from analysis.report.hindcast_charts import hindcast_section  # era batches with a shipped record

    stage("hindcast")
    hindcast_section(w, sets)
    stage("writing")
    w.parts.insert(contents, w.contents())
    document = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Escalation report</title>"
                f"<style>{CSS}</style></head><body>{''.join(w.parts)}</body></html>")
    (directory / "report.html").write_text(document, encoding="utf-8")
    (directory / MARKER).write_text("written by escalation report; this directory may be replaced by it\n")


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("escalation-sim")
    except Exception:  # noqa: BLE001 - the version is cosmetic
        return "unknown version"


def build_report(paths: list[str | Path], out: str | Path, threshold: float = 0.05, quiet: bool = True) -> Path:
    """Write the report for ``paths`` to ``out`` atomically; returns the path of ``report.html``.

    ``quiet=False`` shows a progress bar on stderr when it is a terminal.

    Raises:
        InputError: bad results directories or threshold, or ``out`` is an existing non-report directory.
    """
    from analysis.runs.guards import check_output_dir, check_result_dirs, write_error

    threshold = stats.check_threshold(threshold)
    out = check_output_dir(Path(out), key="--out")
    if out.exists() and not (out.is_dir() and (out / MARKER).is_file()):
        if not out.is_dir() or any(out.iterdir()):
            raise InputError("exists and is not an earlier report; choose another --out", file=str(out))
    check_result_dirs(paths)  # a mistyped path is answered before the stores' imports
    from analysis.runs.resultsets import load_result_sets

    sets = load_result_sets(paths)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        render(sets, temporary, threshold, quiet=quiet)
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
