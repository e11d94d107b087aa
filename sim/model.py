"""The escalation model: a Mesa model [Kazil2020] that simulates a batch of independent worlds, one day per step.

The model holds what the actors share: the day loop, the keyed random draws, the shared actions (US
strikes and leader killings, the direct exchange between states), the event records and tallies, the
hostility per dyad [Richardson1960] and the daily series. The actors' rules are in :mod:`sim.actors`, one
attack's resolution in :mod:`sim.attacks`, and the scripted timeline in :mod:`sim.timeline`. It is one
module of a little over 400 lines because all of it is the state every actor reads and writes in the same
batch of worlds; split further, each part would reach into the others' arrays.
"""

from __future__ import annotations

from collections.abc import Callable

import mesa
import numpy as np
import pandas as pd

from sim import seeds as keyed
from sim.actors import Iran, IraqiGovernment, Militia, QudsForce, UnitedStates
from sim.actors.militia import SIEGE_SEVERITY, Factions, stack_per_faction
from sim.actors.base import decay_factor, monthly_rate_factor
from sim.actors.quds_force import QUDS_COMMANDER
from sim.attacks import TARGET_NAMES, WEAPON_NAMES, flat_view, resolve_attacks
from sim.errors import InputError
from sim.ladder import ESCALATION_WEIGHTS, Action, Rung, classify_outcome
from sim.outside_war import OutsideWar
from sim.params import parameter_view, pick, resolve_values
from sim.records import EventLog, SeriesBuffer, Vocabulary
from sim.scenario import Scenario, load_scenario, parameter_paths
from sim.timeline import Timeline

SIDES = ("militia", "us_militia", "iran", "us_iran")
NEVER = -10_000  # a day long before day 0: "never happened" in day-of-last-event arrays
LEVEL_WINDOW_DAYS = 30  # window of the series' `level_30d` (its name fixes it)
OUTCOME_COUNTS = (
    "attacks", "attacks_rung_1", "attacks_rung_2", "attacks_rung_3", "us_killed", "us_wounded",
    "militia_killed", "us_strikes", "us_leader_killings", "us_strikes_on_iran", "iran_direct_strikes",
)


# glibc's malloc hands arrays above its mmap threshold fresh pages from the kernel and gives freed heap back
# above its trim threshold: a day's temporaries (factions x worlds, a few MiB) would then fault their pages in
# anew every day, a third of a run's time in the kernel. Fixed thresholds keep them in the heap; larger blocks
# (tables) still come from mmap and go back when freed.
MALLOC_MMAP_THRESHOLD = 16 * 2**20
MALLOC_TRIM_THRESHOLD = 64 * 2**20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)
_allocator_tuned = False


def tune_allocator() -> bool:
    """Set glibc malloc's mmap and trim thresholds for the model's arrays, once per process (False if not glibc)."""
    global _allocator_tuned
    if _allocator_tuned:
        return True
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    _allocator_tuned = bool(mallopt(_M_MMAP_THRESHOLD, MALLOC_MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, MALLOC_TRIM_THRESHOLD))
    return _allocator_tuned


class EscalationModel(mesa.Model):
    """Militias, the Quds Force, Iran, the United States and the Iraqi government exchanging signals.

    One instance simulates ``n_worlds`` independent worlds as numpy arrays; each world's history depends
    only on the scenario, its parameter values and its seed. A finished model should be closed (or used
    as a context manager) so that Mesa's class-level agent registry lets it go.

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

    Attributes:
        values: every numeric parameter by dotted path (a float, or an array (N,) where overridden).
        params: the same values as a typed view of the scenario (``params.united_states.strike_threshold``).
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
        tune_allocator()
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
        self.values = resolve_values(parameter_paths(self.scenario), overrides or {}, self.n_worlds)
        self.params = parameter_view(self.scenario, self.values)
        self.day = 0
        self.active = np.ones(self.n_worlds, dtype=bool)
        self.vocabulary = Vocabulary()
        self.events = EventLog(self.vocabulary, collect_events)
        self.series = SeriesBuffer(self.horizon, self.n_worlds, collect_series)
        self._init_state()

        self.factions = Factions(self, len(self.scenario.faction_keys))
        self.militias = [Militia(self, key, index) for index, key in enumerate(self.scenario.faction_keys)]
        self.factions.bind(self.militias)
        self._faction_keys_day, self._faction_day_keys = None, None  # :meth:`faction_draw_keys`
        self._fixed: dict[tuple, object] = {}  # :meth:`fixed`
        self.quds_force = QudsForce(self)
        self.iran = Iran(self)
        self.united_states = UnitedStates(self)
        self.iraqi_government = IraqiGovernment(self)
        self.faction_codes = np.array([self.name_code(key) for key in self.scenario.faction_keys])
        self.target_codes = np.array([self.name_code(name) for name in TARGET_NAMES])
        self.weapon_codes = np.array([self.name_code(name) for name in WEAPON_NAMES])
        self.location_codes = np.array([self.name_code("iraq"), self.name_code("syria")])
        self.front_codes = np.array([self.name_code(militia.front_name) for militia in self.militias])
        self.timeline = Timeline(self)
        self._observe_united_states()

    # -- set-up and release ------------------------------------------------------------------------------

    def _init_state(self) -> None:
        n = self.n_worlds
        self.attack_memory = np.zeros(n)
        self.attack_memory_decay = decay_factor(self.params.militia_dynamics.outbidding_half_life)
        self.attack_memory_to_monthly = monthly_rate_factor(self.attack_memory_decay)
        self.hostility_decay = decay_factor(self.params.hostility.half_life)
        self.hostility_militias_us = np.zeros(n)
        self.hostility_us_militias = np.zeros(n)
        self.hostility_iran_us = np.zeros(n)
        self.hostility_us_iran = np.zeros(n)
        self.exchange_side = np.full(n, -1)
        self.exchange_day = np.full(n, NEVER, dtype=np.int64)
        self.exchange_rounds = np.zeros(n, dtype=np.int64)
        self.exchanges_ended = np.zeros(n, dtype=np.int64)
        self.ceasefire_until = np.full(n, -1, dtype=np.int64)
        self.at_war = np.zeros(n, dtype=bool)
        self.last_day_at_rung = np.full((n, len(Rung)), NEVER, dtype=np.int64)
        self.max_rung = np.zeros(n, dtype=np.int8)
        self.max_rung_model = np.zeros(n, dtype=np.int8)  # highest rung of the model's own decisions
        self.exchange_rounds_max = np.zeros(n, dtype=np.int64)
        self.exchange_rounds_model = np.zeros(n, dtype=np.int64)  # rounds of the running exchange the model made
        self.exchange_rounds_max_model = np.zeros(n, dtype=np.int64)
        self.scripting = False  # True while the scenario's timeline acts: those records are scripted history
        self.first_day_at_rung = np.full((n, len(Rung)), -1, dtype=np.int64)
        self.first_day_us_strike = np.full(n, -1, dtype=np.int64)
        self.first_day_us_killed = np.full(n, -1, dtype=np.int64)
        self.last_day_us_killed = np.full(n, NEVER, dtype=np.int64)
        self.outcome_counts = {name: np.zeros(n, dtype=np.int64) for name in OUTCOME_COUNTS}
        self.attacks_by_faction = np.zeros((n, len(self.scenario.militias)), dtype=np.int64)
        self.outside_war = OutsideWar(self)  # switched on by `outside_war` timeline events (issue 11)
        self.mission_ended = 0.0  # summed weight of the `mission_end` events so far
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

    def _observe_united_states(self) -> None:
        """What the militias see of the US before they decide: its expected retaliation and presence."""
        self.expected_retaliation_today = self.united_states.expected_retaliation()
        self.presence_today = self.united_states.presence()
        self.target_presence_today = self.united_states.target_presence()

    def register_actor(self, key: str) -> int:
        """The random-draw code of an actor (stable: derived from its key)."""
        return keyed.site_code(key)

    def name_code(self, name: str) -> int:
        """Code of a string in the event table's vocabulary."""
        return self.vocabulary.code(name)

    def faction_draw_keys(self, site: str | tuple[str, ...]) -> np.ndarray:
        """Every faction's draw key today at a site (:func:`sim.seeds.draw_keys`), or at several (sites x factions).

        The part of the keys that depends on the day alone is taken once a day.
        """
        if self._faction_keys_day != self.day:
            self._faction_day_keys = keyed.day_keys(self.day, self.factions.codes)
            self._faction_keys_day = self.day
        if isinstance(site, str):
            return keyed.site_keys(self._faction_day_keys, keyed.site_code(site))
        codes = np.array([keyed.site_code(name) for name in site], dtype=np.uint64)[:, None]
        return keyed.site_keys(self._faction_day_keys, codes)

    def faction_trait(self, name: str) -> np.ndarray:
        """A faction parameter stacked per faction (:func:`~sim.actors.militia.stack_per_faction`)."""
        return self.fixed(("faction_trait", name),
                          lambda: stack_per_faction([getattr(m.params, name) for m in self.militias]))

    def fixed(self, key: tuple, build: Callable[[], object]) -> object:
        """A value derived from the parameters alone (fixed for the run), built on first use."""
        try:
            return self._fixed[key]
        except KeyError:
            value = self._fixed[key] = build()
            return value

    def militia(self, key: str) -> Militia:
        """The faction with the given key."""
        return self.militias[self.scenario.faction_keys.index(key)]

    def close(self) -> None:
        """Release the model: remove its agents and its entry in Mesa's class-level id registry.

        Mesa 3.3 counts agent ids in ``mesa.Agent._ids``, a class attribute keyed by model, so every model
        that ever created an agent stays alive until it is removed from there. The tables and the actors'
        state stay readable after closing.
        """
        self.remove_all_agents()
        mesa.Agent._ids.pop(self, None)

    def __enter__(self) -> "EscalationModel":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- random draws ------------------------------------------------------------------------------------

    def uniform(self, actor: int, site: str, worlds: np.ndarray | None = None) -> np.ndarray:
        """Uniforms keyed by (world seed, day, actor, site) for all worlds or the given indices."""
        seeds = self.seeds if worlds is None else self.seeds[worlds]
        return keyed.uniform(seeds, self.day, actor, keyed.site_code(site))

    def uniforms(self, actor: int, sites: tuple[str, ...], worlds: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """:meth:`uniform` at several sites by site, drawn in one pass (the same numbers, for fewer calls)."""
        seeds = self.seeds if worlds is None else self.seeds[worlds]
        keys = np.array([keyed.draw_key(self.day, actor, keyed.site_code(site)) for site in sites], dtype=np.uint64)
        return dict(zip(sites, keyed.uniform_keyed(seeds, keys[:, None])))

    def poisson(self, actor: int, site: str, mean, worlds: np.ndarray | None = None) -> np.ndarray:
        """Poisson counts keyed like :meth:`uniform`."""
        seeds = self.seeds if worlds is None else self.seeds[worlds]
        return keyed.poisson(seeds, self.day, actor, keyed.site_code(site), np.maximum(mean, 0.0))

    # -- the day -----------------------------------------------------------------------------------------

    def step(self) -> None:
        """Advance every world by one day."""
        self.day = self.steps - 1
        if self.day >= self.horizon:
            self.running = False
            return
        self._reset_day()
        self.end_exchanges()
        self.iran.step()
        self.iraqi_government.step()
        self.timeline.apply(self.day)
        self.outside_war.step()
        self.quds_force.step()
        self._observe_united_states()
        self.attack_memory *= self.attack_memory_decay  # rivals' attacks fade like each faction's own
        # every faction decides at once; rows of (faction, world) come faction by faction, as if each had
        # taken its turn in the scenario's order
        attacking, threatening, harassing = self.factions.decide_rows()
        faction, worlds = attacking
        if worlds.size:
            resolve_attacks(self, worlds, faction)
        faction, worlds = threatening
        if worlds.size:
            self.record(worlds, self.faction_codes[faction], Action.THREAT, "united_states", Rung.RHETORIC, side="militia")
        faction, worlds = harassing
        if worlds.size:
            self.harass(worlds, faction)
        self.united_states.step()
        self.iran.react()
        self._update_hostility()
        self._write_series()
        if self.day + 1 >= self.horizon:
            self.running = False

    def harass(self, worlds: np.ndarray, faction: np.ndarray) -> None:
        """The factions' harassment of the day, rows of (world, faction) in faction order: :meth:`Militia.harass`."""
        self.record(worlds, self.faction_codes[faction], Action.SIEGE, "embassy", Rung.HARASSMENT, side="militia")
        us = self.united_states
        us.perceive_rows(worlds, pick(us.params.pressure_per_siege, worlds), faction, SIEGE_SEVERITY)

    def run(self) -> "EscalationModel":
        """Simulate to the horizon."""
        while self.running:
            self.step()
        return self

    # -- shared actions ----------------------------------------------------------------------------------

    def strike_militia(self, worlds, faction, sites, killed, in_syria) -> None:
        """The US strikes a faction's sites (rung 4) in Iraq or Syria, in distinct worlds.

        All factions struck today are handled in one pass: each world is struck once, so its records and
        state changes are the ones a pass per faction would make, and the event table orders a world's
        records by the order they happened in that world.
        """
        self.record(worlds, self.united_states, Action.STRIKE_MILITIA, self.faction_codes[faction],
                    Rung.STRIKE_ON_MILITIA_SITES, weapon="airstrike", killed=killed,
                    wounded=0, intended=Rung.STRIKE_ON_MILITIA_SITES, perceived=Rung.STRIKE_ON_MILITIA_SITES,
                    side="us_militia", location=self.location_codes[in_syria.astype(int)])
        self.factions.suffer_strikes(worlds, faction, killed, sites=np.broadcast_to(sites, worlds.shape))
        in_iraq = worlds[~in_syria]
        if in_iraq.size:
            self.iraqi_government.backlash(in_iraq, pick(self.params.iraqi_government.sovereignty_per_strike, in_iraq))
        self.outcome_counts["us_strikes"][worlds] += 1
        self.outcome_counts["militia_killed"][worlds] += killed
        self.today_militia_killed[worlds] += killed
        self._first_us_strike(worlds)

    def kill_leader(self, worlds: np.ndarray, target: np.ndarray) -> None:
        """The US kills a militia leader or the Quds Force commander (rung 5), inside Iraq.

        Killing the Quds Force commander humiliates Iran, loosens the leash and angers every faction (Jan 3,
        2020 [PressReports]); killing a faction's leader is a strike on that faction with revenge added.
        """
        p = self.params
        killed = 1 + self.united_states.poisson("leader_escort", pick(p.united_states.leader_escort_killed_mean, worlds),
                                                worlds)
        on_quds = target == QUDS_COMMANDER
        # the commander's worlds first, then every faction's in one pass (each world loses one leader)
        for chosen, quds in ((on_quds, True), (~on_quds, False)):
            if not chosen.any():
                continue
            group, group_killed = worlds[chosen], killed[chosen]
            self.record(group, self.united_states, Action.LEADER_KILLING,
                        "quds_force" if quds else self.faction_codes[target[chosen]], Rung.LEADER_KILLING,
                        weapon="airstrike", killed=group_killed, intended=Rung.LEADER_KILLING,
                        perceived=Rung.LEADER_KILLING, side="us_iran" if quds else "us_militia", location="iraq")
            if quds:
                self.quds_force.lose_commander(group)
                self.iran.humiliate(group, pick(p.iran.humiliation_per_commander_killed, group))
                self.factions.grievance[:, group] += pick(p.militia_dynamics.patron_revenge, group)
            else:
                self.factions.suffer_strikes(group, target[chosen], group_killed, leader=True)
            self.iraqi_government.backlash(group, pick(p.iraqi_government.sovereignty_per_leader_killing, group))
        self.outcome_counts["militia_killed"][worlds] += killed
        self.today_militia_killed[worlds] += killed
        self.outcome_counts["us_leader_killings"][worlds] += 1
        self._first_us_strike(worlds)

    def _first_us_strike(self, worlds: np.ndarray) -> None:
        first = self.first_day_us_strike[worlds]
        self.first_day_us_strike[worlds] = np.where(first < 0, self.day, first)

    def exchange_strike(self, worlds: np.ndarray, side: int) -> None:
        """Track direct state-on-state strikes (side 0: US, 1: Iran); a sustained exchange is open war.

        A strike opens an exchange (round 1) or, when it answers the other side's last strike of the running
        exchange, adds a round; a strike by the side that struck last adds none. The exchange ends when
        ``exchange_window`` days pass without an answer (:meth:`end_exchanges`) or under a ceasefire.

        Mechanism: the action-reaction spiral [Richardson1960] across the firebreak of state-on-state
        strikes [Schelling1966], held back by the cost of each further round (:meth:`exchange_round_cost`):
        an exchange of ``war_after_rounds`` rounds is open war (rung 7 of the ladder [Kahn1965]).
        """
        iran = self.params.iran
        rounds = self.exchange_rounds[worlds]
        running = rounds > 0
        answer = running & (self.exchange_side[worlds] == 1 - side)
        again = running & ~answer  # the side that struck last strikes again: no answer, no new exchange
        self.exchange_rounds[worlds] = np.where(answer, rounds + 1, np.where(again, rounds, 1))
        made = 0 if self.scripting else 1
        model_rounds = self.exchange_rounds_model[worlds]
        self.exchange_rounds_model[worlds] = np.where(answer, model_rounds + made, np.where(again, model_rounds, made))
        np.maximum.at(self.exchange_rounds_max, worlds, self.exchange_rounds[worlds])
        np.maximum.at(self.exchange_rounds_max_model, worlds, self.exchange_rounds_model[worlds])
        self.exchange_side[worlds] = side
        self.exchange_day[worlds] = self.day
        war = worlds[self.exchange_rounds[worlds] >= pick(iran.war_after_rounds, worlds)]
        if war.size:
            actor = self.united_states if side == 0 else self.iran
            self.record(war, actor, Action.OPEN_WAR, "iran" if side == 0 else "united_states", Rung.OPEN_WAR,
                        intended=Rung.OPEN_WAR, perceived=Rung.OPEN_WAR, side="none")
            self.at_war[war] = True
            self.active[war] = False

    def exchange_round_cost(self, worlds: np.ndarray, side: int) -> np.ndarray:
        """What one more direct strike costs a side for the rounds already fought in the running exchange.

        Side 0 (US): ``iran.us_round_cost`` x rounds, in pressure, added to its Iran-strike bar; side 1
        (Iran): ``iran.round_cost`` x rounds, in utility, subtracted from its direct options. Infinite
        while a ceasefire holds (neither state strikes the other directly).
        """
        iran = self.params.iran
        per_round = pick(iran.us_round_cost if side == 0 else iran.round_cost, worlds)
        cost = per_round * self.exchange_rounds[worlds]
        return np.where(self.ceasefire_until[worlds] >= self.day, np.inf, cost)

    @property
    def exchange_open(self) -> np.ndarray:
        """Whether a direct exchange is running in each world (its window has not passed)."""
        return self.exchange_rounds > 0

    def end_exchanges(self, worlds: np.ndarray | None = None) -> None:
        """End running exchanges: all in ``worlds``, or (by default) those whose window passed unanswered.

        Records ``exchange_ended`` (rung 0) by the side that did not answer, counts the exchange in
        ``exchanges_ended`` and resets the round count.
        """
        if worlds is None:
            window = self.params.iran.exchange_window
            stale = self.active & self.exchange_open & (self.day - self.exchange_day > window)
            worlds = np.flatnonzero(stale)
        else:
            worlds = worlds[self.exchange_rounds[worlds] > 0]
        if not worlds.size:
            return
        for side, actor, target in ((1, self.united_states, "iran"), (0, self.iran, "united_states")):
            group = worlds[self.exchange_side[worlds] == side]  # the other side struck last and was not answered
            if group.size:
                self.record(group, actor, Action.EXCHANGE_ENDED, target, Rung.RHETORIC, side="none")
        self.exchanges_ended[worlds] += 1
        self.exchange_rounds[worlds] = 0
        self.exchange_rounds_model[worlds] = 0
        self.exchange_side[worlds] = -1

    def ceasefire(self, worlds: np.ndarray, days: int) -> None:
        """A ceasefire between the states for ``days`` from today: no direct strikes, running exchanges end."""
        self.end_exchanges(worlds)
        self.ceasefire_until[worlds] = self.day + days - 1
        for actor, target in ((self.united_states, "iran"), (self.iran, "united_states")):
            self.record(worlds, actor, Action.CEASEFIRE, target, Rung.RHETORIC, side="none")

    def count_attacks(self, worlds, faction, rung, killed, wounded) -> None:
        """Tally militia attacks (a world may appear once per faction) and their US casualties."""
        counts = self.outcome_counts
        np.add.at(counts["attacks"], worlds, 1)
        for r in (1, 2, 3):
            np.add.at(counts[f"attacks_rung_{r}"], worlds[rung == r], 1)  # an integer operand: numpy's fast path
        flat_view(self.attacks_by_faction)[worlds * self.attacks_by_faction.shape[1] + faction] += 1
        np.add.at(self.today_attacks, worlds, 1)
        self.count_casualties(worlds, killed, wounded)

    def count_casualties(self, worlds, killed, wounded) -> None:
        """Tally US casualties and the first day Americans died (worlds may repeat)."""
        killed = np.broadcast_to(killed, worlds.shape)
        wounded = np.broadcast_to(wounded, worlds.shape)
        hurt = (killed != 0) | (wounded != 0)  # adding nothing elsewhere: tally only these rows
        if hurt.any():
            group, group_killed, group_wounded = worlds[hurt], killed[hurt], wounded[hurt]
            np.add.at(self.outcome_counts["us_killed"], group, group_killed)
            np.add.at(self.outcome_counts["us_wounded"], group, group_wounded)
            np.add.at(self.today_us_killed, group, group_killed)
            np.add.at(self.today_us_wounded, group, group_wounded)
        dead = worlds[killed > 0]
        self.first_day_us_killed[dead] = np.where(self.first_day_us_killed[dead] < 0, self.day, self.first_day_us_killed[dead])
        self.last_day_us_killed[dead] = self.day

    def record(self, worlds, actor, action: Action, target, rung, *, weapon="", killed=0, wounded=0, claimed_by="",
               intended=None, perceived=None, attributed_to="", side: str, location="") -> None:
        """Record one action in the given worlds (which may repeat): event rows, the day's level, tallies.

        ``actor`` is an agent, or an array of vocabulary codes (one per row).
        """
        scalar = np.ndim(rung) == 0
        if scalar:  # one rung for every row (most records): its score is one number
            rung = int(rung)
            rung_array = np.full(worlds.shape, rung, dtype=np.int8)
            score = ESCALATION_WEIGHTS[rung]
        else:
            rung_array = np.broadcast_to(np.asarray(rung, dtype=np.int8), worlds.shape)
            score = ESCALATION_WEIGHTS[rung_array]
        if self.events.enabled:
            self.events.append(
                self.world_ids[worlds], self.day, actor=getattr(actor, "key", actor), action=action.value, target=target,
                rung=rung_array, weapon=weapon, killed=killed, wounded=wounded, claimed_by=claimed_by,
                intended=rung_array if intended is None else intended,
                perceived=rung_array if perceived is None else perceived,
                attributed_to=attributed_to, location=location, scripted=self.scripting,
            )
        np.maximum.at(self.today_level, worlds, rung_array)
        np.add.at(self.today_score, worlds, score)
        if side in SIDES:
            np.add.at(self.today_side_score[SIDES.index(side)], worlds, score)
        np.maximum.at(self.max_rung, worlds, rung_array)
        if not self.scripting:
            np.maximum.at(self.max_rung_model, worlds, rung_array)
        if scalar:
            first = self.first_day_at_rung[worlds, rung]
            self.first_day_at_rung[worlds, rung] = np.where(first < 0, self.day, first)
            self.last_day_at_rung[worlds, rung] = self.day
        else:  # each row's (world, rung) entry at once, by its flat index (rows may repeat: they write the same day)
            at = worlds * len(Rung) + rung_array
            first_days, last_days = flat_view(self.first_day_at_rung), flat_view(self.last_day_at_rung)
            first = first_days[at]
            first_days[at] = np.where(first < 0, self.day, first)
            last_days[at] = self.day

    # -- dynamics and series -----------------------------------------------------------------------------

    def _update_hostility(self) -> None:
        """Hostility per dyad [Richardson1960]: it decays and rises with the other side's actions.

        The US holds Iran partly responsible for its proxies' actions: ``proxy_blame`` of their escalation
        score, times the leash.
        """
        reaction = self.params.hostility.reaction
        blame = self.params.hostility.proxy_blame
        d = self.hostility_decay
        militia, us_militia, iran, us_iran = self.today_side_score
        self.hostility_militias_us = self.hostility_militias_us * d + reaction * us_militia
        self.hostility_us_militias = self.hostility_us_militias * d + reaction * militia
        self.hostility_iran_us = self.hostility_iran_us * d + reaction * us_iran
        self.hostility_us_iran = self.hostility_us_iran * d + reaction * (iran + self.quds_force.leash * blame * militia)

    def _write_series(self) -> None:
        if not self.series.enabled:
            return
        level = np.where(self.at_war, int(Rung.OPEN_WAR), self.today_level)
        recent = (self.day - self.last_day_at_rung) < LEVEL_WINDOW_DAYS
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
        data["exchange_rounds_max"] = self.exchange_rounds_max.copy()
        data["exchanges_ended"] = self.exchanges_ended.copy()
        data["exchange_open"] = self.exchange_open.copy()
        data["max_rung_model"] = self.max_rung_model.astype(np.int8)
        definitions = self.scenario.outcomes
        options = dict(confrontation_rounds=definitions.confrontation_rounds,
                       exchange_is_confrontation=definitions.exchange_is_confrontation)
        data["outcome"] = classify_outcome(self.max_rung, self.exchange_rounds_max, **options)
        data["outcome_model"] = classify_outcome(self.max_rung_model, self.exchange_rounds_max_model, **options)
        return pd.DataFrame(data)


def _nullable(days: np.ndarray) -> pd.array:
    """Day numbers with -1 (never) as missing values (under the mask: 1, as ``pd.array`` of a list with None puts)."""
    missing = days < 0
    return pd.arrays.IntegerArray(np.where(missing, 1, days).astype(np.int32), missing)
