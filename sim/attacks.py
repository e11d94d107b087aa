"""Militia attacks: one attack's target, weapon, casualties, claim and attribution, and the US perceiving it.

The day's attacks of all factions are resolved together. Each row is one attack: a world index and a
faction index. Rows of one faction have distinct worlds; a world may attack from several factions on the
same day. Draws are keyed per row by (world seed, day, faction, draw site), exactly as if each faction
drew for itself (:func:`row_uniform`).
"""

from __future__ import annotations

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


# -- rows of (world, faction) ------------------------------------------------------------------------


def row_uniform(model: "EscalationModel", worlds: np.ndarray, faction: np.ndarray, site: str) -> np.ndarray:
    """Uniforms for rows of (world, faction), each keyed by (world seed, day, that faction, site)."""
    keys = keyed.draw_keys(model.day, model.factions.codes, keyed.site_code(site))
    return keyed.uniform_keyed(model.seeds[worlds], keys[faction])


def row_poisson(model: "EscalationModel", worlds: np.ndarray, faction: np.ndarray, site: str, mean) -> np.ndarray:
    """Poisson counts for rows of (world, faction), keyed like :func:`row_uniform`."""
    return keyed.poisson_from_uniform(row_uniform(model, worlds, faction, site), np.maximum(mean, 0.0))


def state_rows(model: "EscalationModel", worlds: np.ndarray, faction: np.ndarray, attribute: str) -> np.ndarray:
    """A militia state array (e.g. ``grievance``) read for rows of (world, faction)."""
    if attribute == "capability":
        return model.factions.capability_at(faction, worlds)
    return getattr(model.factions, attribute)[faction, worlds]


def row_layers(worlds: np.ndarray) -> list:
    """The rows split into layers of distinct worlds, in row order: a world's k-th row is in layer k.

    A rule that reads and writes a world's state (the US perceiving attacks) can then run once per layer
    and still take each world's rows one after another, in their order. Rows whose worlds are already
    distinct (increasing, as ``np.flatnonzero`` gives them) form one layer, ``slice(None)``.
    """
    if worlds.size < 2 or (worlds[1:] > worlds[:-1]).all():
        return [slice(None)]
    order = np.argsort(worlds, kind="stable")
    ordered = worlds[order]
    new = np.empty(ordered.size, dtype=bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    if starts.size == worlds.size:
        return [slice(None)]
    rank = np.empty(worlds.size, dtype=np.int64)
    rank[order] = np.arange(worlds.size) - np.repeat(starts, np.diff(np.append(starts, worlds.size)))
    return [np.flatnonzero(rank == k) for k in range(int(rank.max()) + 1)]


def trait_rows(model: "EscalationModel", worlds: np.ndarray, faction: np.ndarray, trait: str) -> np.ndarray:
    """A faction parameter (e.g. ``lethal_intent``) for rows of (world, faction)."""
    values = [getattr(militia.params, trait) for militia in model.militias]
    if all(np.ndim(value) == 0 for value in values):
        return np.asarray(values, dtype=float)[faction]
    return np.stack(np.broadcast_arrays(*values), axis=1)[worlds, faction]


def stack_choices(values: list, worlds: np.ndarray) -> np.ndarray:
    """Per-option values as (options,) when shared by all worlds, else (len(worlds), options)."""
    picked = [pick(value, worlds) for value in values]
    if all(np.ndim(value) == 0 for value in picked):
        return np.asarray(picked, dtype=float)
    return np.stack(np.broadcast_arrays(*picked), axis=-1)


def select(table: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Entry ``index[i]`` of row i of a (k, options) table, or of a shared (options,) table."""
    return table[index] if table.ndim == 1 else table[np.arange(index.size), index]


# -- one attack ----------------------------------------------------------------------------------------


def choose_target(model: "EscalationModel", worlds: np.ndarray, faction: np.ndarray) -> np.ndarray:
    """Target: bases in Iraq, Syria or Jordan, the embassy or convoys, by the scenario's weights.

    With US troop groups (issue 11), each target's weight is scaled by its group's presence (fewer troops
    in a group, fewer targets there).
    """
    mix = model.params.militia_dynamics.target_mix
    weights = stack_choices([getattr(mix, name) for name in TARGET_NAMES], worlds)
    if model.target_presence_today is not None:
        weights = weights * model.target_presence_today[worlds]
    cumulative = np.cumsum(weights, axis=-1)
    u = row_uniform(model, worlds, faction, "target") * cumulative[..., -1]
    return (u[:, None] >= cumulative).sum(axis=1).clip(0, len(TARGET_NAMES) - 1)


def choose_weapon(model: "EscalationModel", worlds: np.ndarray, faction: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Weapon: roadside bombs on convoys; else rockets, drones or missiles as capability allows.

    Capability ratchets up inside rungs 2-3 (rockets, then explosive drones in 2021 [PressReports]).
    """
    d = model.params.militia_dynamics
    capability = state_rows(model, worlds, faction, "capability")
    u = row_uniform(model, worlds, faction, "weapon")
    missile_share = pick(d.missile_share, worlds)
    missile = (capability >= Capability.MISSILES) & (u < missile_share)
    drone_cut = missile_share * (capability >= Capability.MISSILES) + pick(d.drone_share, worlds)
    drone = ~missile & (capability >= Capability.DRONES) & (u < drone_cut)
    weapon = np.where(missile, MISSILE, np.where(drone, DRONE, ROCKETS))
    return np.where(target == CONVOY, ROADSIDE_BOMB, weapon)


def draw_casualties(model: "EscalationModel", worlds, faction, weapon, target, intends_casualties):
    """Outcome of attacks: intercepted, no casualties, wounded or killed (US personnel).

    Mechanism: the "threat that leaves something to chance" [Schelling1960]: lethality is stochastic,
    so a signal can cross the American-dead firebreak by accident; intent to cause casualties multiplies
    it. Reproduces the record's ~1-3 % of attacks that kill and ~5-10 % that wound [PressReports].

    Returns:
        US killed and wounded per row.
    """
    d = model.params.militia_dynamics
    intercept, kill, wound = (
        select(stack_choices([getattr(d.lethality[name], outcome) for name in WEAPON_NAMES], worlds), weapon)
        for outcome in ("intercept", "kill", "wound")
    )
    exposure = select(stack_choices([getattr(d.target_exposure, name) for name in TARGET_NAMES], worlds), target)
    scale = exposure * np.where(intends_casualties, pick(d.lethal_intent_multiplier, worlds), 1.0)
    if model.target_presence_today is None:
        scale *= model.presence_today[worlds]
    else:
        scale *= model.target_presence_today[worlds, target]
    hit = row_uniform(model, worlds, faction, "intercept") >= intercept
    u = row_uniform(model, worlds, faction, "lethality")
    p_kill = np.minimum(kill * scale, 1.0)
    p_wound = np.minimum(wound * scale, 1.0 - p_kill)
    killed_any = hit & (u < p_kill)
    wounded_any = hit & ~killed_any & (u < p_kill + p_wound)
    # the counts are drawn only in the rows that need them (each row's draw is its own, so nothing else changes)
    killed = np.zeros(worlds.size, dtype=np.int64)
    rows = np.flatnonzero(killed_any)
    if rows.size:
        w = worlds[rows]
        killed[rows] = 1 + row_poisson(model, w, faction[rows], "killed", pick(d.killed_extra_mean, w))
    wounded = np.zeros(worlds.size, dtype=np.int64)
    rows = np.flatnonzero(killed_any | wounded_any)
    if rows.size:
        w, f = worlds[rows], faction[rows]
        if np.any(d.wounded_dispersion):
            extra_wounded = heavy_tailed_count(row_uniform(model, w, f, "wounded"), pick(d.wounded_extra_mean, w),
                                               pick(d.wounded_dispersion, w))
        else:
            extra_wounded = row_poisson(model, w, f, "wounded", pick(d.wounded_extra_mean, w))
        wounded[rows] = wounded_any[rows] + extra_wounded
    return killed, wounded


def heavy_tailed_count(u: np.ndarray, mean, dispersion) -> np.ndarray:
    """A count from one uniform: negative binomial of the mean and dispersion, the Poisson where dispersion is 0.

    Issue 11's mass-casualty tail: most wounding attacks hurt a few, a rare one dozens (Tower 22, Jan 28,
    2024: 40+ wounded [PressReports]). The Poisson rows are exactly :func:`row_poisson`'s draw.
    """
    mean = np.broadcast_to(np.maximum(np.asarray(mean, dtype=float), 0.0), u.shape)
    dispersion = np.broadcast_to(np.asarray(dispersion, dtype=float), u.shape)
    count = keyed.poisson_from_uniform(u, mean)
    tail = dispersion > 0
    if tail.any():
        count[tail] = keyed.negative_binomial_from_uniform(u[tail], mean[tail], dispersion[tail])
    return count


def attribution(model: "EscalationModel", worlds, faction, open_claim) -> np.ndarray:
    """Which faction the US blames: the claimant if open, else right with the attribution accuracy.

    Front-name claims buy deniability [Carson2018]; misattribution sends US strikes at the wrong
    faction, whose grievance then rises.
    """
    n_factions = len(model.militias)
    if n_factions == 1:
        return faction.copy()
    accuracy = pick(model.params.united_states.attribution_accuracy, worlds)
    accurate = row_uniform(model, worlds, faction, "attribution") < accuracy
    shift = 1 + (row_uniform(model, worlds, faction, "misattribute") * (n_factions - 1)).astype(int)
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
    if forced is None:
        grievance = state_rows(m, worlds, faction, "grievance")
        compliance = m.quds_force.leash[worlds] * trait_rows(m, worlds, faction, "obedience")
        lethal_intent = np.minimum(
            1.0, trait_rows(m, worlds, faction, "lethal_intent") + pick(d.lethal_intent_per_grievance, worlds) * grievance
        ) * (1.0 - compliance * pick(m.iran.params.casualty_restraint, worlds))
        intends_casualties = row_uniform(m, worlds, faction, "intent") < lethal_intent
        target = choose_target(m, worlds, faction)
        weapon = choose_weapon(m, worlds, faction, target)
        killed, wounded = draw_casualties(m, worlds, faction, weapon, target, intends_casualties)
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
    misperceived = ~casualties & (row_uniform(m, worlds, faction, "misperceive") < pick(us.misperception, worlds))
    perceived = np.where(misperceived, Rung.ATTACK_WITH_CASUALTIES, rung)
    open_claim = row_uniform(m, worlds, faction, "claim") >= trait_rows(m, worlds, faction, "front_name_share")
    claimed_by = np.where(open_claim, m.faction_codes[faction], m.front_codes[faction])
    attributed = attribution(m, worlds, faction, open_claim)
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
    factions = m.factions
    factions.excitation[faction, worlds] += (pick(dynamics.self_excitation, worlds)
                                             * (1.0 - pick(factions.excitation_decay, worlds)))
    factions.own_attack_memory[faction, worlds] += 1.0
    # the US takes the attacks in faction order, as each faction's own turn would give them
    if faction.size > 1 and (faction[1:] < faction[:-1]).any():
        order = np.argsort(faction, kind="stable")
        worlds, faction, pressure, attributed, severity = (
            values[order] for values in (worlds, faction, pressure, attributed, severity))
    for rows in row_layers(worlds):
        m.united_states.perceive(worlds[rows], pressure[rows], attributed[rows], severity=severity[rows])
