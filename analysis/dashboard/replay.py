"""Replaying a stored world: what reruns world K of a batch or sweep alone, exactly as it ran.

Every draw of a world is keyed by its 64-bit world seed, so one stored world reruns alone from its
scenario, world seed, parameter values (a sweep's design point) and horizon; :func:`replay_spec` reads
them from a results directory (``escalation app --replay RESULTS_DIR --world K``) and
:func:`replay_params` turns them into the dashboard model's fixed arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.errors import InputError


def replay_spec(results_dir: str | Path, world: int) -> dict[str, Any]:
    """Everything needed to rerun one stored world alone: scenario, seed, parameter values and horizon.

    Args:
        results_dir: a directory written by ``escalation batch`` or ``escalation sweep``.
        world: the world id (the ``world`` column).

    Returns:
        ``{"results", "name", "kind", "world", "scenario", "world_seed", "overrides", "days",
        "warnings", "stored"}``; ``stored`` holds the stored world's highest rung, outcome class, attacks,
        Americans killed and event count (None when the run kept no events), to compare on the page.

    Raises:
        InputError: the directory is missing or not a results store, or the world is not stored.
    """
    from sim.scenario import load_scenario

    path = Path(results_dir)
    if not path.is_dir():
        raise InputError("no such results directory", file=str(path))
    from analysis.runs.store import open_results  # pandas and pyarrow: only for a directory that is there

    results = open_results(path)
    total = results.worlds_total
    if world is None:
        raise InputError("--replay needs --world K (a world id)", key="--world")
    if not 0 <= int(world) < total:
        raise InputError(f"world {world} is out of range: this {results.kind} has worlds 0 to {total - 1}",
                         file=str(path), key="--world")
    world = int(world)
    seed = results.world_seed(world)  # raises if the world is not stored yet
    scenario_name = results.world_scenario(world)
    entry = next((s for s in results.manifest.get("scenarios", []) if s.get("name") == scenario_name), {})
    stored_path = entry.get("path")
    scenario_ref = scenario_name
    try:
        scenario = load_scenario(scenario_name)
    except InputError:
        if not stored_path or not Path(stored_path).is_file():
            raise
        scenario_ref, scenario = stored_path, load_scenario(stored_path)
    warnings = []
    if entry.get("sha256") and entry["sha256"] != scenario.content_hash():
        warnings.append(f"scenario '{scenario_name}' changed since the {results.kind} ran; the replay may differ")
    recorded = results.manifest.get("model_code")
    if recorded:
        from analysis.runs.executors import model_fingerprint

        if recorded != model_fingerprint():
            warnings.append(f"the model code changed since the {results.kind} ran; the replay may differ")
    days = results.manifest.get("days")
    stored = results.outcomes(columns=["max_rung", "outcome", "attacks", "us_killed"], worlds=[world]).iloc[0]
    return {
        "results": str(path), "name": results.name, "kind": results.kind, "world": world,
        "scenario": scenario_ref, "world_seed": int(seed), "overrides": results.world_overrides(world),
        "days": None if days is None else int(days), "warnings": warnings,
        "stored": {"max_rung": int(stored["max_rung"]), "outcome": str(stored["outcome"]),
                   "attacks": int(stored["attacks"]), "us_killed": int(stored["us_killed"]),
                   "events": len(results.events(columns=["world"], worlds=[world]))
                   if results.manifest["tables"].get("events") else None},
    }


def replay_params(scenario: str, replay: dict[str, Any]) -> dict[str, Any]:
    """The dashboard model's arguments for a replay: scenario, seed, days and parameter values all fixed."""
    return {
        "scenario": scenario, "days": replay.get("days"), "world_seed": int(replay["world_seed"]),
        "world_id": int(replay["world"]), **replay.get("overrides", {}),
    }
