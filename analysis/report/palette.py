"""One colour per actor, rung, outcome class and scenario, shared by every figure.

All categorical colours come from the Okabe-Ito palette [OkabeIto2008], which stays distinguishable
under the common colour-vision deficiencies. Continuous quantities (a probability over a parameter grid)
use ``cividis`` [Nunez2018], a perceptually uniform map readable with deuteranopia and protanopia.
"""

from __future__ import annotations

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
GREY = "#999999"
LIGHT_GREY = "#D9D9D9"

ACTOR_COLORS = {
    "united_states": OKABE_ITO["blue"],
    "iran": OKABE_ITO["bluish_green"],
    "quds_force": OKABE_ITO["reddish_purple"],
    "iraqi_government": OKABE_ITO["orange"],
    "militias": OKABE_ITO["vermillion"],
}
ACTOR_LABELS = {
    "united_states": "United States",
    "iran": "Iran",
    "quds_force": "Quds Force",
    "iraqi_government": "Iraqi government",
    "militias": "militias",
}

# Rungs 0-7 run cool -> hot -> black, so the order of the ladder reads off the colour.
RUNG_COLORS = (
    LIGHT_GREY,                    # 0 rhetoric / threat
    OKABE_ITO["sky_blue"],         # 1 harassment
    OKABE_ITO["blue"],             # 2 attack, no casualties
    OKABE_ITO["yellow"],           # 3 attack with casualties
    OKABE_ITO["orange"],           # 4 strike on militia sites
    OKABE_ITO["vermillion"],       # 5 leader killed
    OKABE_ITO["reddish_purple"],   # 6 direct state-on-state strike
    OKABE_ITO["black"],            # 7 sustained open war
)

# An outcome class takes the colour of the rung that typically tops it.
OUTCOME_COLORS = {
    "quiet": OKABE_ITO["sky_blue"],
    "provocation": OKABE_ITO["orange"],
    "crisis": OKABE_ITO["vermillion"],
    "contained_exchange": OKABE_ITO["reddish_purple"],
    "confrontation": OKABE_ITO["black"],
}

# Scenarios compared side by side: distinct hues first, then line styles take over.
SCENARIO_COLORS = (
    OKABE_ITO["blue"], OKABE_ITO["vermillion"], OKABE_ITO["bluish_green"], OKABE_ITO["reddish_purple"],
    OKABE_ITO["orange"], OKABE_ITO["sky_blue"], OKABE_ITO["black"],
)
SCENARIO_LINESTYLES = ("-", "--", "-.", ":")

VERDICT_COLORS = {
    "holds": OKABE_ITO["bluish_green"],
    "fails": OKABE_ITO["vermillion"],
    "inconclusive": GREY,
}

CONTINUOUS_CMAP = "cividis"

NON_MILITIA_ACTORS = ("united_states", "iran", "quds_force", "iraqi_government")


def actor_color(actor: str) -> str:
    """Colour of an actor; every militia faction shares the militia colour."""
    return ACTOR_COLORS.get(actor, ACTOR_COLORS["militias"])


def scenario_style(index: int) -> dict:
    """Colour and line style of the ``index``-th scenario in a comparison."""
    return {
        "color": SCENARIO_COLORS[index % len(SCENARIO_COLORS)],
        "linestyle": SCENARIO_LINESTYLES[(index // len(SCENARIO_COLORS)) % len(SCENARIO_LINESTYLES)],
    }


def rung_color(rung: int) -> str:
    """Colour of a rung 0-7."""
    return RUNG_COLORS[int(rung)]


STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#E5E5E5",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "svg.fonttype": "none",
}


def style_context():
    """A matplotlib rc context with the report style (use as ``with style_context(): ...``)."""
    import matplotlib as mpl  # here: the colours and labels above are read by commands that draw nothing

    return mpl.rc_context(STYLE)
