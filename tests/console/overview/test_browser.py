"""A person opens the Overview in chromium: every tile's figure leads to a page showing the same count."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from console.db import session_scope
from tests.console.overview import helpers
from tests.e2e.test_browser import log_in, page  # noqa: F401  (the browser fixture fails on any CSP/script error)

pytestmark = pytest.mark.browser


def recent_jobs(factory) -> None:
    from console.models import Job, JobState

    now = datetime.now(timezone.utc)
    with session_scope(factory) as session:
        for state in (JobState.running, JobState.failed, JobState.failed, JobState.successful):
            session.add(Job(playbook="site.yml", started_by="alice", state=state,
                            finished_at=None if state == JobState.running else now - timedelta(minutes=5)))


def test_each_tile_leads_to_a_page_showing_the_same_count(page, live_server, make_user,  # noqa: F811
                                                         session_factory, settings, tmp_path):
    helpers.host_reports(session_factory)
    _first, second = helpers.two_runs(session_factory)
    helpers.alerts(session_factory, tmp_path)
    helpers.devices(session_factory, settings)
    recent_jobs(session_factory)
    make_user("mai", "auditor")
    log_in(page, live_server.url, "mai")
    overview = f"{live_server.url}/"
    expect(page.get_by_test_id("active-hosts")).to_have_text("27")
    for canvas in page.locator("#overview-tiles canvas.chart").all():  # trend, alerts per hour, hosts per unit
        expect(canvas).to_have_attribute("data-drawn", "1")

    page.get_by_test_id("active-hosts").click()
    expect(page.locator("table.striped tbody tr")).to_have_count(27)

    page.goto(overview)
    count = int(page.get_by_test_id("alerts-severity-1").locator("strong").inner_text())
    page.get_by_test_id("alerts-severity-1").click()
    expect(page.get_by_test_id("group-row")).to_have_count(count)
    page.goto(overview)
    total = int(page.get_by_test_id("alerts-unreviewed").inner_text())
    page.get_by_test_id("alerts-unreviewed").click()
    expect(page.get_by_test_id("group-row")).to_have_count(total)

    page.goto(overview)
    first_failing = page.get_by_test_id("top-failing").locator("li").first
    failing = int(re.search(r": (\d+)", first_failing.inner_text()).group(1))
    first_failing.get_by_role("link").click()
    expect(page.get_by_test_id("results").locator("tbody tr")).to_have_count(failing)

    page.goto(overview)
    page.get_by_test_id("jobs-failed").click()
    expect(page.get_by_test_id("jobs-table").locator("tbody tr")).to_have_count(2)
    page.goto(overview)
    page.get_by_test_id("jobs-running").click()
    expect(page.get_by_test_id("jobs-table").locator("tbody tr")).to_have_count(1)

    page.goto(overview)
    expect(page.get_by_test_id("ups-state-ups-a")).to_have_text("on battery")
    page.get_by_test_id("ups-ups-a").click()
    expect(page.get_by_test_id("devices-table").locator("tbody tr")).to_have_count(4)

    page.goto(overview)  # the 30 s refresh swaps the tiles and draws their charts again
    recent_jobs(session_factory)
    page.wait_for_timeout(31_000)
    expect(page.get_by_test_id("jobs-running")).to_have_text("2")
    for canvas in page.locator("#overview-tiles canvas.chart").all():
        expect(canvas).to_have_attribute("data-drawn", "1")
