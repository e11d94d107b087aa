"""The escalation model: a Mesa model that simulates a batch of independent worlds, one day per step."""

from __future__ import annotations

import difflib

import mesa
import numpy as np
import pandas as pd

from sim import seeds as keyed
from sim.agents import TARGET_NAMES, WEAPON_NAMES, Iran, IraqiGovernment, Militia, QudsForce, UnitedStates, decay_factor
from sim.errors import InputError
from sim.params import pick
from sim.ladder import ESCALATION_WEIGHTS, Action, Posture, Rung, classify_outcome
from sim.records import EventLog, SeriesBuffer, Vocabulary
from sim.scenario import (
    AttackEvent, CapabilityEvent, DrawdownEvent, ElectionEvent, LeaderKilledEvent, OrderEvent, Scenario,
    ShockEvent, SiegeEvent, StrikeEvent, TalksEvent, TruceEvent, load_scenario, parameter_paths,
)

SIDES = ("militia", "us_militia", "iran", "us_iran")
QUDS_COMMANDER = -1


class EscalationModel(mesa.Model):
    """Militias, the Quds Force, Iran, the United States and the Iraqi government exchanging signals.

    One instance simulates ``n_worlds`` independent worlds as numpy arrays; each world's history depends
    only on the scenario, its parameter values and its seed.

    Args:
        scenario: a Scenario, or the name or path of one.
        n_worlds: number of worlds (ignored when ``world_seeds`` is given).
        seed: master seed; world k's seed is ``derive_seeds(seed, k)``. Also seeds Mesa's ``rng``.
        days: horizon (default: the scenario's).
        world_seeds: explicit uint64 seeds per world (for sweeps and replay).
        world_ids: ids written in the ``world`` column (default 0..N-1).
        overrides: per-world parameter values by dotted path (scalars or arrays of length N).
        collect_events: keep the event table.
        collect_series: keep the daily series.
    """

    def __init__(
        self,
        scenario: Scenario | str = "baseline",
        n_worlds: int = 1,
        seed: int = 0,
        days: int | None = None,
        world_seeds: np.ndarray | None = None,
        world_ids: np.ndarray | None = None,
        overrides: dict | None = None,
        collect_events: bool = True,
        collect_series: bool = True,
    ):
        super().__init__(rng=seed)
        self.scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        if world_seeds is None:
            if n_worlds < 1:
                raise InputError(f"expected at least one world, got {n_worlds}", key="n_worlds")
            world_seeds = keyed.derive_seeds(seed, np.arange(n_worlds))
        self.seeds = np.asarray(world_seeds, dtype=np.uint64).reshape(-1)
        self.n_worlds = self.seeds.size
        self.world_ids = np.arange(self.n_worlds, dtype=np.int64) if world_ids is None else np.asarray(world_ids, dtype=np.int64)
        self.horizon = int(days if days is not None else self.scenario.days)
        if self.horizon < 1:
            raise InputError(f"expected a horizon of at least one day, got {self.horizon}", key="days")
        self.values = self._resolve_parameters(overrides or {})
        self.us = self.section("united_states")
        self.dyn = self.section("militia_dynamics")
        self.ctx = self.section("context")
        self.day = 0
        self.active = np.ones(self.n_worlds, dtype=bool)
        self.vocabulary = Vocabulary()
        self.events = EventLog(self.vocabulary, collect_events)
        self.series = SeriesBuffer(self.horizon, self.n_worlds, collect_series)
        self._init_state()

        self.militias = [Militia(self, key, index) for index, key in enumerate(self.scenario.faction_keys)]
        self.quds_force = QudsForce(self)
        self.iran = Iran(self)
        self.united_states = UnitedStates(self)
        self.iraqi_government = IraqiGovernment(self)
        self.faction_codes = np.array([self.name_code(key) for key in self.scenario.faction_keys])
        self.target_codes = np.array([self.name_code(name) for name in TARGET_NAMES])
        self.weapon_codes = np.array([self.name_code(name) for name in WEAPON_NAMES])
        self.location_codes = np.array([self.name_code("iraq"), self.name_code("syria")])
        self.front_codes = np.array([self.name_code(militia.front_name) for militia in self.militias])
        self._trait_tables: dict[str, np.ndarray] = {}
        self._timeline = self._index_timeline()

    # -- set-up ------------------------------------------------------------------------------------------

    def _resolve_parameters(self, overrides: dict) -> dict[str, float | np.ndarray]:
        """Every numeric parameter: a float shared by all worlds, or an array (N,) where overridden per world."""
        infos = parameter_paths(self.scenario)
        values: dict[str, float | np.ndarray] = {path: float(info.default) for path, info in infos.items()}
        for path, value in overrides.items():
            info = infos.get(path)
            if info is None:
                close = difflib.get_close_matches(path, list(infos), n=1, cutoff=0.5)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise InputError(f"unknown parameter path{hint}", key=path)
            array = np.asarray(value, dtype=float)
            if array.ndim != 0 and array.shape != (self.n_worlds,):
                raise InputError(f"expected a scalar or {self.n_worlds} values, got shape {array.shape}", key=path)
            if (info.lo is not None and (array < info.lo).any()) or (info.hi is not None and (array > info.hi).any()):
                raise InputError(f"expected values in [{info.lo}, {info.hi}]", key=path)
            values[path] = float(array) if array.ndim == 0 else array.copy()
        return values

    def section(self, prefix: str) -> dict[str, np.ndarray]:
        """Parameter arrays under a dotted prefix, keyed by the rest of their path."""
        start = len(prefix) + 1
        return {path[start:]: array for path, array in self.values.items() if path.startswith(prefix + ".")}

    def _init_state(self) -> None:
        n = self.n_worlds
        self.attack_memory = np.zeros(n)
        self.attack_memory_decay = decay_factor(self.values["militia_dynamics.outbidding_half_life"])
        self.attack_memory_to_monthly = (1.0 - self.attack_memory_decay) * 30.4
        hostility_decay = decay_factor(self.values["hostility.half_life"])
        self.hostility_decay = hostility_decay
        self.hostility_militias_us = np.zeros(n)
        self.hostility_us_militias = np.zeros(n)
        self.hostility_iran_us = np.zeros(n)
        self.hostility_us_iran = np.zeros(n)
        self.exchange_side = np.full(n, -1)
        self.exchange_day = np.full(n, -10_000, dtype=np.int64)
        self.exchange_rounds = np.zeros(n, dtype=np.int64)
        self.at_war = np.zeros(n, dtype=bool)
        self.last_day_at_rung = np.full((n, len(Rung)), -10_000, dtype=np.int64)
        self.max_rung = np.zeros(n, dtype=np.int8)
        self.first_day_at_rung = np.full((n, len(Rung)), -1, dtype=np.int64)
        self.first_day_us_strike = np.full(n, -1, dtype=np.int64)
        self.first_day_us_killed = np.full(n, -1, dtype=np.int64)
        self.outcome_counts = {
            name: np.zeros(n, dtype=np.int64)
            for name in (
                "attacks", "attacks_rung_1", "attacks_rung_2", "attacks_rung_3", "us_killed", "us_wounded",
                "militia_killed", "us_strikes", "us_leader_killings", "us_strikes_on_iran", "iran_direct_strikes",
            )
        }
        self.attacks_by_faction = np.zeros((n, len(self.scenario.militias)), dtype=np.int64)
        self._reset_day()

    def _reset_day(self) -> None:
        n = self.n_worlds
        self.today_level = np.zeros(n, dtype=np.int8)
        self.today_score = np.zeros(n)
        self.today_side_score = np.zeros((len(SIDES), n))
        self.today_attacks = np.zeros(n, dtype=np.int64)
        self.today_us_killed = np.zeros(n, dtype=np.int64)
        self.today_us_wounded = np.zeros(n, dtype=np.int64)
        self.today_militia_killed = np.zeros(n, dtype=np.int64)

    def _index_timeline(self) -> dict[int, list]:
        timeline: dict[int, list] = {}
        for event in self.scenario.timeline:
            day = self.scenario.event_day(event)
            if isinstance(event, ElectionEvent):
                self.iraqi_government.election_days.update(range(day - event.window_days, day + event.window_days + 1))
            timeline.setdefault(day, []).append(event)
        return timeline

    def register_actor(self, key: str) -> int:
        """The random-draw code of an actor (stable: derived from its key)."""
        return keyed.site_code(key)

    def name_code(self, name: str) -> int:
        """Code of a string in the event table's vocabulary."""
        return self.vocabulary.code(name)

    # -- random draws ------------------------------------------------------------------------------------

    def uniform(self, actor: int, site: str, worlds: np.ndarray | None = None) -> np.ndarray:
        """Uniforms keyed by (world seed, day, actor, site) for all worlds or the given indices."""
        seeds = self.seeds if worlds is None else self.seeds[worlds]
        return keyed.uniform(seeds, self.day, actor, keyed.site_code(site))

    def poisson(self, actor: int, site: str, mean, worlds: np.ndarray | None = None) -> np.ndarray:
        """Poisson counts keyed like :meth:`uniform`."""
        seeds = self.seeds if worlds is None else self.seeds[worlds]
        return keyed.poisson(seeds, self.day, actor, keyed.site_code(site), np.maximum(mean, 0.0))

    def row_uniform(self, worlds: np.ndarray, faction: np.ndarray, site: str) -> np.ndarray:
        """Uniforms for rows of (world, faction), each keyed by (world seed, day, that faction, site)."""
        site_key = keyed.site_code(site)
        keys = np.array([keyed.draw_key(self.day, militia.code, site_key) for militia in self.militias], dtype=np.uint64)
        return keyed.uniform_keyed(self.seeds[worlds], keys[faction])

    def row_poisson(self, worlds: np.ndarray, faction: np.ndarray, site: str, mean) -> np.ndarray:
        """Poisson counts for rows of (world, faction), keyed like :meth:`row_uniform`."""
        return keyed.poisson_from_uniform(self.row_uniform(worlds, faction, site), np.maximum(mean, 0.0))

    def faction_rows(self, worlds: np.ndarray, faction: np.ndarray, attribute: str) -> np.ndarray:
        """A militia state array (e.g. ``grievance``) read for rows of (world, faction)."""
        values = np.empty(worlds.size)
        for index in np.unique(faction):
            rows = faction == index
            values[rows] = getattr(self.militias[index], attribute)[worlds[rows]]
        return values

    def trait_rows(self, worlds: np.ndarray, faction: np.ndarray, trait: str) -> np.ndarray:
        """A faction trait (e.g. ``lethal_intent``) for rows of (world, faction)."""
        table = self._trait_tables.get(trait)
        if table is None:
            values = [self.values[f"militias.{key}.{trait}"] for key in self.scenario.faction_keys]
            table = (np.asarray(values, dtype=float) if all(np.ndim(v) == 0 for v in values)
                     else np.stack(np.broadcast_arrays(*values), axis=1))
            self._trait_tables[trait] = table
        return table[faction] if table.ndim == 1 else table[worlds, faction]

    # -- the day -----------------------------------------------------------------------------------------

    def step(self) -> None:
        """Advance every world by one day."""
        self.day = self.steps - 1
        if self.day >= self.horizon:
            self.running = False
            return
        self._reset_day()
        self.iran.step()
        self.iraqi_government.step()
        self._apply_timeline()
        self.quds_force.step()
        self.expected_retaliation_today = self.united_states.expected_retaliation()
        self.presence_today = self.united_states.presence()
        plans = [militia.decide() for militia in self.militias]
        attacking = [plan[0] for plan in plans]
        if any(worlds.size for worlds in attacking):
            faction = np.concatenate([np.full(worlds.size, index) for index, worlds in enumerate(attacking)])
            Militia.resolve_attacks(self, np.concatenate(attacking), faction)
        threatening = [plan[1] for plan in plans]
        if any(worlds.size for worlds in threatening):
            actors = np.concatenate([np.full(w.size, self.faction_codes[i]) for i, w in enumerate(threatening)])
            self.record(np.concatenate(threatening), actors, Action.THREAT, "united_states", Rung.RHETORIC, side="militia")
        for militia, (_, _, harassing) in zip(self.militias, plans):
            if harassing.size:
                militia.harass(harassing)
        self.united_states.step()
        self.iran.react()
        self._update_hostility()
        self._write_series()
        if self.day + 1 >= self.horizon:
            self.running = False

    def run(self) -> "EscalationModel":
        """Simulate to the horizon."""
        while self.running:
            self.step()
        return self

    def _apply_timeline(self) -> None:
        """Apply the scenario's dated events for today (scenario data, not code)."""
        worlds = np.flatnonzero(self.active)
        for event in self._timeline.get(self.day, []):
            if isinstance(event, TalksEvent):
                self.iran.talks[:] = event.status == "start"
            elif isinstance(event, ShockEvent):
                for militia in self.militias:
                    if event.factions is None or militia.key in event.factions:
                        militia.grievance += event.magnitude
            elif isinstance(event, OrderEvent):
                posture = Posture[event.posture.upper()]
                self.iran.order(int(posture), self.day + event.days - 1)
                self.iran.choose_posture()
                if posture == Posture.RESTRAINT and worlds.size:
                    self.record(worlds, self.iran, Action.CALM_ORDER, "militias", Rung.RHETORIC, side="none")
            elif isinstance(event, LeaderKilledEvent) and worlds.size:
                target = QUDS_COMMANDER if event.target == "quds_force" else self.scenario.faction_keys.index(event.target)
                self.kill_leader(worlds, np.full(worlds.size, target))
                self.united_states.answered(worlds)
            elif isinstance(event, AttackEvent) and worlds.size:
                faction = np.full(worlds.size, self.scenario.faction_keys.index(event.faction))
                Militia.resolve_attacks(self, worlds, faction, forced=event.model_dump())
            elif isinstance(event, StrikeEvent) and worlds.size:
                faction = self.scenario.faction_keys.index(event.faction)
                self.strike_militia(worlds, np.full(worlds.size, faction), np.full(worlds.size, event.sites),
                                    np.full(worlds.size, event.killed), np.full(worlds.size, event.location == "syria"))
                self.united_states.answered(worlds)
            elif isinstance(event, SiegeEvent) and worlds.size:
                self._militia(event.faction).harass(worlds)
            elif isinstance(event, DrawdownEvent):
                self.united_states.force_target[:] = event.troops
                if worlds.size:
                    self.record(worlds, self.united_states, Action.DRAWDOWN, "iraq", Rung.RHETORIC, side="none")
            elif isinstance(event, CapabilityEvent):
                militia = self._militia(event.faction)
                level = float(["rockets", "drones", "missiles"].index(event.level))
                militia.capability = np.maximum(militia.capability, level)
                militia.capability_progress = np.maximum(militia.capability_progress, level)
            elif isinstance(event, TruceEvent):
                for militia in self.militias:
                    if event.factions is None or militia.key in event.factions:
                        militia.truce_until = self.day + event.days - 1

    def _militia(self, key: str) -> Militia:
        return self.militias[self.scenario.faction_keys.index(key)]

    # -- shared actions ----------------------------------------------------------------------------------

    def strike_militia(self, worlds, faction, sites, killed, in_syria) -> None:
        """The US strikes a faction's sites (rung 4) in Iraq or Syria."""
        for index in np.unique(faction):
            chosen = faction == index
            group = worlds[chosen]
            self.record(group, self.united_states, Action.STRIKE_MILITIA, self.scenario.faction_keys[index],
                        Rung.STRIKE_ON_MILITIA_SITES, weapon="airstrike", killed=killed[chosen],
                        wounded=0, intended=Rung.STRIKE_ON_MILITIA_SITES, perceived=Rung.STRIKE_ON_MILITIA_SITES,
                        side="us_militia", location=self.location_codes[in_syria[chosen].astype(int)])
            self.militias[index].suffer_strike(group, killed[chosen])
            in_iraq = group[~in_syria[chosen]]
            if in_iraq.size:
                self.iraqi_government.backlash(in_iraq, pick(self.iraqi_government.p["sovereignty_per_strike"], in_iraq))
        self.outcome_counts["us_strikes"][worlds] += 1
        self.outcome_counts["militia_killed"][worlds] += killed
        self.today_militia_killed[worlds] += killed
        self._first_us_strike(worlds)

    def kill_leader(self, worlds: np.ndarray, target: np.ndarray) -> None:
        """The US kills a militia leader or the Quds Force commander (rung 5), inside Iraq."""
        for index in np.unique(target):
            group = worlds[target == index]
            killed = 1 + self.united_states.poisson("leader_escort", 2.0, group)
            name = "quds_force" if index == QUDS_COMMANDER else self.scenario.faction_keys[index]
            self.record(group, self.united_states, Action.LEADER_KILLING, name, Rung.LEADER_KILLING, weapon="airstrike",
                        killed=killed, intended=Rung.LEADER_KILLING, perceived=Rung.LEADER_KILLING,
                        side="us_iran" if index == QUDS_COMMANDER else "us_militia", location="iraq")
            if index == QUDS_COMMANDER:
                self.quds_force.lose_commander(group)
                self.iran.humiliate(group, pick(self.iran.p["humiliation_per_commander_killed"], group))
                for militia in self.militias:
                    militia.grievance[group] += pick(self.dyn["patron_revenge"], group)
            else:
                self.militias[index].suffer_strike(group, killed, leader=True)
            self.iraqi_government.backlash(group, pick(self.iraqi_government.p["sovereignty_per_leader_killing"], group))
            self.outcome_counts["militia_killed"][group] += killed
            self.today_militia_killed[group] += killed
        self.outcome_counts["us_leader_killings"][worlds] += 1
        self._first_us_strike(worlds)

    def _first_us_strike(self, worlds: np.ndarray) -> None:
        first = self.first_day_us_strike[worlds]
        self.first_day_us_strike[worlds] = np.where(first < 0, self.day, first)

    def exchange_strike(self, worlds: np.ndarray, side: int) -> None:
        """Track direct state-on-state strikes (side 0: US, 1: Iran); alternating answers lead to open war."""
        answer = (self.exchange_side[worlds] == 1 - side) & (
            self.day - self.exchange_day[worlds] <= pick(self.iran.p["exchange_window"], worlds)
        )
        self.exchange_rounds[worlds] = np.where(answer, self.exchange_rounds[worlds] + 1, 1)
        self.exchange_side[worlds] = side
        self.exchange_day[worlds] = self.day
        war = worlds[self.exchange_rounds[worlds] >= pick(self.iran.p["war_after_rounds"], worlds)]
        if war.size:
            actor = self.united_states if side == 0 else self.iran
            self.record(war, actor, Action.OPEN_WAR, "iran" if side == 0 else "united_states", Rung.OPEN_WAR,
                        intended=Rung.OPEN_WAR, perceived=Rung.OPEN_WAR, side="none")
            self.at_war[war] = True
            self.active[war] = False

    def count_attacks(self, worlds, faction, rung, killed, wounded) -> None:
        """Tally militia attacks (a world may appear once per faction) and their US casualties."""
        np.add.at(self.outcome_counts["attacks"], worlds, 1)
        for r in (1, 2, 3):
            np.add.at(self.outcome_counts[f"attacks_rung_{r}"], worlds, rung == r)
        self.attacks_by_faction[worlds, faction] += 1
        np.add.at(self.today_attacks, worlds, 1)
        self.count_casualties(worlds, killed, wounded)

    def count_casualties(self, worlds, killed, wounded) -> None:
        """Tally US casualties and the first day Americans died (worlds may repeat)."""
        np.add.at(self.outcome_counts["us_killed"], worlds, killed)
        np.add.at(self.outcome_counts["us_wounded"], worlds, wounded)
        np.add.at(self.today_us_killed, worlds, killed)
        np.add.at(self.today_us_wounded, worlds, wounded)
        dead = worlds[np.asarray(killed) > 0]
        self.first_day_us_killed[dead] = np.where(self.first_day_us_killed[dead] < 0, self.day, self.first_day_us_killed[dead])

    def record(self, worlds, actor, action: Action, target, rung, *, weapon="", killed=0, wounded=0, claimed_by="",
               intended=None, perceived=None, attributed_to="", side: str, location="") -> None:
        """Record one action in the given worlds (which may repeat): event rows, the day's level, tallies.

        ``actor`` is an agent, or an array of vocabulary codes (one per row).
        """
        rung_array = np.broadcast_to(np.asarray(rung, dtype=np.int8), worlds.shape)
        self.events.append(
            self.world_ids[worlds], self.day, actor=getattr(actor, "key", actor), action=action.value, target=target, rung=rung_array,
            weapon=weapon, killed=killed, wounded=wounded, claimed_by=claimed_by,
            intended=rung_array if intended is None else intended,
            perceived=rung_array if perceived is None else perceived,
            attributed_to=attributed_to, location=location,
        )
        np.maximum.at(self.today_level, worlds, rung_array)
        score = ESCALATION_WEIGHTS[rung_array]
        np.add.at(self.today_score, worlds, score)
        if side in SIDES:
            np.add.at(self.today_side_score[SIDES.index(side)], worlds, score)
        np.maximum.at(self.max_rung, worlds, rung_array)
        for r in ((int(rung),) if np.ndim(rung) == 0 else np.unique(rung_array)):
            group = worlds if np.ndim(rung) == 0 else worlds[rung_array == r]
            first = self.first_day_at_rung[group, r]
            self.first_day_at_rung[group, r] = np.where(first < 0, self.day, first)
            self.last_day_at_rung[group, r] = self.day

    # -- dynamics and series -----------------------------------------------------------------------------

    def _update_hostility(self) -> None:
        """Richardson (1960): each side's hostility decays and rises with the other side's actions.

        The US holds Iran partly responsible for its proxies' attacks (leash-weighted).
        """
        reaction = self.values["hostility.reaction"]
        d = self.hostility_decay
        militia, us_militia, iran, us_iran = self.today_side_score
        self.hostility_militias_us = self.hostility_militias_us * d + reaction * us_militia
        self.hostility_us_militias = self.hostility_us_militias * d + reaction * militia
        self.hostility_iran_us = self.hostility_iran_us * d + reaction * us_iran
        self.hostility_us_iran = self.hostility_us_iran * d + reaction * (iran + self.quds_force.leash * 0.3 * militia)

    def _write_series(self) -> None:
        if not self.series.enabled:
            return
        level = np.where(self.at_war, int(Rung.OPEN_WAR), self.today_level)
        recent = (self.day - self.last_day_at_rung) < 30
        level_30d = np.where(self.at_war, int(Rung.OPEN_WAR), (recent * np.arange(len(Rung))).max(axis=1))
        self.series.write(self.day, {
            "level": level,
            "level_30d": level_30d,
            "escalation_score": self.today_score,
            "attacks": self.today_attacks,
            "us_killed": self.today_us_killed,
            "us_wounded": self.today_us_wounded,
            "militia_killed": self.today_militia_killed,
            "hostility_militias_us": self.hostility_militias_us,
            "hostility_us_militias": self.hostility_us_militias,
            "hostility_iran_us": self.hostility_iran_us,
            "hostility_us_iran": self.hostility_us_iran,
            "leash_strength": self.quds_force.leash,
            "us_pressure": self.united_states.pressure,
            "sovereignty_pressure": self.iraqi_government.sovereignty,
            "iran_posture": self.iran.posture,
            "us_force_level": self.united_states.force_level,
        })

    # -- tables ------------------------------------------------------------------------------------------

    def events_frame(self) -> pd.DataFrame:
        """Every action so far, one row each."""
        return self.events.frame()

    def series_frame(self) -> pd.DataFrame:
        """The daily series so far, one row per world and day."""
        return self.series.frame(self.world_ids)

    def outcomes_frame(self) -> pd.DataFrame:
        """One row per world summarising its history so far, with its outcome class."""
        counts = self.outcome_counts
        data: dict[str, object] = {
            "world": self.world_ids.copy(),
            "seed": self.seeds.copy(),
            "scenario": np.full(self.n_worlds, self.scenario.name, dtype=object),
            "days": np.full(self.n_worlds, min(self.day + 1, self.horizon), dtype=np.int32),
            "max_rung": self.max_rung.astype(np.int8),
        }
        for r in range(3, 8):
            data[f"first_day_rung_{r}"] = _nullable(self.first_day_at_rung[:, r])
        data["attacks"] = counts["attacks"]
        for r in (1, 2, 3):
            data[f"attacks_rung_{r}"] = counts[f"attacks_rung_{r}"]
        for index, key in enumerate(self.scenario.faction_keys):
            data[f"attacks_{key}"] = self.attacks_by_faction[:, index]
        for name in ("us_killed", "us_wounded", "militia_killed", "us_strikes", "us_leader_killings",
                     "us_strikes_on_iran", "iran_direct_strikes"):
            data[name] = counts[name]
        data["us_withdrawal"] = self.united_states.withdrawing.copy()
        data["first_day_us_strike"] = _nullable(self.first_day_us_strike)
        data["first_day_us_killed"] = _nullable(self.first_day_us_killed)
        data["outcome"] = classify_outcome(
            self.max_rung, counts["us_strikes_on_iran"] > 0, counts["iran_direct_strikes"] > 0
        )
        return pd.DataFrame(data)


def _nullable(days: np.ndarray) -> pd.array:
    """Day numbers with -1 (never) as missing values."""
    return pd.array(np.where(days < 0, None, days).tolist(), dtype="Int32")
