"""Robust decision making: US (and Iraqi) response rules judged across the uncertainty space.

A robust-decision spec (:mod:`analysis.runs.spec`, ``levers`` / ``policies`` / ``uncertainties``) names a
few *policies*, each a setting of the *levers* (the US response rules: strike threshold, proportionality,
leader-killing bar, force posture; Baghdad's pressure on the militias), and a design over the *uncertain*
parameters. Every policy runs in the same worlds: the same uncertainty points and, for the world of
uncertainty point ``u`` and replicate ``r``, the same seed ``derive_seeds(seed, u, r)`` whatever the policy
(common random numbers), so the policies' differences at a point are differences of policy, not of luck.

Per policy the evaluation gives P(confrontation), attacks, American dead and American casualties (dead and
wounded) per world with 95 % intervals; the share of the uncertainty space where the thesis holds (at each
uncertainty point, P(confrontation) < ``threshold`` judged by its exact interval: holds, fails or
inconclusive, as ``escalation thesis`` judges a sweep point); and the *regret* of each statistic in each
state of the world (uncertainty point): the policy's value less the best value any policy reached at that
point (lower is better for every statistic), summarised by its maximum (Savage's minimax-regret criterion
[Savage1951]), its ``percentile``-th percentile and its mean over the points [McPhail2018]. Policies are
ranked by the maximum regret of the ``criterion`` statistic (ties: its percentile regret, then its mean
regret, then the name). The ideas are those of robust decision making [Lempert2003] as the EMA Workbench
implements them [Kwakkel2017]; its code is not used (see docs/robust.md).

Layout of the results directory (a sweep store, see :mod:`analysis.runs.store`, plus the tables)::

    robust.parquet, robust.csv   one row per policy (ranked): the columns of POLICY_COLUMNS
    robust_points.parquet        one row per (policy, uncertainty point): statistics, verdict, regrets
    robust.json                  the criterion, threshold, percentile, ranking, worlds and column meanings
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.runs.plan import ChunkTask, Plan, _load_scenarios
from analysis.runs.spec import ROBUST_STATISTICS, SweepSpec, load_sweep_spec
from analysis.stats.intervals import CONFIDENCE, proportion_interval, ratio_interval
from sim.errors import InputError

if TYPE_CHECKING:  # pandas (and pyarrow with it) is imported where a table is built: bad input is refused without it
    import pandas as pd

RESULT_FILES = {"policies": "robust.parquet", "policies_csv": "robust.csv", "points": "robust_points.parquet",
                "meta": "robust.json"}
STATISTIC_LABELS = {
    "p_confrontation": "P(confrontation)",
    "attacks": "militia attacks per world",
    "us_killed": "Americans killed per world",
    "us_casualties": "American casualties (killed + wounded) per world",
}
OUTCOME_COLUMNS = ["point", "replicate", "seed", "outcome", "attacks", "us_killed", "us_wounded", "policy",
                   "uncertainty_row"]
BOOTSTRAP_RESAMPLES = 1000
TIE_DECIMALS = 12  # regrets equal to this many decimals tie in the ranking
REGRET_RESAMPLES = 200  # paired bootstrap resamples of the maximum regrets and of the ranking


# ---------------------------------------------------------------------------------------------- planning


@dataclass
class RobustPlan(Plan):
    """A sweep plan over (policy, uncertainty point, replicate) whose seeds ignore the policy.

    ``values`` has one row per point ``q * U + u`` (policy ``q``, uncertainty row ``u``): ``design_row``,
    ``policy``, ``uncertainty_row`` and one column per lever and per uncertainty.
    """

    parameter_paths: list[str] = dataclasses.field(default_factory=list)

    def parameter_names(self) -> list[str]:
        """Lever and uncertainty paths (the columns passed to the model as overrides)."""
        return list(self.parameter_paths)

    def decorate(self, task: ChunkTask, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """The sweep columns plus ``policy`` and ``uncertainty_row`` on every outcome row."""
        out = super().decorate(task, tables)
        outcomes = out["outcomes"]
        rows = self.values.iloc[outcomes["point"].to_numpy()].reset_index(drop=True)
        outcomes["policy"] = rows["policy"].to_numpy()
        outcomes["uncertainty_row"] = rows["uncertainty_row"].to_numpy(dtype=np.int64)
        return out


def _lever_column(kind: str, values: list) -> np.ndarray:
    if kind == "bool":
        return np.asarray(values, dtype=bool)
    if kind == "int":
        return np.asarray(values, dtype=np.int64)
    return np.asarray(values, dtype=np.float64)


def plan_robust(spec: SweepSpec) -> RobustPlan:
    """Plan every (policy, uncertainty point, replicate) world of a robust-decision spec.

    World ids: ``point * replicates + r`` with ``point = q * U + u``; seeds ``derive_seeds(seed, u, r)``, the
    same for every policy (common random numbers).

    Raises:
        InputError: the spec is not a robust-decision spec, or its worlds do not fit in memory.
    """
    import pandas as pd

    from analysis.runs.designs import build_design, design_rows
    from analysis.runs.guards import DESIGN_BYTES_PER_ROW, PLAN_BYTES_PER_WORLD, check_fits
    from sim.seeds import derive_seeds

    if not spec.is_robust:
        raise InputError("not a robust-decision spec: expected `levers`, `policies` and `uncertainties` "
                         "(see docs/robust.md); run it with `escalation sweep`", file=spec.file, key="levers")
    n_policies = len(spec.policies)
    rows = design_rows(spec)
    per_row = DESIGN_BYTES_PER_ROW + 64 * (len(spec.parameters) + len(spec.levers))
    check_fits(rows * n_policies, per_row, "the design table", unit="design points", file=spec.file, key="design")
    check_fits(rows * n_policies * spec.replicates, PLAN_BYTES_PER_WORLD,
               f"the plan's seeds and world ids ({n_policies} policies x {rows:,} points x {spec.replicates:,} "
               f"replicates)", fixed=rows * n_policies * per_row, file=spec.file, key="replicates")
    loaded = _load_scenarios(spec.scenarios)
    design = build_design(spec)
    u_rows = len(design.table)
    n_points = n_policies * u_rows
    policy_of_point = np.repeat(np.arange(n_policies), u_rows)
    uncertainty_of_point = np.tile(np.arange(u_rows, dtype=np.int64), n_policies)
    values = pd.DataFrame({"design_row": np.arange(n_points, dtype=np.int64),
                           "policy": [spec.policies[q].name for q in policy_of_point],
                           "uncertainty_row": uncertainty_of_point})
    for index, lever in enumerate(spec.levers):
        column = [spec.policies[q].values[index][1] for q in range(n_policies)]
        values[lever.path] = _lever_column(lever.kind, column)[policy_of_point]
    for p in spec.parameters:
        values[p.path] = design.table[p.path].to_numpy()[uncertainty_of_point]
    replicates = spec.replicates
    point_of_world = np.repeat(np.arange(n_points, dtype=np.int64), replicates)
    replicate_of_world = np.tile(np.arange(replicates, dtype=np.int64), n_points)
    seeds = np.asarray(derive_seeds(spec.seed, uncertainty_of_point[point_of_world], replicate_of_world),
                       dtype=np.uint64)
    raw = design.raw.drop(columns="design_row").iloc[uncertainty_of_point].reset_index(drop=True)
    design_raw = values.drop(columns=["policy"]).copy()
    design_raw.insert(1, "policy_index", policy_of_point.astype(np.int64))
    for column in raw.columns:
        design_raw[column] = raw[column].to_numpy()
    parameters = ([{"path": lever.path, "kind": lever.kind, "role": "lever"} for lever in spec.levers]
                  + [dict(p.as_dict(), role="uncertainty") for p in spec.parameters])
    design_manifest = {
        "kind": "robust",
        "uncertainty_design": design.kind,
        "parameters": parameters,
        "settings": design.settings,
        "salib_problem": None,
        "rows": n_points,
        "uncertainty_rows": u_rows,
        "policies": [policy.as_dict() for policy in spec.policies],
        "sample_order": "design_row = policy index x uncertainty rows + uncertainty_row; uncertainty_row i is row "
                        "i of the uncertainty sampler's matrix; every policy runs the same uncertainty rows",
        "seeding": "world of policy q, uncertainty row u, replicate r: derive_seeds(seed, u, r), the same for "
                   "every policy (common random numbers)",
    }
    return RobustPlan(
        kind="sweep",
        name=spec.name,
        scenario_names=list(spec.scenarios),
        scenarios=loaded,
        days=spec.days,
        point_of_world=point_of_world,
        replicate_of_world=replicate_of_world,
        seeds=seeds,
        scenario_of_point=np.zeros(n_points, dtype=np.int64),
        values=values,
        spec=dict(spec.as_dict(), kind="sweep", robust_decision=True, description=spec.description,
                  sources=list(spec.sources)),
        design_manifest=design_manifest,
        design_raw=design_raw,
        parameter_paths=[lever.path for lever in spec.levers] + [p.path for p in spec.parameters],
    )


# ---------------------------------------------------------------------------------------------- statistics


def world_statistics(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The per-world values of :data:`ROBUST_STATISTICS` (1.0 / 0.0 for confrontation), with policy, point and
    (when stored) replicate."""
    import pandas as pd

    frame = pd.DataFrame({
        "policy": outcomes["policy"].astype(str).to_numpy(),
        "uncertainty_row": outcomes["uncertainty_row"].to_numpy(dtype=np.int64),
        "p_confrontation": (outcomes["outcome"].astype(str) == "confrontation").to_numpy(dtype=float),
        "attacks": outcomes["attacks"].to_numpy(dtype=float),
        "us_killed": outcomes["us_killed"].to_numpy(dtype=float),
        "us_casualties": (outcomes["us_killed"].to_numpy(dtype=float) + outcomes["us_wounded"].to_numpy(dtype=float)),
    })
    if "replicate" in outcomes:
        frame["replicate"] = outcomes["replicate"].to_numpy(dtype=np.int64)
    return frame


def point_table(worlds: pd.DataFrame, threshold: float, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """One row per (policy, uncertainty point): worlds, the mean of each statistic and the thesis verdict.

    The verdict at a point is the thesis test of ``escalation thesis``: ``holds`` when the exact upper bound of
    P(confrontation) is below ``threshold``, ``fails`` when the lower bound is above it, else ``inconclusive``.
    """
    grouped = worlds.groupby(["policy", "uncertainty_row"], sort=False)
    table = grouped[list(ROBUST_STATISTICS)].mean()
    table["worlds"] = grouped.size()
    table["confrontations"] = np.rint(table["p_confrontation"] * table["worlds"]).astype(np.int64)
    table = table.reset_index()
    lo, hi = proportion_interval(table["confrontations"].to_numpy(), table["worlds"].to_numpy(), confidence)
    table["p_confrontation_lower"], table["p_confrontation_upper"] = lo, hi
    table["verdict"] = np.where(hi < threshold, "holds", np.where(lo > threshold, "fails", "inconclusive"))
    return table


def regret_table(points: pd.DataFrame, statistic: str) -> pd.Series:
    """Regret of each policy at each uncertainty point: its value less the best (lowest) value at that point.

    Args:
        points: rows with ``policy``, ``uncertainty_row`` and the statistic's column, every policy at every point.
        statistic: the column (lower is better).

    Returns:
        The regret per row of ``points`` (0 for the best policy at each point, never negative).

    Raises:
        ValueError: a policy is missing at some point (regret needs every policy in every state).
    """
    policies = points["policy"].nunique()
    counts = points.groupby("uncertainty_row")["policy"].nunique()
    if (counts != policies).any() or points.duplicated(["policy", "uncertainty_row"]).any():
        raise ValueError("regret needs exactly one row per policy at every uncertainty point")
    best = points.groupby("uncertainty_row")[statistic].transform("min")
    return points[statistic] - best


def regret_summary(points: pd.DataFrame, statistic: str, percentile: float) -> pd.DataFrame:
    """Per policy: the maximum, the ``percentile``-th percentile (linear interpolation) and the mean regret.

    Returns:
        Index ``policy``; columns ``max``, ``percentile``, ``mean``.
    """
    import pandas as pd

    regret = points.assign(_regret=regret_table(points, statistic)).groupby("policy", sort=False)["_regret"]
    return pd.DataFrame({"max": regret.max(), "percentile": regret.quantile(percentile / 100.0),
                         "mean": regret.mean()})


def rank_policies(summary: pd.DataFrame, criterion: str) -> pd.Series:
    """Ranks (1 = most robust) by minimax regret of ``criterion``; ties by its percentile regret, its mean regret,
    then the policy name (regrets equal to ``TIE_DECIMALS`` decimals tie).

    Args:
        summary: one row per policy (index the name) with ``regret_max_<criterion>``,
            ``regret_p_<criterion>`` and ``regret_mean_<criterion>``.
        criterion: a statistic of :data:`ROBUST_STATISTICS`.
    """
    import pandas as pd

    keys = [f"regret_max_{criterion}", f"regret_p_{criterion}", f"regret_mean_{criterion}"]
    # rounded, so that regrets equal but for floating-point error (0.3 - 0.1 against 0.2 - 0.0) tie
    order = (summary[keys].round(TIE_DECIMALS).assign(_name=summary.index.astype(str))
             .sort_values([*keys, "_name"], kind="stable"))
    return pd.Series(np.arange(1, len(order) + 1), index=order.index, name="rank")


def space_shares(points: pd.DataFrame) -> pd.DataFrame:
    """Per policy: the share of uncertainty points where the thesis holds, fails or is inconclusive."""
    shares = (points.groupby("policy", sort=False)["verdict"].value_counts(normalize=True)
              .unstack(fill_value=0.0))
    for verdict in ("holds", "fails", "inconclusive"):
        if verdict not in shares:
            shares[verdict] = 0.0
    return shares[["holds", "fails", "inconclusive"]]


def paired_bootstrap(worlds: pd.DataFrame, policies: list[str], criterion: str, percentile: float,
                     resamples: int = REGRET_RESAMPLES, seed: int = 0,
                     confidence: float = CONFIDENCE) -> pd.DataFrame | None:
    """How far replicate noise moves the maximum regrets and the ranking: a paired bootstrap [Efron1979].

    Each resample redraws, at every uncertainty point, the replicates with replacement, the same replicates for
    every policy (so the common random numbers stay paired), recomputes every policy's mean statistic per point,
    its regrets and the ranking by the criterion.

    Returns:
        Index ``policy``: ``regret_max_<s>_lower`` / ``_upper`` (percentile interval of the maximum regret) for
        every statistic, and ``p_most_robust`` (share of resamples in which the policy ranks first by the
        criterion); None unless every policy has the same replicates ``0..R-1`` at every point.
    """
    if "replicate" not in worlds or resamples < 1:
        return None
    frame = worlds.assign(_q=worlds["policy"].map({name: i for i, name in enumerate(policies)}))
    rows = sorted(frame["uncertainty_row"].unique())
    n_q, n_u = len(policies), len(rows)
    n_r = int(frame["replicate"].max()) + 1 if len(frame) else 0
    if frame["_q"].isna().any() or len(frame) != n_q * n_u * n_r or n_r < 2:
        return None
    frame = frame.assign(_u=frame["uncertainty_row"].map({u: i for i, u in enumerate(rows)}))
    order = np.lexsort((frame["replicate"].to_numpy(), frame["_u"].to_numpy(), frame["_q"].to_numpy()))
    keys = frame[["_q", "_u", "replicate"]].to_numpy()[order]
    expected = np.stack(np.meshgrid(np.arange(n_q), np.arange(n_u), np.arange(n_r), indexing="ij"), -1).reshape(-1, 3)
    if not np.array_equal(keys, expected):
        return None
    cubes = {s: frame[s].to_numpy(dtype=float)[order].reshape(n_q, n_u, n_r) for s in ROBUST_STATISTICS}
    rng = np.random.default_rng(seed)
    maxima = {s: np.empty((resamples, n_q)) for s in ROBUST_STATISTICS}
    first = np.zeros(n_q)
    points = np.arange(n_u)[:, None]
    for b in range(resamples):
        index = rng.integers(0, n_r, size=(n_u, n_r))
        for statistic, cube in cubes.items():
            means = cube[:, points, index].mean(axis=2)
            regret = means - means.min(axis=0)
            maxima[statistic][b] = regret.max(axis=1)
            if statistic == criterion:
                keys_b = np.round(np.stack([regret.max(axis=1), np.percentile(regret, percentile, axis=1),
                                            regret.mean(axis=1)]), TIE_DECIMALS)
                best = np.lexsort((np.arange(n_q), keys_b[2], keys_b[1], keys_b[0]))[0]
                first[best] += 1
    import pandas as pd

    alpha = 1 - confidence
    out = pd.DataFrame(index=pd.Index(policies, name="policy"))
    for statistic, values in maxima.items():
        low, high = np.quantile(values, [alpha / 2, 1 - alpha / 2], axis=0)
        out[f"regret_max_{statistic}_lower"], out[f"regret_max_{statistic}_upper"] = low, high
    out["p_most_robust"] = first / resamples
    return out


@dataclass
class RobustEvaluation:
    """What ``escalation robust`` computes.

    Attributes:
        policies: one row per policy, ranked (see :func:`analyse` for the columns).
        points: one row per (policy, uncertainty point): statistics, interval, verdict, regrets.
        criterion, threshold, percentile: the robust options used.
        levers: lever path -> value per policy (``{policy: {path: value}}``).
        meta: what ``robust.json`` holds.
    """

    policies: pd.DataFrame
    points: pd.DataFrame
    criterion: str
    threshold: float
    percentile: float
    levers: dict[str, dict[str, Any]]
    meta: dict[str, Any]

    def text(self) -> str:
        """The printed table."""
        return table_text(self)


def analyse(outcomes: pd.DataFrame, policies: list[str], *, threshold: float = 0.05, percentile: float = 90.0,
            criterion: str = "p_confrontation", levers: dict[str, dict[str, Any]] | None = None,
            named: dict[str, list[str]] | None = None, confidence: float = CONFIDENCE,
            resamples: int = BOOTSTRAP_RESAMPLES, regret_resamples: int = REGRET_RESAMPLES) -> RobustEvaluation:
    """Tabulate a robust-decision run's outcomes per policy and rank the policies by minimax regret.

    Args:
        outcomes: outcome rows with ``policy``, ``uncertainty_row``, ``outcome``, ``attacks``, ``us_killed``,
            ``us_wounded``.
        policies: the policy names, in the spec's order.
        threshold: the thesis threshold on P(confrontation) at each uncertainty point.
        percentile: the percentile of the regret reported beside its maximum.
        criterion: the statistic whose maximum regret ranks the policies.
        levers: each policy's lever values (for the table).
        named: the levers each policy sets itself (the table shows only those; None: all).
        confidence: interval confidence.
        resamples: bootstrap resamples for the per-world means (``ratio_interval``).
        regret_resamples: paired bootstrap resamples for the noise of the maximum regrets and the ranking
            (:func:`paired_bootstrap`; needs a ``replicate`` column).

    Returns:
        The evaluation. ``policies`` columns: ``rank``, ``policy``, ``worlds``, ``points``, ``confrontations``,
        ``p_confrontation`` with ``_lower`` / ``_upper`` (exact interval over the policy's worlds), the means of
        ``attacks``, ``us_killed``, ``us_casualties`` with bootstrap ``_lower`` / ``_upper``, ``holds`` /
        ``fails`` / ``inconclusive`` (shares of uncertainty points), and for every statistic ``regret_max_<s>``,
        ``regret_p_<s>`` (the percentile), ``regret_mean_<s>``; with replicates, ``regret_max_<s>_lower`` /
        ``_upper`` and ``p_most_robust`` from :func:`paired_bootstrap`.
    """
    import pandas as pd

    worlds = world_statistics(outcomes)
    missing = sorted(set(policies) - set(worlds["policy"]))
    if missing:
        raise InputError(f"no stored worlds for policy {missing[0]!r}; the store is incomplete")
    points = point_table(worlds, threshold, confidence)
    summary = pd.DataFrame(index=pd.Index(policies, name="policy"))
    grouped = worlds.groupby("policy", sort=False)
    summary["worlds"] = grouped.size()
    summary["points"] = points.groupby("policy", sort=False).size()
    summary["confrontations"] = grouped["p_confrontation"].sum().astype(np.int64)
    summary["p_confrontation"] = summary["confrontations"] / summary["worlds"]
    lo, hi = proportion_interval(summary["confrontations"].to_numpy(), summary["worlds"].to_numpy(), confidence)
    summary["p_confrontation_lower"], summary["p_confrontation_upper"] = lo, hi
    for statistic in ROBUST_STATISTICS[1:]:
        means, lows, highs = [], [], []
        for name in policies:
            values = worlds.loc[worlds["policy"] == name, statistic].to_numpy()
            mean, low, high = ratio_interval(values, np.ones_like(values), confidence, resamples=resamples, seed=0)
            means.append(mean), lows.append(low), highs.append(high)
        summary[statistic], summary[f"{statistic}_lower"], summary[f"{statistic}_upper"] = means, lows, highs
    summary = summary.join(space_shares(points))
    for statistic in ROBUST_STATISTICS:
        points[f"regret_{statistic}"] = regret_table(points, statistic).to_numpy()
        regrets = regret_summary(points, statistic, percentile)
        summary[f"regret_max_{statistic}"] = regrets["max"]
        summary[f"regret_p_{statistic}"] = regrets["percentile"]
        summary[f"regret_mean_{statistic}"] = regrets["mean"]
    noise = paired_bootstrap(worlds, policies, criterion, percentile, regret_resamples, seed=0,
                             confidence=confidence)
    if noise is not None:
        summary = summary.join(noise)
    summary.insert(0, "rank", rank_policies(summary, criterion))
    summary = summary.sort_values("rank").reset_index()
    summary.insert(0, "rank", summary.pop("rank"))
    levers = levers or {}
    meta = {
        "criterion": criterion,
        "criterion_rule": f"minimax regret of {criterion} over the uncertainty points (ties: its {percentile:g}th "
                          "percentile regret, then its mean regret, then the name); regret = the policy's value at a "
                          "point less the lowest value any policy reached there",
        "threshold": threshold,
        "percentile": percentile,
        "confidence": confidence,
        "ranking": summary["policy"].tolist(),
        "statistics": STATISTIC_LABELS,
        "verdict_rule": f"per uncertainty point: holds if the exact {confidence:.0%} upper bound of P(confrontation) "
                        f"< {threshold:g}, fails if the lower bound > {threshold:g}, else inconclusive",
        "intervals": {"p_confrontation": "exact Clopper-Pearson over the policy's worlds",
                      "means": f"percentile bootstrap over the policy's worlds ({resamples} resamples, seed 0)",
                      "regret_max": f"paired bootstrap of replicates within each uncertainty point, the same for "
                                    f"every policy ({regret_resamples} resamples, seed 0); p_most_robust: share of "
                                    f"resamples in which the policy ranks first"},
        "levers": levers,
        "named": named,
        "files": RESULT_FILES,
    }
    return RobustEvaluation(summary, points, criterion, threshold, percentile, levers, meta)


# ---------------------------------------------------------------------------------------------- output


def _interval(value: float, low: float, high: float, percent: bool = False) -> str:
    if percent:
        return f"{100 * value:.2f}% [{100 * low:.2f}, {100 * high:.2f}]"
    return f"{value:.2f} [{low:.2f}, {high:.2f}]"


def table_text(evaluation: RobustEvaluation) -> str:
    """The table ``escalation robust`` prints: one line per policy, most robust first, then the rules."""
    e = evaluation
    p = f"p{e.percentile:g}"
    noisy = "p_most_robust" in e.policies

    def regret_cell(r: dict, statistic: str, scale: float) -> str:
        text = f"{scale * r[f'regret_max_{statistic}']:.2f}"
        if noisy:
            text += (f" [{scale * r[f'regret_max_{statistic}_lower']:.2f}, "
                     f"{scale * r[f'regret_max_{statistic}_upper']:.2f}]")
        return f"{text} / {scale * r[f'regret_p_{statistic}']:.2f}"

    header = (f"{'rank':>4}  {'policy':<18} {'P(confrontation) [95%]':<23} {'holds':>5} {'fails':>5} {'incon':>5}  "
              f"{'P(conf) regret, pp: max' + (' [95%]' if noisy else '') + ' / ' + p:<30} "
              f"{'P(rank 1)':>9}  {'attacks/world':<23} {'US casualties/world':<23} "
              f"{'casualty regret: max' + (' [95%]' if noisy else '') + ' / ' + p:<30}")
    lines = [header, "-" * len(header)]
    for row in e.policies.itertuples(index=False):
        r = row._asdict()
        first = f"{100 * r['p_most_robust']:.0f}%" if noisy else "-"
        lines.append(
            f"{r['rank']:>4}  {str(r['policy'])[:18]:<18} "
            f"{_interval(r['p_confrontation'], r['p_confrontation_lower'], r['p_confrontation_upper'], True):<23} "
            f"{100 * r['holds']:>4.0f}% {100 * r['fails']:>4.0f}% {100 * r['inconclusive']:>4.0f}%  "
            f"{regret_cell(r, 'p_confrontation', 100.0):<30} "
            f"{first:>9}  "
            f"{_interval(r['attacks'], r['attacks_lower'], r['attacks_upper']):<23} "
            f"{_interval(r['us_casualties'], r['us_casualties_lower'], r['us_casualties_upper']):<23} "
            f"{regret_cell(r, 'us_casualties', 1.0):<30}")
    meta = e.meta
    worlds = int(e.policies["worlds"].iloc[0]) if len(e.policies) else 0
    points = int(e.policies["points"].iloc[0]) if len(e.policies) else 0
    notes = [
        f"{len(e.policies)} policies x {points} uncertainty points x {worlds // max(points, 1):,} worlds each "
        f"({worlds:,} worlds per policy; the same points and seeds for every policy).",
        f"holds / fails / incon: share of uncertainty points where the thesis P(confrontation) < {e.threshold:g} "
        f"holds, fails or is inconclusive ({meta['verdict_rule']}).",
        f"Regret: {meta['criterion_rule']}. P(confrontation) regret in percentage points.",
        f"Ranked by: minimax regret of {STATISTIC_LABELS[e.criterion]}."
        + (" [95%] after a maximum regret, and P(rank 1): " + meta["intervals"]["regret_max"] + "." if noisy else ""),
        "US casualties: Americans killed + wounded per world; intervals: " + meta["intervals"]["p_confrontation"]
        + " for P(confrontation), " + meta["intervals"]["means"] + " for the means.",
    ]
    lines.append("")
    lines.extend(textwrap.fill(note, 110, subsequent_indent="  ") for note in notes)
    named = meta.get("named")
    lines.append("Levers each policy sets (the others keep the scenario's value):" if named else "Lever values per policy:")
    for name in e.policies["policy"]:
        values = e.levers.get(name, {})
        if named is not None:
            values = {path: value for path, value in values.items() if path in named.get(name, ())}
            if not values:
                lines.append(f"  {name}: the scenario's own rules")
                continue
        shown = ", ".join(f"{path}={value:g}" if isinstance(value, float) else f"{path}={value}"
                          for path, value in values.items())
        lines.append(textwrap.fill(f"{name}: {shown}", 110, subsequent_indent="    ", initial_indent="  "))
    return "\n".join(lines)


def write_results(evaluation: RobustEvaluation, directory: str | Path) -> dict[str, Path]:
    """Write ``robust.parquet``, ``robust.csv``, ``robust_points.parquet`` and ``robust.json`` into ``directory``.

    Each file is written to a temporary name and renamed, so a reader never sees half a table.
    """
    import os

    directory = Path(directory)
    paths = {key: directory / name for key, name in RESULT_FILES.items()}

    def atomic(path: Path, write) -> None:
        temporary = path.with_name(f".{path.name}.tmp")
        write(temporary)
        os.replace(temporary, path)

    atomic(paths["policies"], lambda t: evaluation.policies.to_parquet(t, index=False))
    atomic(paths["policies_csv"], lambda t: evaluation.policies.to_csv(t, index=False, float_format="%.6g"))
    atomic(paths["points"], lambda t: evaluation.points.to_parquet(t, index=False))
    atomic(paths["meta"], lambda t: t.write_text(json.dumps(evaluation.meta, indent=2, default=_json_default) + "\n",
                                                 encoding="utf-8"))
    return paths


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return str(value)


# ---------------------------------------------------------------------------------------------- the command


def with_worlds_per_point(spec: SweepSpec, worlds_per_point: int | None) -> SweepSpec:
    """The spec with ``replicates`` replaced (``--worlds-per-point``); InputError unless a positive integer."""
    if worlds_per_point is None:
        return spec
    if isinstance(worlds_per_point, bool) or not isinstance(worlds_per_point, (int, np.integer)) or worlds_per_point < 1:
        raise InputError(f"expected a positive number of worlds per point, got {worlds_per_point!r}",
                         key="--worlds-per-point")
    return dataclasses.replace(spec, replicates=int(worlds_per_point))


def load_robust_spec(source: str | Path | dict | SweepSpec) -> SweepSpec:
    """A validated robust-decision spec (InputError for any other spec)."""
    spec = source if isinstance(source, SweepSpec) else load_sweep_spec(source)
    if not spec.is_robust:
        raise InputError("not a robust-decision spec: expected `levers`, `policies` (or lever values) and "
                         "`uncertainties` (see docs/robust.md)", file=spec.file, key="levers")
    return spec


def evaluate(spec: str | Path | dict | SweepSpec, *, out: str | Path | None = None,
             worlds_per_point: int | None = None, workers: int | None = None, chunk_size: int | None = None,
             scheduler: str | None = None, dask: bool = False, quiet: bool = False, connect_timeout: float = 10.0,
             force_workers: bool = False, resamples: int = BOOTSTRAP_RESAMPLES) -> RobustEvaluation:
    """Run (or resume) a robust-decision spec into its store and evaluate it (``escalation robust``).

    Args:
        spec: a robust-decision spec (path, shipped name, mapping or loaded spec).
        out: results directory (default ``results/<spec name>``); rerunning resumes, and the tables are
            written there (see the module docstring).
        worlds_per_point: worlds per (policy, uncertainty point), replacing the spec's ``replicates``.
        workers, chunk_size, scheduler, dask, quiet, connect_timeout, force_workers: as for
            :func:`analysis.runs.execute.execute`.
        resamples: bootstrap resamples for the intervals of the means.

    Returns:
        The evaluation (also written to ``out``).
    """
    spec = with_worlds_per_point(load_robust_spec(spec), worlds_per_point)
    plan = plan_robust(spec)
    from analysis.runs.execute import execute  # the store and the executors: once the spec has been checked

    out = Path(out) if out is not None else Path("results") / spec.name
    clock = time.perf_counter()
    results = execute(plan, out, workers=workers, chunk_size=chunk_size, scheduler=scheduler, dask=dask,
                      series=False, events=False, quiet=quiet, label=f"escalation robust {spec.name}",
                      connect_timeout=connect_timeout, force_workers=force_workers)
    simulated = time.perf_counter() - clock
    outcomes = results.outcomes(columns=OUTCOME_COLUMNS)
    options = spec.robust_options
    levers = {policy.name: policy.as_mapping() for policy in spec.policies}
    evaluation = analyse(outcomes, [policy.name for policy in spec.policies], threshold=options["threshold"],
                         percentile=options["percentile"], criterion=options["criterion"], levers=levers,
                         named={policy.name: list(policy.named) for policy in spec.policies}, resamples=resamples)
    evaluation.meta.update(
        spec=spec.name, spec_file=spec.file, scenario=spec.scenarios[0], days=spec.days,
        worlds_per_point=spec.replicates, uncertainty_points=int(plan.design_manifest["uncertainty_rows"]),
        uncertainty_design=spec.design, uncertainties=[p.as_dict() for p in spec.parameters],
        worlds_total=plan.total, seconds_this_call=round(time.perf_counter() - clock, 3),
        seconds_simulating_this_call=round(simulated, 3),
        seeding=plan.design_manifest["seeding"], store=str(out))
    write_results(evaluation, out)
    return evaluation


def dry_run_text(spec: SweepSpec, worlds_per_point: int | None = None) -> str:
    """One line: policies, uncertainty points and worlds of a robust-decision spec, without running it."""
    from analysis.runs.designs import design_rows

    spec = with_worlds_per_point(load_robust_spec(spec), worlds_per_point)
    rows = design_rows(spec)
    total = len(spec.policies) * rows * spec.replicates
    return (f"{spec.name}: {len(spec.policies)} policies ({', '.join(p.name for p in spec.policies)}) x {rows:,} "
            f"uncertainty points ({spec.design['kind']} over {len(spec.parameters)} uncertainties) x "
            f"{spec.replicates:,} worlds = {total:,} worlds of {spec.scenarios[0]}; levers "
            f"{', '.join(lever.path for lever in spec.levers)}")


__all__ = ["RobustPlan", "RobustEvaluation", "plan_robust", "world_statistics", "point_table", "regret_table",
           "regret_summary", "rank_policies", "space_shares", "analyse", "evaluate", "table_text",
           "write_results", "dry_run_text", "load_robust_spec", "with_worlds_per_point", "RESULT_FILES"]
