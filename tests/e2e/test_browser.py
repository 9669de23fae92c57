"""A person at the console, in Debian's chromium driven by Playwright.

The console runs under a real WSGI server (werkzeug's, in a thread) on
loopback; the browser logs in, sees the overview, switches language both
ways, and as an auditor is refused a change.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
CHROMIUM = os.environ.get("OPS_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def console_url(live_server):
    return live_server.url


@pytest.fixture
def page(tmp_path, browser_net):
    with sync_playwright() as playwright:
        # In a network namespace of its own (tests/fixtures/browser_net.py): no other test's link aborts a load.
        browser = playwright.chromium.launch(executable_path=str(browser_net.executable), args=FLAGS + browser_net.args)
        context = browser.new_context(locale="en-US")
        page = context.new_page()
        errors = []
        page.on("console", lambda message: _is_script_error(message) and errors.append(message.text))
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page
        browser.close()
        # A test that provokes an error on purpose names its start in page.expected_console_errors.
        errors = [e for e in errors if not e.startswith(tuple(getattr(page, "expected_console_errors", ())))]
        assert not errors, f"browser console errors (CSP or script): {errors}"


def _is_script_error(message) -> bool:
    """CSP refusals and script errors; a 403 or 401 response is logged too but expected.

    Over plain HTTP on an address other than loopback (the lab's bridge), chromium says it ignored the
    Cross-Origin-Opener-Policy header: true, and no script's fault.
    """
    return (message.type == "error" and "Failed to load resource" not in message.text
            and "Cross-Origin-Opener-Policy header has been ignored" not in message.text)


def log_in(page, url, username):
    """Sign in and wait until the page it lands on has loaded, its scripts included: a control the test
    uses next (the language list submits itself on change) has its handler by then."""
    page.goto(f"{url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda address: "/login" not in address, wait_until="load")


def test_admin_logs_in_sees_overview_and_switches_language(page, console_url, make_user, db_url):
    make_user("thanh", "admin")
    log_in(page, console_url, "thanh")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.get_by_test_id("active-hosts")).to_have_text("27")
    expect(page.locator("canvas.chart")).to_have_attribute("data-drawn", "1")
    page.wait_for_load_state()  # app.js (deferred) makes the language menu submit on change
    page.get_by_test_id("language").select_option("vi")
    expect(page.get_by_role("heading", name="Tổng quan")).to_be_visible()
    expect(page.get_by_role("link", name="Máy chủ")).to_be_visible()
    page.get_by_test_id("language").select_option("en")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    page.get_by_role("link", name="Hosts").click()
    expect(page.get_by_role("link", name="dtnmt-web-01")).to_be_visible()


def test_auditor_is_refused_a_change(page, console_url, make_user):
    make_user("kiem", "auditor")
    log_in(page, console_url, "kiem")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    page.get_by_role("link", name="Hosts").click()
    expect(page.get_by_test_id("sync-inventory")).to_have_count(0)
    page.goto(f"{console_url}/users/new")
    expect(page.get_by_role("heading", name="403")).to_be_visible()
    expect(page.get_by_test_id("error-message")).to_contain_text("Your role does not allow this action")
    # Forge the admin-only form post from the auditor's own page, with a valid CSRF token.
    status = page.evaluate(
        """async () => {
            const token = document.querySelector('input[name=csrf_token]').value;
            const body = new URLSearchParams({csrf_token: token, username: 'mallory', role: 'admin'});
            const response = await fetch('/users/new', {method: 'POST', body});
            return response.status;
        }"""
    )
    assert status == 403


def test_hosts_page_and_host_page_show_what_the_agent_reported(page, live_server, make_user, session_factory,
                                                               tmp_path):
    from console.db import session_scope
    from console.agents import enrolment as agent_service
    from console.access.actor import Actor
    from probes.agent import Agent, enroll
    from probes.collectors.health import HealthCollector
    from probes.config import AgentSettings

    with session_scope(session_factory) as db:
        _row, token = agent_service.create_enrollment_token(db, Actor.cli(), "dtnmt-web-01")
    settings = AgentSettings(state_dir=tmp_path / "agent", host_name="dtnmt-web-01")
    enroll(settings, live_server.url, token)
    agent = Agent(settings, [HealthCollector(["no-such-daemon"], cpu_interval=0)])
    for _ in range(3):
        assert agent.run_once().sent == 1
    make_user("nhan", "it_staff")
    log_in(page, live_server.url, "nhan")
    page.get_by_role("link", name="Hosts").click()
    web_row = page.get_by_role("row").filter(has_text="dtnmt-web-01")
    expect(web_row.get_by_test_id("host-status")).to_have_text("Warning")  # no-such-daemon is not running
    db_row = page.get_by_role("row").filter(has_text="dtnmt-db-01")
    expect(db_row.get_by_test_id("host-status")).to_have_text("Never seen")
    page.get_by_role("link", name="dtnmt-web-01").click()
    expect(page.get_by_role("heading", name="Latest report")).to_be_visible()
    expect(page.get_by_test_id("report-health")).to_contain_text("Memory")
    expect(page.locator("canvas.chart[data-chart-series]")).to_have_attribute("data-drawn", "1")
    expect(page.get_by_text("service no-such-daemon is not running")).to_be_visible()
    page.get_by_test_id("enroll-agent").click()
    expect(page.get_by_test_id("enroll-command")).to_contain_text("ops agent enroll --console")
