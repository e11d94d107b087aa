"""Reading YAML input safely: one helper for every file a user hands the project.

Scenarios, sweep specs and targets files are read through :func:`read_yaml`: it loads with a safe
loader (no tags that construct objects), refuses duplicate keys instead of letting the last one win,
and turns every failure (a missing or unreadable file, bytes that are not UTF-8, a syntax error,
nesting too deep to parse) into one :class:`~sim.errors.InputError` line naming the file and place.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from sim.errors import InputError

MAX_BYTES = 16 * 1024 * 1024  # no scenario, sweep or targets file comes near this; larger is a mistake
MAX_DEPTH = 64  # deepest nesting accepted (a scenario is five levels deep at most)


def did_you_mean(word: str, choices: Iterable[str], cutoff: float = 0.5) -> str:
    """A ``" (did you mean 'x'?)"`` hint for a mistyped name, or ``""`` when nothing is close."""
    close = difflib.get_close_matches(str(word), sorted(set(map(str, choices))), n=1, cutoff=cutoff)
    return f" (did you mean '{close[0]}'?)" if close else ""


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate mapping keys, absurd nesting, aliases and impossible dates.

    Booleans are YAML 1.2's ``true`` / ``false`` only: ``yes``, ``no``, ``on`` and ``off`` stay strings
    (so ``front_name: no`` is the text "no", and ``talks_active: yes`` is refused as not a boolean).
    """

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as error:
            raise yaml.constructor.ConstructorError(
                None, None, f"impossible date {node.value!r} ({error}); expected YYYY-MM-DD", node.start_mark) from None

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value, not a list or mapping", key_node.start_mark) from None
            if key in seen:
                mark = key_node.start_mark
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first at line {seen[key].line + 1})", mark)
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)

    def compose_node(self, parent, index):
        if self.check_event(yaml.events.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not accepted; write the value out", mark)
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(None, None, f"nesting deeper than {MAX_DEPTH} levels", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_StrictLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                    list("tTfF"))
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp)


def yaml_error_line(error: yaml.YAMLError) -> str:
    """One line for a YAML error: ``line L, column C: problem``."""
    mark = getattr(error, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    return f"{where}{problem}"


def parse_yaml(text: str, file: str | None = None) -> Any:
    """Parse YAML text strictly (see the module docstring); errors are one InputError line."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - _StrictLoader is a SafeLoader
    except yaml.YAMLError as error:
        raise InputError(f"YAML syntax error at {yaml_error_line(error)}", file=file) from None
    except RecursionError:
        raise InputError(f"YAML nested too deeply to read (at most {MAX_DEPTH} levels expected)", file=file) from None
    except (ValueError, TypeError, OverflowError) as error:  # a value the safe constructors cannot build
        raise InputError(f"YAML value cannot be read ({type(error).__name__}); expected plain YAML", file=file) from None


def read_text(path: str | Path, expected: str = "a YAML text file") -> str:
    """Read a text file as UTF-8; a missing, unreadable, oversized, binary or non-UTF-8 file is one InputError.

    The error names the file and, for bad bytes, their offset (``byte 17 is 0xff``).
    """
    path = Path(path)
    file = str(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InputError(f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB; expected {expected}", file=file)
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", file=file) from None
    except IsADirectoryError:
        raise InputError(f"is a directory; expected {expected}", file=file) from None
    except OSError as error:
        raise InputError(f"cannot read file ({error.strerror or type(error).__name__})", file=file) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"not UTF-8 text (byte {error.start} is 0x{raw[error.start]:02x}); expected {expected}",
                         file=file) from None
    if "\x00" in text:
        raise InputError(f"contains a NUL byte at offset {raw.index(0)}; expected {expected}", file=file)
    return text


def read_json(path: str | Path, expected: str = "a JSON file") -> Any:
    """Read and parse a JSON file; bad bytes, syntax or nesting too deep are one InputError (file and place)."""
    text = read_text(path, expected)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); expected {expected}",
                         file=str(path)) from None
    except RecursionError:
        raise InputError(f"JSON nested too deeply to read; expected {expected}", file=str(path)) from None


def read_yaml(path: str | Path) -> Any:
    """Read and parse a YAML file; a missing, unreadable, oversized or non-UTF-8 file is one InputError."""
    return parse_yaml(read_text(path), file=str(path))
