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

* **parameter uncertainty** (``escalation thesis --ensemble SCENARIO``, or a store of ``escalation batch
  --ensemble M``): the scenario's point values are one plausible parameter vector among many (the
  calibration's ``ensembles:`` and the ``priors:`` of the values set by judgement,
  :mod:`analysis.calibration.ensemble`). Three numbers per scenario: (i) P(confrontation) at the point
  estimate with its exact interval; (ii) the posterior-predictive P(confrontation), the share of
  confrontation over worlds whose parameters are drawn (M vectors x K worlds each), with a 95 % interval
  that includes parameter uncertainty: a two-stage bootstrap [Efron1979] (vectors resampled, then each
  vector's worlds redrawn binomially at its observed share), never narrower than the exact interval of the
  pooled worlds; (iii) the share of the M vectors for which the thesis holds, fails or is inconclusive,
  each vector's verdict from the exact interval of its own K worlds. The verdict that counts for the exit
  code is (ii)'s.

Exit codes of ``escalation thesis``: 0 holds everywhere, 1 fails somewhere (in any scenario or at any
sweep point), 3 inconclusive (nowhere fails, somewhere unsettled), 2 bad input.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import numpy as np

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
    ensemble: "UncertainThesis | None" = None  # ensemble stores: the three numbers under parameter uncertainty


def evaluate(result_set: ResultSet, threshold: float, definition: str = "shipped") -> SetVerdict:
    """The thesis verdict for one result set under a definition of confrontation (``shipped`` or ``broad``)."""
    event = DEFINITIONS[definition][0]
    if result_set.design_kind == "ensemble":
        outcomes = result_set.outcomes
        hits = event_indicator(outcomes, event).astype(bool)
        rows = outcomes["design_row"].to_numpy()
        vectors = np.unique(rows[rows > 0])
        uncertain = uncertain_verdict(hits[rows == 0], np.array([hits[rows == v].sum() for v in vectors]),
                                      np.array([(rows == v).sum() for v in vectors]), threshold, definition,
                                      label=result_set.scenario)
        pooled = thesis_verdict(int(hits[rows > 0].sum()), int((rows > 0).sum()), threshold)
        return SetVerdict(result_set, uncertain.verdict, pooled, definition=definition, ensemble=uncertain)
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
    if verdict.ensemble is not None:
        other = evaluate(s, verdict.pooled.threshold, OTHER[verdict.definition]).ensemble
        return [f"{s.label} [{s.path}, ensemble store, {len(s.outcomes)} worlds, {s.days} days{incomplete}]",
                *verdict.ensemble.lines()[1:], other.other_definition_line()]
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


# --------------------------------------------------------------------------------------------------
# The thesis under parameter uncertainty: three numbers per scenario


def _pct(value: float) -> str:
    """A probability as a percentage with three decimals below 0.1 %, else two."""
    return f"{value:.3%}" if 0 < value < 0.001 else f"{value:.2%}"


@dataclass
class UncertainThesis:
    """The thesis for one scenario under parameter uncertainty.

    Attributes:
        label: the scenario.
        threshold, definition: as for every verdict.
        point: (i) the verdict at the point estimate (the scenario's own values), exact interval.
        share, lower, upper: (ii) the posterior-predictive P(confrontation) over the drawn vectors' worlds and
            its 95 % interval including parameter uncertainty (see the module docstring).
        verdict: (ii)'s verdict: holds if ``upper`` < threshold, fails if ``lower`` > threshold.
        vector_hits, vector_worlds: confrontations and worlds of each drawn vector.
        shares: (iii) the share of vectors whose own exact interval holds, fails or is inconclusive.
        note: what the vectors were drawn from (printed in the head line).
    """

    label: str
    threshold: float
    definition: str
    point: ThesisVerdict
    share: float
    lower: float
    upper: float
    verdict: str
    vector_hits: np.ndarray
    vector_worlds: np.ndarray
    shares: dict
    note: str = ""

    @property
    def vectors(self) -> int:
        """Number of parameter vectors drawn."""
        return len(self.vector_hits)

    @property
    def members(self) -> int:
        """Parameter vectors drawn (the name the report's answer section reads)."""
        return self.vectors

    def head_line(self) -> str:
        """The scenario and the sizes."""
        worlds = self.vector_worlds
        per = f"{int(worlds[0]):,}" if (worlds == worlds[0]).all() else f"median {np.median(worlds):,.0f}"
        return (f"{self.label}: {self.vectors} parameter vectors x {per} worlds; point estimate {self.point.worlds:,} "
                f"worlds{'; ' + self.note if self.note else ''}")

    def lines(self) -> list[str]:
        """The three numbers, one line each, after a head line."""
        p, q = self.point, np.quantile(self.vector_hits / self.vector_worlds, [0.05, 0.5, 0.95])
        hits, worlds = int(self.vector_hits.sum()), int(self.vector_worlds.sum())
        return [
            self.head_line(),
            f"  (i) at the point estimate: {p.confrontations:,}/{p.worlds:,} worlds in confrontation, P = {_pct(p.share)}, "
            f"exact 95 % interval [{_pct(p.lower)}, {_pct(p.upper)}] -> {p.verdict.upper()}",
            f"  (ii) posterior predictive (parameters drawn): {hits:,}/{worlds:,} worlds, P = {_pct(self.share)}, 95 % "
            f"interval with parameter uncertainty [{_pct(self.lower)}, {_pct(self.upper)}] -> {self.verdict.upper()}",
            f"  (iii) per parameter vector (each vector's exact interval): the thesis holds for "
            f"{self.shares['holds']:.0%} of the vectors, fails for {self.shares['fails']:.0%}, is inconclusive for "
            f"{self.shares['inconclusive']:.0%}; P per vector: median {_pct(q[1])}, 90 % of vectors in "
            f"[{_pct(q[0])}, {_pct(q[2])}]",
        ]

    def other_definition_line(self) -> str:
        """This reading, compact, as the other definition's line of a verdict."""
        return (f"  under the {self.definition} definition ({DEFINITIONS[self.definition][0]}): (i) {_pct(self.point.share)} "
                f"-> {self.point.verdict.upper()}; (ii) {_pct(self.share)} [{_pct(self.lower)}, {_pct(self.upper)}] -> "
                f"{self.verdict.upper()}; (iii) holds / fails / inconclusive for {self.shares['holds']:.0%} / "
                f"{self.shares['fails']:.0%} / {self.shares['inconclusive']:.0%} of the vectors")

    @property
    def text(self) -> str:
        """The lines as one text."""
        return "\n".join(self.lines())


def predictive_interval(vector_hits: np.ndarray, vector_worlds: np.ndarray, replicates: int = 4000,
                        seed: int = 0, confidence: float = 0.95) -> tuple[float, float]:
    """95 % interval of the posterior-predictive share over vectors of worlds, parameter uncertainty included.

    A two-stage bootstrap [Efron1979]: resample the vectors with replacement, then redraw each chosen vector's
    worlds binomially at its observed share; the percentile interval of the pooled share, widened where needed
    to hold the exact Clopper-Pearson interval of all the worlds pooled (which alone ignores that worlds of
    one vector share its parameters).
    """
    hits = np.asarray(vector_hits, dtype=np.int64)
    worlds = np.asarray(vector_worlds, dtype=np.int64)
    rng = np.random.default_rng(seed)
    alpha = 1.0 - confidence
    chosen = rng.integers(0, len(hits), size=(replicates, len(hits)))
    redrawn = rng.binomial(worlds[chosen], hits[chosen] / worlds[chosen])
    pooled = redrawn.sum(axis=1) / worlds[chosen].sum(axis=1)
    low, high = np.quantile(pooled, [alpha / 2, 1 - alpha / 2])
    exact_low, exact_high = (float(v) for v in proportion_interval(int(hits.sum()), int(worlds.sum()), confidence))
    return float(min(low, exact_low)), float(max(high, exact_high))


def uncertain_verdict(point_hits: np.ndarray, vector_hits: np.ndarray, vector_worlds: np.ndarray, threshold: float,
                      definition: str = "shipped", label: str = "", note: str = "", seed: int = 0) -> UncertainThesis:
    """The three numbers of the thesis under parameter uncertainty (see the module docstring).

    Args:
        point_hits: one boolean per world at the point estimate (True: counted as confrontation).
        vector_hits: confrontations per drawn vector (M,).
        vector_worlds: worlds per drawn vector (M,).
        threshold: the thesis threshold.
        definition: ``shipped`` or ``broad`` (only labels the text; the hits are already counted).
        label: the scenario's name.
        note: what the vectors were drawn from.
        seed: the bootstrap's seed.
    """
    vector_hits = np.asarray(vector_hits, dtype=np.int64)
    vector_worlds = np.asarray(vector_worlds, dtype=np.int64)
    point = thesis_verdict(int(np.sum(point_hits)), int(np.size(point_hits)), threshold)
    lower, upper = predictive_interval(vector_hits, vector_worlds, seed=seed)
    verdict = "holds" if upper < threshold else "fails" if lower > threshold else "inconclusive"
    lo, hi = proportion_interval(vector_hits, vector_worlds)
    per_vector = np.where(hi < threshold, "holds", np.where(lo > threshold, "fails", "inconclusive"))
    shares = {kind: float(np.mean(per_vector == kind)) for kind in ("holds", "fails", "inconclusive")}
    return UncertainThesis(label, threshold, definition, point, float(vector_hits.sum() / vector_worlds.sum()),
                           lower, upper, verdict, vector_hits, vector_worlds, shares, note)


def ensemble_thesis(scenario, vectors: int = 40, worlds: int = 500, point_worlds: int = 20_000, seed: int = 0,
                    threshold: float = 0.05, definition: str = "shipped", days: int | None = None,
                    progress=None) -> tuple[UncertainThesis, UncertainThesis]:
    """Simulate a scenario's point estimate and drawn parameter vectors; the thesis under both definitions.

    Args:
        scenario: a scenario name, path or Scenario with ``ensembles:`` or ``priors:``.
        vectors: parameter vectors drawn (M).
        worlds: worlds per vector (K).
        point_worlds: worlds at the point estimate (seeded as ``escalation run --seed``).
        seed: the master seed (vectors and worlds are keyed by it: see :mod:`analysis.calibration.ensemble`).
        threshold: the thesis threshold.
        definition: the definition the first result uses; the second uses the other one.
        days: horizon (default the scenario's).
        progress: called with the worlds done after each chunk.

    Returns:
        ``(under the definition, under the other definition)``.

    Raises:
        InputError: bad sizes, or a scenario with neither ensembles nor priors.
    """
    from analysis.calibration.ensemble import run_ensemble
    from analysis.stats.intervals import check_threshold
    from analysis.stats.sweeps import EVENTS

    threshold = check_threshold(threshold)
    run = run_ensemble(scenario, vectors, worlds, point_worlds, seed=seed, days=days, progress=progress)
    scenario = run.scenario
    parts = []
    for name, ensemble in scenario.ensembles.items():
        knobs = len(ensemble.knobs)
        parts.append(f"{name}'s {len(ensemble.members)} bootstrap refits of {knobs} knob{'s' if knobs > 1 else ''}")
    if scenario.priors:
        parts.append(f"priors on {len(scenario.priors)} values set by judgement")
    note = " and ".join(parts) + f"; seed {seed}"
    results = []
    for name in (definition, OTHER[definition]):
        counted = EVENTS[DEFINITIONS[name][0]]
        results.append(uncertain_verdict(np.isin(run.point, counted), np.isin(run.outcomes, counted).sum(axis=1),
                                         np.full(vectors, worlds), threshold, name, scenario.name, note, seed))
    return results[0], results[1]
