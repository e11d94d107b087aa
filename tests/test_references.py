"""One bibliography: docs/references.md defines every work the repository cites as [Key].

* every [Key] cited in a .py, .md or .yaml file is defined there, and every entry there is cited somewhere;
* each entry says what the project uses the work for;
* no file of the repository points at material a clone does not have (the background notes and source
  documents the project was built from live outside it and are cited by key, never by path or name).

The files checked are those git lists (tracked, plus new files not ignored), so a file counts before its
first commit.
"""

from __future__ import annotations

import difflib
import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCES = "docs/references.md"
THIS_FILE = Path(__file__).resolve().relative_to(ROOT).as_posix()
CITING_SUFFIXES = (".py", ".md", ".yaml", ".yml")

KEY = r"[A-Z][A-Za-z]+(?:[0-9]{4}[a-z]?)?"
# An entry of docs/references.md: a list item opening with the bold key, "- **[Epstein2002]** ...".
ENTRY = re.compile(rf"^- \*\*\[({KEY})\]\*\*", re.M)
# A citation: [Key] not glued to a name before it (Python indexing and type hints: list[Path], x[Foo])
# and not a Markdown link or reference ([text](url), [text][ref]).
CITATION = re.compile(rf"(?<![\w\]\)\[])\[({KEY})\](?![(\[])")
AUTHOR_YEAR = re.compile(r"[A-Z][A-Za-z]+(?:1[89]|20)[0-9]{2}[a-z]?")

# Paths and names of the background material, which a clone does not have (case-insensitive).
FORBIDDEN = {
    "a source document by path": r"seeds/0",
    "a source document by number": r"\bseeds? 00\d",
    "a source document by file name": r"\b00[0-4]_[0-9a-f]{16}\b",
    "the background notes by name": r"domain[- ]brief",
    "the background notes as 'the brief'": r"\bthe brief\b",
    "the background notes as '(brief'": r"\(brief\b",
    "the background notes as 'brief:' or 'brief)'": r"\bbrief[:)]",
    "a path outside the repository": r"\.\./shared|/work/shared|shared/seeds",
}


@cache
def repository_files() -> tuple[str, ...]:
    """Files git lists for the repository: tracked ones and new ones that are not ignored."""
    try:
        listing = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                                 cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: no list of the repository's files")
    names = sorted({name for name in listing.decode().split("\0") if name})
    # a virtual environment inside the checkout under a name .gitignore does not know (`python -m venv .v`)
    # is not the project's: its packages cite their own literature
    environments = tuple(name[: -len("pyvenv.cfg")] for name in names if name.endswith("/pyvenv.cfg"))
    return tuple(name for name in names
                 if (ROOT / name).is_file() and not (environments and name.startswith(environments)))


@cache
def text_of(name: str) -> str | None:
    """A file's text, or None for binary files."""
    data = (ROOT / name).read_bytes()
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


@cache
def entries() -> dict[str, str]:
    """Key -> the entry's text, in the order of docs/references.md."""
    text = (ROOT / REFERENCES).read_text(encoding="utf-8")
    starts = list(ENTRY.finditer(text))
    blocks = {}
    for match, following in zip(starts, [*starts[1:], None]):
        end = following.start() if following else len(text)
        block = text[match.start():end].split("\n#", 1)[0]  # an entry ends at the next heading
        assert match.group(1) not in blocks, f"{REFERENCES}: [{match.group(1)}] is defined twice"
        blocks[match.group(1)] = block
    return blocks


def citations() -> list[tuple[str, int, str]]:
    """(file, line, key) of every [Key] cited outside docs/references.md."""
    found = []
    for name in repository_files():
        if not name.endswith(CITING_SUFFIXES) or name == REFERENCES:
            continue
        text = text_of(name)
        for number, line in enumerate((text or "").splitlines(), start=1):
            found.extend((name, number, key) for key in CITATION.findall(line))
    return found


def test_references_define_entries():
    assert len(entries()) >= 30, f"{REFERENCES}: expected the bibliography's entries as '- **[Key]** ...'"


def test_every_entry_says_what_it_is_used_for_and_carries_its_year():
    missing_use = [key for key, block in entries().items() if "*Used for:*" not in block]
    assert not missing_use, f"{REFERENCES}: entries without a '*Used for:*' line: {missing_use}"
    wrong_year = [key for key, block in entries().items()
                  if (year := re.search(r"[0-9]{4}", key)) and year.group() not in block.split("**", 2)[2]]
    assert not wrong_year, f"{REFERENCES}: the year in the key does not appear in the reference: {wrong_year}"


def test_every_cited_key_is_defined():
    """An undefined [Key] fails if it looks like an author-year key or like a defined key with a typo."""
    defined = entries()
    undefined = []
    for name, number, key in citations():
        if key in defined:
            continue
        close = difflib.get_close_matches(key, list(defined), n=1, cutoff=0.85)
        if AUTHOR_YEAR.fullmatch(key) or close:
            hint = f" (did you mean [{close[0]}]?)" if close else ""
            undefined.append(f"{name}:{number}: [{key}]{hint}")
    assert not undefined, "cited but not defined in docs/references.md:\n" + "\n".join(undefined)


def test_every_entry_is_cited():
    cited = {key for _, _, key in citations()}
    uncited = [key for key in entries() if key not in cited]
    assert not uncited, f"{REFERENCES}: entries no file cites (cite them or drop them): {uncited}"


def test_no_file_points_at_material_outside_the_repository():
    offences = []
    for name in repository_files():
        if name == THIS_FILE:
            continue
        text = text_of(name)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            for what, pattern in FORBIDDEN.items():
                if match := re.search(pattern, line, re.I):
                    offences.append(f"{name}:{number}: {what}: {match.group()!r}")
    assert not offences, ("cite the source documents and the public record by key (docs/references.md), "
                          "not by path or name:\n" + "\n".join(offences))
