"""The scenario reference, generated from the pydantic schema itself so it cannot drift from the code."""

from __future__ import annotations

import typing
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.scenario import EventBase, Faction, Scenario, TimelineEvent, field_bounds as _bounds


def _type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in args)
    if origin is typing.Union or str(origin) == "types.UnionType":
        return " | ".join(_type_name(a) for a in args if a is not type(None)) + (" | null" if type(None) in args else "")
    if origin in (list, dict):
        return f"{origin.__name__}[{', '.join(_type_name(a) for a in args)}]"
    if origin is typing.Annotated:
        return _type_name(args[0])
    return getattr(annotation, "__name__", str(annotation))


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value = field.default_factory()
        return "(section)" if isinstance(value, BaseModel) else ("(see below)" if isinstance(value, dict) else repr(value))
    return str(field.default) if hasattr(field.default, "isoformat") else repr(field.default)


def _range(field: FieldInfo) -> str:
    lo, hi = _bounds(field)
    if lo is None and hi is None:
        return ""
    return f"{'' if lo is None else lo} .. {'' if hi is None else hi}"


KEY_NAMES = {"priors": "<path>", "ensembles": "<scenario>"}  # mappings keyed by free text (sim/scenario/uncertainty.py)


def _rows(model: type[BaseModel], prefix: str) -> list[tuple[str, str, str, str, str, str]]:
    rows = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation = field.annotation
        unit = (field.json_schema_extra or {}).get("unit", "") if isinstance(field.json_schema_extra, dict) else ""
        nested = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
        if nested is not None:
            rows.append((path, "section", "", "", "", field.description or ""))
            rows.extend(_rows(nested, path + "."))
            continue
        if get_origin(annotation) is dict:
            key_type, value_type = get_args(annotation)
            if isinstance(value_type, type) and issubclass(value_type, BaseModel):
                key = "<faction>" if value_type is Faction else KEY_NAMES.get(name, "<weapon>")
                doc = field.description or ""
                if get_args(key_type):  # a Literal of the allowed keys
                    doc += f" Keys ({key}): {', '.join(get_args(key_type))}."
                rows.append((path, "mapping", "", "", _default(field), doc))
                rows.extend(_rows(value_type, f"{path}.{key}."))
                continue
        if path == "timeline":
            rows.append((path, "list of events", "", "", "[]", field.description or ""))
            continue
        rows.append((path, _type_name(annotation), unit, _range(field), _default(field), field.description or ""))
    return rows


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return str(text).replace("|", "\\|")


def scenario_reference() -> str:
    """Markdown reference of every scenario key: meaning, unit, range and default."""
    lines = [
        "# Scenario reference",
        "",
        "Generated from the schema in `sim/scenario/` by `escalation schema`; do not edit by hand.",
        "Ranges are inclusive. A scenario may set any subset of keys; `extends:` inherits another",
        "scenario (mappings merge key by key, lists such as `timeline` and `sources` of the child replace",
        "or extend the parent's as noted; a faction set to `null` is removed).",
        "",
        "| key | type | unit | range | default | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for path, kind, unit, bounds, default, doc in _rows(Scenario, ""):
        lines.append(f"| `{path}` | {_cell(kind)} | {unit} | {bounds} | {_cell(default)} | {_cell(doc)} |")
    lines += [
        "",
        "## Timeline events",
        "",
        "Each event has `type`, exactly one of `date` (ISO, on or after `start_date`) or `day` (0-based),",
        "and optional `note` and `source`. Events that name a faction must name one of the scenario's.",
        "",
    ]
    for event_type in get_args(get_args(TimelineEvent)[0]):
        name = get_args(event_type.model_fields["type"].annotation)[0]
        lines.append(f"### `{name}`: {(event_type.__doc__ or '').strip()}")
        lines.append("")
        lines.append("| key | type | range | default | meaning |")
        lines.append("|---|---|---|---|---|")
        for field_name, field in event_type.model_fields.items():
            if field_name in EventBase.model_fields or field_name == "type":
                continue
            lines.append(
                f"| `{field_name}` | {_cell(_type_name(field.annotation))} | {_range(field)} | {_cell(_default(field))} | "
                f"{_cell(field.description or '')} |"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
