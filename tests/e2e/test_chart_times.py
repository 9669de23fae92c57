"""Chart labels in the page's language and the console's zone, whatever the browser's zone and locale.

Chromium runs in America/New_York with an en-US locale; the console's zone is Asia/Ho_Chi_Minh (12 hours
apart). Every chart label read back from its Chart.js instance must be the time the table beside it
shows (`localtime`: yyyy-MM-dd HH:mm:ss in the console's zone), in English and in Vietnamese.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.console.compliance.helpers import enrol, ingest, report
from tests.console.overview import helpers
from tests.e2e.test_browser import FLAGS, _is_script_error, log_in

pytestmark = pytest.mark.browser
CONSOLE_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
BROWSER_ZONE = "America/New_York"
HOST = "dtnmt-web-01"
TABLE_FORMAT = "%Y-%m-%d %H:%M:%S"  # what the `localtime` filter writes (yyyy-MM-dd HH:mm:ss)
HEALTH = {"cpu_percent": 12.0, "cpu_count": 2, "load_average": [0.1, 0.1, 0.1], "memory_total_bytes": 2147483648,
          "memory_used_percent": 40.0, "swap_total_bytes": 0, "swap_used_percent": 0.0,
          "boot_time": "2026-01-01T00:00:00+00:00",
          "disks": [{"mount": "/", "total_bytes": 100, "used_bytes": 30, "percent": 30.0}], "services": []}


@pytest.fixture
def page_elsewhere(browser_net):
    """A browser in New York with an American locale, failing on any script or CSP error."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(browser_net.executable), args=FLAGS + browser_net.args)
        context = browser.new_context(locale="en-US", timezone_id=BROWSER_ZONE)
        page = context.new_page()
        errors = []
        page.on("console", lambda message: _is_script_error(message) and errors.append(message.text))
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page
        browser.close()
        assert not errors, f"browser console errors (CSP or script): {errors}"


def chart_labels(page, selector: str) -> list[str]:
    return page.evaluate("(canvas) => Chart.getChart(canvas).data.labels", page.locator(selector).element_handle())


def local(at: datetime) -> str:
    return at.astimezone(CONSOLE_ZONE).strftime(TABLE_FORMAT)


@pytest.mark.parametrize("locale", ["en", "vi"])
def test_chart_labels_are_the_consoles_time_as_the_tables_show_it(page_elsewhere, live_server, make_user,
                                                                   session_factory, tmp_path, locale):
    page = page_elsewhere
    now = datetime.now(timezone.utc).replace(microsecond=0)
    collected = [now - timedelta(minutes=50), now - timedelta(minutes=20)]
    agent = enrol(session_factory, HOST)
    for at in collected:
        ingest(session_factory, agent, {**report(HOST, health=HEALTH), "collected_at": at.isoformat()})
    helpers.alerts(session_factory, tmp_path, severities=(1, 3))  # an hour ago
    helpers.two_runs(session_factory)
    make_user("lan", "auditor")
    log_in(page, live_server.url, "lan")
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == BROWSER_ZONE
    if locale == "vi":
        page.wait_for_load_state()  # app.js (deferred) makes the language menu submit on change
        page.get_by_test_id("language").select_option("vi")
        expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("html")).to_have_attribute("data-timezone", "Asia/Ho_Chi_Minh")

    # The host page: CPU, memory and disk over time beside the latest report's time.
    page.goto(f"{live_server.url}/hosts/{HOST}")
    canvas = "canvas.chart[data-chart-series]"
    expect(page.locator(canvas)).to_have_attribute("data-drawn", "1")
    labels = chart_labels(page, canvas)
    assert labels == [local(at) for at in collected]
    assert page.locator("h2 small").first.inner_text() == labels[-1]  # the latest report, as the page shows it

    # The alert inbox: alerts per hour; the hour holding the alerts is labelled as the table's times are.
    page.goto(f"{live_server.url}/alerts/")
    expect(page.locator("canvas.alerts-chart")).to_have_attribute("data-drawn", "1")
    labels = chart_labels(page, "canvas.alerts-chart")
    counts = page.evaluate("(canvas) => Chart.getChart(canvas).data.datasets.map((d) => d.data)",
                           page.locator("canvas.alerts-chart").element_handle())
    busy = [labels[i] for i in range(len(labels)) if any(series[i] for series in counts)]
    event_hour = (now - timedelta(hours=1)).replace(minute=0, second=0)
    shown = page.get_by_test_id("group-row").first.get_by_test_id("last-seen").inner_text()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", shown)
    assert local(event_hour) in busy and busy[-1][:13] == shown[:13]  # same day and hour as the table
    names = page.evaluate("(canvas) => Chart.getChart(canvas).data.datasets.map((d) => d.label)",
                          page.locator("canvas.alerts-chart").element_handle())
    assert sorted(names) == (["cao", "thấp"] if locale == "vi" else ["high", "low"])

    # Compliance: the trend by category, the latest run's start as the page writes it.
    page.goto(f"{live_server.url}/compliance/")
    trend = "canvas[data-testid=trend-category]"
    expect(page.locator(trend)).to_have_attribute("data-trend-ready", "1")
    labels = chart_labels(page, trend)
    latest = re.search(r"#\d+ · (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", page.locator("main").inner_text()).group(1)
    assert len(labels) == 2 and labels[-1] == latest
