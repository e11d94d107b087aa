"""The thesis test: does "provocation, not confrontation" [DoubleGame2021] hold in these results?

Definition printed with every verdict:

* **confrontation** (docs/architecture.md): open war (rung 7), or a direct exchange between the United
  States and Iran that did not stop: ``outcomes.confrontation_rounds`` (default 3) state-on-state strikes,
  each answering the other's last within the exchange window. A direct strike answered once and then
  stopped is a **contained exchange**, not a confrontation; ``--definition broad`` counts it as one, and
  every verdict says how it would read under the other definition.
* **scripted history**: a scenario's timeline can impose rungs (the crisis scenario scripts the killing of
  the Quds Force commander, rung 5, in every world). The outcomes table classes each world twice:
  ``outcome`` on everything, ``outcome_model`` on the model's own decisions only; the verdict uses
  ``outcome`` and the text gives both.
* **the thesis** holds for a set of worlds when P(confrontation) over the horizon is below the threshold
  (default 5 %).
* **verdict**: from the exact 95 % Clopper-Pearson interval [ClopperPearson1934] for P(confrontation) (with zero
  confrontations in n worlds, the exact one-sided 95 % upper bound 1 - 0.05^(1/n)): **holds** if the upper
  bound is below the threshold, **fails** if the lower bound is above it, **inconclusive** otherwise, with
  a pointer to ``escalation thesis --settle`` (:mod:`analysis.stats.settle`), which adds seeded worlds
  until the verdict is settled under a stopping rule valid for repeated looks. (The former projection of
  the worlds needed, assuming the observed share would hold, pointed the wrong way and is gone.)
* **sweeps**: the verdict is taken at every design point (its replicates); the report gives the share of
  design points (= share of the sampled parameter space) where it holds, fails or is inconclusive, and the
  pooled verdict over all worlds of the sweep (P(confrontation) averaged over the sampled space). A
  sweep's own verdict is pointwise: fails if it fails at any point, holds if it holds at every point,
  inconclusive otherwise.
* **paths** (``analysis.stats.paths``): with stored events, the share of the confrontation and of the
  contained-exchange worlds by path, the chain of key decisions into the class (the trigger of the first
  direct strike, who struck first, warned or not, casualties, the rounds, how it ended).

Exit codes of ``escalation thesis``: 0 holds everywhere, 1 fails somewhere (in any scenario or at any
sweep point), 3 inconclusive (nowhere fails, somewhere unsettled), 2 bad input.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from analysis.runs.resultsets import ResultSet
from analysis.stats.intervals import ThesisVerdict, proportion_interval, thesis_verdict
from analysis.stats.paths import paths_text
from analysis.stats.sweeps import event_indicator, point_table, pooled_verdict, space_verdict_shares

EXIT_CODES = {"holds": 0, "fails": 1, "inconclusive": 3}
CLASS_ORDER = ("quiet", "provocation", "crisis", "contained_exchange", "confrontation")

DEFINITIONS = {
    "shipped": ("confrontation", "confrontation = open war (rung 7), or a direct US-Iran exchange that did not "
                "stop (outcomes.confrontation_rounds state-on-state strikes, each answering the other's last "
                "within the exchange window); a direct strike answered once and then stopped is a contained "
                "exchange, not a confrontation (docs/architecture.md)."),
    "broad": ("any direct exchange", "confrontation = open war, or any direct exchange: one state answered the "
              "other's direct strike (contained exchanges count as confrontation)."),
}
OTHER = {"shipped": "broad", "broad": "shipped"}


def rule(threshold: float) -> str:
    """The verdict rule in words."""
    return (
        f"Thesis \"provocation, not confrontation\": P(confrontation over the horizon) < {threshold:.4g} "
        f"({threshold:.1%}). Interval: exact 95 % Clopper-Pearson for P(confrontation); with 0 confrontations "
        f"in n worlds, the exact one-sided 95 % upper bound 1 - 0.05^(1/n). HOLDS if the upper bound < "
        f"{threshold:.1%}; FAILS if the lower bound > {threshold:.1%}; otherwise INCONCLUSIVE. For a sweep "
        f"the verdict is taken per design point: FAILS if it fails at any point, HOLDS if it holds at every "
        f"point, otherwise INCONCLUSIVE."
    )


@dataclass
class SetVerdict:
    """The verdict for one result set (a batch scenario, or a sweep's scenario).

    Attributes:
        result_set: the set tested.
        verdict: holds, fails or inconclusive (pointwise for sweeps).
        pooled: the verdict over all worlds of the set pooled.
        space: for sweeps, ``sweepstats.space_verdict_shares`` (None for batches).
    """

    result_set: ResultSet
    verdict: str
    pooled: ThesisVerdict
    space: dict | None = None
    definition: str = "shipped"


def evaluate(result_set: ResultSet, threshold: float, definition: str = "shipped") -> SetVerdict:
    """The thesis verdict for one result set under a definition of confrontation (``shipped`` or ``broad``)."""
    event = DEFINITIONS[definition][0]
    if result_set.kind != "sweep" or not result_set.parameters:
        hits = event_indicator(result_set.outcomes, event)
        pooled = thesis_verdict(int(hits.sum()), len(hits), threshold)
        return SetVerdict(result_set, pooled.verdict, pooled, definition=definition)
    pooled = pooled_verdict(result_set.outcomes, threshold, event)
    points = point_table(result_set.outcomes, result_set.parameters, event=event, threshold=threshold)
    space = space_verdict_shares(points, threshold)
    if space["fails"] > 0:
        verdict = "fails"
    elif space["holds"] == 1.0:
        verdict = "holds"
    else:
        verdict = "inconclusive"
    return SetVerdict(result_set, verdict, pooled, space, definition)


def overall(verdicts: list[SetVerdict]) -> str:
    """Fails if any set fails, holds if all hold, else inconclusive."""
    kinds = {v.verdict for v in verdicts}
    if "fails" in kinds:
        return "fails"
    if kinds == {"holds"}:
        return "holds"
    return "inconclusive"


def _interval_text(v: ThesisVerdict) -> str:
    return (f"{v.confrontations}/{v.worlds} worlds in confrontation; P(confrontation) = {v.share:.2%}, "
            f"95 % interval [{v.lower:.2%}, {v.upper:.2%}]")


def _settle_text(v: ThesisVerdict) -> str:
    if v.verdict != "inconclusive":
        return ""
    return "; `escalation thesis --settle SCENARIO` adds seeded worlds until it is settled"


def _share_text(hits, label: str) -> str:
    lo, hi = proportion_interval(int(hits.sum()), len(hits))
    return f"{label} {hits.mean():.2%} [{float(lo):.2%}, {float(hi):.2%}]"


def context_lines(verdict: SetVerdict) -> list[str]:
    """How the verdict reads under the other definition, and what the scenario's timeline imposed."""
    outcomes = verdict.result_set.outcomes
    other = OTHER[verdict.definition]
    alternative = evaluate(verdict.result_set, verdict.pooled.threshold, other)
    a = alternative.pooled
    lines = [f"  under the {other} definition ({DEFINITIONS[other][0]}): {a.share:.2%} [{a.lower:.2%}, "
             f"{a.upper:.2%}] -> {alternative.verdict.upper()}"]
    classes = outcomes["outcome"].astype(str)
    lines.append("  outcome classes: " + ", ".join(
        _share_text((classes == name).to_numpy(float), name) for name in CLASS_ORDER if (classes == name).any()))
    if "outcome_model" in outcomes and "max_rung_model" in outcomes:
        scripted = (outcomes["max_rung"].to_numpy() > outcomes["max_rung_model"].to_numpy())
        model_classes = outcomes["outcome_model"].astype(str)
        lines.append(f"  scripted history: the timeline alone set the highest rung in {scripted.mean():.1%} of "
                     "worlds; on the model's own decisions only: " + ", ".join(
                         _share_text((model_classes == name).to_numpy(float), name)
                         for name in CLASS_ORDER if (model_classes == name).any()))
    return lines


def describe(verdict: SetVerdict) -> list[str]:
    """Lines of text for one result set's verdict."""
    s = verdict.result_set
    incomplete = "" if s.complete else f"; INCOMPLETE store: {s.worlds_done} of {s.worlds_total} worlds"
    head = f"{s.label} [{s.path}, {s.kind}, {len(s.outcomes)} worlds, {s.days} days{incomplete}]"
    if verdict.space is None:
        p = verdict.pooled
        return [head, f"  {_interval_text(p)} -> {p.verdict.upper()}{_settle_text(p)}", *context_lines(verdict),
                *paths_text(s)]
    sp, p = verdict.space, verdict.pooled
    lines = [head + f" {s.design_kind} design over {', '.join(s.parameters)}"]
    lines.append(f"  per design point ({sp['points']} points x median {sp['replicates']:.0f} worlds): holds on "
                 f"{sp['holds']:.1%} of the sampled space, fails on {sp['fails']:.1%}, inconclusive on "
                 f"{sp['inconclusive']:.1%}")
    if sp["inconclusive"] > 0:
        if sp["replicates_to_settle_median"] is not None:
            lines.append(f"  settling the inconclusive points at their observed shares would take a median of "
                         f"{sp['replicates_to_settle_median']:,.0f} worlds per point (up to "
                         f"{sp['replicates_to_settle_max']:,})"
                         + (f"; {sp['unsettleable_points']} points have an observed share exactly at the "
                            "threshold, which no number of worlds settles" if sp["unsettleable_points"] else ""))
        else:
            lines.append("  no number of worlds settles the inconclusive points at their observed shares")
    lines.append(f"  pooled over the sampled space: {_interval_text(p)} -> {p.verdict.upper()}{_settle_text(p)}")
    lines.append(f"  sweep verdict (pointwise): {verdict.verdict.upper()}")
    return lines + paths_text(s)


def report_text(verdicts: list[SetVerdict], threshold: float) -> str:
    """The full text ``escalation thesis`` prints: one verdict per scenario, never one pooled across them."""
    definition = verdicts[0].definition if verdicts else "shipped"
    lines = [textwrap.fill(rule(threshold), 100),
             textwrap.fill(f"Definition ({definition}): {DEFINITIONS[definition][1]}", 100), ""]
    for v in verdicts:
        lines.extend(describe(v))
    final = overall(verdicts)
    meaning = {"holds": "the thesis holds in every scenario", "fails": "it fails in at least one scenario",
               "inconclusive": "it fails nowhere but is unsettled somewhere"}[final]
    lines += ["", f"Exit code {EXIT_CODES[final]}: {meaning} (0 holds everywhere, 1 fails somewhere, "
                  f"3 inconclusive, 2 bad input). Scenarios are reported one by one, never pooled."]
    return "\n".join(lines)
