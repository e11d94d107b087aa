"""A militia faction: grievance, fear and the leash decide how often it attacks, threatens or harasses.

The attacks themselves (target, weapon, casualties, claim and attribution) are resolved for all factions
together in :mod:`sim.attacks`. Every faction's state is a row of one (factions x worlds) array per quantity
(:class:`Factions`), so a day's rules run once for all factions, whatever their number; each
:class:`Militia` agent reads and writes its own row as if it were its own array.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from sim import seeds as keyed
from sim.actors.base import Actor, decay_factor
from sim.ladder import Action, Capability, Posture, Rung
from sim.params import per_world, pick

if TYPE_CHECKING:
    from sim.model import EscalationModel

# The US answers the most severe action it perceived since its last decision (severity = rung, plus the
# Americans killed). A siege ranks above other harassment and below any attack: fixed, because it only
# orders the candidates, it does not weigh them.
SIEGE_SEVERITY = int(Rung.HARASSMENT) + 0.5

# The day's draw in a world that has left the simulation (open war): above every band, so nothing happens.
OUTSIDE_EVERY_BAND = 2.0
# A faction answers a calm order only with about one attack of its own in recent memory (its attack memory,
# half-life `outbidding_half_life`): one that is not attacking has nothing to suspend or refuse.
ANSWER_MEMORY = 0.5
# Relative and absolute margin on the bounds of the day's bands (numerical: far above the rounding of the
# scalar functions that compute the bounds, far below any band).
BOUND_MARGIN = 1e-6


# Each faction's state per world, kept as one (factions x worlds) array per name in :class:`Factions`.
FLOAT_STATE = ("grievance", "excitation", "members_lost", "capability", "capability_progress", "own_attack_memory",
               "deterrence")
DAY_STATE = ("suspended_until", "refusing_until", "answered_order")  # days; -1: never
# The faction traits the daily rate reads, stacked per faction (a column, or a (factions x worlds) table).
RATE_TRAITS = ("base_attack_rate", "rivalry", "fear", "political_stake", "obedience", "own_intensity", "defiance")


class StateExtremes(NamedTuple):
    """The extremes of the deciding factions' state that the day's bounds read, taken as the memories decay.

    Per world: the largest grievance, members lost and self-excitation and the least own attack memory
    (the last two only for :meth:`Factions._reach_bound`, else None); overall: the least grievance and
    members lost (the bounds rely on neither being negative).
    """

    grievance: np.ndarray
    members_lost: np.ndarray
    excitation: np.ndarray | None
    own_attack_memory: np.ndarray | None
    least_grievance: float
    least_members_lost: float


def nonzero_rows(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero`` of a (factions x worlds) mask, row-major (faction by faction), several times faster."""
    flat = np.flatnonzero(mask)
    return np.divmod(flat, mask.shape[1])


def stack_per_faction(values: list) -> np.ndarray:
    """One value per faction as a column (factions, 1) when every world shares it, else (factions, worlds)."""
    if all(np.ndim(value) == 0 for value in values):
        return np.asarray(values, dtype=float)[:, None]
    return np.stack(np.broadcast_arrays(*[np.asarray(value, dtype=float) for value in values]))


class FactionRow:
    """One faction's row of a :class:`Factions` array, read and written as the faction's own array (N,)."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, militia, owner=None):
        if militia is None:
            return self
        return getattr(militia.factions, self.name)[militia.index]

    def __set__(self, militia, value) -> None:
        getattr(militia.factions, self.name)[militia.index] = value


class Factions:
    """Every faction's state in every world as (factions x worlds) arrays, and the day's rules for all at once.

    Row i belongs to the scenario's i-th faction (:attr:`Militia.index`). The rules are the ones documented
    on :class:`Militia`; computed over the whole array, each element goes through the same floating-point
    operations in the same order as one faction's own array would, so results do not depend on how many
    factions run together.

    Args:
        model: the model.
        n_factions: the number of factions.
    """

    # From this many factions on, a day's bands are computed only where its draw can fall in them
    # (:meth:`_reach_bound`); with fewer, computing every band costs less than bounding them (measured:
    # 5 factions x 20,000 worlds 1.9 ms a day everywhere, 2.5 ms bounded; 40 x 10,000 8.6 ms, 6.5 ms).
    bounded_from = 8
    # Elements of a block of rows in the day's passes over (factions x worlds) (:meth:`_state_extremes`,
    # :meth:`_draws_below`): 256 KiB of float64, within the processor's cache beside the block's temporaries
    # (measured, 40 x 10,000: 16,384 slower, 32,768 to 131,072 alike).
    block_elements = 32_768

    def __init__(self, model: "EscalationModel", n_factions: int):
        self.model = model
        n = model.n_worlds
        for name in FLOAT_STATE:
            setattr(self, name, np.zeros((n_factions, n)))
        for name in DAY_STATE:
            setattr(self, name, np.full((n_factions, n), -1, dtype=np.int64))
        self.truce_until = np.full(n_factions, -1, dtype=np.int64)  # a truce holds every world alike
        self.capability_stale = False  # True while the ratchet on capability_progress is owed (:attr:`capability`)
        self.dynamics = d = model.params.militia_dynamics
        self.grievance_decay = decay_factor(d.grievance_half_life)
        self.excitation_decay = decay_factor(d.self_excitation_half_life)
        self.deterrence_decay = decay_factor(d.deterrence_half_life)
        self.militias: list[Militia] = []
        self.traits: dict[str, np.ndarray] = {}
        self.codes = np.zeros(n_factions, dtype=np.uint64)

    @property
    def capability(self) -> np.ndarray:
        """Capability levels (factions x worlds), the ratchet on ``capability_progress`` applied up to today.

        The Quds Force's supply only adds to the progress (:meth:`supply`); while it adds nothing negative,
        the daily ratchet ``max(capability, min(floor(progress), MISSILES))`` taken on each day equals the one
        taken once on the latest progress (floor, min and max are exact and the progress never falls), so it
        is applied only when capability is read.
        """
        if self.capability_stale:
            ratchet = np.floor(self.capability_progress)
            np.minimum(ratchet, int(Capability.MISSILES), out=ratchet)
            np.maximum(self._capability, ratchet, out=self._capability)
            self.capability_stale = False
        return self._capability

    @capability.setter
    def capability(self, value: np.ndarray) -> None:
        self._capability = value
        self.capability_stale = False

    def capability_at(self, faction: np.ndarray, worlds: np.ndarray) -> np.ndarray:
        """:attr:`capability` at given (faction, world) pairs only, bit for bit (the rest stays owed)."""
        at = faction * self.model.n_worlds + worlds
        level = flat_at(self._capability, at)
        if self.capability_stale:
            np.maximum(level, np.minimum(np.floor(flat_at(self.capability_progress, at)), int(Capability.MISSILES)),
                       out=level)
        return level

    def supply(self, added) -> None:
        """Add the day's capability supply (a float, or an array over worlds) to every faction's progress."""
        if np.min(added) < 0 and self.capability_stale:  # progress would fall: settle the ratchet owed first
            self.capability  # noqa: B018 (the property applies it)
        self.capability_progress += added
        self.capability_stale = True

    def bind(self, militias: list["Militia"]) -> None:
        """Take the factions' agents: their draw codes and their traits stacked per faction."""
        self.militias = militias
        self.codes = np.array([militia.code for militia in militias], dtype=np.uint64)
        self.traits = {name: stack_per_faction([getattr(m.params, name) for m in militias]) for name in RATE_TRAITS}
        self.revenge = stack_per_faction([m.params.revenge for m in militias])
        self.trait_ranges = {}

    def trait_range(self, rows: slice) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], float]:
        """The traits' least and largest values over the given factions (per world), and the least of the lows.

        Traits are fixed for the run (:meth:`bind`), so each range is computed once per ``rows``.
        """
        key = (rows.start, rows.stop, rows.step)
        if key not in self.trait_ranges:
            low = {name: self.traits[name][rows].min(axis=0) for name in RATE_TRAITS}
            high = {name: self.traits[name][rows].max(axis=0) for name in RATE_TRAITS}
            self.trait_ranges[key] = (low, high, min(float(np.min(value)) for value in low.values()))
        return self.trait_ranges[key]

    def suffer_strikes(self, worlds: np.ndarray, faction: np.ndarray, killed: np.ndarray, leader: bool = False,
                       sites=None) -> None:
        """US strikes on factions, one per row of (world, faction) with distinct worlds: :meth:`Militia.suffer_strike`.

        Each world's column takes the operations one faction's own call would give it, so a day's strikes
        on several factions run in one call, whatever the number of factions.
        """
        d = self.dynamics
        added = pick(d.grievance_per_strike, worlds) + pick(d.grievance_per_member_killed, worlds) * killed
        if leader:
            revenge = self.revenge
            added = added + (revenge[faction, 0] if revenge.shape[1] == 1 else revenge[faction, worlds])
        others = np.arange(len(self.militias))[:, None] != faction
        self.grievance[:, worlds] += np.where(others, pick(d.solidarity, worlds), 1.0) * added
        deterrence = pick(d.deterrence_per_leader, worlds) if leader else (1.0 if sites is None else sites)
        self.deterrence[:, worlds] += np.where(others, pick(d.deterrence_spillover, worlds), 1.0) * deterrence
        self.members_lost[faction, worlds] += killed
        self.excitation[faction, worlds] += (pick(d.self_excitation, worlds) * (1.0 - pick(self.excitation_decay, worlds))
                                             * pick(d.strike_excitation, worlds))

    def uniform(self, site: str, rows: slice = slice(None)) -> np.ndarray:
        """Keyed uniforms (factions x worlds) of the given factions today, each row keyed by its faction."""
        m = self.model
        keys = keyed.draw_keys(m.day, self.codes[rows], keyed.site_code(site))
        return keyed.uniform_keyed(m.seeds, keys[:, None])

    def attack_rates(self, rows: slice = slice(None)) -> np.ndarray:
        """Daily attack rates (factions x worlds) of the given factions: see :meth:`Militia.attack_rate`."""
        m = self.model
        d, ctx, t = self.dynamics, m.params.context, self.traits
        # in place on two work arrays: each element takes the same operations in the same order as the rule's
        # expression (a * b is b * a in floating point, so operands may swap), only the allocations are saved
        log_rate = np.add(self.grievance[rows], ctx.external_grievance)
        np.log1p(log_rate, out=log_rate)
        log_rate *= d.grievance_weight
        work = np.subtract(m.attack_memory, self.own_attack_memory[rows])
        work *= m.attack_memory_to_monthly
        work /= max(len(self.militias) - 1, 1)
        np.log1p(work, out=work)
        work *= t["rivalry"][rows]
        log_rate += work
        log_rate -= np.multiply(t["fear"][rows], m.expected_retaliation_today, out=work)
        log_rate -= np.multiply(t["political_stake"][rows], m.iraqi_government.militia_pressure_today, out=work)
        log_rate -= ctx.common_enemy_restraint * ctx.common_enemy
        if np.any(d.deterrence_weight):
            log_rate = log_rate - d.deterrence_weight * np.maximum(self.deterrence[rows] - d.deterrence_threshold, 0.0)
        if m.mission_ended:
            log_rate = log_rate - ctx.mission_end_restraint * m.mission_ended
        compliance = m.quds_force.leash * t["obedience"][rows]
        refusing = self.refusing_until[rows] >= m.day
        if refusing.any():
            compliance = np.where(refusing, 0.0, compliance)
        directive = np.subtract(1.0, compliance)
        directive *= t["own_intensity"][rows]
        directive += np.multiply(compliance, m.iran.directive, out=work)
        defiance = t["defiance"][rows]
        if np.any(defiance):  # a faction without defiance multiplies by exactly 1
            restrained = m.iran.posture == Posture.RESTRAINT
            np.subtract(1.0, compliance, out=work)
            work *= defiance
            work *= restrained
            work += 1.0
            directive *= work
        truce = np.where((self.truce_until[rows] >= m.day)[:, None], d.truce_factor, 1.0)
        rate = np.exp(log_rate, out=log_rate)
        rate *= t["base_attack_rate"][rows] * truce
        rate *= directive
        rate *= m.presence_today
        war = m.outside_war
        if war.on:
            rate *= war.rate_factors(rows)
        rate += self.excitation[rows]
        if war.on:
            rate *= war.pause_factors(rows)
        suspended = self.suspended_until[rows] >= m.day
        if suspended.any():
            rate *= np.where(suspended, d.suspension_factor, 1.0)
        return rate

    def decide(self, rows: slice = slice(None)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One day of the given factions: see :meth:`Militia.decide`.

        Returns:
            Boolean (factions x worlds) arrays: where each faction attacks, threatens and harasses today.
        """
        shape = (len(self.militias[rows]), self.model.n_worlds)
        masks = []
        for faction, world in self.decide_rows(rows):
            mask = np.zeros(shape, dtype=bool)
            mask[faction, world] = True
            masks.append(mask)
        return masks[0], masks[1], masks[2]

    def decide_rows(self, rows: slice = slice(None)) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """One day of the given factions (:meth:`decide`) as rows rather than masks.

        Returns:
            For attacks, threats and harassment: the (faction, world) pairs where they happen today, faction
            by faction, worlds increasing (as :func:`nonzero_rows` of :meth:`decide`'s masks); factions are
            counted from the first of ``rows``.
        """
        m = self.model
        d = self.dynamics
        bounded = len(self.militias[rows]) >= self.bounded_from
        extremes = self._state_extremes(rows, bounded, decay=True)
        if np.any(d.suspension_days):  # answering reads the memories but changes none of them
            for militia in self.militias[rows]:
                militia.answer_order()
        bound = self._reach_bound(rows, extremes) if bounded else None
        if bound is None:
            u = self.uniform("day", rows)
            if not m.active.all():
                u[:, ~m.active] = OUTSIDE_EVERY_BAND
            return self._decide_everywhere(u, rows, extremes)
        # The day's draw decides only where it falls below a bound of the three bands together (a few per
        # cent of the draws); there the bands are computed exactly as everywhere else, with the same
        # operations on the same numbers, so every decision is the one the full computation would make.
        u, flat = self._draws_below(bound, rows)
        faction, world = np.divmod(flat, m.n_worlds)
        at = flat + (rows.start or 0) * m.n_worlds
        grievance = flat_at(self.grievance, at)  # read once for the rate and the threat band
        rate = self.attack_rates_at(faction + (rows.start or 0), world, at, grievance)
        return self._decide_at(u, faction, world, at, rate, rows, grievance)

    def _draws_below(self, bound: tuple[np.ndarray, np.ndarray, np.ndarray],
                     rows: slice) -> tuple[np.ndarray, np.ndarray]:
        """The day's draws (site ``day``) of the given factions that fall below a bound of :meth:`_reach_bound`.

        Drawn block by block of rows (:attr:`block_elements`), so that a block's draws and their comparison
        stay in the processor's cache; each draw and each bound is the one of drawing all at once.

        Returns:
            The draws below the bound and their indices in the flattened (factions x worlds) rows, increasing.
        """
        m = self.model
        per_faction, per_world, offset = bound
        keys = keyed.draw_keys(m.day, self.codes[rows], keyed.site_code("day"))[:, None]
        outside = None if m.active.all() else ~m.active
        step = max(1, self.block_elements // max(m.n_worlds, 1))
        draws, indices = [], []
        for first in range(0, keys.shape[0], step):
            block = slice(first, first + step)
            u = keyed.uniform_keyed(m.seeds, keys[block])
            if outside is not None:
                u[:, outside] = OUTSIDE_EVERY_BAND
            reach = np.multiply(per_faction[block], per_world)
            reach += offset
            flat = np.flatnonzero(u < reach)
            draws.append(u.reshape(-1)[flat])
            flat += first * m.n_worlds
            indices.append(flat)
        if not indices:
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        return np.concatenate(draws), np.concatenate(indices)

    def _state_extremes(self, rows: slice, per_world: bool, decay: bool = False) -> StateExtremes:
        """The state extremes the day's bounds read; with ``decay``, the memories decay for the day first.

        Block by block of rows small enough to stay in the processor's cache, so that each array is read
        from memory once a day rather than once for the decay and again for each extreme (with 40
        factions the state no longer fits in the cache). Elementwise products and extremes do not depend
        on the order they are taken in, so the state and the extremes are those of whole-array operations.

        Args:
            rows: the factions deciding.
            per_world: also take the per-world extremes only :meth:`_reach_bound` reads.
            decay: decay grievance, members lost, self-excitation, own attack memory and deterrence first.
        """
        m = self.model
        start, stop, _ = rows.indices(len(self.militias))
        step = max(1, self.block_elements // max(m.n_worlds, 1))
        grievance = members_lost = excitation = own_attack_memory = None
        least_grievance = least_members_lost = np.inf
        for first in range(start, stop, step):
            block = slice(first, min(first + step, stop))
            values = self.grievance[block]
            if decay:
                values *= self.grievance_decay
            grievance = fold(np.maximum, grievance, values.max(axis=0))
            least_grievance = np.minimum(least_grievance, values.min())
            values = self.members_lost[block]
            if decay:
                values *= self.grievance_decay
            members_lost = fold(np.maximum, members_lost, values.max(axis=0))
            least_members_lost = np.minimum(least_members_lost, values.min())
            values = self.excitation[block]
            if decay:
                values *= self.excitation_decay
            if per_world:
                excitation = fold(np.maximum, excitation, values.max(axis=0))
            values = self.own_attack_memory[block]
            if decay:
                values *= m.attack_memory_decay
            if per_world:
                own_attack_memory = fold(np.minimum, own_attack_memory, values.min(axis=0))
            if decay:
                self.deterrence[block] *= self.deterrence_decay
        if grievance is None:  # no faction
            grievance = members_lost = excitation = own_attack_memory = np.zeros(0)
        return StateExtremes(grievance, members_lost, excitation, own_attack_memory, float(least_grievance),
                             float(least_members_lost))

    def _decide_at(self, u: np.ndarray, faction: np.ndarray, world: np.ndarray, at: np.ndarray, rate: np.ndarray,
                   rows: slice, grievance: np.ndarray | None = None) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """The day's three bands at given (faction, world) pairs, computed as :meth:`_decide_all` computes them.

        Args:
            u: the day's draws at the pairs.
            faction: each pair's faction, counted from the first of ``rows``.
            world: each pair's world.
            at: each pair's index in the flattened (factions x worlds) state arrays.
            rate: each pair's attack rate.
            rows: the factions deciding.
            grievance: each pair's grievance, if already read.

        Returns:
            The pairs that attack, threaten and harass, as :meth:`decide_rows`.
        """
        d = self.dynamics
        attack_band = -np.expm1(-rate)
        attack = u < attack_band
        u -= attack_band
        if grievance is None:
            grievance = flat_at(self.grievance, at)
        threat_band = pick_shared(d.threat_rate, world) * np.power(1.0 + grievance,
                                                                  pick_shared(d.grievance_weight, world))
        threat = (u >= 0) & (u < threat_band)
        u -= threat_band
        harass_band = (pick_shared(d.harassment_rate, world)
                       + pick_shared(d.harassment_per_member_killed, world) * flat_at(self.members_lost, at))
        harass = (u >= 0) & (u < harass_band)
        return tuple((faction[chosen], world[chosen]) for chosen in (attack, threat, harass))

    def _decide_everywhere(self, u: np.ndarray, rows: slice,
                           extremes: StateExtremes | None = None) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """The day's three bands for every (faction, world) of the rows, as the rule is written.

        The attack rate is computed everywhere (its operations are cheap); the bands' own functions
        (``expm1``, ``power``: about ten times the cost of ``exp``) only where the draw can fall in one:
        below the rate (``1 - exp(-rate) <= rate``) plus :meth:`_band_bound`, with :data:`BOUND_MARGIN`.
        Elsewhere no band can hold the draw, so the decisions are the ones of computing every band.
        ``extremes``: the state's (:meth:`_state_extremes`), if already taken today.
        """
        rate = self.attack_rates(rows)
        bands = self._band_bound(rows, extremes)
        if bands is None:
            return self._decide_all(u, rate, rows)
        reach = np.maximum(rate, 0.0)
        reach *= 1.0 + BOUND_MARGIN
        reach += bands * (1.0 + BOUND_MARGIN) + BOUND_MARGIN
        flat = np.flatnonzero(u < reach)
        faction, world = np.divmod(flat, self.model.n_worlds)
        at = flat + (rows.start or 0) * self.model.n_worlds
        return self._decide_at(u.reshape(-1)[flat], faction, world, at, rate.reshape(-1)[flat], rows)

    def _decide_all(self, u: np.ndarray, rate: np.ndarray, rows: slice) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """The day's three bands computed for every (faction, world) of the rows: the rule as written."""
        d = self.dynamics
        attack_band = -np.expm1(-rate)
        attacking = u < attack_band
        u -= attack_band
        threat_band = d.threat_rate * np.power(1.0 + self.grievance[rows], d.grievance_weight)
        threatening = (u >= 0) & (u < threat_band)
        u -= threat_band
        harass_band = d.harassment_rate + d.harassment_per_member_killed * self.members_lost[rows]
        harassing = (u >= 0) & (u < harass_band)
        return tuple(nonzero_rows(mask) for mask in (attacking, threatening, harassing))

    def attack_rates_at(self, faction: np.ndarray, world: np.ndarray, at: np.ndarray | None = None,
                        grievance: np.ndarray | None = None) -> np.ndarray:
        """The attack rates of :meth:`attack_rates` at given (faction, world) pairs only, bit for bit.

        ``at``: the pairs' indices in the flattened (factions x worlds) arrays, if known (``faction * N + world``);
        ``grievance``: the pairs' grievance, if already read.
        """
        m = self.model
        if at is None:
            at = faction * m.n_worlds + world
        if grievance is None:
            grievance = flat_at(self.grievance, at)
        d, ctx, t = self.dynamics, m.params.context, self.traits

        def trait(name):
            value = t[name]
            return value[:, 0].take(faction) if value.shape[1] == 1 else flat_at(value, at)

        def shared(value):
            return pick_shared(value, world)

        rivals_monthly = (m.attack_memory.take(world) - flat_at(self.own_attack_memory, at)) * shared(m.attack_memory_to_monthly)
        log_rate = (
            np.log1p(grievance + shared(ctx.external_grievance)) * shared(d.grievance_weight)
            + np.log1p(rivals_monthly / max(len(self.militias) - 1, 1)) * trait("rivalry")
            - trait("fear") * m.expected_retaliation_today.take(world)
            - trait("political_stake") * shared(m.iraqi_government.militia_pressure_today)
            - shared(ctx.common_enemy_restraint * ctx.common_enemy)
        )
        if np.any(d.deterrence_weight):
            log_rate = log_rate - shared(d.deterrence_weight) * np.maximum(
                flat_at(self.deterrence, at) - shared(d.deterrence_threshold), 0.0)
        if m.mission_ended:
            log_rate = log_rate - shared(ctx.mission_end_restraint * m.mission_ended)
        compliance = m.quds_force.leash.take(world) * trait("obedience")
        refusing = flat_at(self.refusing_until, at) >= m.day
        if refusing.any():
            compliance = np.where(refusing, 0.0, compliance)
        directive = (1.0 - compliance) * trait("own_intensity") + compliance * m.iran.directive.take(world)
        if np.any(t["defiance"]):
            restrained = m.iran.posture.take(world) == Posture.RESTRAINT
            directive = directive * (1.0 + trait("defiance") * (1.0 - compliance) * restrained)
        truce = np.where(self.truce_until[faction] >= m.day, shared(d.truce_factor), 1.0)
        rate = (trait("base_attack_rate") * truce) * np.exp(log_rate) * directive * m.presence_today.take(world)
        war = m.outside_war
        if war.on:
            power = np.power(d.outside_war_multiplier, war.level)
            rate = rate * np.where(war.joined[faction], pick_shared(power, world), 1.0)
        rate = rate + flat_at(self.excitation, at)
        if war.on:
            rate = rate * np.where(war.joined[faction] & war.paused, shared(d.outside_war_pause_factor), 1.0)
        suspended = flat_at(self.suspended_until, at) >= m.day
        if suspended.any():
            rate = rate * np.where(suspended, shared(d.suspension_factor), 1.0)
        return rate

    def _reach_bound(self, rows: slice,
                     extremes: StateExtremes | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """A bound ``a[f] * b[w] + c[w]`` (as (f, 1), (w,), (w,)) of attack + threat + harassment band, or None.

        Each term of the attack rate is monotone in the state it reads, and ``1 - exp(-rate) <= rate``: so
        the faction's base rate (with its truce) times, per world, the rate's other factors at the factions'
        largest grievance, rivals' memory, directive and the least fear, restraint and pressure, plus the
        largest self-excitation, bounds the attack band; the threat and harassment bands are bounded at the
        largest grievance and members lost. None where a sign the bound relies on does not hold (then every
        band is computed). The margin :data:`BOUND_MARGIN` is far above the rounding of the bound itself.
        ``extremes``: the state's (:meth:`_state_extremes`), if already taken today.
        """
        m = self.model
        d, ctx, t = self.dynamics, m.params.context, self.traits
        low, high, lowest_trait = self.trait_range(rows)
        leash = m.quds_force.leash
        signs = (d.grievance_weight, ctx.external_grievance, m.attack_memory_to_monthly, leash, m.iran.directive,
                 m.expected_retaliation_today, m.presence_today, m.iraqi_government.militia_pressure_today,
                 d.deterrence_weight, ctx.mission_end_restraint * m.mission_ended, d.truce_factor, d.suspension_factor,
                 d.outside_war_pause_factor, d.threat_rate, d.harassment_rate, d.harassment_per_member_killed)
        if (lowest_trait < 0 or min(float(np.min(value)) for value in signs) < 0 or np.max(leash) > 1
                or np.max(high["obedience"]) > 1):
            return None
        if extremes is None:
            extremes = self._state_extremes(rows, per_world=True)
        grievance, lost = extremes.grievance, extremes.members_lost
        if not grievance.size or extremes.least_grievance < 0 or extremes.least_members_lost < 0:
            return None
        with np.errstate(all="ignore"):
            rivals = (m.attack_memory - extremes.own_attack_memory) * m.attack_memory_to_monthly
            outbidding = np.log1p(rivals / max(len(self.militias) - 1, 1))
            log_rate = (
                np.log1p(grievance + ctx.external_grievance) * d.grievance_weight
                + np.where(outbidding >= 0, high["rivalry"], low["rivalry"]) * outbidding
                - low["fear"] * m.expected_retaliation_today
                - low["political_stake"] * m.iraqi_government.militia_pressure_today
                - np.multiply(ctx.common_enemy_restraint, ctx.common_enemy)
                - ctx.mission_end_restraint * m.mission_ended
            )
            directive = np.maximum(high["own_intensity"], m.iran.directive) * (1.0 + high["defiance"])
            per_world = np.exp(log_rate) * directive * m.presence_today
            war = m.outside_war
            if war.on:
                per_world = per_world * np.maximum(np.power(d.outside_war_multiplier, war.level), 1.0)
            later = np.maximum(d.suspension_factor, 1.0)
            if war.on:
                later = later * np.maximum(d.outside_war_pause_factor, 1.0)
            excitation = extremes.excitation
            bands = (np.max(d.threat_rate) * np.power(1.0 + grievance, np.max(d.grievance_weight))
                     + np.max(d.harassment_rate) + np.max(d.harassment_per_member_killed) * lost)
            base = t["base_attack_rate"][rows].max(axis=1)
            per_faction = base * np.where(self.truce_until[rows] >= m.day, np.max(d.truce_factor), 1.0)
            per_world = per_world * later * (1.0 + BOUND_MARGIN)
            offset = (excitation * later + bands) * (1.0 + BOUND_MARGIN) + BOUND_MARGIN
        per_world = np.broadcast_to(per_world, (m.n_worlds,))
        offset = np.broadcast_to(offset, (m.n_worlds,))
        if not (np.isfinite(per_faction).all() and np.isfinite(per_world).all() and np.isfinite(offset).all()):
            return None
        return per_faction[:, None], per_world, offset

    def _band_bound(self, rows: slice, extremes: StateExtremes | None = None) -> float | None:
        """An upper bound of threat band + harassment band over the given factions, or None (no bound: compute all).

        Both bands rise with grievance and members lost (and with their parameters), so their values at
        the largest of each bound them. ``extremes``: the state's (:meth:`_state_extremes`), if already taken today.
        """
        d = self.dynamics
        if min(np.min(d.grievance_weight), np.min(d.harassment_per_member_killed), np.min(d.threat_rate),
               np.min(d.harassment_rate)) < 0:
            return None
        if extremes is None:
            extremes = self._state_extremes(rows, per_world=False)
        grievance, lost = extremes.grievance, extremes.members_lost
        if not grievance.size or extremes.least_grievance < 0 or extremes.least_members_lost < 0:
            return None
        with np.errstate(all="ignore"):
            bound = float(np.max(d.threat_rate) * np.power(1.0 + grievance.max(), np.max(d.grievance_weight))
                          + np.max(d.harassment_rate) + np.max(d.harassment_per_member_killed) * lost.max())
        return bound if np.isfinite(bound) else None


def flat_at(array: np.ndarray, at: np.ndarray) -> np.ndarray:
    """A (factions x worlds) array at flat indices: ``array[divmod(at, N)]``, a single gather (several times faster)."""
    return array.reshape(-1).take(at)


def fold(combine, total: np.ndarray | None, part: np.ndarray) -> np.ndarray:
    """``combine(total, part)`` in place on ``total`` (an elementwise extreme of blocks), or ``part`` for the first."""
    return part if total is None else combine(total, part, out=total)


def pick_shared(value, worlds: np.ndarray):
    """A model-wide value (a float, or an array over all worlds) at the given world of each row."""
    return value if np.ndim(value) == 0 else value.take(worlds)


class Militia(Actor):
    """One Iraqi militia faction in every world.

    State per world: grievance against the US, self-excitation, rivals' attack memory, capability level
    and progress, members lost to US strikes, deterrence by US strikes (sites' worth), and its answer to
    Tehran's last calm order (a suspension of its operations or a refusal, until a day). Each is the
    faction's row of the model's :class:`Factions` arrays.

    Args:
        model: the model.
        key: the faction's key in the scenario (e.g. ``"kataib_hezbollah"``).
        index: the faction's position in the scenario's factions.
    """

    grievance = FactionRow()
    excitation = FactionRow()
    members_lost = FactionRow()
    capability = FactionRow()
    capability_progress = FactionRow()
    own_attack_memory = FactionRow()
    deterrence = FactionRow()
    suspended_until = FactionRow()
    refusing_until = FactionRow()
    answered_order = FactionRow()
    truce_until = FactionRow()

    def __init__(self, model: "EscalationModel", key: str, index: int):
        super().__init__(model, key)
        self.index = index
        self.factions: Factions = model.factions
        self.params = model.params.militias[key]
        self.dynamics = model.params.militia_dynamics
        self.name = self.params.name
        self.front_name = self.params.front_name or f"front of {self.name}"
        n = model.n_worlds
        self.grievance = per_world(self.params.initial_grievance, n)
        level = float(Capability[self.params.capability.upper()])
        self.capability = np.full(n, level)
        self.capability_progress = np.full(n, level)
        self.grievance_decay = self.factions.grievance_decay
        self.excitation_decay = self.factions.excitation_decay
        self.front_code = model.name_code(self.front_name)
        self.deterrence_decay = self.factions.deterrence_decay

    @property
    def rows(self) -> slice:
        """This faction's rows of the :class:`Factions` arrays."""
        return slice(self.index, self.index + 1)

    # -- decision rules ------------------------------------------------------------------------------

    def attack_rate(self) -> np.ndarray:
        """Daily attack rate: grievance and opportunity against fear and restraint.

        Mechanism: the civil-violence threshold rule [Epstein2002] as a rate: grievance (revenge for killed
        leaders, US strikes, external shocks) raises the log rate; fear of US retaliation and the faction's
        political stake in Baghdad (pressed harder near elections) lower it; outbidding of rival factions
        raises it [KyddWalter2006]. Tehran's directive reaches the faction through the Quds Force leash with
        slack (principal-agent: [BymanKreps2010] [Salehyan2010]): the leash blends the faction's own
        intensity (hardliners want more than Tehran's calibrated pressure) with Tehran's directive, and a
        loosely leashed, defiant faction answers a calm order with more attacks [MilitiasRogue2021].
        Attacks are self-exciting (Hawkes process [Mohler2011]). Reproduces the record's ~5 attacks a month
        of Oct 2019 - Jan 2020 in the baseline [PressReports].

        Issue 11, each neutral by default: deterrence above its threshold lowers the log rate (the lull after
        Feb 2-7, 2024 [DoDBriefings2024]); a US agreement to end its mission lowers it (Dec 2021
        [PressReports]); an outside war the faction took up multiplies the rate and a truce in that war holds
        the whole rate down (Gaza, Oct 2023 - Jan 2024 [DoDBriefings2024]); a faction that refused Tehran's
        calm order ignores the leash while it stands, one that suspended its operations holds its whole rate
        down (KH, Jan 30, 2024 [PressReports]).
        """
        return self.factions.attack_rates(self.rows)[0]

    def answer_order(self) -> None:
        """Answer Tehran's calm order once, the day after it is issued: suspend, comply in part, or refuse.

        An ordered logit with one keyed draw (site ``order_answer``): z = ``compliance_bias`` +
        ``compliance_weight`` x (leash x obedience - defiance) - ``compliance_revenge_weight`` x log(1 +
        grievance) + ``compliance_loss_weight`` x log(1 + members lost), plus logistic noise. Above
        ``compliance_band`` the faction suspends its operations for ``suspension_days`` (action
        ``suspension``; ``resumption`` the day after it ends); below minus the band it refuses (action
        ``refusal``) and acts on its own intensity while the order stands; between, the leash alone carries
        the order. A faction with no attack in recent memory (``ANSWER_MEMORY``) does not answer.
        Mechanism: principal-agent slack [BymanKreps2010] [Salehyan2010]: an agent's obedience, its
        defiance and its own stakes decide how much of an order it follows; on Jan 30, 2024 Kataib
        Hezbollah suspended its operations the day after the Quds Force commander asked the factions to lie
        low, Harakat al-Nujaba, its commander killed on Jan 4, refused [PressReports]. Off while
        ``suspension_days`` is 0.
        """
        m = self.model
        d = self.dynamics
        if not np.any(d.suspension_days):
            return
        resumed = np.flatnonzero(m.active & (self.suspended_until >= 0) & (self.suspended_until == m.day - 1))
        if resumed.size:
            m.record(resumed, self, Action.RESUMPTION, "united_states", Rung.RHETORIC, side="none")
        iran = m.iran
        pending = (m.active & (iran.order_posture == Posture.RESTRAINT) & (iran.order_until >= m.day)
                   & (iran.order_day < m.day) & (self.answered_order < iran.order_day))
        worlds = np.flatnonzero(pending)
        if not worlds.size:
            return
        self.answered_order[worlds] = iran.order_day[worlds]
        worlds = worlds[self.own_attack_memory[worlds] >= ANSWER_MEMORY]
        if not worlds.size:
            return
        p = self.params
        compliance = m.quds_force.leash[worlds] * pick(p.obedience, worlds)
        z = (pick(d.compliance_bias, worlds)
             + pick(d.compliance_weight, worlds) * (compliance - pick(p.defiance, worlds))
             - pick(d.compliance_revenge_weight, worlds) * np.log1p(self.grievance[worlds])
             + pick(d.compliance_loss_weight, worlds) * np.log1p(self.members_lost[worlds]))
        u = np.clip(self.uniform("order_answer", worlds), 1e-12, 1 - 1e-12)
        latent = z + np.log(u / (1.0 - u))
        band = pick(d.compliance_band, worlds)
        days = np.asarray(pick(d.suspension_days, worlds)).astype(np.int64)
        suspend = (latent > band) & (days > 0)
        refuse = latent < -band
        if suspend.any():
            chosen = worlds[suspend]
            self.suspended_until[chosen] = m.day + np.broadcast_to(days, worlds.shape)[suspend] - 1
            m.record(chosen, self, Action.SUSPENSION, "united_states", Rung.RHETORIC, side="none")
        if refuse.any():
            chosen = worlds[refuse]
            self.refusing_until[chosen] = iran.order_until[chosen]
            m.record(chosen, self, Action.REFUSAL, "iran", Rung.RHETORIC, side="none")

    def decide(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One day: decay memories, then choose at most one of attack, threat or harassment per world.

        One keyed draw decides the day: it falls in the attack band with the attack probability
        ``1 - exp(-rate)``, in the threat band with the threat probability (public threats, rung 0, more
        frequent with grievance: signalling [Schelling1966]), in the harassment band with its probability
        (sieges and protests at the embassy, rung 1, more after the faction lost members: the Dec 31, 2019
        storming followed US strikes that killed ~25 KH members [PressReports]).

        Returns:
            Indices of the worlds where the faction attacks, threatens and harasses today.
        """
        attacking, threatening, harassing = self.factions.decide(self.rows)
        return np.flatnonzero(attacking[0]), np.flatnonzero(threatening[0]), np.flatnonzero(harassing[0])

    def harass(self, worlds: np.ndarray) -> None:
        """Harassment (rung 1) at the embassy; sieges put heavy pressure on the US."""
        m = self.model
        m.record(worlds, self, Action.SIEGE, "embassy", Rung.HARASSMENT, side="militia")
        m.united_states.perceive(worlds, pick(m.united_states.params.pressure_per_siege, worlds), self.index,
                                 severity=SIEGE_SEVERITY)

    def suffer_strike(self, worlds: np.ndarray, killed: np.ndarray, leader: bool = False, sites=None) -> None:
        """Grievance after a US strike on the faction: revenge, and an urge to answer within days; deterrence.

        The record shows militia counter-attacks within 1-3 days of US strikes [PressReports] (the
        calibration targets in scenarios/targets); here a strike adds grievance to the faction, a share of
        it to the others (solidarity), and a self-exciting impulse of ``strike_excitation`` attacks' worth.
        It also adds deterrence: one per site struck (``sites``, default 1), ``deterrence_per_leader`` for a
        leader killing, ``deterrence_spillover`` of it to the other factions; it lowers the rate only above
        ``deterrence_threshold`` and with ``deterrence_weight`` (issue 11: the lull after the largest strike
        round and a leader killing, Feb 2-7, 2024 [CENTCOM2024] [DoDBriefings2024]). The rule runs for all
        factions at once in :meth:`Factions.suffer_strikes`.
        """
        self.factions.suffer_strikes(worlds, np.full(worlds.shape, self.index), killed, leader=leader, sites=sites)
