"""An IT staff member launches a playbook from the Jobs page and watches its output stream in (chromium)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_browser import log_in, page  # noqa: F401  (the page fixture fails on any CSP/script error)

pytestmark = pytest.mark.browser


def test_it_staff_launches_a_job_and_watches_lines_arrive_before_it_ends(page, live_server, make_user):  # noqa: F811
    make_user("nhan", "it_staff")
    log_in(page, live_server.url, "nhan")
    page.get_by_role("link", name="Jobs").click()
    expect(page.get_by_role("heading", name="Jobs")).to_be_visible()
    page.get_by_test_id("launch-panel").locator("summary").click()
    page.get_by_label("Playbook").select_option("slow.yml")
    page.get_by_test_id("launch-job").click()
    output = page.get_by_test_id("job-output")
    state = page.get_by_test_id("job-state")
    # Generous waits: the worker is a new process and this machine is shared; no timing is asserted.
    expect(output).to_contain_text("TASK [First step]", timeout=60_000)
    expect(output).to_contain_text('"msg": "step one"', timeout=60_000)
    # The first lines are on screen while the run goes on: the page streams, it does not wait for the end.
    assert state.inner_text() in ("queued", "running")
    assert "step three" not in output.inner_text()
    expect(state).to_have_text("successful", timeout=90_000)
    expect(output).to_contain_text('"msg": "step three"')
    expect(output).to_contain_text("PLAY RECAP")
    expect(page.get_by_test_id("host-status")).to_have_text("changed")  # the sleep commands count as changes
    expect(page.get_by_test_id("cancel-job")).to_have_count(0)


def test_the_live_output_recovers_from_a_request_the_network_dropped(page, live_server, make_user):  # noqa: F811
    """The job page's poller asks again after a failed request instead of stopping (console/static/app.js)."""
    make_user("nhan", "it_staff")
    log_in(page, live_server.url, "nhan")
    dropped = []

    def drop_the_first(route):
        if not dropped:
            dropped.append(route.request.url)
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/jobs/*/events*", drop_the_first)
    page.expected_console_errors = ("htmx:sendError", "htmx:afterRequest")  # htmx logs the dropped request
    page.get_by_role("link", name="Jobs").click()
    page.get_by_test_id("launch-panel").locator("summary").click()
    page.get_by_label("Playbook").select_option("slow.yml")
    page.get_by_test_id("launch-job").click()
    expect(page.get_by_test_id("job-state")).to_have_text("successful", timeout=90_000)
    expect(page.get_by_test_id("job-output")).to_contain_text('"msg": "step three"')
    assert len(dropped) == 1
