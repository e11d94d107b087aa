"""The README works when copied: its command blocks run as written, in order, on a fresh copy of the repository.

What runs, and how (the rules this test applies to the README's text):

* **Where.** The repository's files as git lists them (tracked, plus new files that are not ignored: what a
  fresh clone holds, plus work not yet committed; without git, the tree minus ignored folders such as
  ``results/``) are copied into a temporary directory, and every command runs there, with the copy first on
  ``PYTHONPATH``: ``escalation`` and ``python`` use the copy's code, scenarios and sweep specs, and nothing
  from this checkout's ``results/``.
* **What.** Every fenced ``bash`` and ``python`` block, in the order of the README. Each line of a ``bash``
  block is one command run by ``bash -c`` in the copy's root (a trailing ``\\`` continues a line; comments
  stay, bash ignores them); each ``python`` block runs as one script there. ``yaml`` blocks that are sweep
  specs are written to a file and checked with ``escalation validate`` at their place in the order.
* **Skipped.** A block whose previous non-blank line is ``<!-- not-run: REASON -->``. Only blocks that install
  packages, start servers (``escalation app``, Dask) or run the test suite itself may carry the marker (checked
  below).
* **The environment.** A line ``python3 -m venv DIR && . DIR/bin/activate && pip install WHAT && COMMAND``
  runs only ``COMMAND``: the tests run in an environment that already has the package and its test extras.
* **World counts** (to keep the run short on two cores): in commands, ``--worlds N`` becomes ``--worlds 40``
  and, in Python, ``worlds=N`` / ``n_worlds=N`` become ``=40`` (when N is larger); so does ``--fit-worlds N``.
  ``escalation calibrate`` runs at most ``--candidates 32``, ``--rounds 1``, ``--bootstrap 8`` and
  ``--fit-worlds 40``, added after ``calibrate`` when the command does not name them (the defaults, 3 rounds,
  200 bootstrap refits and at least 1,000 fit-check worlds, are most of its time; one round still fits the
  quadratic surface, and the fit rounds a smaller ``--candidates`` up to what that surface needs for its
  parameters; 8 refits still make the calibrated YAML's ensemble).
  In the copy, every sweep spec
  (``scenarios/sweeps/*.yaml``, ``examples/*.yaml`` with a ``replicates:`` key) gets ``replicates: 2`` and
  ``samples: 8`` (a power of two, as Sobol designs need).
* **Exit codes.** Every command must exit 0, except ``escalation thesis``, whose exit code is its verdict
  (0 holds, 1 fails somewhere, 3 inconclusive): 0, 1 and 3 pass, 2 (bad input) fails.

The other tests check the README's shape: two quick-start commands in two environments, the test command the
same as the one ``.ci/run`` runs, and every repository path the README names present in the repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
WORLDS = 40
REPLICATES = 2
# at most this many candidates per round, rounds, bootstrap refits and fit-check worlds
CALIBRATE_CAPS = {"--candidates": 32, "--rounds": 1, "--bootstrap": 8, "--fit-worlds": WORLDS}
SAMPLES = 8
COMMAND_TIMEOUT = 600  # seconds: far above any README command at these sizes; only a hang trips it
NOT_RUN = re.compile(r"^<!--\s*not-run:\s*(?P<reason>.+?)\s*-->$")
VENV_PREFIX = re.compile(r"^python3 -m venv (?P<dir>\S+) && \. (?P=dir)/bin/activate && "
                         r"pip install (?P<what>\S+) && (?P<command>.+)$")
# What a not-run block may hold: installs, servers, the test suite.
NOT_RUN_ALLOWED = re.compile(r"pip install|escalation app\b|--dask\b|--scheduler\b|\bpytest\b")
THESIS_EXIT_CODES = {0, 1, 3}
# Never copied: environments, outputs and caches a fresh clone does not have.
SKIP_TOP = {".git", ".venv", ".venv-test", ".ci-venv", "results", "report", "out", "build", "dist",
            ".hypothesis", ".pytest_cache"}


@dataclass
class Block:
    """A fenced block of the README."""

    language: str
    text: str
    line: int  # line number of the opening fence (1-based)
    not_run: str | None  # the reason given by a not-run marker, or None


def readme_blocks(text: str) -> list[Block]:
    """The fenced blocks of a Markdown text, in order, with their not-run markers."""
    blocks, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^```(\w*)\s*$", lines[i])
        if not fence:
            i += 1
            continue
        previous = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        marker = NOT_RUN.match(previous)
        end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), None)
        assert end is not None, f"README.md:{i + 1}: a fenced block is not closed"
        blocks.append(Block(fence.group(1), "\n".join(lines[i + 1:end]) + "\n", i + 1,
                            marker.group("reason") if marker else None))
        i = end + 1
    return blocks


def bash_commands(block: Block) -> list[str]:
    """A bash block's commands: one per line (``\\`` continues one), blank and comment-only lines dropped."""
    commands, current = [], ""
    for raw in block.text.splitlines():
        line = raw.rstrip()
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        line = (current + line).strip()
        current = ""
        if line and not line.startswith("#"):
            commands.append(line)
    return commands


def without_install(command: str) -> str:
    """``COMMAND`` of ``python3 -m venv D && . D/bin/activate && pip install X && COMMAND``, else the command."""
    match = VENV_PREFIX.match(command)
    return match.group("command") if match else command


def fewer_worlds(text: str) -> str:
    """The world-count rule of the module docstring."""
    text = re.sub(r"--(worlds|fit-worlds)[ =](\d+)", lambda m: f"--{m.group(1)} {min(int(m.group(2)), WORLDS)}", text)
    return re.sub(r"\b(n_worlds|worlds)=(\d+)\b", lambda m: f"{m.group(1)}={min(int(m.group(2)), WORLDS)}", text)


def fewer_fits(command: str) -> str:
    """The calibration rule of the module docstring: ``escalation calibrate`` within ``CALIBRATE_CAPS``."""
    if not command.startswith("escalation calibrate"):
        return command
    for option, cap in CALIBRATE_CAPS.items():
        named = re.compile(rf"{option}[ =](\d+)")
        if named.search(command):
            command = named.sub(lambda m, option=option, cap=cap: f"{option} {min(int(m.group(1)), cap)}", command)
        else:  # right after the command words: a trailing comment would swallow an appended option
            command = command.replace("escalation calibrate", f"escalation calibrate {option} {cap}", 1)
    return command


def repository_files() -> list[str]:
    """Files a fresh clone would hold (plus new files not ignored), relative to the root."""
    try:
        listing = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                                 cwd=ROOT, capture_output=True, check=True).stdout
        names = [n for n in listing.decode().split("\0") if n]
    except (OSError, subprocess.CalledProcessError):
        names = [p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*") if p.is_file()]
    keep = []
    for name in names:
        parts = name.split("/")
        if parts[0] in SKIP_TOP or "__pycache__" in parts or any(p.endswith(".egg-info") for p in parts):
            continue
        if (ROOT / name).is_file():
            keep.append(name)
    return keep


def make_copy(destination: Path) -> Path:
    """Copy the repository into ``destination`` and shrink its sweep specs (see the module docstring)."""
    for name in repository_files():
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    specs = [*(destination / "scenarios" / "sweeps").glob("*.yaml"), *(destination / "examples").glob("*.yaml")]
    for spec in specs:
        text = spec.read_text(encoding="utf-8")
        if not re.search(r"^replicates:", text, re.M):
            continue
        text = re.sub(r"^replicates:\s*\d+", f"replicates: {REPLICATES}", text, flags=re.M)
        text = re.sub(r"\bsamples:\s*\d+", f"samples: {SAMPLES}", text)
        spec.write_text(text, encoding="utf-8")
    return destination


def environment(copy: Path, bin_dir: Path) -> dict[str, str]:
    """This process's environment with the copy first on PYTHONPATH and an ``escalation`` on PATH."""
    here = Path(sys.executable).parent
    paths = [str(bin_dir), str(here), os.environ.get("PATH", "")]
    env = {k: v for k, v in os.environ.items() if k not in ("ESCALATION_SCENARIO_PATH", "VIRTUAL_ENV_PROMPT")}
    env.update(PATH=os.pathsep.join(p for p in paths if p),
               PYTHONPATH=os.pathsep.join(p for p in (str(copy), os.environ.get("PYTHONPATH")) if p),
               MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1")
    return env


def shims(bin_dir: Path) -> Path:
    """``python`` (this interpreter) and ``escalation`` (its entry point) for the commands to find first."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, line in (("python", f'exec "{sys.executable}" "$@"'),
                       ("escalation", f'exec "{sys.executable}" -m analysis.cli.main "$@"')):
        path = bin_dir / name
        path.write_text(f"#!/bin/sh\n{line}\n")
        path.chmod(0o755)
    return bin_dir


def _tail(text: str, limit: int = 3000) -> str:
    return text if len(text) <= limit else "...\n" + text[-limit:]


def test_readme_blocks_run_in_order(tmp_path):
    """Every bash and python block of the README, in order, in a fresh copy (rules in the module docstring)."""
    blocks = readme_blocks(README.read_text(encoding="utf-8"))
    copy = make_copy(tmp_path / "clone")
    env = environment(copy, shims(tmp_path / "bin"))
    timings: list[tuple[float, str]] = []
    ran = 0

    def run(argv: list[str], shown: str, where: int, allowed=frozenset({0})) -> None:
        start = time.monotonic()
        done = subprocess.run(argv, cwd=copy, env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
        timings.append((time.monotonic() - start, shown))
        if done.returncode not in allowed:
            pytest.fail(f"README.md:{where}: `{shown}` exited {done.returncode} (expected "
                        f"{' or '.join(map(str, sorted(allowed)))})\n--- stdout\n{_tail(done.stdout)}\n"
                        f"--- stderr\n{_tail(done.stderr)}", pytrace=False)

    for block in blocks:
        if block.not_run is not None:
            continue
        if block.language == "bash":
            for command in bash_commands(block):
                command = fewer_fits(fewer_worlds(without_install(command)))
                allowed = THESIS_EXIT_CODES if command.startswith("escalation thesis") else frozenset({0})
                run(["bash", "-c", command], command, block.line, allowed)
                ran += 1
        elif block.language == "python":
            script = tmp_path / f"readme_block_{block.line}.py"
            script.write_text(fewer_worlds(block.text), encoding="utf-8")
            run([sys.executable, str(script)], f"python block at line {block.line}", block.line)
            ran += 1
        elif block.language == "yaml" and re.search(r"^parameters:", block.text, re.M):
            spec = tmp_path / f"readme_block_{block.line}.yaml"
            spec.write_text(block.text, encoding="utf-8")
            run(["escalation", "validate", str(spec)], f"escalation validate (yaml block at line {block.line})",
                block.line)
            ran += 1
    assert ran >= 20, f"only {ran} README commands ran: are the blocks still fenced as ```bash?"
    total = sum(t for t, _ in timings)
    print(f"\nREADME: {ran} commands in {total:.0f} s; slowest:")
    for seconds, shown in sorted(timings, reverse=True)[:8]:
        print(f"  {seconds:6.1f} s  {shown}")


def test_not_run_blocks_only_install_serve_or_test():
    """The not-run marker is for installs, servers and the test suite, never to hide a command that fails."""
    blocks = readme_blocks(README.read_text(encoding="utf-8"))
    for block in blocks:
        if block.not_run is None:
            continue
        assert block.language == "bash", f"README.md:{block.line}: a not-run marker on a {block.language} block"
        for command in bash_commands(block):
            assert NOT_RUN_ALLOWED.search(command), (
                f"README.md:{block.line}: `{command}` is in a not-run block ({block.not_run}) but neither installs, "
                "starts a server nor runs the tests: move it to a block that runs")


def quick_start() -> list[str]:
    """The commands of the README's quick start that set up an environment."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [c for b in readme_blocks(section) if b.language == "bash" for c in bash_commands(b)]
    return [c for c in commands if VENV_PREFIX.match(c)]


def test_quick_start_is_two_commands_in_two_environments():
    """One command installs and runs the main job, one installs and runs the tests, each in its own venv."""
    setups = quick_start()
    assert len(setups) == 2, f"expected two set-up commands in the quick start, found {setups}"
    main, tests = (VENV_PREFIX.match(c) for c in setups)
    assert main.group("dir") != tests.group("dir"), "the main job and the tests must use different environments"
    assert main.group("what") == "." and main.group("command").startswith("escalation run ")
    assert tests.group("what") == '".[test]"' and tests.group("command") == "pytest"


def test_ci_runs_the_readme_test_command():
    """``.ci/run`` runs the README's test command (after its own fresh environment) verbatim."""
    tests = VENV_PREFIX.match(quick_start()[1])
    readme_command = f"pip install {tests.group('what')} && {tests.group('command')}"
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert readme_command in ci_lines, f".ci/run does not run the README's test command `{readme_command}`"


def test_paths_the_readme_names_exist():
    """Every repository file or folder the README names in backticks or links is in the repository."""
    text = README.read_text(encoding="utf-8")
    names = set(re.findall(r"`((?:sim|analysis|scenarios|tests|benchmarks|docs|examples|\.ci)/[\w./-]*)`", text))
    names |= set(re.findall(r"\]\(((?!https?:|#)[^)\s]+)\)", text))
    missing = sorted(n for n in names if not (ROOT / n.split("#")[0]).exists())
    assert not missing, f"the README names paths the repository does not have: {missing}"
