"""The dashboard in a real browser: Debian's Chromium driven by Playwright against `escalation app`.

The tests start the server themselves (``python -m analysis.cli.main app ... --port P`` on 127.0.0.1 with a
free port) and stop it; the two that start on the baseline page share one. The tests skip when Chromium,
Playwright or the app extra is missing, unless ``ESCALATION_REQUIRE_BROWSER=1`` (CI), which turns a missing
piece into a failure. Set ``ESCALATION_CHROMIUM``
to use a Chromium other than ``/usr/bin/chromium``. The main test takes a
screenshot into its temporary directory, and also saves it where ``ESCALATION_SCREENSHOT`` says (e.g.
``ESCALATION_SCREENSHOT=docs/img/dashboard.png`` to refresh the README's picture): a test run never changes
a file of the repository. It prints how long Play takes to run a year (``pytest -n 0 -s`` shows it).
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

SCREENSHOT = os.environ.get("ESCALATION_SCREENSHOT")  # also save the screenshot here (relative: to the repository)
PLAY_YEAR_LIMIT = 30.0  # seconds Play may take to run a year (the page paces it at 30 days a second: ~12 s)
MESA_DEFAULTS = ("Render Interval", "Use Threads", "Play Interval", "Page 0", "Step:", "Information")
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


@pytest.fixture(scope="module")
def baseline_server(escalation, repo_root):
    """``with baseline_server as url``: one ``escalation app baseline`` for the tests that start on that page.

    Each test opens a page of its own, and each page is a session with its own model and controls (the
    server keeps no state between sessions), so sharing the server saves only its start-up.
    """
    with _serve(escalation, repo_root, "baseline") as url:
        yield contextlib.nullcontext(url)


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


def _day(page) -> int:
    """The day on screen (the heading over the panels: "SCENARIO, seed S: day N of H (date)")."""
    return int(page.locator(".escalation-page-title").get_attribute("data-day"))


def _wait_for_day(page, expected: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while _day(page) != expected:
        assert time.monotonic() < deadline, f"expected day {expected}, still {_day(page)}"
        time.sleep(0.1)


def _input(page, name: str):
    """One of the page's labelled inputs (a parameter's dotted path, "step-days" or "play-speed")."""
    return page.locator(f'.escalation-input[data-name="{name}"]')


def _set_slider(page, name: str, presses: int, key: str = "ArrowRight", start: str | None = "Home",
                shows: str | None = None) -> None:
    """Move a slider with the keyboard; wait until the page shows the value the server took (``shows``)."""
    slider = _input(page, name).locator("[role=slider]")
    slider.focus()
    if start:
        slider.press(start)
    for _ in range(presses):
        slider.press(key)
    slider.blur()
    if shows is not None:
        value = _input(page, name).locator(".escalation-input-value")
        _eventually(lambda: value.inner_text() == shows)


def _set_step_days(page, days: int) -> None:
    _set_slider(page, "step-days", days - 1, shows=f"{days} day{'s' if days != 1 else ''}")


def _no_mesa_defaults(page) -> None:
    """Only this model's controls: none of SolaraViz's own (render interval, threads, page tabs, step count)."""
    text = page.locator("body").inner_text()
    for leak in MESA_DEFAULTS:
        assert leak.lower() not in text.lower(), f"the page shows {leak!r}"


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


def _charts_settled(page, quiet: float = 0.4) -> None:
    """Wait until the level and attacks charts have shown the same images for ``quiet`` seconds."""
    shown, since = None, time.monotonic()
    deadline = since + 20.0
    while True:
        now_shown = (_chart(page, "level"), _chart(page, "attacks"))
        if now_shown != shown:
            shown, since = now_shown, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        assert time.monotonic() < deadline, "the charts kept changing"
        time.sleep(0.1)


def _log_rows(page) -> int:
    return page.locator(".escalation-event-log tbody tr").count()


def _in_process_events(days: int, seed: int = 0, scenario: str = "baseline", **overrides) -> int:
    from sim.runner import simulate

    events = simulate(scenario, n_worlds=1, seed=seed, days=days, overrides=overrides or None).events
    return len(events)


def _play_until(page, day: int, timeout: float = 60.0) -> float:
    """Press Play; return the seconds until the page shows ``day`` or later."""
    start = time.monotonic()
    page.get_by_role("button", name="▶").click()
    while _day(page) < day:
        assert time.monotonic() - start < timeout, f"play did not reach day {day}: still {_day(page)}"
        time.sleep(0.05)
    return time.monotonic() - start


def test_step_play_slider_reset_and_screenshot(browser, baseline_server, repo_root, tmp_path):
    with baseline_server as url:
        page, errors = _open(browser, url)
        assert page.get_by_text("Escalation dashboard: baseline").is_visible()
        title = page.locator(".escalation-page-title")
        assert title.inner_text() == "baseline, seed 0: day 0 of 365 (2019-10-01)"
        assert page.title() == "baseline, seed 0"
        assert _day(page) == 0 and _events_shown(page) == 0 and _log_rows(page) == 0
        _no_mesa_defaults(page)
        leash = _input(page, "quds_force.leash_strength")
        assert leash.locator(".escalation-input-value").inner_text() == "0.80 share"
        assert leash.locator(".escalation-input-range").inner_text() == "1"
        assert leash.locator(".escalation-input-range").get_attribute("title") == "range: 0 to 1 share"
        assert "How much of Tehran's directive" in leash.get_attribute("title")
        level_before, attacks_before = _chart(page, "level"), _chart(page, "attacks")
        assert level_before[0] > 10_000, "the level chart is a real image"

        # One day, then 29 more with one press: 30 days in all.
        page.get_by_role("button", name="Step").click()
        _wait_for_day(page, 1)
        _set_step_days(page, 29)
        page.get_by_role("button", name="Step").click()
        _wait_for_day(page, 30)
        page.locator(".escalation-run-day", has_text="Day 30 of 365").wait_for()
        expected = _in_process_events(30)
        assert expected > 0
        _eventually(lambda: _events_shown(page) == expected == _log_rows(page))  # the model's own events
        _eventually(lambda: _chart(page, "level") != level_before and _chart(page, "attacks") != attacks_before)
        first_row = page.locator(".escalation-event-log tbody tr").first.inner_text()
        assert re.match(r"^\d+\t", first_row), first_row

        # Play a whole year from day 0, timed; the world is the one `escalation run` shows.
        page.get_by_role("button", name="Reset").click()
        _wait_for_day(page, 0)
        seconds = _play_until(page, 365)
        print(f"\nPlay ran a year (365 days) in {seconds:.1f} s")
        assert seconds < PLAY_YEAR_LIMIT, f"Play took {seconds:.1f} s for a year"
        assert page.get_by_role("button", name="▶").is_disabled() and page.get_by_role("button", name="Step").is_disabled()
        page.locator(".escalation-run-day", has_text="Day 365 of 365").wait_for()
        expected = _in_process_events(365)
        _eventually(lambda: _events_shown(page) == expected)
        assert _day(page) == 365 and "day 365 of 365" in title.inner_text()
        _no_mesa_defaults(page)
        _charts_settled(page)  # the last chart images land before the picture is taken
        page.screenshot(path=str(tmp_path / "dashboard.png"))
        if SCREENSHOT:
            target = Path(SCREENSHOT) if Path(SCREENSHOT).is_absolute() else repo_root / SCREENSHOT
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(tmp_path / "dashboard.png", target)

        # Play, then pause: the days stop where they are.
        page.get_by_role("button", name="Reset").click()
        _wait_for_day(page, 0)
        _play_until(page, 100)
        page.get_by_role("button", name="❚❚").click()
        page.get_by_role("button", name="▶").wait_for()
        paused_at, deadline = -1, time.monotonic() + 30
        while _day(page) != paused_at:  # the frame under way when paused still lands
            assert time.monotonic() < deadline, "the day count kept moving after pause"
            paused_at = _day(page)
            time.sleep(1.0)
        assert 100 <= paused_at < 365
        page.locator(".escalation-run-day", has_text=f"Day {paused_at} of 365").wait_for()
        expected = _in_process_events(paused_at)
        _eventually(lambda: _events_shown(page) == expected)

        # A slider takes effect on Reset: the run starts over with the new leash.
        _set_slider(page, "quds_force.leash_strength", 6, key="ArrowLeft", start=None, shows="0.50 share")
        page.get_by_role("button", name="Reset").click()
        _wait_for_day(page, 0)
        changed = page.locator(".escalation-run-parameters")
        _eventually(lambda: changed.inner_text()
                    == "Changed from the scenario: Quds Force leash strength 0.5 share (scenario: 0.8)")
        page.locator(".escalation-run-day", has_text="Day 0 of 365").wait_for()
        _eventually(lambda: _events_shown(page) == 0 == _log_rows(page))
        page.get_by_role("button", name="Step").click()
        _wait_for_day(page, 29)
        expected = _in_process_events(29, **{"quds_force.leash_strength": 0.5})
        _eventually(lambda: _events_shown(page) == expected)
        assert not errors, errors
        page.close()


def test_picking_a_scenario_and_a_seed_then_reset_runs_exactly_that_world(browser, baseline_server):
    # Issue 14: crisis_2019_2020 with seed 4 ran 365 days of the baseline at seed 0 under the crisis's label.
    with baseline_server as url:
        page, errors = _open(browser, url)
        page.locator(".v-select").first.click()
        page.get_by_role("option", name="crisis_2019_2020").click()
        title = page.locator(".escalation-page-title")
        _eventually(lambda: title.get_attribute("data-scenario") == "crisis_2019_2020")
        page.get_by_label("Seed (whole number)").fill("4")
        page.get_by_role("button", name="Reset").click()
        _eventually(lambda: title.get_attribute("data-seed") == "4")
        assert title.inner_text() == "crisis_2019_2020, seed 4: day 0 of 457 (2019-10-01)"
        assert page.get_by_text("Escalation dashboard: crisis_2019_2020").is_visible()
        world = page.locator(".escalation-run-world")  # a panel of its own: it may land a moment after the title
        _eventually(lambda: "Scenario crisis_2019_2020, seed 4, world seed" in world.inner_text())
        _set_step_days(page, 50)
        page.get_by_role("button", name="Step").click()
        _wait_for_day(page, 50)
        page.get_by_role("button", name="Step").click()
        _wait_for_day(page, 100)  # past day 94, when the Quds Force commander is killed
        expected = _in_process_events(100, seed=4, scenario="crisis_2019_2020")
        _eventually(lambda: _events_shown(page) == expected)
        killing = page.locator(".escalation-event-log tbody tr", has_text="leader killing (airstrike) → Quds Force")
        assert killing.count() == 1
        assert killing.inner_text().split("\t")[:2] == ["94", "United States"]
        page.get_by_text("Highest rung: 6 direct state-on-state strike").wait_for()
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
        _no_mesa_defaults(page)
        # No parameter inputs (a replay fixes every parameter): the stored values instead.
        assert page.locator("[role=slider]").count() == 2  # days per Step and play speed
        assert page.get_by_label("Seed (whole number)").count() == 0
        card = page.locator(".escalation-stored-parameters")
        assert "Quds Force leash strength\t0.80 share" in card.inner_text()
        assert card.locator("tr").count() == 11  # six parameters and the obedience of the baseline's five factions
        assert page.locator(".escalation-replay-overrides").inner_text() == "Every parameter at the scenario's value"
        _set_step_days(page, 61)
        page.get_by_role("button", name="Step").click()
        _wait_for_day(page, 61)
        page.get_by_role("button", name="Step").click()
        page.locator(".escalation-run-day", has_text="Day 120 of 120").wait_for()
        assert len(stored) > 0
        _eventually(lambda: _events_shown(page) == len(stored))
        assert page.locator(".escalation-replay-stored").inner_text().startswith(f"Stored result: {len(stored)} events")
        assert not errors, errors
        page.close()
