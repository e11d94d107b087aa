"""Loading scenarios: shipped names or paths, the strict YAML reader, and ``extends:`` inheritance.

Files are read with :func:`sim.yamlio.read_yaml` (safe loader, duplicate keys refused, one error line).
A child scenario deep-merges into its parent: mappings merge key by key, lists replace the parent's
(``sources`` accumulate), and a faction set to ``null`` is removed.

``extends:`` names a shipped scenario (``extends: baseline``) or a YAML file in the scenario's own folder
(``extends: common.yaml``, sub-folders allowed). A file anywhere else is refused (it is not even read), unless
the analyst names its folder: ``--scenario-path DIR`` on the command line, or the environment variable
``ESCALATION_SCENARIO_PATH`` (folders separated by ``os.pathsep``); bare names and relative paths are then
also looked up in those folders.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sim.errors import InputError
from sim.scenario.errors import ScenarioError
from sim.scenario.schema import Scenario, validate_scenario
from sim.yamlio import did_you_mean, read_yaml


def scenarios_dir() -> Path:
    """The folder of shipped scenarios."""
    return Path(str(resources.files("scenarios")))


SCENARIO_PATH_ENV = "ESCALATION_SCENARIO_PATH"


def scenario_search_path() -> list[Path]:
    """Extra folders ``extends:`` may reach: ``$ESCALATION_SCENARIO_PATH`` (set by ``--scenario-path DIR``)."""
    return [Path(p).expanduser().resolve() for p in os.environ.get(SCENARIO_PATH_ENV, "").split(os.pathsep) if p]


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def _extends_path(child: Path, name: str) -> Path:
    """The file ``extends: name`` of ``child`` names, confined to its folder, the shipped scenarios and the search path."""
    search = scenario_search_path()
    roots = [child.parent.resolve(), scenarios_dir().resolve(), *search]
    hint = ("expected a shipped scenario name or a YAML file in this scenario's folder (give another folder "
            "with --scenario-path DIR or $" + SCENARIO_PATH_ENV + ")")
    if name.endswith((".yaml", ".yml")) or "/" in name or os.sep in name:
        candidates = [child.parent / name] + ([] if Path(name).is_absolute() else [root / name for root in search])
        allowed = [c.resolve() for c in candidates if _inside(c.resolve(), roots)]
        if not allowed:
            raise ScenarioError(f"{name!r} is outside the allowed folders; {hint}", file=str(child), key="extends")
        found = next((c for c in allowed if c.is_file()), None)
        if found is None:
            raise ScenarioError(f"file {name!r} not found; {hint}", file=str(child), key="extends")
        return found
    for root in search:
        candidate = (root / f"{name}.yaml").resolve()
        if _inside(candidate, roots) and candidate.is_file():
            return candidate
    shipped = scenarios_dir() / f"{name}.yaml"
    if not shipped.is_file():
        names = [p.stem for p in scenarios_dir().glob("*.yaml")]
        raise ScenarioError(f"unknown scenario {name!r}{did_you_mean(name, names)}; expected one of "
                            f"{', '.join(sorted(names))}, a YAML file in this scenario's folder, or one under "
                            f"--scenario-path DIR", file=str(child), key="extends")
    return shipped


def _check_sources(data: dict[str, Any], path: Path) -> None:
    sources = data.get("sources")
    if "sources" in data and not (isinstance(sources, list) and all(isinstance(s, str) for s in sources)):
        raise ScenarioError("expected a list of citations (text), e.g. sources: [\"[PressReports]\"]", file=str(path),
                            key="sources")


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """A path for a scenario name (a file in scenarios/) or a path to a YAML file."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists() or "/" in str(name_or_path):
        if not candidate.is_file():
            raise ScenarioError("file not found; expected a scenario YAML file", file=str(name_or_path))
        return candidate
    shipped = scenarios_dir() / f"{name_or_path}.yaml"
    if not shipped.is_file():
        names = [p.stem for p in scenarios_dir().glob("*.yaml")]
        raise ScenarioError(
            f"unknown scenario '{name_or_path}'{did_you_mean(str(name_or_path), names)}; "
            f"expected one of {', '.join(sorted(names))} or a path to a YAML file"
        )
    return shipped


def _read_mapping(path: Path) -> dict[str, Any]:
    try:
        data = read_yaml(path)
    except InputError as error:
        raise ScenarioError(error.message, file=error.file, key=error.key) from None
    if not isinstance(data, dict):
        raise ScenarioError("expected a mapping of scenario keys at the top level", file=str(path))
    return data


def _deep_merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    merged = dict(parent)
    for key, value in child.items():
        if value is None and key in merged and isinstance(merged[key], dict):
            merged.pop(key)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _resolve_extends(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    path = path.resolve()
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise ScenarioError(f"circular 'extends' ({cycle}); expected a chain that ends", file=str(chain[0]), key="extends")
    data = _read_mapping(path)
    _check_sources(data, path)
    parent_name = data.get("extends")
    if parent_name is None:
        return data
    if (not isinstance(parent_name, str) or not parent_name.strip() or "\x00" in parent_name
            or len(parent_name) > 1024):
        raise ScenarioError("expected the name or path of another scenario", file=str(path), key="extends")
    parent_path = _extends_path(path, parent_name)
    parent = _resolve_extends(parent_path, (*chain, path))
    parent.pop("name", None)
    parent.pop("title", None)
    parent.pop("summary", None)
    merged = _deep_merge(parent, data)
    merged["sources"] = list(dict.fromkeys([*parent.get("sources", []), *data.get("sources", [])]))
    return merged


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load and validate a scenario by shipped name or by path, resolving ``extends:``."""
    path = resolve_scenario_path(name_or_path)
    data = _resolve_extends(path)
    data.setdefault("name", path.stem)
    return validate_scenario(data, source=str(name_or_path if Path(name_or_path).suffix else path))


@dataclass(frozen=True)
class ScenarioInfo:
    """One line about a shipped scenario."""

    name: str
    path: Path
    title: str
    summary: str


def list_scenarios() -> list[ScenarioInfo]:
    """The shipped scenarios, each loaded and validated."""
    infos = []
    for path in sorted(scenarios_dir().glob("*.yaml")):
        scenario = load_scenario(path)
        infos.append(ScenarioInfo(scenario.name, path, scenario.title, scenario.summary))
    return infos
