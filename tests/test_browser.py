"""The dashboard in a real browser: Debian's Chromium driven by Playwright against `escalation app`.

Each test starts the server itself (``python -m analysis.cli.main app ... --port P`` on 127.0.0.1 with a free
port) and stops it. The tests skip when Chromium, Playwright or the app extra is missing, unless
``ESCALATION_REQUIRE_BROWSER=1`` (CI), which turns a missing piece into a failure. Set
``ESCALATION_CHROMIUM`` to use a Chromium other than ``/usr/bin/chromium``. The main test saves
``docs/img/dashboard.png``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from analysis.cli.dashboard import free_port

SCREENSHOT = Path("docs") / "img" / "dashboard.png"  # in the repository
CHROMIUM = os.environ.get("ESCALATION_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
REQUIRED = os.environ.get("ESCALATION_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 60_000


def _missing() -> list[str]:
    missing = []
    if not Path(CHROMIUM).is_file():
        missing.append(f"Chromium ({CHROMIUM}; apt-get install chromium)")
    for module, hint in (("playwright.sync_api", "playwright (pip install -e '.[browser]')"),
                         ("solara", "solara (pip install -e '.[app]')")):
        try:
            __import__(module)
        except ImportError:
            missing.append(hint)
    return missing


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (Debian's binary; Playwright's own download is never used)."""
    missing = _missing()
    if missing:
        message = "browser tests need " + ", ".join(missing)
        if REQUIRED:
            pytest.fail(message + " (ESCALATION_REQUIRE_BROWSER=1)", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="escalation-chromium-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1600, "height": 1450},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def serving(escalation, repo_root):
    """``with serving(*ARGS) as url``: ``escalation app ARGS`` served from the repository, see :func:`_serve`."""
    return functools.partial(_serve, escalation, repo_root)


@contextlib.contextmanager
def _serve(escalation, repo_root: Path, *args: str, timeout: float = 90.0):
    """Run ``escalation app ARGS`` on a free port of 127.0.0.1; yield its URL; stop it."""
    port = free_port()
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            escalation.command("app", *args, "--host", "127.0.0.1", "--port", port),
            cwd=repo_root, stdout=log, stderr=subprocess.STDOUT, env=escalation.environment(),
        )
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    pytest.fail(f"escalation app exited with {process.returncode}:\n{log.read()}", pytrace=False)
                try:
                    with urllib.request.urlopen(url, timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"escalation app did not answer on {url} within {timeout:.0f} s", pytrace=False)
                time.sleep(0.3)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _open(browser, url: str):
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("requestfailed", lambda request: errors.append(f"request failed: {request.url}"))
    page.goto(url)
    page.get_by_role("button", name="Step").wait_for()
    return page, errors


def _steps(page) -> int:
    """The day count Mesa shows in its Information card ("Step: N")."""
    return int(page.get_by_text(re.compile(r"^Step: \d+$")).inner_text().split(":")[1])


def _wait_for_steps(page, expected: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while _steps(page) != expected:
        assert time.monotonic() < deadline, f"expected Step: {expected}, still {_steps(page)}"
        time.sleep(0.1)


def _slider(page, label: str):
    return page.locator(".v-input", has_text=label).locator("[role=slider]")


def _set_render_interval(page, value: int) -> None:
    """Mesa's "Render Interval" slider (1, 3, 5, ...): the Step button advances this many days."""
    slider = _slider(page, "Render Interval")
    slider.focus()
    slider.press("Home")
    for _ in range((value - 1) // 2):
        slider.press("ArrowRight")
    assert slider.get_attribute("aria-valuenow") == str(value)
    slider.blur()
    time.sleep(1.0)  # the new value reaches the server over the websocket; nothing on the page shows it


def _chart(page, name: str) -> tuple[int, int]:
    """Size and checksum of the PNG a chart image shows, read back by the browser."""
    image = page.locator(f"img.chart-{name}, .chart-{name} img").first
    return tuple(image.evaluate(
        """async (img) => {
            const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
            let sum = 0;
            for (const b of bytes) sum = (sum * 31 + b) >>> 0;
            return [bytes.length, sum];
        }"""
    ))


def _events_shown(page) -> int:
    return int(page.locator(".escalation-event-log").get_attribute("data-events"))


def _eventually(check, timeout: float = 20.0) -> None:
    """Wait until ``check()`` is true: each panel is a widget of its own and updates a moment apart."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the page did not reach the expected state"
        time.sleep(0.2)


def _log_rows(page) -> int:
    return page.locator(".escalation-event-log tbody tr").count()


def _in_process_events(days: int, seed: int = 0, **overrides) -> int:
    from sim.runner import simulate

    events = simulate("baseline", n_worlds=1, seed=seed, days=days, overrides=overrides or None).events
    return len(events)


def test_step_play_slider_reset_and_screenshot(browser, serving, repo_root):
    with serving("baseline") as url:
        page, errors = _open(browser, url)
        assert page.get_by_text("Escalation dashboard: baseline").is_visible()
        assert _steps(page) == 0 and _events_shown(page) == 0 and _log_rows(page) == 0
        level_before, attacks_before = _chart(page, "level"), _chart(page, "attacks")
        assert level_before[0] > 10_000, "the level chart is a real image"

        # One day, then 29 more with the Render Interval slider: 30 days in all.
        page.get_by_role("button", name="Step").click()
        _wait_for_steps(page, 1)
        _set_render_interval(page, 29)
        page.get_by_role("button", name="Step").click()
        _wait_for_steps(page, 30)
        page.get_by_text("Day 30 of 365").wait_for()
        expected = _in_process_events(30)
        assert expected > 0
        _eventually(lambda: _events_shown(page) == expected == _log_rows(page))  # the model's own events
        _eventually(lambda: _chart(page, "level") != level_before and _chart(page, "attacks") != attacks_before)
        first_row = page.locator(".escalation-event-log tbody tr").first.inner_text()
        assert re.match(r"^\d+\t", first_row), first_row

        # Play, then pause: the days advance on their own.
        play = page.get_by_role("button", name="▶")
        play.click()
        deadline = time.monotonic() + 60
        while _steps(page) < 200:
            assert time.monotonic() < deadline, "play did not advance"
            time.sleep(0.2)
        page.get_by_role("button", name="❚❚").click()
        page.get_by_role("button", name="▶").wait_for()
        # Mesa finishes the batch of days under way when paused: wait until the count settles, then check
        # that it stays put.
        paused_at, deadline = -1, time.monotonic() + 30
        while _steps(page) != paused_at:
            assert time.monotonic() < deadline, "the day count kept moving after pause"
            paused_at = _steps(page)
            time.sleep(1.5)
        time.sleep(1.0)
        assert _steps(page) == paused_at and paused_at >= 200
        page.get_by_text(f"Day {paused_at} of 365").wait_for()
        expected = _in_process_events(paused_at)
        _eventually(lambda: _events_shown(page) == expected)
        time.sleep(1.0)  # let the last chart images land before the picture is taken
        screenshot = repo_root / SCREENSHOT
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot))

        # A slider takes effect on Reset: the run starts over with the new leash.
        leash = _slider(page, "Quds Force leash strength")
        assert leash.get_attribute("aria-valuenow") == "0.8"
        leash.focus()
        for _ in range(6):
            leash.press("ArrowLeft")
        assert leash.get_attribute("aria-valuenow") == "0.5"
        leash.blur()
        # The slider's value reaches the server over the websocket a moment later; Reset until the
        # run's parameter card shows the new value (Reset is idempotent).
        changed = page.locator(".escalation-run-parameters")
        deadline = time.monotonic() + 20
        while True:
            page.get_by_role("button", name="Reset").click()
            _wait_for_steps(page, 0)
            if "Quds Force leash strength (share) 0.5 (scenario: 0.8)" in changed.inner_text():
                break
            assert time.monotonic() < deadline, changed.inner_text()
            time.sleep(0.5)
        assert changed.inner_text() == "Changed from the scenario: Quds Force leash strength (share) 0.5 (scenario: 0.8)"
        page.get_by_text("Day 0 of 365").wait_for()
        _eventually(lambda: _events_shown(page) == 0 == _log_rows(page))
        page.get_by_role("button", name="Step").click()
        _wait_for_steps(page, 29)
        expected = _in_process_events(29, **{"quds_force.leash_strength": 0.5})
        _eventually(lambda: _events_shown(page) == expected)
        assert not errors, errors
        page.close()


def test_replay_shows_the_stored_world_in_the_browser(browser, serving, tmp_path):
    import analysis

    results = analysis.batch(["baseline"], worlds=4, seed=9, days=120, out=tmp_path / "b", workers=1,
                             events=True, quiet=True)
    world = 2
    stored = results.events(worlds=[world])
    with serving("--replay", str(results.path), "--world", str(world)) as url:
        page, errors = _open(browser, url)
        page.get_by_text(f"Escalation replay: world {world} of").wait_for()
        page.get_by_text(f"Replay of world {world} of batch").wait_for()
        # Only Mesa's own two sliders: a replay fixes every parameter.
        assert page.locator("[role=slider]").count() == 2
        _set_render_interval(page, 61)
        page.get_by_role("button", name="Step").click()
        _wait_for_steps(page, 61)
        page.get_by_role("button", name="Step").click()
        page.get_by_text("Day 120 of 120").wait_for()
        assert len(stored) > 0
        _eventually(lambda: _events_shown(page) == len(stored))
        assert page.locator(".escalation-replay-stored").inner_text().startswith(f"Stored result: {len(stored)} events")
        assert not errors, errors
        page.close()
