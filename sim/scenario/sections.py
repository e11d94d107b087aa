"""Scenario sections: the pydantic models of the actors' parameters and of the strategic setting.

Every field is a documented parameter: default, inclusive range, unit and meaning. Where a value or a
mechanism comes from the record or the literature, the description cites it in square brackets (keys
into docs/references.md); "judgement" marks a value that no source fixes. The reference printed by ``escalation schema`` is generated from these fields, so it cannot drift from the
code. The model reads them as typed views (see :func:`sim.params.parameter_view`), so an IDE follows
``self.params.strike_threshold`` to its field here.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

FACTION_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
NOT_YET_USED = "Not yet used by any rule (waiting for a rule)."


def P(default: Any, lo: float | None = None, hi: float | None = None, unit: str = "", doc: str = "") -> Any:
    """A documented parameter field: default, inclusive range, unit and meaning."""
    return Field(default, ge=lo, le=hi, description=doc, json_schema_extra={"unit": unit})


class Strict(BaseModel):
    """Base of all scenario sections: unknown keys are errors, values are checked on assignment.

    Types are strict: a number field takes a number (an integer is fine for a float field) but not the
    string '0.5' or a boolean, a boolean field takes only true or false, a date field only a YAML date;
    infinities and NaN are refused.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, strict=True, allow_inf_nan=False)


# --------------------------------------------------------------------------------------------------
# Militias

# Militias


class Faction(Strict):
    """Traits of one militia faction."""

    name: str = Field("", description="Display name of the faction.", json_schema_extra={"unit": "text"})
    fighters: int = P(
        5000, 0, 200_000, "fighters",
        "Estimated strength (the PMF ~120,000 in all in 2019 [MonsterTheyCreated2019]). " + NOT_YET_USED,
    )
    base_attack_rate: float = P(
        0.03, 0.0, 2.0, "attacks/day", "Attack rate with neutral grievance, fear, politics and directive."
    )
    obedience: float = P(
        0.6, 0.0, 1.0, "share", "How closely the faction follows Tehran's directive as relayed by the Quds Force."
    )
    own_intensity: float = P(
        1.0, 0.0, 5.0, "multiplier",
        "Attack intensity the faction would choose unleashed, relative to Tehran's calibrated pressure (hardliners > 1).",
    )
    defiance: float = P(
        0.0, 0.0, 5.0, "multiplier",
        "Extra attacks a loosely leashed faction makes when Tehran orders restraint (Tehran's calm order defied [MilitiasRogue2021]).",
    )
    political_stake: float = P(
        0.3, 0.0, 3.0, "weight", "Restraint from its seats and ministries in Baghdad (Badr, AAH high; KH, Nujaba low)."
    )
    fear: float = P(0.5, 0.0, 5.0, "weight", "Sensitivity of the attack rate to expected US retaliation.")
    revenge: float = P(2.0, 0.0, 10.0, "grievance", "Grievance added when its own leader is killed.")
    rivalry: float = P(0.3, 0.0, 5.0, "elasticity", "Outbidding [KyddWalter2006]: rate scales as (1 + rivals' attacks per month) ** rivalry.")
    lethal_intent: float = P(
        0.05, 0.0, 1.0, "share", "Share of attacks meant to cause casualties at zero grievance (rises with grievance)."
    )
    front_name_share: float = P(
        0.8, 0.0, 1.0, "share", "Share of attacks claimed under a front name for deniability [Carson2018]."
    )
    front_name: str = Field(
        "", description="Front name used for deniable claims ('' for a generic front).", json_schema_extra={"unit": "text"}
    )
    capability: Literal["rockets", "drones", "missiles"] = Field(
        "rockets", description="Initial capability; it only ratchets up.", json_schema_extra={"unit": "level"}
    )
    initial_grievance: float = P(0.0, 0.0, 20.0, "grievance", "Grievance against the US on day 0.")


class WeaponLethality(Strict):
    """Outcome probabilities of one weapon against a reference target."""

    intercept: float = P(0.2, 0.0, 1.0, "probability", "Probability the attack is intercepted or misses entirely.")
    kill: float = P(0.01, 0.0, 1.0, "probability", "Probability of US dead if not intercepted (signal intent).")
    wound: float = P(0.05, 0.0, 1.0, "probability", "Probability of US wounded (and no dead) if not intercepted.")


def _default_lethality() -> dict[str, WeaponLethality]:
    return {
        "roadside_bomb": WeaponLethality(intercept=0.0, kill=0.004, wound=0.03),
        "rockets": WeaponLethality(intercept=0.25, kill=0.01, wound=0.05),
        "drone": WeaponLethality(intercept=0.45, kill=0.02, wound=0.09),
        "missile": WeaponLethality(intercept=0.15, kill=0.04, wound=0.2),
    }


class TargetMix(Strict):
    """Relative weights of militia targets (normalised)."""

    base_iraq: float = P(0.55, 0.0, 100.0, "weight", "Bases hosting US forces in Iraq (Ain al-Asad, Erbil, Taji...).")
    base_syria: float = P(0.15, 0.0, 100.0, "weight", "US bases in eastern Syria.")
    embassy: float = P(0.12, 0.0, 100.0, "weight", "The US embassy in Baghdad's Green Zone.")
    convoy: float = P(0.18, 0.0, 100.0, "weight", "Logistics convoys (roadside bombs; mostly Iraqi drivers).")
    base_jordan: float = P(
        0.0, 0.0, 100.0, "weight",
        "US sites in Jordan near the Syrian border (Tower 22; ~2 % of the 2023-24 attacks [DoDBriefings2024]); 0 (the "
        "default) leaves them out of reach.",
    )


class TargetExposure(Strict):
    """Multipliers of kill and wound probabilities by target."""

    base_iraq: float = P(1.0, 0.0, 10.0, "multiplier", "Exposure at bases in Iraq.")
    base_syria: float = P(1.3, 0.0, 10.0, "multiplier", "Exposure at bases in Syria (fewer defences).")
    embassy: float = P(0.5, 0.0, 10.0, "multiplier", "Exposure at the embassy (C-RAM defended).")
    convoy: float = P(0.4, 0.0, 10.0, "multiplier", "Exposure of convoys (few US personnel aboard).")
    base_jordan: float = P(
        1.3, 0.0, 10.0, "multiplier",
        "Exposure at US sites in Jordan (Tower 22: a logistics outpost whose drone defences failed on Jan 28, 2024, "
        "3 killed and 40+ wounded [PressReports]); judgement, range 1-3.",
    )


class MilitiaDynamics(Strict):
    """Mechanisms shared by all factions."""

    grievance_weight: float = P(0.7, 0.0, 5.0, "elasticity", "Attack rate scales as (1 + grievance) ** grievance_weight.")
    grievance_half_life: float = P(30.0, 1.0, 3650.0, "days", "Half-life of grievance.")
    grievance_per_strike: float = P(1.0, 0.0, 20.0, "grievance", "Grievance added to a faction per US strike on its sites.")
    grievance_per_member_killed: float = P(0.05, 0.0, 5.0, "grievance", "Grievance added per faction member killed by the US.")
    solidarity: float = P(0.3, 0.0, 1.0, "share", "Share of a US strike's grievance felt by the other factions.")
    patron_revenge: float = P(2.0, 0.0, 20.0, "grievance", "Grievance added to every faction when the Quds Force commander is killed.")
    outbidding_half_life: float = P(10.0, 1.0, 365.0, "days", "Memory of rivals' attacks [KyddWalter2006].")
    self_excitation: float = P(0.25, 0.0, 0.95, "attacks/attack", "Hawkes branching ratio: expected follow-on attacks per attack [Mohler2011].")
    self_excitation_half_life: float = P(3.0, 0.5, 60.0, "days", "Half-life of self-excitation.")
    strike_excitation: float = P(
        2.0, 0.0, 20.0, "attacks' worth",
        "Self-excitation a US strike on the faction's sites adds, as a multiple of one attack's: the urge to answer "
        "within days (counter-attacks followed US strikes within 1-3 days [PressReports]); judgement.",
    )
    threat_rate: float = P(0.01, 0.0, 2.0, "events/day", "Rate of public threats (rung 0) per faction.")
    harassment_rate: float = P(0.0008, 0.0, 2.0, "events/day", "Rate of harassment (rung 1: sieges, protests at the embassy) per faction.")
    harassment_per_member_killed: float = P(0.002, 0.0, 5.0, "events/day", "Extra harassment rate per own member killed by the US, decaying with grievance.")
    lethal_intent_per_grievance: float = P(0.03, 0.0, 5.0, "share/grievance", "Increase of lethal intent per unit of grievance.")
    lethal_intent_multiplier: float = P(4.0, 1.0, 50.0, "multiplier", "Kill and wound probabilities when an attack is meant to cause casualties.")
    drone_share: float = P(0.45, 0.0, 1.0, "share", "Share of non-convoy attacks using drones once a faction has them.")
    missile_share: float = P(0.15, 0.0, 1.0, "share", "Share of non-convoy attacks using close-range missiles once available.")
    killed_extra_mean: float = P(0.5, 0.0, 20.0, "people", "Mean number of dead beyond the first in a deadly attack.")
    wounded_extra_mean: float = P(2.0, 0.0, 50.0, "people", "Mean number of wounded beyond the first.")
    truce_factor: float = P(0.15, 0.0, 1.0, "multiplier", "Attack-rate multiplier during a declared truce.")
    wounded_dispersion: float = P(
        0.0, 0.0, 20.0, "1/shape",
        "Dispersion of the wounded beyond the first: 0 (the default, 2019-21) draws them from a Poisson of mean "
        "`wounded_extra_mean`; above 0 from a negative binomial of the same mean and variance mean x (1 + "
        "dispersion x mean), from the same draw: most wounding attacks hurt a few, a rare one dozens (~59 US "
        "personnel injured, mostly brain injuries, in the first ~55 attacks of Oct-Nov 2023; Tower 22, Jan 28, "
        "2024: 3 killed, 40+ wounded [DoDBriefings2024] [PressReports]); judgement, range 0-5.",
    )
    # An outside war (issue 11): a war outside Iraq that the factions take up (the Gaza war, 2023-24), switched
    # on, paused, resumed and ended by `outside_war` timeline events; without such an event these do nothing.
    outside_war_multiplier: float = P(
        1.0, 1.0, 100.0, "multiplier",
        "Attack-rate multiplier of a faction that takes up an outside war of intensity 1 once fully ramped up (the "
        "rate scales as multiplier ** level, the level ramping from 0 to the war's intensity): after the Gaza war "
        "began, attacks on US forces went from none in Oct 1-16, 2023 to ~27 in Oct 17-31 and ~50 a month "
        "[DoDBriefings2024]; 1 (the default) leaves the factions' rates alone; judgement, range 5-30.",
    )
    outside_war_ramp_days: float = P(
        14.0, 1.0, 365.0, "days",
        "Days for an outside war's level to ramp up from 0 to its intensity (and down to 0 after it ends): the "
        "first attacks came 10 days after Oct 7, 2023, and the rate was full within two weeks more "
        "[DoDBriefings2024]; judgement, range 7-30.",
    )
    outside_war_pause_factor: float = P(
        1.0, 0.0, 1.0, "multiplier",
        "Multiplier of a participating faction's whole attack rate (self-excitation included) while the outside "
        "war is paused: no attacks in the Gaza truce of Nov 24 - Dec 1, 2023, stopped within a day of its start "
        "and resumed within a day of its end [DoDBriefings2024]; 1 (the default) no effect; judgement, range 0-0.1.",
    )
    # Deterrence by US strikes (issue 11): per faction, in sites' worth, decaying; off while the weight is 0.
    deterrence_weight: float = P(
        0.0, 0.0, 5.0, "log-rate/site",
        "Reduction of a faction's log attack rate per site's worth of deterrence above `deterrence_threshold`: "
        "medium US strikes were followed by counter-attacks within 1-5 days, while the largest round (Feb 2, "
        "2024: 85+ targets at 7 facilities [CENTCOM2024]) with a leader killing (Feb 7) was followed by a lull of "
        "weeks [DoDBriefings2024]; 0 (the default, 2019-21) switches deterrence off; judgement, range 0-0.2.",
    )
    deterrence_threshold: float = P(
        0.0, 0.0, 500.0, "sites",
        "Deterrence (sites' worth) a faction shrugs off: only deterrence above it lowers the rate, so strike "
        "rounds of a few sites deter nobody (they bring the counter-attacks of `strike_excitation`); judgement, "
        "range 0-40.",
    )
    deterrence_per_leader: float = P(
        10.0, 0.0, 500.0, "sites",
        "Deterrence a leader killing adds to the faction, in sites' worth (Jan 4 and Feb 7, 2024 [PressReports]); "
        "judgement, range 0-40.",
    )
    deterrence_spillover: float = P(
        0.5, 0.0, 1.0, "share",
        "Share of a strike's or a leader killing's deterrence felt by the other factions (the Feb 2, 2024 round "
        "struck sites of several factions and of the Quds Force [CENTCOM2024]); judgement.",
    )
    deterrence_half_life: float = P(
        30.0, 1.0, 3650.0, "days",
        "Half-life of deterrence (the lull after Feb 4, 2024 lasted at least 11 weeks [DoDBriefings2024]); "
        "judgement, range 15-90.",
    )
    # Orders and compliance (issue 11): each faction's answer to a standing calm order of Tehran's.
    suspension_days: int = P(
        0, 0, 365, "days",
        "How long a faction that complies with a calm order suspends its operations (Kataib Hezbollah announced a "
        "suspension on Jan 30, 2024, the day after the Quds Force commander asked the factions to lie low; "
        "Harakat al-Nujaba refused [PressReports]); 0 (the default) switches the factions' answer off, leaving "
        "the leash alone to carry a calm order (2019-21); judgement, range 30-120.",
    )
    suspension_factor: float = P(
        0.02, 0.0, 1.0, "multiplier",
        "Multiplier of a suspended faction's whole attack rate (self-excitation included); judgement, range 0-0.1.",
    )
    compliance_bias: float = P(
        0.0, -10.0, 10.0, "logit",
        "Propensity to comply with a calm order before traits and state. A faction answers once, the day after "
        "the order, by an ordered logit on z = bias + compliance_weight x (leash x obedience - defiance) - "
        "compliance_revenge_weight x log(1 + grievance) + compliance_loss_weight x log(1 + members lost) plus "
        "logistic noise: above `compliance_band` it suspends, below minus the band it refuses (it acts on its "
        "own intensity while the order stands), between it complies in part (the leash); judgement.",
    )
    compliance_weight: float = P(
        4.0, 0.0, 20.0, "logit/share",
        "Weight of the faction's compliance (leash x obedience) less its defiance in its answer to a calm order; "
        "judgement, range 1-8.",
    )
    compliance_revenge_weight: float = P(
        1.0, 0.0, 10.0, "logit",
        "Weight of revenge, log(1 + grievance), against complying (Nujaba refused weeks after its commander was "
        "killed on Jan 4, 2024 [PressReports]); judgement, range 0-3.",
    )
    compliance_loss_weight: float = P(
        0.5, 0.0, 10.0, "logit",
        "Weight of the cost of fighting on, log(1 + members lost to US strikes), for complying; judgement, range 0-2.",
    )
    compliance_band: float = P(
        1.0, 0.0, 10.0, "logit",
        "Half-width of the ordered logit's middle band (partial compliance); judgement, range 0.5-3.",
    )
    target_mix: TargetMix = Field(default_factory=TargetMix, description="Target weights.")
    target_exposure: TargetExposure = Field(default_factory=TargetExposure, description="Lethality multipliers by target.")
    lethality: dict[Literal["roadside_bomb", "rockets", "drone", "missile"], WeaponLethality] = Field(
        default_factory=_default_lethality, description="Outcome probabilities per weapon."
    )

    @field_validator("lethality")
    @classmethod
    def _all_weapons(cls, value: dict[str, WeaponLethality]) -> dict[str, WeaponLethality]:
        defaults = _default_lethality()
        return {weapon: value.get(weapon, defaults[weapon]) for weapon in defaults}


# --------------------------------------------------------------------------------------------------
# States and the Iraqi government


class UnitedStatesConfig(Strict):
    """The United States: perception, pressure, response ladder and restraints."""

    force_level: float = P(5200.0, 0.0, 200_000.0, "troops", "US troops in Iraq on day 0 (~5,200 in 2019 [PressReports]).")
    attribution_accuracy: float = P(0.75, 0.0, 1.0, "probability", "Probability a front-name attack is attributed to the right faction.")
    misperception: float = P(0.03, 0.0, 1.0, "probability", "Probability a no-casualty attack is perceived as one with casualties.")
    pressure_half_life: float = P(6.0, 0.5, 365.0, "days", "Half-life of domestic and command pressure to respond.")
    pressure_per_killed: float = P(6.0, 0.0, 50.0, "pressure", "Pressure per American killed (audience costs [Fearon1994]).")
    pressure_per_wounded: float = P(0.9, 0.0, 20.0, "pressure", "Pressure per American wounded.")
    pressure_per_attack: float = P(0.15, 0.0, 10.0, "pressure", "Pressure per attack perceived without casualties.")
    pressure_per_direct_strike: float = P(5.0, 0.0, 100.0, "pressure", "Pressure from a direct Iranian strike, before its dead.")
    habituation: float = P(
        8.0, 0.1, 1000.0, "attacks/month",
        "Recent attacks per month at which an attack without casualties moves pressure half as much.",
    )
    habituation_half_life: float = P(30.0, 1.0, 3650.0, "days", "Memory of recent attacks for habituation.")
    pressure_per_siege: float = P(3.0, 0.0, 50.0, "pressure", "Pressure per siege or storming of the embassy.")
    response_lag_mean: float = P(2.5, 1.0, 30.0, "days", "Mean lag from an attack to the response decision.")
    warning_threshold: float = P(0.8, 0.0, 100.0, "pressure", "Pressure above which the US at least issues a warning.")
    strike_threshold: float = P(2.6, 0.0, 100.0, "pressure", "Pressure above which the US strikes militia sites.")
    leader_killing_threshold: float = P(16.0, 0.0, 200.0, "pressure", "Pressure above which the US kills a militia leader.")
    iran_strike_threshold: float = P(14.0, 0.0, 500.0, "pressure", "Pressure above which the US strikes Iran directly (before war aversion).")
    decision_noise: float = P(0.5, 0.01, 20.0, "pressure", "Scale of the logistic noise in response decisions.")
    hawkishness: float = P(0.0, -10.0, 10.0, "pressure", "Lowers every response threshold by this amount.")
    sovereignty_cost: float = P(0.8, 0.0, 10.0, "pressure/unit", "Raise of in-Iraq strike thresholds per unit of Iraqi sovereignty pressure.")
    war_aversion: float = P(12.0, 0.0, 500.0, "pressure", "Extra threshold for striking Iran (the wish to avoid war).")
    syria_strike_share: float = P(0.3, 0.0, 1.0, "share", "Share of strikes on militia sites made in Syria (no sovereignty cost).")
    pressure_discharge: float = P(0.75, 0.0, 1.0, "share", "Share of pressure relieved by a kinetic response.")
    severity_exponent: float = P(
        2.0, 0.0, 10.0, "exponent",
        "How much the worst pending attack's perceived rung weighs on the decision: the pressure is scaled by "
        "(perceived rung / 3) ** exponent below an attack with casualties (rung 3), so harmless rocket fire "
        "(rung 2) moves the US less than its count suggests; 0 switches the weighting off. The record: attacks "
        "without casualties were almost never answered, however many [PressReports] [DoDBriefings2024]; "
        "judgement (2 brings the crisis's answers to harmless attacks from 6.9 % to 2.7 %), range 0-3.",
    )
    refractory_days: int = P(
        30, 0, 120, "days",
        "After a kinetic answer the US makes no new kinetic answer for this many days unless Americans are "
        "killed or the threshold is passed by `refractory_bar` (one strike round per wave of attacks, 2020-21 "
        "[PressReports]); 0 switches the refractory period off; judgement, range 0-45.",
    )
    refractory_bar: float = P(
        3.0, 0.0, 100.0, "pressure",
        "Extra pressure needed for a kinetic answer within the refractory period (not applied when the pending "
        "attack killed Americans); judgement, range 0-10.",
    )
    pressure_per_extra_site: float = P(3.0, 0.1, 100.0, "pressure", "Pressure above the strike threshold per additional site struck.")
    max_sites: int = P(
        5, 1, 100, "sites",
        "Most militia sites struck in one round (Feb 2, 2024: 85+ targets at 7 facilities [CENTCOM2024]).",
    )
    presence_floor: float = P(
        0.15, 0.0, 1.0, "share",
        "Least exposure of US forces relative to day 0, however far troops in Iraq are drawn down (forces in Syria "
        "and the embassy stay within reach); judgement.",
    )
    militia_killed_per_site: float = P(4.0, 0.0, 100.0, "people", "Mean militia members killed per site struck (Dec 29, 2019: 5 sites, ~25 dead [PressReports]).")
    leader_escort_killed_mean: float = P(
        2.0, 0.0, 50.0, "people", "Mean number killed with a targeted leader besides the leader (escort, companions); judgement."
    )
    iran_strike_killed_mean: float = P(
        10.0, 0.0, 1000.0, "people",
        "Mean Iranian dead per US strike on Iran; judgement (the US struck no Iranian soil in 2019-2024 [PressReports]).",
    )
    quds_commander_share: float = P(0.2, 0.0, 1.0, "share", "Share of leader killings aimed at the Quds Force commander.")
    withdrawal_compliance: float = P(0.15, 0.0, 1.0, "probability", "Probability the US agrees to draw down when Iraq demands withdrawal.")
    drawdown_rate: float = P(15.0, 0.0, 10_000.0, "troops/day", "Pace of a drawdown.")
    withdrawal_floor: float = P(0.0, 0.0, 200_000.0, "troops", "Troop level a withdrawal ends at.")
    troops_syria: float = P(
        0.0, 0.0, 100_000.0, "troops",
        "US troops in Syria on day 0 (~900 in 2023 [PressReports]), a target group of its own: bases in Syria are "
        "chosen in proportion to `target_mix.base_syria` x sqrt(troops / troops on day 0) and expose their troops "
        "alike; `force_level` is then the Iraq group. 0 here and in `troops_jordan` (the default) keeps the "
        "2019-21 force posture: Iraq's troops set the exposure of every target.",
    )
    troops_jordan: float = P(
        0.0, 0.0, 100_000.0, "troops",
        "US troops at sites in Jordan on day 0 (a few hundred at Tower 22 in 2024 [PressReports]); a target group "
        "like `troops_syria`.",
    )
    leader_bar_per_campaign_attack: float = P(
        0.0, 0.0, 5.0, "pressure/attack",
        "Fall of the leader-killing bar per attack in the US's campaign memory (down to the warning bar at most): "
        "under a sustained campaign the US killed a faction commander without American dead (Abu Taqwa, Jan 4, "
        "2024, after ~120 attacks [PressReports] [DoDBriefings2024]); 0 (the default) keeps a fixed bar; "
        "judgement, range 0-0.2.",
    )
    campaign_memory_half_life: float = P(
        45.0, 1.0, 3650.0, "days",
        "Half-life of the attacks the US remembers for `leader_bar_per_campaign_attack`; judgement, range 30-120.",
    )
    strike_first_after_casualties: bool = Field(
        False,
        description="When the attack to answer killed or wounded Americans (as perceived), the US answers with a "
        "strike round sized by the pressure and leaves a leader killing to a later decision (Dec 29, 2019 "
        "strikes after K-1, then Jan 3, 2020; in 2023-24 wounding attacks were answered by strike rounds, and "
        "Tower 22 by the largest round on Feb 2, 2024, a KH commander killed on Feb 7 [CENTCOM2024] "
        "[PressReports]); false (the default): the most severe rung the pressure passes.",
        json_schema_extra={"unit": "bool"},
    )


class IranConfig(Strict):
    """Iran: posture from talks, economic exposure and humiliation; direct strikes; the road to war."""

    talks_active: bool = Field(False, description="Nuclear talks under way on day 0.", json_schema_extra={"unit": "bool"})
    economic_exposure: float = P(0.7, 0.0, 1.0, "share", "Dependence on Iraq as a hard-currency lifeline (restrains Iran).")
    baseline_pressure: float = P(0.6, -10.0, 10.0, "score", "Posture score with no talks, exposure or humiliation (sanctions pressure).")
    talks_restraint: float = P(1.2, 0.0, 10.0, "score", "Posture score removed while nuclear talks are on.")
    economic_restraint: float = P(0.6, 0.0, 10.0, "score/share", "Posture score removed per unit of economic exposure.")
    humiliation_weight: float = P(0.6, 0.0, 10.0, "score/unit", "Posture score added per unit of humiliation.")
    humiliation_per_commander_killed: float = P(4.0, 0.0, 50.0, "humiliation", "Humiliation when the Quds Force commander is killed.")
    humiliation_per_strike_on_iran: float = P(4.0, 0.0, 50.0, "humiliation", "Humiliation per US strike on Iran.")
    humiliation_half_life: float = P(30.0, 1.0, 3650.0, "days", "Half-life of humiliation.")
    escalation_threshold: float = P(1.6, -10.0, 20.0, "score", "Posture score above which Iran escalates.")
    restraint_threshold: float = P(0.0, -10.0, 20.0, "score", "Posture score below which Iran restrains.")
    casualty_restraint: float = P(
        0.5, 0.0, 1.0, "share",
        "Share of a faction's intent to cause casualties removed by full compliance (Tehran wants signals, not dead).",
    )
    directive_restraint: float = P(0.3, 0.0, 5.0, "multiplier", "Attack-rate multiplier Iran asks of militias under restraint.")
    directive_pressure: float = P(1.0, 0.0, 5.0, "multiplier", "Multiplier under calibrated pressure.")
    directive_escalation: float = P(2.0, 0.0, 10.0, "multiplier", "Multiplier under escalation.")
    outside_war_weight: float = P(
        0.0, 0.0, 10.0, "score/intensity",
        "Posture score added per unit of an outside war's level (the Gaza war: Tehran's 'unity of fronts' backed "
        "the factions' campaign of Oct 2023 - Jan 2024 [PressReports]); 0 (the default): an outside war reaches "
        "the factions only; judgement, range 0-3.",
    )
    calm_order_days: int = P(
        0, 0, 365, "days",
        "Tehran's own calm order: the day after Americans are killed, with US pressure plus US hostility toward "
        "Iran above `calm_order_bar` and no order standing, it orders restraint for this many days (Jan 29, "
        "2024, the day after three US soldiers were killed at Tower 22, the Quds Force commander told the "
        "factions in Baghdad to lie low [PressReports]); 0 (the default) switches the rule off; judgement, "
        "range 30-120.",
    )
    calm_order_bar: float = P(
        10.0, 0.0, 500.0, "pressure",
        "US pressure plus US hostility toward Iran, the day after Americans are killed, above which Tehran "
        "orders calm (the risk of a US strike on Iran); judgement, range 5-40.",
    )
    # Iran's answer to a humiliation: a multinomial logit over sim.ladder.DirectAnswer (none, proxy surge,
    # warned salvo, unwarned strike); utilities are on the logit's scale (noise 1). The record has one event
    # per kind of answer (Jan 2020, Jan 2024, Apr 2024, Oct 2024 [PressReports]), so every value below is thin.
    direct_strike_delay_mean: float = P(
        5.0, 1.0, 60.0, "days",
        "Mean deliberation delay from a humiliating event (commander killed, US strike on Iran) to Iran's choice "
        "of answer (Jan 2020: five days; Apr 2024: twelve; Oct 2024: four after Nasrallah's killing [PressReports]).",
    )
    repeat_discount: float = P(
        1.0, 0.0, 5.0, "1/event",
        "Diminishing reactions: the effective humiliation is the humiliation divided by 1 + repeat_discount x the "
        "number of earlier humiliating events in the world. Iran answered none of the strikes on its soil that "
        "followed its own rounds (Pakistan, Jan 2024; Israel, Apr 19 and Oct 26, 2024 [PressReports]); one event "
        "each, so judgement, plausible range 0-3.",
    )
    surge_weight: float = P(
        0.5, 0.0, 10.0, "utility/humiliation",
        "Utility of a proxy surge per unit of effective humiliation; judgement (Iran's proxies, not Iran, carried "
        "most of the pressure after Jan 2020 [PressReports]), plausible range 0.2-1.",
    )
    direct_weight: float = P(
        1.0, 0.0, 10.0, "utility/humiliation",
        "Utility of a direct strike (warned or not) per unit of effective humiliation; judgement, set with the "
        "costs below so that under crisis_2019_2020 (commander killed, no talks) a warned salvo is chosen in "
        "~0.7 of worlds (one event, Jan 8, 2020 [PressReports]); plausible range 0.5-2.",
    )
    surge_cost: float = P(
        1.0, -10.0, 20.0, "utility",
        "Fixed cost of a proxy surge (exposure of the factions, Iraqi backlash); judgement, plausible range 0-2.",
    )
    warned_salvo_cost: float = P(
        0.5, -10.0, 20.0, "utility",
        "Fixed cost of a warned, casualty-avoiding salvo (the firebreak of a state-on-state strike crossed "
        "openly); judgement set so that Iran answers the commander's killing directly within 30 days in "
        "~83 % of crisis worlds, inside the record's range [0.8, 1] for its one warned salvo on US forces "
        "(Jan 2020 [PressReports]); plausible range 0-2.",
    )
    unwarned_strike_cost: float = P(
        1.7, -10.0, 20.0, "utility",
        "Fixed cost of an unwarned strike meant to kill, before its larger expected US answer; judgement so that "
        "it is chosen in ~0.1 of worlds under crisis_2019_2020 (Iran warned in Jan 2020 and Apr 2024; Oct 2024 "
        "came with short warning [PressReports]), plausible range 1-3.",
    )
    restraint_weight: float = P(
        1.0, 0.0, 10.0, "utility/score",
        "Utility removed from every answer (surge or direct) per unit of posture restraint, talks_restraint x "
        "talks + economic_restraint x economic_exposure (the posture score's own terms: talks and Iraq's "
        "economy restrain Iran [MilitiasRogue2021] [DoubleGame2021]); judgement, plausible range 0.5-2.",
    )
    war_cost: float = P(
        10.0, 0.0, 100.0, "utility",
        "Iran's cost of war: utility lost per unit of probability that the US answers the option with a strike "
        "on Iran; judgement (Iran's rounds of 2020-2024 were shaped to avoid an answer [PressReports]), "
        "plausible range 5-20.",
    )
    us_answer_scale: float = P(
        4.0, 0.1, 50.0, "pressure",
        "Iran's uncertainty about the US answer: P(US strikes Iran) is a logistic of (US pressure after the "
        "option + US hostility toward Iran - the US Iran-strike bar) / this scale; judgement, plausible range 2-8.",
    )
    round_cost: float = P(
        1.0, 0.0, 20.0, "utility/round",
        "Cost to Iran of another direct strike per round already fought in the running exchange (every direct "
        "round of 2020-2024 ended after one answer or none [PressReports]); judgement, plausible range 0.5-3.",
    )
    us_round_cost: float = P(
        3.0, 0.0, 100.0, "pressure/round",
        "Raise of the US's Iran-strike bar per round already fought in the running exchange (Israel's answers of "
        "Apr 19 and Oct 26, 2024 were limited and final [PressReports]); judgement, plausible range 1-8.",
    )
    surge_days: int = P(
        30, 1, 365, "days",
        "Days a proxy surge holds the factions' directive at escalation; judgement, plausible range 14-90.",
    )
    salvo_size: int = P(
        16, 1, 1000, "missiles",
        "Missiles in the model's own salvo (Jan 2020: 16 [PressReports]): the reference a scripted strike's "
        "size scales casualties against.",
    )
    salvo_kill_probability_warned: float = P(
        0.05, 0.0, 1.0, "probability",
        "Probability a warned salvo kills Americans (Jan 2020: 16 missiles, none killed; Apr 2024: ~320 drones "
        "and missiles telegraphed days ahead, no deaths [PressReports]); judgement, plausible range 0-0.1.",
    )
    salvo_kill_probability_unwarned: float = P(
        0.5, 0.0, 1.0, "probability",
        "Probability an unwarned salvo kills Americans (Oct 2024: ~180-200 missiles on short warning, one death "
        "[PressReports]); one event, judgement, plausible range 0.3-0.6.",
    )
    salvo_killed_mean: float = P(4.0, 0.0, 500.0, "people", "Mean dead when a salvo kills.")
    salvo_wounded_mean: float = P(80.0, 0.0, 5000.0, "people", "Mean wounded per salvo (Jan 2020: ~110 brain injuries [PressReports]).")
    humiliation_after_salvo: float = P(
        0.3, 0.0, 1.0, "share",
        "Share of humiliation left after a direct strike: the salvo is the answer (Jan 2020: Iran declared its "
        "response concluded [PressReports]); judgement.",
    )
    war_after_rounds: int = P(
        4, 3, 8, "rounds",
        "Rounds of one direct exchange (state-on-state strikes, each answering the other state's last within "
        "exchange_window days; the opening strike is round 1) at which open war begins (rung 7). No exchange of "
        "2020-2024 went past one answer [PressReports]; judgement, range 3-8.",
    )
    exchange_window: int = P(
        30, 1, 365, "days",
        "Days within which a direct strike counts as an answer to the other state's last; an exchange with no "
        "answer within them ends (Israel answered on Apr 19 and Oct 26, 2024: 6 and 25 days [PressReports]).",
    )


class QudsForceConfig(Strict):
    """The Quds Force: the leash on the militias and their supply."""

    leash_strength: float = P(0.8, 0.0, 1.0, "share", "How much of Tehran's directive reaches the militias (baseline).")
    leash_drop_on_commander_killed: float = P(0.5, 0.0, 1.0, "share", "Share of the leash lost when its commander is killed.")
    leash_recovery_half_life: float = P(240.0, 1.0, 36500.0, "days", "Half-life of the leash's recovery toward its baseline.")
    capability_supply_rate: float = P(0.003, 0.0, 1.0, "levels/day", "Capability progress supplied per day under calibrated pressure.")
    supply_under_restraint: float = P(
        0.5, 0.0, 10.0, "multiplier", "Multiplier of capability_supply_rate while Iran restrains its proxies; judgement."
    )
    supply_under_escalation: float = P(
        2.0, 0.0, 10.0, "multiplier", "Multiplier of capability_supply_rate while Iran escalates; judgement."
    )


class IraqiGovernmentConfig(Strict):
    """The Iraqi government: sovereignty backlash and pressure on the militias."""

    sovereignty_half_life: float = P(60.0, 1.0, 3650.0, "days", "Half-life of sovereignty pressure.")
    sovereignty_per_strike: float = P(0.6, 0.0, 50.0, "pressure", "Sovereignty pressure per US strike on Iraqi soil.")
    sovereignty_per_leader_killing: float = P(4.0, 0.0, 50.0, "pressure", "Sovereignty pressure per leader killed by the US in Iraq.")
    withdrawal_demand_threshold: float = P(3.5, 0.0, 100.0, "pressure", "Sovereignty pressure at which parliament demands a US withdrawal.")
    militia_pressure: float = P(0.5, 0.0, 10.0, "weight", "Everyday pressure on militias to hold back.")
    election_pressure: float = P(1.5, 0.0, 10.0, "weight", "Extra pressure within an election window (truces around elections).")


class Context(Strict):
    """The strategic setting."""

    common_enemy: float = P(0.0, 0.0, 1.0, "share", "Threat of a common enemy (ISIS, 2014-17) that both sides fight [StrangeBedfellows2015].")
    common_enemy_restraint: float = P(2.0, 0.0, 10.0, "log-rate", "Reduction of militia log attack rate at common_enemy = 1.")
    common_enemy_forbearance: float = P(
        2.0, 0.0, 50.0, "pressure",
        "Raise of every US response threshold at common_enemy = 1: the US bore with the militias while both fought "
        "ISIS [StrangeBedfellows2015] [OldEnemiesAllies2018]; judgement.",
    )
    external_grievance: float = P(0.0, 0.0, 20.0, "grievance", "Standing grievance from events outside Iraq (e.g. a regional war).")
    mission_end_restraint: float = P(
        0.0, 0.0, 5.0, "log-rate",
        "Reduction of the factions' log attack rate per `mission_end` event's weight: the US agreed to end (part "
        "of) its mission, the factions' stated aim is met in part (the end of the combat mission, Dec 2021, "
        "after which attacks fell to ~3 a month; the 2024 agreement to end the coalition mission [PressReports]); "
        "0 (the default) no effect; judgement, range 0-2.",
    )


class Hostility(Strict):
    """Richardson-style hostility per dyad [Richardson1960]: rises with the other side's actions, decays over time."""

    half_life: float = P(30.0, 1.0, 3650.0, "days", "Half-life of hostility.")
    reaction: float = P(0.05, 0.0, 10.0, "hostility/score", "Hostility added per escalation-score point of the other side's actions.")
    proxy_blame: float = P(
        0.3, 0.0, 5.0, "share",
        "Share of the militias' escalation score the US holds against Iran, times the leash (the US holds Iran "
        "responsible for its proxies' attacks [DoDBriefings2024]); judgement.",
    )



class OutcomeDefinitions(Strict):
    """How a world's history is classed: quiet, provocation, crisis, contained exchange or confrontation.

    Definitions, not parameters of the worlds: they change how results are read, never what happens, so
    they are not parameter paths (sweeps cannot vary them). ``escalation thesis --definition broad``
    reads the same results under the broader definition.
    """

    confrontation_rounds: int = Field(
        3, ge=2, le=20,
        description="A direct exchange of this many rounds (each a state-on-state strike answering the other "
        "state's last within the exchange window) is a confrontation even before open war. With 3, one strike "
        "answered once and then stopped is a contained exchange (every direct round of 2020-2024 ended after "
        "one answer or none [PressReports]); judgement, range 2-5.",
        json_schema_extra={"unit": "rounds"},
    )
    exchange_is_confrontation: bool = Field(
        False,
        description="The broader definition: any direct exchange (one state answering the other's direct "
        "strike) counts as confrontation, so there is no contained exchange.",
        json_schema_extra={"unit": "flag"},
    )
