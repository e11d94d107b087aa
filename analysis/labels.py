"""One spelling per actor, faction and front: ids in data columns, one human label (from here) in text.

The display rule:

* **Data columns** (the events table's ``actor``, ``target``, ``claimed_by``, ``attributed_to``; the
  outcomes' ``attacks_<faction>``) hold ids: a faction's scenario key (``harakat_al_nujaba``), an actor's
  key (``united_states``). A claim under a front name holds the front's name as the scenario gives it
  (``militias.<faction>.front_name``, by default ``front of <faction name>``, set in
  :class:`sim.actors.militia.Militia`): a front has no other id.
* **Text** (printed summaries, report and dashboard prose) names a faction by its scenario ``name``
  (``Harakat al-Nujaba``), a state actor by :data:`analysis.report.palette.ACTOR_LABELS`
  (``United States``), and a front by its name exactly as stored. No text prints a faction key, nor a key
  with its underscores replaced (``harakat al nujaba``).

:func:`display_labels` is that rule for one scenario; :func:`label` and :func:`claim_text` apply it.
"""

from __future__ import annotations

from collections.abc import Mapping

PLACE_LABELS = {  # ids of the events' ``target`` and ``location`` columns that are places, not actors
    "base_iraq": "base in Iraq",
    "base_syria": "base in Syria",
    "us_forces": "US forces",
    "iraq": "Iraq",
    "syria": "Syria",
}


def display_labels(scenario) -> dict[str, str]:
    """The text label of every actor and faction id of a scenario's tables.

    Args:
        scenario: a loaded :class:`sim.scenario.Scenario`.

    Returns:
        ``{id: label}``: places (:data:`PLACE_LABELS`), state actors (``ACTOR_LABELS``), factions by their
        scenario names.
    """
    from analysis.report.palette import ACTOR_LABELS

    labels = {**PLACE_LABELS, **ACTOR_LABELS}
    labels.update({key: faction.name for key, faction in scenario.militias.items()})
    return labels


def label(value: object, labels: Mapping[str, str]) -> str:
    """The text for one id of a data column: its label, else the id with spaces for underscores.

    Ids without a label are not names (``base_iraq``, ``ballistic_missiles``), so they read as words.
    """
    text = str(value)
    return labels.get(text, text.replace("_", " "))


def claim_text(claimed_by: object, labels: Mapping[str, str]) -> str:
    """How a claim reads in text: ``claimed by Kataib Hezbollah``, or under a front name, quoted as stored.

    Args:
        claimed_by: the ``claimed_by`` value of an event ('' for no claim).
        labels: :func:`display_labels` of the event's scenario.

    Returns:
        The phrase, or '' when nothing was claimed.
    """
    text = str(claimed_by)
    if not text:
        return ""
    if text in labels:
        return f"claimed by {labels[text]}"
    return f'claimed under the front name "{text}"'
