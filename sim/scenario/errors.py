"""Scenario errors: a pydantic ValidationError turned into one line naming the file, the key and the fix.

Only the first problem is reported; the line says what was expected, with a did-you-mean hint for a
mistyped key (:func:`sim.yamlio.did_you_mean`).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.errors import InputError
from sim.yamlio import did_you_mean


class ScenarioError(InputError):
    """A scenario file that cannot be used: one line naming the file, the key and what was expected."""


def scenario_error(error: ValidationError, root: type[BaseModel], source: str) -> ScenarioError:
    """The first problem of a failed validation of ``root`` as one ScenarioError line."""
    key, message = _describe(error.errors(include_url=False)[0], root)
    return ScenarioError(message, file=source, key=key or None)


def _format_location(location: list) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _expected_keys(valid: list[str]) -> str:
    if not valid:
        return ""
    if len(valid) > 10:
        return "; see `escalation schema` for the valid keys"
    return f"; expected one of {', '.join(valid)}"


def _describe(error: dict[str, Any], root: type[BaseModel]) -> tuple[str, str]:
    location = list(error["loc"])
    if len(location) > 2 and location[0] == "timeline" and isinstance(location[1], int):
        del location[2]  # the event type pydantic adds for the discriminated union
    kind = error["type"]
    key = _format_location(location)
    if kind == "extra_forbidden":
        valid = _valid_keys_at(root, [str(p) for p in location[:-1]])
        return key, f"unknown key{did_you_mean(str(location[-1]), valid)}{_expected_keys(valid)}"
    if kind == "union_tag_invalid":
        ctx = error.get("ctx", {})
        return key + ".type", f"unknown event type {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return key + ".type", "missing event type; expected a key 'type' (see `escalation schema` for the event types)"
    if kind == "missing":
        return key, "missing required key"
    message = error["msg"]
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
        match = re.match(r"^([\w\[\]\.]+): (.*)$", message)
        if match and not location:
            return match.group(1), match.group(2)
        return key, message
    got = error.get("input")
    got_text = _got(got)
    if kind in _EXPECTED:
        return key, f"{_EXPECTED[kind]}{' (unquoted)' if _quoted_value(got, kind) else ''}{got_text}"
    if message.startswith("Input should be "):
        rest = message.removeprefix("Input should be ")
        message = "expected " + (rest if rest.startswith(("a ", "an ", "'", "at ")) else "a value " + rest)
    return key, f"{message}{got_text}"


_EXPECTED = {  # strict types: what a field of this type takes, in the words of a YAML file
    "bool_type": "expected a valid boolean (true or false)",
    "float_type": "expected a valid number",
    "int_type": "expected a valid integer",
    "int_from_float": "expected a valid integer",
    "string_type": "expected a valid string",
    "date_type": "expected a valid date (YYYY-MM-DD)",
    "finite_number": "expected a finite number",
    "list_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
}


def _quoted_value(value: Any, kind: str) -> bool:
    """Whether ``value`` is a string that would be right unquoted (``'0.5'`` for a number, ``'2019-10-01'``)."""
    import datetime as dt

    if not isinstance(value, str):
        return False
    parse = {"float_type": float, "finite_number": float, "int_type": int, "date_type": dt.date.fromisoformat}.get(kind)
    try:
        return parse is not None and parse(value.strip()) is not None
    except ValueError:
        return False


def _got(value: Any) -> str:
    """``", got 1.5"`` for a short plain value; only its kind for anything else, so that a message never
    echoes more than a few characters of a file's contents (pydantic's ``input_value`` is never shown)."""
    import datetime as dt

    if isinstance(value, dict):
        return ", got a mapping"
    if isinstance(value, (list, tuple)):
        return ", got a list"
    if value is None:
        return ", got nothing (null)"
    if isinstance(value, (bool, int, float, dt.date)):
        text = repr(value) if not isinstance(value, dt.date) else str(value)
        return f", got {text}" if len(text) <= 40 else f", got a {type(value).__name__} of {len(text)} digits"
    if isinstance(value, str):
        return f", got {value!r}" if len(value) <= 40 else f", got a text of {len(value)} characters"
    return f", got a {type(value).__name__}"


def _valid_keys_at(root: type[BaseModel], location: list[str]) -> list[str]:
    """The keys valid at a location of the schema (for an unknown-key hint)."""
    model: Any = root
    for part in location:
        if isinstance(model, type) and issubclass(model, BaseModel):
            field = model.model_fields.get(part)
            if field is None:
                return []
            model = field.annotation
        else:
            model = getattr(model, "__args__", (None, None))[-1]
        if model is None:
            return []
        args = getattr(model, "__args__", None)
        origin = getattr(model, "__origin__", None)
        if args and origin is not dict and not (isinstance(model, type) and issubclass(model, BaseModel)):
            candidates = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            model = candidates[0] if len(candidates) == 1 else model
    if isinstance(model, type) and issubclass(model, BaseModel):
        return sorted(model.model_fields)
    return []
