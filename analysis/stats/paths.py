"""Paths into each outcome class: the chain of key events that led each world into its class.

A world's outcome class (``outcome``: confrontation or contained exchange) comes from its longest direct
exchange between the United States and Iran. :func:`world_paths` rebuilds every exchange of a world from
its event table (the same rule as :meth:`sim.model.EscalationModel.exchange_strike`: a direct strike that
answers the other state's last strike of a running exchange adds a round, a strike by the side that
struck last adds none, ``exchange_ended`` and ``open_war`` close it), takes the *decisive* exchange (the
one with the most rounds, the first of equals: the one that set the class) and labels the chain that led
to it with a fixed vocabulary of steps joined by ``" -> "``. :func:`path_table` counts worlds per path.

The vocabulary (:data:`STEPS`), in the order the steps appear in a path:

1. **the trigger** of the exchange's opening strike (round 1), read from what preceded it in
   :data:`LOOKBACK_DAYS` days (the default exchange window and proxy-surge length):

   - ``Quds Force commander killed (scripted)`` / ``US kills the Quds Force commander``: the last
     humiliating event before it (``leader_killing`` of ``quds_force``; scripted history, or the model's
     own decision);
   - ``earlier US strike on Iran``: the last humiliating event was a US strike on Iran of an exchange
     that had already ended;
   - ``Iran holds back`` / ``Iran's proxy surge``: Iran's answer to that humiliation when it was not a
     direct strike (``no_direct_answer``, ``proxy_surge``) and the United States struck first;
   - ``militia attack kills Americans``: militia attacks killed Americans in the :data:`DEAD_DAYS` days
     up to the model's own US decision that started the chain (the leader killing, or the US opening
     strike); ``(scripted)`` when every such attack was scripted. Not looked for before scripted events,
     which are history, not decisions.

   Iran's posture is not in the event table; a US strike on Iran the model makes outside a running
   exchange needs Iran in escalation posture (:meth:`sim.actors.united_states.UnitedStates.respond`:
   the US strikes Iran only after an Iranian strike or with Iran in escalation posture), so the label
   says so, unless a proxy surge (which orders that posture) is already in the path.

2. **the opening strike** (round 1), who struck first: ``Iran's warned salvo`` (``intended`` rung 2) or
   ``Iran's unwarned strike`` (``intended`` rung 6), with ``kills Americans`` when it did; or ``US strike
   on Iran``, ``from pressure`` when no American dead are in the path before it (the pressure of attacks
   without dead), ``(Iran in escalation posture)`` as above. Every step is marked ``(scripted)`` when
   the scenario's timeline made it.
3. **the answers**, one step per round: ``US strike on Iran``, or Iran's ``warned salvo`` / ``unwarned
   strike`` (``kills Americans`` when it did); up to :data:`MAX_LISTED_ROUNDS` rounds, then ``... N rounds``.
   A repeated strike by the side that struck last is not a round and is not listed.
4. **how it ended**: ``open war`` (the exchange reached ``iran.war_after_rounds``); ``US does not answer``
   (an ``exchange_ended`` after Iran struck last); after a US strike, Iran's recorded choice: ``Iran holds
   back`` (``no_direct_answer``), ``Iran answers by proxy surge`` (``proxy_surge``), or ``Iran does not
   answer``; ``ceasefire``; or ``still running at the horizon``.

Example: ``Quds Force commander killed (scripted) -> Iran's warned salvo kills Americans -> US strike on
Iran -> Iran holds back``.

The other classes (``classes=ALL_CLASSES``) get paths too. A **crisis** with a direct strike nobody
answered is a one-round exchange and is told in the vocabulary above; a crisis without one is the first
leader killing (``US kills the Quds Force commander`` / ``US kills a militia leader``, ``(scripted)`` or
``from pressure`` when no American dead preceded it by :data:`DEAD_DAYS` days), after the dead that
preceded it, and, for the commander, Iran's answer within :data:`LOOKBACK_DAYS` days (``Iran holds back``,
``Iran's proxy surge`` or ``no Iranian answer recorded``). **Provocation** is its milestones in the order
they came: ``militia attacks begin``, the first ``militia attack wounds Americans`` / ``kills Americans``,
the first ``US strikes militia sites`` (``from pressure`` before any American was hurt). **Quiet** is
harassment (sieges, harmless roadside bombs) or ``threats only``. Every step carries its day
(``step_days``), so :func:`path_stories` can tell each common path as a short narrative: its share of the
class, each step's median day (and the days of the middle half of its worlds) and a representative world.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.stats.intervals import proportion_interval
from sim.errors import InputError

CLASSES = ("confrontation", "contained_exchange")
EXCHANGE_CLASSES = CLASSES
ALL_CLASSES = ("confrontation", "contained_exchange", "crisis", "provocation", "quiet")
CLASS_TITLES = {"confrontation": "confrontation", "contained_exchange": "contained exchange"}
CLASS_NAMES = {**CLASS_TITLES, "crisis": "crisis", "provocation": "provocation", "quiet": "quiet"}
LOOKBACK_DAYS = 30  # the default iran.exchange_window and iran.surge_days
DEAD_DAYS = 10  # American dead this recent count as the cause of a US decision
MAX_LISTED_ROUNDS = 4  # the default iran.war_after_rounds: an exchange that reaches open war is listed whole
TOP_PATHS = 6
ARROW = " -> "
EVENT_COLUMNS = ("world", "day", "actor", "action", "target", "killed", "wounded", "rung", "intended", "scripted")
RELEVANT_ACTIONS = ("attack", "leader_killing", "direct_strike", "exchange_ended", "open_war", "ceasefire",
                    "proxy_surge", "no_direct_answer", "siege", "strike_militia")
US, IRAN = "united_states", "iran"
WARNED_INTENDED = 2  # sim.actors.iran.INTENDED_WARNED

# The fixed vocabulary of steps (labels before the "(scripted)" and "kills Americans" marks).
STEPS = {
    "quds_killed_scripted": "Quds Force commander killed (scripted)",
    "quds_killed": "US kills the Quds Force commander",
    "earlier_us_strike": "earlier US strike on Iran",
    "iran_holds_back": "Iran holds back",
    "iran_surge": "Iran's proxy surge",
    "american_dead": "militia attack kills Americans",
    "warned_salvo": "Iran's warned salvo",
    "unwarned_strike": "Iran's unwarned strike",
    "kills_americans": "kills Americans",
    "us_strike": "US strike on Iran",
    "from_pressure": "from pressure",
    "escalation_posture": "(Iran in escalation posture)",
    "no_humiliation": f"Iran strikes (no humiliation in the {LOOKBACK_DAYS} days before)",
    "more_rounds": "... {rounds} rounds",
    "open_war": "open war",
    "us_no_answer": "US does not answer",
    "iran_no_answer": "Iran does not answer",
    "iran_surge_answer": "Iran answers by proxy surge",
    "ceasefire": "ceasefire",
    "horizon": "still running at the horizon",
    "no_strike": "no direct strike in the events",
    # crisis without a direct strike, provocation and quiet
    "militia_leader": "US kills a militia leader",
    "no_iranian_answer": f"no Iranian answer recorded within {LOOKBACK_DAYS} days",
    "attacks": "militia attacks begin",
    "wounded": "militia attack wounds Americans",
    "strike_militia": "US strikes militia sites",
    "harassment": "militias harass US forces (sieges, roadside bombs that hurt nobody), no attack",
    "threats_only": "threats only, no harassment or attack",
}
PATH_COLUMNS = ("world", "outcome", "path", "rounds", "first_strike_day", "first_by", "first_warned",
                "first_killed", "first_step", "first_step_scripted", "ending", "earlier_direct_strikes", "step_days")
TABLE_COLUMNS = ("outcome", "path", "worlds", "share", "lower", "upper", "median_first_strike_day",
                 "first_step_scripted")


@dataclass
class _Exchange:
    opener: int  # row index (into the world's rows) of the opening strike
    rounds: int = 1
    strikes: list[int] = field(default_factory=list)  # row indices of the rounds, opener first
    last_side: str = ""
    ending: str = "horizon"
    end_row: int | None = None  # the exchange_ended / open_war row


# A step: its label and the row (of the world's ordered rows) that dates it, or None when nothing does.
Step = tuple[str, "int | None"]


def _scripted(label: str, scripted: bool) -> str:
    return f"{label} (scripted)" if scripted else label


def _iran_strike(row) -> str:
    label = STEPS["warned_salvo"] if int(row["intended"]) == WARNED_INTENDED else STEPS["unwarned_strike"]
    if int(row["killed"]) > 0:
        label += " " + STEPS["kills_americans"]
    return _scripted(label, bool(row["scripted"]))


def _exchanges(rows: pd.DataFrame) -> list[_Exchange]:
    """The direct exchanges of one world's (ordered) relevant rows."""
    done: list[_Exchange] = []
    current: _Exchange | None = None
    actions, actors = rows["action"].to_numpy(), rows["actor"].to_numpy()
    for i in range(len(rows)):
        action = actions[i]
        if action == "direct_strike":
            side = US if actors[i] == US else IRAN
            if current is not None and current.last_side != side:
                current.rounds += 1
                current.strikes.append(i)
            elif current is None:
                current = _Exchange(opener=i, strikes=[i])
            current.last_side = side
        elif current is not None and action in ("exchange_ended", "open_war"):
            current.ending = "ended" if action == "exchange_ended" else "open_war"
            current.end_row = i
            done.append(current)
            current = None
        elif action == "ceasefire" and done and done[-1].end_row is not None \
                and rows["day"].iat[done[-1].end_row] == rows["day"].iat[i] and done[-1].ending == "ended":
            done[-1].ending = "ceasefire"  # end_exchanges records exchange_ended just before the ceasefire
    if current is not None:
        done.append(current)
    return done


def _dead_step(rows: pd.DataFrame, before: int) -> Step | None:
    """``militia attack kills Americans`` if militia attacks killed Americans in DEAD_DAYS up to row ``before``.

    Dated by the last such attack (the one closest to the decision).
    """
    day = rows["day"].iat[before]
    window = rows.iloc[:before]
    dead = window[(window["action"] == "attack") & (window["killed"] > 0) & (window["day"] >= day - DEAD_DAYS)]
    if dead.empty:
        return None
    return _scripted(STEPS["american_dead"], bool(dead["scripted"].all())), int(dead.index[-1])


def _last_humiliation(rows: pd.DataFrame, before: int) -> int | None:
    """Row index of the last humiliating event (Quds commander killed, US strike on Iran) in LOOKBACK_DAYS."""
    day = rows["day"].iat[before]
    window = rows.iloc[:before]
    humiliating = (((window["action"] == "leader_killing") & (window["target"] == "quds_force"))
                   | ((window["action"] == "direct_strike") & (window["actor"] == US)))
    hits = np.flatnonzero(humiliating.to_numpy() & (window["day"] >= day - LOOKBACK_DAYS).to_numpy())
    return int(hits[-1]) if hits.size else None


def _humiliation_steps(rows: pd.DataFrame, index: int) -> list[Step]:
    """The humiliating event at row ``index`` as steps (with the American dead behind a model-made one)."""
    row = rows.iloc[index]
    scripted = bool(row["scripted"])
    if row["action"] == "leader_killing":
        step = STEPS["quds_killed_scripted"] if scripted else STEPS["quds_killed"]
    else:
        step = _scripted(STEPS["earlier_us_strike"], scripted)
    dead = None if scripted else _dead_step(rows, index)
    return [s for s in (dead, (step, index)) if s]


def _trigger_steps(rows: pd.DataFrame, opener: int) -> list[Step]:
    """The steps that led to the opening strike, and the opening strike itself."""
    row = rows.iloc[opener]
    scripted = bool(row["scripted"])
    if row["actor"] != US:
        if scripted:
            return [(_iran_strike(row), opener)]
        humiliation = _last_humiliation(rows, opener)
        lead = [(STEPS["no_humiliation"], opener)] if humiliation is None else _humiliation_steps(rows, humiliation)
        return [*lead, (_iran_strike(row), opener)]
    if scripted:
        return [(_scripted(STEPS["us_strike"], True), opener)]
    steps: list[Step] = []
    before = rows.iloc[:opener]
    choices = np.flatnonzero((before["action"].isin(("no_direct_answer", "proxy_surge"))
                              & (before["day"] >= row["day"] - LOOKBACK_DAYS)).to_numpy())
    choice = int(choices[-1]) if choices.size else None  # Iran's last answer short of a direct strike
    humiliation = _last_humiliation(rows, opener if choice is None else choice)
    if humiliation is not None:
        steps += _humiliation_steps(rows, humiliation)
    surge = False
    if choice is not None:
        surge = rows["action"].iat[choice] == "proxy_surge"
        steps.append((STEPS["iran_surge"] if surge else STEPS["iran_holds_back"], choice))
    dead = _dead_step(rows, opener)
    if dead and dead[0] not in {label for label, _ in steps}:
        steps.append(dead)
    label = STEPS["us_strike"]
    if not dead:
        label += " " + STEPS["from_pressure"]
    if not surge:
        label += " " + STEPS["escalation_posture"]
    return [*steps, (label, opener)]


def _iran_choice_after(rows: pd.DataFrame, start: int, stop: int | None) -> int | None:
    """Row index of Iran's last recorded answer short of a direct strike in rows ``start`` .. ``stop``."""
    after = rows.iloc[start:stop]
    choice = after[(after["actor"] == IRAN) & after["action"].isin(("no_direct_answer", "proxy_surge"))]
    return None if choice.empty else int(choice.index[-1])


def _ending_step(rows: pd.DataFrame, exchange: _Exchange) -> Step:
    if exchange.ending == "open_war":
        return STEPS["open_war"], exchange.end_row
    if exchange.ending == "ceasefire":
        return STEPS["ceasefire"], exchange.end_row
    if exchange.ending == "horizon":
        return STEPS["horizon"], None
    if exchange.last_side == IRAN:
        return STEPS["us_no_answer"], exchange.end_row
    choice = _iran_choice_after(rows, exchange.strikes[-1] + 1, exchange.end_row)
    if choice is None:
        return STEPS["iran_no_answer"], exchange.end_row
    return (STEPS["iran_surge_answer"] if rows["action"].iat[choice] == "proxy_surge"
            else STEPS["iran_holds_back"]), choice


def _leader_killing_steps(rows: pd.DataFrame) -> list[Step] | None:
    """A crisis without a direct strike: the first leader killing (the Quds Force commander first on its day)."""
    killings = rows.index[(rows["action"] == "leader_killing").to_numpy()]
    if not len(killings):
        return None
    day = rows["day"].iat[killings[0]]
    same_day = [int(i) for i in killings if rows["day"].iat[i] == day]
    index = next((i for i in same_day if rows["target"].iat[i] == "quds_force"), same_day[0])
    row = rows.iloc[index]
    scripted, quds = bool(row["scripted"]), row["target"] == "quds_force"
    if quds:
        label = STEPS["quds_killed_scripted"] if scripted else STEPS["quds_killed"]
    else:
        label = _scripted(STEPS["militia_leader"], scripted)
    steps: list[Step] = []
    if not scripted:
        dead = _dead_step(rows, index)
        if dead:
            steps.append(dead)
        else:
            label += " " + STEPS["from_pressure"]
    steps.append((label, index))
    if quds:
        later = rows.iloc[index + 1:]
        answers = later[(later["actor"] == IRAN) & later["action"].isin(("no_direct_answer", "proxy_surge"))
                        & (later["day"] <= day + LOOKBACK_DAYS)]
        if answers.empty:
            steps.append((STEPS["no_iranian_answer"], None))
        else:
            choice = int(answers.index[0])
            steps.append((STEPS["iran_surge"] if rows["action"].iat[choice] == "proxy_surge"
                          else STEPS["iran_holds_back"], choice))
    return steps


def _milestone_steps(rows: pd.DataFrame) -> list[Step]:
    """Provocation and quiet: the first attack, the first Americans hurt and killed, the first US strike."""
    action = rows["action"].to_numpy()
    rung = rows["rung"].to_numpy()
    attack = action == "attack"
    violent = np.flatnonzero(attack & (rung >= 2))
    if not violent.size:
        harass = np.flatnonzero(((action == "siege") | attack) & (rung >= 1))
        if harass.size:
            return [(_scripted(STEPS["harassment"], bool(rows["scripted"].iat[harass[0]])), int(harass[0]))]
        return [(STEPS["threats_only"], None)]
    killed, wounded = rows["killed"].to_numpy() > 0, rows["wounded"].to_numpy() > 0
    hurt = np.flatnonzero(attack & (killed | wounded))
    dead = np.flatnonzero(attack & killed)
    strikes = np.flatnonzero(action == "strike_militia")
    found: list[tuple[int, int, str]] = []  # (row, order on the same row, label)
    if not hurt.size or violent[0] != hurt[0]:
        found.append((int(violent[0]), 0, STEPS["attacks"]))
    if hurt.size:
        first_hurt = int(hurt[0])
        found.append((first_hurt, 1, STEPS["american_dead"] if killed[first_hurt] else STEPS["wounded"]))
        if dead.size and int(dead[0]) != first_hurt:
            found.append((int(dead[0]), 2, STEPS["american_dead"]))
    if strikes.size:
        first_strike = int(strikes[0])
        label = STEPS["strike_militia"]
        if not hurt.size or hurt[0] > first_strike:
            label += " " + STEPS["from_pressure"]
        found.append((first_strike, 3, label))
    found.sort()
    return [(_scripted(label, bool(rows["scripted"].iat[index])), index) for index, _, label in found]


def _step_days(rows: pd.DataFrame, steps: list[Step]) -> tuple:
    return tuple(None if index is None else int(rows["day"].iat[index]) for _, index in steps)


def _world_path(world: int, outcome: str, rows: pd.DataFrame) -> dict:
    exchanges = _exchanges(rows)
    empty = {"world": world, "outcome": outcome, "rounds": 0, "first_strike_day": np.nan, "first_by": "",
             "first_warned": None, "first_killed": 0, "ending": "", "earlier_direct_strikes": 0}
    if not exchanges:
        if outcome in EXCHANGE_CLASSES:
            return {**empty, "path": STEPS["no_strike"], "first_step": STEPS["no_strike"],
                    "first_step_scripted": False, "step_days": (None,)}
        steps = _leader_killing_steps(rows) if outcome == "crisis" else None
        steps = steps or _milestone_steps(rows)
        return {**empty, "path": ARROW.join(label for label, _ in steps), "first_step": steps[0][0],
                "first_step_scripted": steps[0][0].endswith("(scripted)"), "step_days": _step_days(rows, steps)}
    decisive = max(exchanges, key=lambda e: e.rounds)  # max() keeps the first of equals
    opener = rows.iloc[decisive.opener]
    steps = _trigger_steps(rows, decisive.opener)
    first_scripted = steps[0][0].endswith("(scripted)")
    for index in decisive.strikes[1:MAX_LISTED_ROUNDS]:
        strike = rows.iloc[index]
        steps.append((_scripted(STEPS["us_strike"], bool(strike["scripted"])) if strike["actor"] == US
                      else _iran_strike(strike), index))
    if decisive.rounds > MAX_LISTED_ROUNDS:
        steps.append((STEPS["more_rounds"].format(rounds=decisive.rounds), decisive.strikes[-1]))
    steps.append(_ending_step(rows, decisive))
    by_iran = opener["actor"] != US
    direct = rows["action"].to_numpy() == "direct_strike"
    return {"world": world, "outcome": outcome, "path": ARROW.join(label for label, _ in steps),
            "rounds": decisive.rounds, "first_strike_day": int(opener["day"]), "first_by": IRAN if by_iran else US,
            "first_warned": (int(opener["intended"]) == WARNED_INTENDED) if by_iran else None,
            "first_killed": int(opener["killed"]), "first_step": steps[0][0], "first_step_scripted": first_scripted,
            "ending": decisive.ending, "earlier_direct_strikes": int(direct[:decisive.opener].sum()),
            "step_days": _step_days(rows, steps)}


DEFAULT_RUNGS = {"attack": 2, "siege": 1, "strike_militia": 4, "leader_killing": 5, "direct_strike": 6,
                 "open_war": 7}


def _with_optional_columns(events: pd.DataFrame) -> pd.DataFrame:
    """``rung`` and ``wounded`` when an event table lacks them (hand-built tables of the exchange classes)."""
    if "wounded" not in events.columns:
        events = events.assign(wounded=0)
    if "rung" not in events.columns:
        rung = events["action"].astype(str).map(DEFAULT_RUNGS).fillna(0)
        hurt = (events["action"].astype(str) == "attack") & ((events["killed"] > 0) | (events["wounded"] > 0))
        events = events.assign(rung=rung.where(~hurt, 3).astype(int))
    return events


def world_paths(events: pd.DataFrame, outcomes: pd.DataFrame, classes=CLASSES,
                column: str = "outcome") -> pd.DataFrame:
    """One row per world of the given outcome classes: the path that led it there (module docstring).

    Args:
        events: the event table (columns :data:`EVENT_COLUMNS` at least; ``rung`` and ``wounded`` may be
            missing when only the exchange classes are asked for), ordered by world, then day, then the
            order things happened (as the model and the store write it); other worlds are ignored.
        outcomes: the outcomes table (``world`` and ``column``).
        classes: outcome classes to explain (:data:`CLASSES` by default; :data:`ALL_CLASSES` for every class).
        column: ``outcome`` (everything) or ``outcome_model`` (the model's own decisions).

    Returns:
        Columns :data:`PATH_COLUMNS`: ``path`` the label; ``rounds`` of the decisive exchange;
        ``first_strike_day`` the day of its opening strike; ``first_by`` who struck first (``iran`` or
        ``united_states``); ``first_warned`` (Iran's opener: warned salvo or not); ``first_killed`` its
        dead; ``first_step`` / ``first_step_scripted`` the path's first step and whether the timeline made
        it; ``ending`` (``open_war``, ``ended``, ``ceasefire``, ``horizon``); ``earlier_direct_strikes``
        in the world before the decisive exchange; ``step_days`` the day of each step (a tuple as long as
        the path, None for a step nothing dates, such as "still running at the horizon").
    """
    chosen = outcomes.loc[outcomes[column].astype(str).isin(classes), ["world", column]]
    if chosen.empty:
        return pd.DataFrame(columns=list(PATH_COLUMNS))
    events = _with_optional_columns(events)
    frame = events.loc[events["world"].isin(chosen["world"]) & events["action"].isin(RELEVANT_ACTIONS),
                       list(EVENT_COLUMNS)]
    frame = frame.astype({"actor": str, "action": str, "target": str, "scripted": bool})
    frame = frame.sort_values(["world", "day"], kind="stable")
    groups = dict(tuple(frame.groupby("world", sort=False)))
    empty = frame.iloc[:0]
    rows = [_world_path(int(world), str(outcome), groups.get(world, empty).reset_index(drop=True))
            for world, outcome in zip(chosen["world"], chosen[column].astype(str))]
    return pd.DataFrame(rows, columns=list(PATH_COLUMNS))


def path_table(paths: pd.DataFrame, top: int = TOP_PATHS) -> pd.DataFrame:
    """Per outcome class: worlds per path, share of the class with exact 95 % interval, median first-strike day.

    Paths are ordered by worlds (then label); beyond the ``top`` most common the rest are one row
    ``other (N paths)`` (only when that groups at least two). ``first_step_scripted`` is ``yes``, ``no``
    or ``mixed`` (in the ``other`` row). Classes come in the order confrontation, contained exchange.

    Returns:
        Columns :data:`TABLE_COLUMNS`; shares sum to 1 within each class.
    """
    rows = []
    present = [c for c in ALL_CLASSES if c in set(paths["outcome"])] + sorted(set(paths["outcome"]) - set(ALL_CLASSES))
    for outcome in present:
        part = paths[paths["outcome"] == outcome]
        n = len(part)
        counts = part.groupby("path").size().reset_index(name="worlds")
        counts = counts.sort_values(["worlds", "path"], ascending=[False, True], kind="stable")
        labels = list(counts["path"])
        groups = [(label, part[part["path"] == label]) for label in labels]
        if len(labels) > top + 1:
            rest = labels[top:]
            groups = groups[:top] + [(f"other ({len(rest)} paths)", part[part["path"].isin(rest)])]
        for label, members in groups:
            k = len(members)
            lower, upper = proportion_interval(k, n)
            scripted = members["first_step_scripted"].astype(bool)
            rows.append({"outcome": outcome, "path": label, "worlds": k, "share": k / n, "lower": float(lower),
                         "upper": float(upper),
                         "median_first_strike_day": float(pd.to_numeric(members["first_strike_day"]).median()),
                         "first_step_scripted": "yes" if scripted.all() else ("no" if not scripted.any() else "mixed")})
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


# -- result sets -----------------------------------------------------------------------------------------

NO_EVENTS = "paths need events: rerun with --events"
NO_EVENTS_REPORT = "no event logs were stored with these worlds, so their paths cannot be traced"
SAMPLE_WORLDS = 600  # worlds per class whose events are read for narratives (evenly spaced over the class)


def has_events(result_set) -> bool:
    """Whether the result set's store holds event logs."""
    return bool((result_set.manifest.get("tables") or {}).get("events")) and result_set.handle is not None


def sampled_worlds(outcomes: pd.DataFrame, classes, per_class: int | None, column: str = "outcome") -> pd.Series:
    """World ids of the given classes, at most ``per_class`` of each, evenly spaced over the class's worlds."""
    picked = []
    for outcome in classes:
        worlds = outcomes.loc[outcomes[column].astype(str) == outcome, "world"].to_numpy()
        if per_class is not None and len(worlds) > per_class:
            worlds = worlds[np.linspace(0, len(worlds) - 1, per_class).round().astype(int)]
        picked.append(worlds)
    return pd.Series(np.concatenate(picked) if picked else np.array([], dtype=np.int64), name="world")


def result_set_paths(result_set, classes=CLASSES, per_class: int | None = None) -> pd.DataFrame | None:
    """:func:`world_paths` of a result set (``analysis.runs.resultsets.ResultSet``), or None without events.

    Reads only the events of the worlds in those classes (at most ``per_class`` worlds of each class
    other than the rare exchange classes, which are always traced whole; evenly spaced over the class); the
    answer is kept on the result set, so the thesis text and the report read the store once.
    """
    key = ("_paths", tuple(classes), per_class)
    cache = result_set.__dict__.setdefault("_paths_cache", {})
    if key in cache:
        return cache[key]
    paths = None
    if has_events(result_set):
        outcomes = result_set.outcomes
        worlds = pd.concat([sampled_worlds(outcomes, [c for c in classes if c in EXCHANGE_CLASSES], None),
                            sampled_worlds(outcomes, [c for c in classes if c not in EXCHANGE_CLASSES], per_class)])
        if worlds.empty:
            paths = pd.DataFrame(columns=list(PATH_COLUMNS))
        else:
            events = result_set.handle.events(columns=list(EVENT_COLUMNS), worlds=worlds.tolist())
            paths = world_paths(events, outcomes[outcomes["world"].isin(worlds)], classes)
    cache[key] = paths
    return paths


def table_lines(table: pd.DataFrame, outcome: str, indent: str = "    ") -> list[str]:
    """Plain-text rows of one class of a :func:`path_table` (share, interval, worlds, median day, path)."""
    part = table[table["outcome"] == outcome]
    if part.empty:
        return []
    lines = [f"{indent}{'share':>6}  {'95 % interval':<16} {'worlds':>6} {'day':>5}  {'scripted':<8}  path"]
    for row in part.itertuples():
        interval = f"[{row.lower:.1%}, {row.upper:.1%}]"
        day = "" if pd.isna(row.median_first_strike_day) else f"{row.median_first_strike_day:.0f}"
        lines.append(f"{indent}{row.share:>6.1%}  {interval:<16} {row.worlds:>6} {day:>5}  "
                     f"{row.first_step_scripted:<8}  {row.path}")
    return lines


def paths_text(result_set, indent: str = "  ") -> list[str]:
    """Lines for the thesis text: per class, "Paths into confrontation:" and its table; or why there are none."""
    classes = result_set.outcomes["outcome"].astype(str)
    counts = {c: int((classes == c).sum()) for c in CLASSES}
    if not any(counts.values()):
        return []
    try:
        paths = result_set_paths(result_set)
    except InputError as error:  # a damaged events part: the verdict stands without its paths
        return [f"{indent}paths: the events could not be read ({error})"]
    if paths is None:
        return [f"{indent}{NO_EVENTS}"]
    table = path_table(paths)
    lines = []
    for outcome in CLASSES:
        if counts[outcome]:
            lines.append(f"{indent}Paths into {CLASS_TITLES[outcome]} ({counts[outcome]} worlds; share with exact "
                         f"95 % interval, median day of the first direct strike, first step scripted):")
            lines += table_lines(table, outcome, indent + "  ")
    return lines


# -- narratives ------------------------------------------------------------------------------------------

@dataclass
class PathStory:
    """One typical path into an outcome class, told from the event logs.

    Attributes:
        outcome: the class.
        path: the path label (steps joined by :data:`ARROW`).
        worlds: worlds of the class (of those traced) that follow the path.
        traced: worlds of the class whose events were traced.
        share: ``worlds / traced``; ``lower`` and ``upper`` its exact 95 % interval.
        steps: per step, (label, median day, lower quartile day, upper quartile day); days are None for a
            step nothing dates.
        representative: the world whose step days lie closest to the median days (sum of absolute
            differences; the lowest world id among equals).
        representative_days: that world's day of each step.
    """

    outcome: str
    path: str
    worlds: int
    traced: int
    share: float
    lower: float
    upper: float
    steps: list[tuple[str, float | None, float | None, float | None]]
    representative: int
    representative_days: tuple


def path_stories(paths: pd.DataFrame, top: int = 3) -> list[PathStory]:
    """The ``top`` most common paths of each class in ``paths`` (:func:`world_paths`), with their timing.

    Classes come in :data:`ALL_CLASSES` order; within a class, paths by worlds (then label).
    """
    stories = []
    present = [c for c in ALL_CLASSES if c in set(paths["outcome"])]
    for outcome in present:
        part = paths[paths["outcome"] == outcome]
        counts = part.groupby("path").size().reset_index(name="worlds")
        counts = counts.sort_values(["worlds", "path"], ascending=[False, True], kind="stable").head(top)
        for label, k in zip(counts["path"], counts["worlds"]):
            members = part[part["path"] == label]
            days = pd.DataFrame([[np.nan if d is None else d for d in days] for days in members["step_days"]],
                                index=members["world"].to_numpy(), dtype=float)
            median = days.median()
            q25, q75 = days.quantile(0.25), days.quantile(0.75)
            distance = (days - median).abs().fillna(0).sum(axis=1)
            representative = int(distance[distance == distance.min()].index.min())
            lower, upper = proportion_interval(int(k), len(part))
            steps = [(step, *(None if pd.isna(v) else float(v) for v in (median[i], q25[i], q75[i])))
                     for i, step in enumerate(label.split(ARROW))]
            stories.append(PathStory(outcome, label, int(k), len(part), k / len(part), float(lower), float(upper),
                                     steps, representative,
                                     tuple(members.loc[members["world"] == representative, "step_days"].iloc[0])))
    return stories


def _date_text(day: float, start_date) -> str:
    if start_date is None:
        return ""
    import datetime as dt

    return " (" + (start_date + dt.timedelta(days=int(round(day)))).strftime("%-d %b %Y") + ")"


def _step_sentence(label: str, median, q25, q75, start_date, spread: bool) -> str:
    scripted = label.endswith(" (scripted)")
    text = label[: -len(" (scripted)")] if scripted else label
    text = text[0].upper() + text[1:]
    if median is None:
        timing = ""
    elif label in (STEPS["us_no_answer"], STEPS["iran_no_answer"]):  # dated by the window's close, not an act
        timing = f": the exchange window closed around day {median:.0f}{_date_text(median, start_date)}"
    elif spread and q25 is not None and q75 is not None and q75 > q25:
        timing = f", around day {median:.0f}{_date_text(median, start_date)}; days {q25:.0f}-{q75:.0f} in the middle half"
    else:
        timing = f", day {median:.0f}{_date_text(median, start_date)}"
    return f"{text}{' (scripted history)' if scripted else ''}{timing}."


def story_text(story: PathStory, start_date=None) -> str:
    """The path as a short narrative: its share of the class, then each step with its usual timing."""
    head = (f"{story.share:.0%} of the traced {CLASS_NAMES[story.outcome]} worlds follow this path "
            f"({story.worlds} of {story.traced}; 95 % interval {story.lower:.0%}-{story.upper:.0%}).")
    spread = story.worlds > 1
    steps = " ".join(_step_sentence(label, m, lo, hi, start_date, spread) for label, m, lo, hi in story.steps)
    example = ", ".join("-" if d is None else str(d) for d in story.representative_days)
    return f"{head} {steps} A representative world: {story.representative} (its step days: {example})."
