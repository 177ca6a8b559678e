"""A real browser (Debian's chromium, headless, driven by Playwright) logs in as a bed
manager, asks for a suggestion, accepts it; the census and the audit log show the decision.

The machine is offline: requests leaving 127.0.0.1 (the map tiles) are aborted, so the test
also shows the page and its map (Leaflet is served by the service itself) work offline.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .conftest import EVIL_NAME, PASSWORD

CHROMIUM = os.environ.get("BEDPLAN_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

pytest.importorskip("playwright.sync_api")
if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
    pytest.skip(f"chromium not found at {CHROMIUM} (scripts/ci_services.sh installs it)",
                allow_module_level=True)


@pytest.fixture
def browser():
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        except Error as exc:
            pytest.skip(f"chromium did not start: {exc}")
        yield b
        b.close()


def _offline(route) -> None:
    if route.request.url.startswith("http://127.0.0.1"):
        route.continue_()
    else:
        route.abort()


def test_bed_manager_finds_and_accepts_a_bed(app, browser, tmp_path):
    from bedplan.service import audit
    from bedplan.service.db import reading
    from bedplan.service.server import running

    with running(app) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route("**/*", _offline)
        page.goto(url + "/")
        assert "/login" in page.url
        page.fill("#username", "north")
        page.fill("#password", PASSWORD)
        page.click("#login")
        page.wait_for_selector("#ask")
        page.select_option("#patient", "R1")
        page.click("#suggest")
        page.wait_for_selector("#options tbody tr")
        rows = page.locator("#options tbody tr")
        assert rows.count() == 3
        assert rows.first.get_attribute("data-unit") == "YORK"
        assert "0.0 km" in rows.first.inner_text()
        assert not page.locator("#mapnote").is_visible()  # Leaflet is served locally
        assert page.locator("#map .leaflet-interactive").count() == 4  # home + 3 options
        rows.first.locator("input.reason").fill("nearest to home")
        rows.first.locator("button.accept").click()
        page.wait_for_selector("#status:has-text('Admitted')")  # (no eval under the CSP)
        assert "Admitted R1 to YORK" in page.inner_text("#status")
        page.screenshot(path=str(tmp_path / "suggest.png"), full_page=True)
        # the census page shows the bed taken
        page.goto(url + "/census/YORK")
        assert "R1" in page.inner_text("#patients")
        assert "1 of 1 open beds occupied" in page.inner_text("main").replace("\n", " ")
    with reading(app.state.bedplan.factory) as s:
        admits = audit.events(s, action="admit")
    assert [(e["patient_id"], e["unit_id"], e["reason"], e["actor"]) for e in admits] == [
        ("R1", "YORK", "nearest to home", "north")]
    assert admits[0]["details"]["chosen"]["rank"] == 1


def test_planner_runs_a_scenario(app, browser):
    from bedplan.service.server import running

    with running(app) as url:
        page = browser.new_page()
        page.route("**/*", _offline)
        page.goto(url + "/login")
        page.fill("#username", "plan")
        page.fill("#password", PASSWORD)
        page.click("#login")
        page.wait_for_selector("#scenario")
        page.fill("#changes", '[[set]]\nunit_id = "YORK"\nbeds = 3\n')
        page.click("#run")
        page.wait_for_selector("#comparison", timeout=60_000)
        text = page.inner_text("#comparison")
        assert "unplaced\t8\t6\t-2" in text


LEAFLET_STUB = """
window.__markers = [];
var L = (function () {
  function chain() {
    var o = {addTo: function () { return o; }, bindTooltip: function () { return o; },
             remove: function () {}, getBounds: function () { return {pad: function () {}}; }};
    return o;
  }
  return {map: function () { return {fitBounds: function () {}}; },
          tileLayer: chain, featureGroup: chain,
          circleMarker: function (ll, opts) {
            window.__markers.push([ll, opts.color]);
            return chain();
          }};
})();
"""


def test_map_marks_home_options_and_rejected_units(app, browser):
    """With Leaflet available (a stub standing in for the CDN), the map gets the home, each
    option and each rejected nearer unit."""
    from bedplan.service.server import running

    def route(r) -> None:
        if r.request.url.endswith("/leaflet.js"):
            r.fulfill(status=200, content_type="application/javascript", body=LEAFLET_STUB)
        else:
            _offline(r)

    with running(app) as url:
        page = browser.new_page()
        page.route("**/*", route)
        page.goto(url + "/login")
        page.fill("#username", "north")
        page.fill("#password", PASSWORD)
        page.click("#login")
        page.wait_for_selector("#ask")
        page.select_option("#patient", "R3")
        page.click("#suggest")
        page.wait_for_selector("#options tbody tr")
        markers = page.evaluate("window.__markers")
        # home (blue), rejected LEEDSF (grey), options LEEDS, YORK, LONDON (green)
        assert [m[1] for m in markers] == ["#1f4e99", "#999", "#1a7f37", "#1a7f37", "#1a7f37"]
        assert markers[1][0] == [53.8, -1.55]
        assert page.locator("#map").is_visible()
        assert not page.locator("#mapnote").is_visible()


def _log_in(page, url: str, username: str) -> None:
    page.goto(url + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_selector("header nav")


def test_unit_names_stay_text_in_the_map_and_no_page_breaks_its_policy(evil_app, browser):
    """The real Leaflet (served by the service): hovering each marker shows the unit's name
    as text; nothing the name holds runs; no page logs a Content-Security-Policy violation
    (the page, the census, the planner, the API docs)."""
    from bedplan.service.server import running

    with running(evil_app) as url:
        page = browser.new_page()
        page.route("**/*", _offline)
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if "Content Security Policy"
                in m.text else None)
        _log_in(page, url, "admin")
        page.select_option("#patient", "R1")
        page.click("#suggest")
        page.wait_for_selector("#options tbody tr")
        assert EVIL_NAME in page.inner_text("#options")  # as text in the list
        markers = page.locator("#map path.leaflet-interactive")
        assert markers.count() == 4
        tips = []
        for i in range(markers.count()):
            markers.nth(i).hover(force=True)
            tip = page.locator(".leaflet-tooltip").last
            tip.wait_for(state="attached")
            tips.append(tip.inner_text())
        assert any(EVIL_NAME in t for t in tips), tips
        assert page.locator(".leaflet-tooltip img, #map img:not(.leaflet-tile)").count() == 0
        assert page.evaluate("() => window.__xss") is None
        for path in ("/census", "/census/YORK", "/planner", "/docs"):
            page.goto(url + path)
            page.wait_for_load_state("networkidle")
        page.wait_for_selector("#swagger-ui .info")  # the API docs drew themselves
        assert problems == []


def test_planner_plans_the_coming_nights(tmp_path, browser):
    """A planner of N1 plans the worked example's seven nights on the planner page: the
    figures, the chart (three panels, checked as a picture: its line and bar colours are in
    the screenshot), the weeks and the schedule with the ward names as text, under the CSP.
    ``BEDPLAN_SCREENSHOTS=DIR`` keeps the screenshot to look at."""
    from PIL import Image

    from bedplan.service.server import running

    from .conftest import add_users, make_app, plan_census

    app = make_app(tmp_path, plan_census(tmp_path / "plan", {"Far ward (London)": EVIL_NAME}))
    add_users(app, {"plann1": ("planner", ("N1",))})
    with running(app) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.route("**/*", _offline)
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if "Content Security Policy"
                in m.text else None)
        _log_in(page, url, "plann1")
        page.goto(url + "/planner")
        # only N1 to choose (no "all of England" for a planner); the policy's horizon
        assert page.locator("#plan_network option").all_inner_texts() == ["N1"]
        assert page.input_value("#plan_start") == "2026-12-07"
        assert page.input_value("#plan_nights") == "7"
        page.click("#runplan")
        page.wait_for_selector("#plan-summary", timeout=60_000)
        summary = page.inner_text("#plan-summary")
        assert "patients brought home\t1" in summary
        assert "1 on night 1 → 0 on night 7" in summary
        chart = page.locator("#plan-chart")
        assert chart.locator("circle").count() == 14  # 7 nights, two line panels
        assert [int(v) for v in chart.locator("[data-panel^='out-of-area'] circle")
                .evaluate_all("cs => cs.map(c => c.getAttribute('data-value'))")] == [
            1, 1, 0, 0, 0, 0, 0]
        assert chart.locator("rect").count() == 1  # one week
        assert "2026-12-07 – 2026-12-13\t1\t1\t1" in page.inner_text("#plan-weeks")
        week = page.inner_text("#plan-week-1")
        assert EVIL_NAME in week and "Home ward (Leeds) (N1)home" in week.replace("\t", "")
        assert page.locator("#result img").count() == 0
        assert page.evaluate("() => window.__xss") is None
        shot = tmp_path / "plan-chart.png"
        chart.screenshot(path=str(shot))
        page.screenshot(path=str(tmp_path / "planner.png"), full_page=True)
        keep = os.environ.get("BEDPLAN_SCREENSHOTS")
        if keep:
            shutil.copy(tmp_path / "planner.png", Path(keep) / "planner.png")
            shutil.copy(shot, Path(keep) / "plan-chart.png")
        # the recent jobs list offers it again
        assert "plan · 7 nights from 2026-12-07 · N1" in page.inner_text("#jobs")
        assert problems == []
    colours = {c for _n, c in Image.open(shot).convert("RGB").getcolors(1 << 20)}
    assert (0x1F, 0x4E, 0x99) in colours and (0x1A, 0x7F, 0x37) in colours  # line, bar
    width, height = Image.open(shot).size
    assert width > 600 and height > 100
