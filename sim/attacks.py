"""Militia attacks: one attack's target, weapon, casualties, claim and attribution, and the US perceiving it.

The day's attacks of all factions are resolved together. Each row is one attack: a world index and a
faction index. Rows of one faction have distinct worlds; a world may attack from several factions on the
same day. Draws are keyed per row by (world seed, day, faction, draw site), exactly as if each faction
drew for itself (:func:`row_uniform`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from sim import seeds as keyed
from sim.ladder import MILITIA_TARGETS, MILITIA_WEAPONS, Action, Capability, Rung, Target, Weapon
from sim.params import pick

if TYPE_CHECKING:
    from sim.model import EscalationModel

WEAPON_NAMES = tuple(weapon.value for weapon in MILITIA_WEAPONS)
TARGET_NAMES = tuple(target.value for target in MILITIA_TARGETS)
ROADSIDE_BOMB, ROCKETS, DRONE, MISSILE = (
    WEAPON_NAMES.index(weapon.value) for weapon in (Weapon.ROADSIDE_BOMB, Weapon.ROCKETS, Weapon.DRONE, Weapon.MISSILE)
)
CONVOY = TARGET_NAMES.index(Target.CONVOY.value)
# The draw sites every row of the day's attacks draws at (:func:`resolve_attacks` draws them together): for
# its outcome (not drawn for a scripted attack, whose outcome is given), for the signal the US perceives,
# and for the attribution (only with more than one faction).
OUTCOME_SITES = ("intent", "target", "weapon", "intercept", "lethality")
SIGNAL_SITES = ("misperceive", "claim")
ATTRIBUTION_SITES = ("attribution", "misattribute")


# -- rows of (world, faction) ------------------------------------------------------------------------


def flat_view(array: np.ndarray) -> np.ndarray:
    """A 1-D view of an array, to read and write it at flat indices (one index array: faster than a pair).

    Raises AttributeError where only a copy could be flat (a write to a copy would be lost).
    """
    view = array.view()
    view.shape = (-1,)
    return view


def row_uniform(model: "EscalationModel", worlds: np.ndarray, faction: np.ndarray, site: str,
                draws: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """Uniforms for rows of (world, faction), each keyed by (world seed, day, that faction, site).

    ``draws``: the same rows' uniforms at several sites, drawn together (:func:`row_uniforms`), if at hand.
    """
    if draws is not None:
        return draws[site]
    return keyed.uniform_keyed(model.seeds[worlds], model.faction_draw_keys(site)[faction])


def row_uniforms(model: "EscalationModel", worlds: np.ndarray, faction: np.ndarray, sites: tuple[str, ...]
                 ) -> dict[str, np.ndarray]:
    """:func:`row_uniform` at several sites by site, drawn in one pass (the same numbers, for fewer calls)."""
    keys = model.faction_draw_keys(sites)[:, faction]
    return dict(zip(sites, keyed.uniform_keyed(model.seeds[worlds], keys)))


def state_rows(model: "EscalationModel", worlds: np.ndarray, faction: np.ndarray, attribute: str) -> np.ndarray:
    """A militia state array (e.g. ``grievance``) read for rows of (world, faction)."""
    if attribute == "capability":
        return model.factions.capability_at(faction, worlds)
    return getattr(model.factions, attribute)[faction, worlds]


def trait_rows(model: "EscalationModel", worlds: np.ndarray, faction: np.ndarray, trait: str) -> np.ndarray:
    """A faction parameter (e.g. ``lethal_intent``) for rows of (world, faction)."""
    table = model.faction_trait(trait)
    return table[faction, 0] if table.shape[1] == 1 else table[faction, worlds]


def stack_choices(values: list, worlds: np.ndarray) -> np.ndarray:
    """Per-option values as (options,) when shared by all worlds, else (len(worlds), options)."""
    picked = [pick(value, worlds) for value in values]
    if all(np.ndim(value) == 0 for value in picked):
        return np.asarray(picked, dtype=float)
    return np.stack(np.broadcast_arrays(*picked), axis=-1)


def fixed_choices(model: "EscalationModel", key: str, values: Callable[[], list], worlds: np.ndarray) -> np.ndarray:
    """:func:`stack_choices` of parameters named by ``key``; when every world shares them, stacked once a run."""
    shared = model.fixed(("choices", key), lambda: shared_choices(values()))
    return shared if shared is not None else stack_choices(values(), worlds)


def shared_choices(values: list) -> np.ndarray | None:
    """Per-option values as (options,) when shared by all worlds (as :func:`stack_choices`), else None."""
    return np.asarray(values, dtype=float) if all(np.ndim(value) == 0 for value in values) else None


def select(table: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Entry ``index[i]`` of row i of a (k, options) table, or of a shared (options,) table."""
    return table[index] if table.ndim == 1 else table[np.arange(index.size), index]


# -- one attack ----------------------------------------------------------------------------------------


def choose_target(model: "EscalationModel", worlds: np.ndarray, faction: np.ndarray,
                  draws: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """Target: bases in Iraq, Syria or Jordan, the embassy or convoys, by the scenario's weights.

    With US troop groups (issue 11), each target's weight is scaled by its group's presence (fewer troops
    in a group, fewer targets there). ``draws``: as :func:`row_uniform`'s.
    """
    mix = model.params.militia_dynamics.target_mix
    weights = fixed_choices(model, "target_mix", lambda: [getattr(mix, name) for name in TARGET_NAMES], worlds)
    if model.target_presence_today is not None:
        weights = weights * model.target_presence_today[worlds]
    cumulative = np.cumsum(weights, axis=-1)
    u = row_uniform(model, worlds, faction, "target", draws) * cumulative[..., -1]
    if cumulative.ndim == 1 and (weights >= 0).all():  # one rising scale for every row: the count is a look-up
        return np.searchsorted(cumulative, u, side="right").clip(0, len(TARGET_NAMES) - 1)
    return (u[:, None] >= cumulative).sum(axis=1).clip(0, len(TARGET_NAMES) - 1)


def choose_weapon(model: "EscalationModel", worlds: np.ndarray, faction: np.ndarray, target: np.ndarray,
                  draws: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """Weapon: roadside bombs on convoys; else rockets, drones or missiles as capability allows.

    Capability ratchets up inside rungs 2-3 (rockets, then explosive drones in 2021 [PressReports]).
    ``draws``: as :func:`row_uniform`'s.
    """
    d = model.params.militia_dynamics
    capability = state_rows(model, worlds, faction, "capability")
    u = row_uniform(model, worlds, faction, "weapon", draws)
    missile_share = pick(d.missile_share, worlds)
    missile = (capability >= Capability.MISSILES) & (u < missile_share)
    drone_cut = missile_share * (capability >= Capability.MISSILES) + pick(d.drone_share, worlds)
    drone = ~missile & (capability >= Capability.DRONES) & (u < drone_cut)
    weapon = np.where(missile, MISSILE, np.where(drone, DRONE, ROCKETS))
    return np.where(target == CONVOY, ROADSIDE_BOMB, weapon)


def draw_casualties(model: "EscalationModel", worlds, faction, weapon, target, intends_casualties, draws=None):
    """Outcome of attacks: intercepted, no casualties, wounded or killed (US personnel).

    Mechanism: the "threat that leaves something to chance" [Schelling1960]: lethality is stochastic,
    so a signal can cross the American-dead firebreak by accident; intent to cause casualties multiplies
    it. Reproduces the record's ~1-3 % of attacks that kill and ~5-10 % that wound [PressReports].
    ``draws``: as :func:`row_uniform`'s.

    Returns:
        US killed and wounded per row.
    """
    d = model.params.militia_dynamics
    intercept, kill, wound = (
        select(fixed_choices(model, f"lethality.{outcome}",
                             lambda outcome=outcome: [getattr(d.lethality[name], outcome) for name in WEAPON_NAMES],
                             worlds), weapon)
        for outcome in ("intercept", "kill", "wound")
    )
    exposure = select(fixed_choices(model, "target_exposure",
                                    lambda: [getattr(d.target_exposure, name) for name in TARGET_NAMES], worlds), target)
    scale = exposure * np.where(intends_casualties, pick(d.lethal_intent_multiplier, worlds), 1.0)
    if model.target_presence_today is None:
        scale *= model.presence_today[worlds]
    else:
        scale *= model.target_presence_today[worlds, target]
    hit = row_uniform(model, worlds, faction, "intercept", draws) >= intercept
    u = row_uniform(model, worlds, faction, "lethality", draws)
    p_kill = np.minimum(kill * scale, 1.0)
    p_wound = np.minimum(wound * scale, 1.0 - p_kill)
    killed_any = hit & (u < p_kill)
    wounded_any = hit & ~killed_any & (u < p_kill + p_wound)
    # the counts are drawn only in the rows that need them (each row's draw is its own, so nothing else changes):
    # the wounded in every row that hurt someone, the killed in those of them that killed, drawn together
    killed = np.zeros(worlds.size, dtype=np.int64)
    wounded = np.zeros(worlds.size, dtype=np.int64)
    rows = np.flatnonzero(killed_any | wounded_any)
    if rows.size:
        w, f = worlds[rows], faction[rows]
        counts = row_uniforms(model, w, f, ("killed", "wounded"))
        dead = killed_any[rows]
        if dead.any():
            mean = np.maximum(pick(d.killed_extra_mean, w[dead]), 0.0)
            killed[rows[dead]] = 1 + keyed.poisson_from_uniform(counts["killed"][dead], mean)
        if np.any(d.wounded_dispersion):
            extra_wounded = heavy_tailed_count(counts["wounded"], pick(d.wounded_extra_mean, w),
                                               pick(d.wounded_dispersion, w))
        else:
            extra_wounded = keyed.poisson_from_uniform(counts["wounded"], np.maximum(pick(d.wounded_extra_mean, w), 0.0))
        wounded[rows] = wounded_any[rows] + extra_wounded
    return killed, wounded


def heavy_tailed_count(u: np.ndarray, mean, dispersion) -> np.ndarray:
    """A count from one uniform: negative binomial of the mean and dispersion, the Poisson where dispersion is 0.

    Issue 11's mass-casualty tail: most wounding attacks hurt a few, a rare one dozens (Tower 22, Jan 28,
    2024: 40+ wounded [PressReports]). The Poisson rows are exactly :func:`sim.seeds.poisson_from_uniform`'s counts.
    """
    mean = np.broadcast_to(np.maximum(np.asarray(mean, dtype=float), 0.0), u.shape)
    dispersion = np.broadcast_to(np.asarray(dispersion, dtype=float), u.shape)
    count = keyed.poisson_from_uniform(u, mean)
    tail = dispersion > 0
    if tail.any():
        count[tail] = keyed.negative_binomial_from_uniform(u[tail], mean[tail], dispersion[tail])
    return count


def attribution(model: "EscalationModel", worlds, faction, open_claim, draws=None) -> np.ndarray:
    """Which faction the US blames: the claimant if open, else right with the attribution accuracy.

    Front-name claims buy deniability [Carson2018]; misattribution sends US strikes at the wrong
    faction, whose grievance then rises. ``draws``: as :func:`row_uniform`'s.
    """
    n_factions = len(model.militias)
    if n_factions == 1:
        return faction.copy()
    accuracy = pick(model.params.united_states.attribution_accuracy, worlds)
    accurate = row_uniform(model, worlds, faction, "attribution", draws) < accuracy
    shift = 1 + (row_uniform(model, worlds, faction, "misattribute", draws) * (n_factions - 1)).astype(int)
    return np.where(open_claim | accurate, faction, (faction + shift) % n_factions)


# -- the day's attacks ---------------------------------------------------------------------------------


def resolve_attacks(model: "EscalationModel", worlds: np.ndarray, faction: np.ndarray, forced: dict | None = None):
    """Carry out the day's attacks: target, weapon, outcome, claim, attribution, then the US perceives.

    Intent to cause casualties rises with grievance and falls with compliance (Tehran wants signals, not
    dead Americans: "provocation, not confrontation" [DoubleGame2021]); a claim is open or under the
    faction's front name [Carson2018]; the US perceives each attack with noise (misperceived casualties,
    misattribution) and is habituated to attacks that hurt nobody.

    Args:
        model: the model.
        worlds: world index of each attack.
        faction: faction index of each attack.
        forced: a scripted attack's known outcome (``weapon``, ``target``, ``killed``, ``wounded``), or None.
    """
    m = model
    d = m.params.militia_dynamics
    rows = worlds.size
    sites = SIGNAL_SITES + (ATTRIBUTION_SITES if len(m.militias) > 1 else ())
    if forced is None:
        sites = OUTCOME_SITES + sites
    draws = row_uniforms(m, worlds, faction, sites)
    factions = m.factions
    at = faction * m.n_worlds + worlds  # each row's index in the flattened (factions x worlds) state
    if forced is None:
        grievance = flat_view(factions.grievance)[at]
        compliance = m.quds_force.leash[worlds] * trait_rows(m, worlds, faction, "obedience")
        lethal_intent = np.minimum(
            1.0, trait_rows(m, worlds, faction, "lethal_intent") + pick(d.lethal_intent_per_grievance, worlds) * grievance
        ) * (1.0 - compliance * pick(m.iran.params.casualty_restraint, worlds))
        intends_casualties = row_uniform(m, worlds, faction, "intent", draws) < lethal_intent
        target = choose_target(m, worlds, faction, draws)
        weapon = choose_weapon(m, worlds, faction, target, draws)
        killed, wounded = draw_casualties(m, worlds, faction, weapon, target, intends_casualties, draws)
    else:
        intends_casualties = np.full(rows, forced["killed"] + forced["wounded"] > 0)
        target = np.full(rows, TARGET_NAMES.index(forced["target"]))
        weapon = np.full(rows, WEAPON_NAMES.index(forced["weapon"]))
        killed = np.full(rows, forced["killed"], dtype=np.int64)
        wounded = np.full(rows, forced["wounded"], dtype=np.int64)
    casualties = (killed + wounded) > 0
    signal_rung = np.where(weapon == ROADSIDE_BOMB, Rung.HARASSMENT, Rung.ATTACK_NO_CASUALTIES)
    rung = np.where(casualties, Rung.ATTACK_WITH_CASUALTIES, signal_rung)
    intended = np.where(intends_casualties, Rung.ATTACK_WITH_CASUALTIES, signal_rung)
    us = m.united_states.params
    misperceived = ~casualties & (row_uniform(m, worlds, faction, "misperceive", draws) < pick(us.misperception, worlds))
    perceived = np.where(misperceived, Rung.ATTACK_WITH_CASUALTIES, rung)
    open_claim = row_uniform(m, worlds, faction, "claim", draws) >= trait_rows(m, worlds, faction, "front_name_share")
    claimed_by = np.where(open_claim, m.faction_codes[faction], m.front_codes[faction])
    attributed = attribution(m, worlds, faction, open_claim, draws)
    m.record(
        worlds, m.faction_codes[faction], Action.ATTACK, target=m.target_codes[target], rung=rung,
        weapon=m.weapon_codes[weapon], killed=killed, wounded=wounded, claimed_by=claimed_by, intended=intended,
        perceived=perceived, attributed_to=m.faction_codes[attributed], side="militia",
    )
    m.count_attacks(worlds, faction, rung, killed, wounded)
    pressure = (
        pick(us.pressure_per_attack, worlds) * m.united_states.habituation_factor(worlds)
        + pick(us.pressure_per_killed, worlds) * killed
        + pick(us.pressure_per_wounded, worlds) * np.maximum(wounded, misperceived)
    )
    severity = perceived.astype(float) + killed
    np.add.at(m.attack_memory, worlds, 1.0)
    np.add.at(m.united_states.attack_memory, worlds, 1.0)
    np.add.at(m.united_states.campaign_memory, worlds, 1.0)
    # each faction's own memories: a (faction, world) pair at most once
    dynamics = m.params.militia_dynamics
    flat_view(factions.excitation)[at] += (pick(dynamics.self_excitation, worlds)
                                           * (1.0 - pick(factions.excitation_decay, worlds)))
    flat_view(factions.own_attack_memory)[at] += 1.0
    # the US takes the attacks in faction order, as each faction's own turn would give them
    if faction.size > 1 and (faction[1:] < faction[:-1]).any():
        order = np.argsort(faction, kind="stable")
        worlds, faction, pressure, attributed, severity = (
            values[order] for values in (worlds, faction, pressure, attributed, severity))
    m.united_states.perceive_rows(worlds, pressure, attributed, severity)
