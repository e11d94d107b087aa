"""The report's opening: the answer in plain language, then how each outcome comes about.

:func:`answer_section` leads the report. Per scenario (result set) it gives the thesis verdict with
P(confrontation) at the point estimate and its exact 95 % interval [ClopperPearson1934]; a second,
posterior-predictive interval over a calibrated ensemble when the verdict carries one (an ``ensemble``
attribute of the verdict or of its result set: an object or mapping with ``lower`` and ``upper``, and
optionally ``share`` and ``verdict``); for sweeps, where the thesis breaks (the PRIM boxes of
``analysis.stats.prim`` [BryantLempert2010] stated in words); and which policies keep it holding, when a
results directory holds a robust-policy table (``robust*.csv``). No verdict is pooled across scenarios:
unlike scenarios answer different questions.

:func:`stories_section` tells, per scenario and outcome class, the typical paths into the class as short
narratives drawn from the event logs (``analysis.stats.paths.path_stories``): the key events of a
representative world, their usual timing, and the share of the class's worlds that follow the path.

Nothing here prints a command line: the report is read by analysts, not typed.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.report.writer import Writer
from analysis.runs.resultsets import ResultSet, as_float, numeric_parameters
from analysis.stats import paths as pathstats
from analysis.stats import prim as discovery
from analysis.stats import sweeps as sweepstats
from sim.errors import InputError

MIN_TARGETS_FOR_PRIM = 10
STORIES_PER_CLASS = 3
VERDICT_WORDS = {
    "holds": "holds",
    "fails": "fails",
    "inconclusive": "is not settled",
}


def _fmt(p: float) -> str:
    """A probability as a percentage with enough digits for small values."""
    if p == 0:
        return "0%"
    return f"{p:.2%}" if p < 0.1 else f"{p:.1%}"


# -- the second interval: a calibrated ensemble -------------------------------------------------------------

def ensemble_interval(verdict) -> dict | None:
    """The posterior-predictive interval of a verdict, when another module attached one; else None.

    Looks for ``ensemble`` on the verdict, then on its result set; accepts an object or a mapping with
    ``lower`` and ``upper`` (probabilities) and optionally ``share`` (or ``mean``), ``verdict`` and
    ``members`` (parameter sets in the ensemble).
    """
    ensemble = getattr(verdict, "ensemble", None)
    if ensemble is None:
        ensemble = getattr(getattr(verdict, "result_set", None), "ensemble", None)
    if ensemble is None:
        return None

    def get(key):
        return ensemble.get(key) if isinstance(ensemble, dict) else getattr(ensemble, key, None)

    lower, upper = get("lower"), get("upper")
    if lower is None or upper is None:
        return None
    share = get("share")
    if share is None:
        share = get("mean")
    return {"lower": float(lower), "upper": float(upper), "share": None if share is None else float(share),
            "verdict": get("verdict"), "members": get("members")}


# -- where it breaks: PRIM boxes in words ---------------------------------------------------------------------

def discovered_boxes(s: ResultSet, threshold: float) -> dict | None:
    """Where the thesis breaks in a sweep: PRIM boxes of P(confrontation) above the threshold, kept on the set.

    With ``analysis.stats.prim.break_boxes`` (PRIM aimed at boxes above the threshold), the boxes are searched
    on the even replicates and measured again on the odd ones, as the sweep's scenario-discovery section
    does; without it, plain PRIM boxes of confrontation.

    Returns:
        None for a batch or a sweep without numeric parameters; else a dict with ``boxes`` (a list of
        ``(PrimBox, check)``: ``check`` is the held-out measurement, or {}), ``ranges`` ({parameter: (lo,
        hi)}), ``base`` (the overall rate of confrontation) and ``reason`` (why there are no boxes, or "").
    """
    cache = s.__dict__.setdefault("_report_cache", {})
    key = ("breaks", threshold)
    if key in cache:
        return cache[key]
    result = None
    if s.kind == "sweep" and s.parameters:
        numeric, _ = numeric_parameters(s.outcomes, s.parameters)
        if numeric:
            result = _discover(s, numeric, threshold)
    cache[key] = result
    return result


def _discover(s: ResultSet, numeric: list[str], threshold: float) -> dict:
    X = as_float(s.outcomes, numeric)
    ranges = {p: (float(X[p].min()), float(X[p].max())) for p in numeric}
    y = sweepstats.event_indicator(s.outcomes, "confrontation")
    result = {"boxes": [], "ranges": ranges, "base": float(np.mean(y)) if len(y) else 0.0, "reason": "",
              "held_out": False}
    if y.sum() < MIN_TARGETS_FOR_PRIM:
        result["reason"] = (f"only {int(y.sum())} worlds ended in confrontation, too few to find a region "
                            f"(at least {MIN_TARGETS_FOR_PRIM} needed)")
        return result
    if y.sum() == len(y):
        result["reason"] = "every world ended in confrontation: there is no region to single out"
        return result
    if hasattr(discovery, "break_boxes"):
        holdout = (s.outcomes["replicate"].to_numpy() % 2 == 1) if "replicate" in s.outcomes.columns else None
        if holdout is not None and (holdout.all() or not holdout.any()):
            holdout = None
        result["held_out"] = holdout is not None
        found = [(box, check) for box, check in discovery.break_boxes(X, y, threshold, holdout=holdout)
                 if box.limits]
    else:
        found = [(box, {}) for box in discovery.prim(X, y) if box.limits]
    if not found:
        result["reason"] = "no region of the sampled space concentrates confrontation (PRIM restricted nothing)"
    result["boxes"] = found
    return result


def _is_break(box, check: dict, threshold: float) -> bool:
    verdict = check.get("verdict") if check else None
    if verdict is None:
        verdict = discovery.break_verdict(box, threshold) if hasattr(discovery, "break_verdict") else (
            "break" if box.density_lower > threshold else "not a break")
    return verdict == "break"


def _limit_words(name: str, lo: float, hi: float, full: tuple[float, float], unit: str) -> str:
    unit = f" {unit}" if unit else ""
    span = (full[1] - full[0]) or 1.0
    at_low, at_high = abs(lo - full[0]) <= 1e-9 * span, abs(hi - full[1]) <= 1e-9 * span
    if at_low and not at_high:
        return f"{name} at most {hi:.3g}{unit}"
    if at_high and not at_low:
        return f"{name} at least {lo:.3g}{unit}"
    return f"{name} between {lo:.3g} and {hi:.3g}{unit}"


def box_words(box, ranges: dict, threshold: float, base: float, check: dict | None = None,
              units: dict | None = None) -> str:
    """One PRIM box of confrontation in words, and its measurement on held-out worlds when there is one.

    Uses ``analysis.stats.prim.box_in_words`` when that module provides it, else states the box here.
    """
    helper = getattr(discovery, "box_in_words", None)
    if helper is not None:
        text = helper(box, threshold, "confrontation", ranges, base_rate=base, max_conditions=4)
    else:
        conditions = " and ".join(_limit_words(name, lo, hi, ranges.get(name, (lo, hi)), (units or {}).get(name, ""))
                                  for name, (lo, hi) in box.limits.items())
        text = (f"Where {conditions}, P(confrontation) is {_fmt(box.density)} (95 % interval "
                f"{_fmt(box.density_lower)} to {_fmt(box.density_upper)}) against {_fmt(base)} over the whole "
                f"sampled space; this region is {box.mass:.0%} of the sampled space and holds {box.coverage:.0%} "
                "of the confrontation worlds.")
    if check:
        text += (f" Measured again on worlds the search did not see: {_fmt(check['density'])} "
                 f"({_fmt(check['density_lower'])} to {_fmt(check['density_upper'])}, {check['points']:,} worlds): "
                 f"{check['verdict']}.")
    return text


# -- which policies keep it holding: robust-policy tables --------------------------------------------------------

def robust_tables(sets: list[ResultSet]) -> list[tuple[Path, pd.DataFrame]]:
    """Robust-policy tables found in the results directories: ``robust*.csv`` at the top, under ``robust/``
    or under ``tables/`` (the output of a robust-policy search, when one was stored there)."""
    found = []
    for directory in dict.fromkeys(s.path for s in sets):
        for pattern in ("robust*.csv", "robust/*.csv", "tables/robust*.csv"):
            for path in sorted(Path(directory).glob(pattern)):
                try:
                    found.append((path, pd.read_csv(path)))
                except (OSError, ValueError, pd.errors.ParserError):
                    continue
    return found


def _robust_note(table_path: Path) -> str:
    """The ranking criterion from the ``robust.json`` beside a robust-policy table, when there is one."""
    import json

    meta_path = table_path.with_suffix(".json")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    except (OSError, ValueError):
        return ""
    if not isinstance(meta, dict) or not meta.get("criterion"):
        return ""
    percentile = f" at the {meta['percentile']:g}th percentile" if isinstance(meta.get("percentile"), (int, float)) else ""
    return f" Ranked by {meta['criterion']}{percentile} (minimax regret: the best policy loses least in its worst case)."


# -- the section ------------------------------------------------------------------------------------------------

def point_verdict(v):
    """The verdict at the point estimate: the ensemble's own point (an ensemble store), else the set's pooled one."""
    point = getattr(getattr(v, "ensemble", None), "point", None)
    return point if point is not None and hasattr(point, "upper") else v.pooled


def _scenario_sentence(v, threshold: float) -> str:
    p = point_verdict(v)
    s = v.result_set
    counted = f"{p.confrontations:,} of {p.worlds:,} worlds ended in confrontation"
    interval = f"P(confrontation) = {_fmt(p.share)}, exact 95 % interval {_fmt(p.lower)} to {_fmt(p.upper)}"
    if v.space is None:
        reason = {"holds": f"the whole interval lies below the {threshold:.0%} threshold",
                  "fails": f"the whole interval lies above the {threshold:.0%} threshold",
                  "inconclusive": f"the interval straddles the {threshold:.0%} threshold: more worlds would settle it"
                  }[p.verdict]
        where = " at the point estimate" if p is not v.pooled else ""
        return f"The thesis {VERDICT_WORDS[p.verdict]}{where}: {counted} ({interval}); {reason}."
    sp = v.space
    return (f"The thesis {VERDICT_WORDS[v.verdict]} across the {s.design_kind} sweep of {', '.join(s.parameters)}: "
            f"taken design point by design point ({sp['points']} points), it holds on {_share(sp['holds'])} of the "
            f"sampled space, fails on {_share(sp['fails'])} and is not settled on {_share(sp['inconclusive'])}. Pooled "
            f"over the sampled space, {counted} ({interval}).")


def _answer_rows(verdicts: list, show_ensemble: bool, threshold: float) -> str:
    rows = []
    for v in verdicts:
        p = point_verdict(v)
        cells = [f"<td>{html.escape(v.result_set.label)}</td>",
                 f"<td class='{v.verdict}'>{v.verdict.upper()}</td>",
                 f"<td class='number'>{_fmt(p.share)}<br><span class='files'>{p.confrontations:,} / "
                 f"{p.worlds:,} worlds</span></td>",
                 f"<td class='number'>{_fmt(p.lower)} to {_fmt(p.upper)}</td>"]
        if show_ensemble:
            e = ensemble_interval(v)
            if e is None:
                cells.append("<td class='number'>not available</td>")
            else:
                middle = "" if e["share"] is None else f"{_fmt(e['share'])}<br>"
                cells.append(f"<td class='number'>{middle}{_fmt(e['lower'])} to {_fmt(e['upper'])}"
                             + (f"<br><span class='{e['verdict']}'>{str(e['verdict']).upper()}</span>"
                                if e.get("verdict") in ("holds", "fails", "inconclusive") else "") + "</td>")
        found = discovered_boxes(v.result_set, threshold)
        if found is None:
            breaks = "one parameter setting (a batch): a sweep shows where it breaks"
        elif found["boxes"]:
            count = sum(_is_break(box, check, threshold) for box, check in found["boxes"])
            breaks = (f"{count} region{'s' if count > 1 else ''} of the sampled space where P(confrontation) is "
                      f"credibly above {threshold:.0%} (below)" if count else
                      f"no region found where P(confrontation) is credibly above {threshold:.0%}; where it "
                      "concentrates is below")
        else:
            breaks = found["reason"]
        cells.append(f"<td>{html.escape(breaks)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    head = ("<tr><th>scenario</th><th>verdict</th><th>P(confrontation), point estimate</th>"
            "<th>exact 95 % interval</th>"
            + ("<th>calibrated ensemble: posterior-predictive 95 % interval</th>" if show_ensemble else "")
            + "<th>where it breaks</th></tr>")
    return f"<div class='table'><table class='answer'>{head}{''.join(rows)}</table></div>"


def answer_section(w: Writer, verdicts: list, threshold: float) -> None:
    """The opening section: per scenario the verdict, both intervals, where it breaks, which policies hold it."""
    from analysis.stats.thesis import DEFINITIONS

    w.heading("The answer")
    w.raw("<p class='lead'>" + html.escape(
        f"The thesis \"provocation, not confrontation\" holds for a scenario when the chance that a world ends in "
        f"confrontation over the horizon is credibly below {threshold:.0%}: the whole 95 % interval must lie "
        f"below it. It fails when the whole interval lies above, and is not settled otherwise. Each scenario is "
        f"judged on its own; no verdict is pooled across unlike scenarios.") + "</p>")
    w.paragraph(f"What counts as confrontation: {DEFINITIONS['shipped'][1]}")
    show_ensemble = any(ensemble_interval(v) is not None for v in verdicts)
    w.raw(_answer_rows(verdicts, show_ensemble, threshold))
    if not show_ensemble:
        w.paragraph("The intervals above are sampling intervals at the scenarios' calibrated point values. No "
                    "calibrated-ensemble results were found for these scenarios, so the posterior-predictive "
                    "interval, which adds the uncertainty of the calibrated parameters, is not shown.", "caption")
    items = []
    for v in verdicts:
        items.append(f"<li><b>{html.escape(v.result_set.label)}</b>: {html.escape(_scenario_sentence(v, threshold))}"
                     + _ensemble_sentence(v) + "</li>")
    w.raw(f"<ul>{''.join(items)}</ul>")

    broken = [(v, discovered_boxes(v.result_set, threshold)) for v in verdicts]
    broken = [(v, found) for v, found in broken if found is not None]
    if broken:
        w.heading("Where it breaks", 3)
        w.paragraph(f"Scenario discovery (PRIM) over each sweep's parameters: the regions of the sampled space where "
                    f"P(confrontation) rises above the {threshold:.0%} threshold, or where confrontation concentrates "
                    "when no region rises that far. A region found on some worlds is measured again on worlds the "
                    "search did not see (the odd replicates), when the sweep has them; read the regions as "
                    "exploratory.")
        for v, found in broken:
            label = html.escape(v.result_set.label)
            if not found["boxes"]:
                w.raw(f"<p><b>{label}</b>: {html.escape(found['reason'])}.</p>")
                continue
            texts = [box_words(box, found["ranges"], threshold, found["base"], check, v.result_set.units)
                     for box, check in found["boxes"]]
            w.raw(f"<p><b>{label}</b>:</p><ol>" + "".join(f"<li>{html.escape(t)}</li>" for t in texts) + "</ol>")
    tables = robust_tables([v.result_set for v in verdicts])
    if tables:
        w.heading("Which policies keep it holding", 3)
        for path, table in tables:
            w.table(table, f"robust-{path.parent.name}-{path.stem}",
                    f"Robust-policy results stored with {path.parent.name}: which policies keep the thesis "
                    "holding across the states of the world they were tested on." + _robust_note(path))


def _ensemble_sentence(v) -> str:
    e = ensemble_interval(v)
    if e is None:
        return ""
    middle = "" if e["share"] is None else f"{_fmt(e['share'])}, "
    members = f" over {e['members']:,} calibrated parameter sets" if isinstance(e.get("members"), (int, np.integer)) else ""
    verdict = (f": the thesis {VERDICT_WORDS[e['verdict']]} once parameter uncertainty is included"
               if e.get("verdict") in VERDICT_WORDS else "")
    return html.escape(f" Across the calibrated ensemble{members}: {middle}posterior-predictive 95 % interval "
                       f"{_fmt(e['lower'])} to {_fmt(e['upper'])}{verdict}.")


# -- how each outcome comes about --------------------------------------------------------------------------------

def start_date(s: ResultSet):
    """The scenario's calendar date of day 0, or None when its file cannot be read."""
    cache = s.__dict__.setdefault("_report_cache", {})
    if "start_date" not in cache:
        try:
            from sim.scenario import load_scenario

            cache["start_date"] = load_scenario(s.scenario).start_date
        except (InputError, OSError, AttributeError):
            cache["start_date"] = None
    return cache["start_date"]


CLASS_PHRASES = {
    "confrontation": "into confrontation",
    "contained_exchange": "into a contained exchange",
    "crisis": "into crisis",
    "provocation": "into provocation",
    "quiet": "to a quiet end",
}


def stories_section(w: Writer, sets: list[ResultSet], progress=None) -> None:
    """Per scenario and outcome class: the typical paths into the class, told as short narratives."""
    w.heading("How each outcome comes about")
    w.paragraph("For each scenario and outcome class, worst first, the most common paths into the class, traced from "
                "the event logs: each step is a key event, with its median day over the worlds on that path (and the "
                "days of the middle half of them); the share is of the class's traced worlds, with an exact 95 % "
                f"interval. Up to {pathstats.SAMPLE_WORLDS:,} worlds per class are traced, evenly spaced over the "
                "class. Steps marked scripted history were imposed by the scenario's timeline in every world; the "
                "rest are the model's own decisions. A representative world is the one whose days lie closest to "
                "the medians: replay it to watch the path unfold.")
    for s in sets:
        if progress is not None:
            progress(f"paths: {s.label}")
        w.heading(s.label, 3)
        try:
            paths = pathstats.result_set_paths(s, pathstats.ALL_CLASSES, per_class=pathstats.SAMPLE_WORLDS)
        except InputError as error:
            w.paragraph(f"The event logs could not be read ({error}).", "note")
            continue
        if paths is None:
            w.paragraph(pathstats.NO_EVENTS_REPORT[0].upper() + pathstats.NO_EVENTS_REPORT[1:] + ".", "note")
            continue
        counts = s.outcomes["outcome"].astype(str).value_counts()
        stories = pathstats.path_stories(paths, top=STORIES_PER_CLASS)
        when = start_date(s)
        for outcome in pathstats.ALL_CLASSES:
            n = int(counts.get(outcome, 0))
            if not n:
                continue
            mine = [story for story in stories if story.outcome == outcome]
            if not mine:
                continue
            traced = mine[0].traced
            shown = sum(story.worlds for story in mine)
            other = traced - shown
            rest = (f" Other paths: {other:,} traced world{'s' if other > 1 else ''} ({other / traced:.0%}), in the "
                    "table of paths below." if other else "")
            traced_text = "" if traced == n else f"; {traced:,} traced"
            w.raw(f"<p><b>{html.escape(CLASS_PHRASES[outcome].capitalize())}</b> ({n:,} worlds, "
                  f"{n / len(s.outcomes):.1%} of the scenario{traced_text}):{html.escape(rest)}</p>")
            w.raw("<ol class='stories'>" + "".join(
                f"<li>{_story_html(story, when)}</li>" for story in mine) + "</ol>")


def _story_html(story, when) -> str:
    text = html.escape(pathstats.story_text(story, when))
    return re.sub(r"\(scripted history\)", "<span class='scripted'>(scripted history)</span>", text)


# -- command lines out of the page -------------------------------------------------------------------------------

_COMMAND = re.compile(r";?\s*`escalation [^`]*`[^;\n]*")


def without_commands(text: str) -> str:
    """Text for the page: no command lines, no exit codes, no flags to rerun with."""
    lines = []
    for line in text.splitlines():
        if line.startswith("Exit code"):
            continue
        line = _COMMAND.sub("; more seeded worlds would settle it", line)
        line = line.replace(pathstats.NO_EVENTS, pathstats.NO_EVENTS_REPORT)
        lines.append(line)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


def _share(value: float) -> str:
    """A share of design points as a percentage that never rounds a nonzero share to 0 % or a partial one to 100 %."""
    if value <= 0 or value >= 1:
        return f"{value:.0%}"
    text = f"{value:.0%}"
    if text in ("0%", "100%"):
        text = f"{value:.1%}"
    if text in ("0.0%", "100.0%"):
        text = "under 0.1%" if value < 0.5 else "over 99.9%"
    return text
