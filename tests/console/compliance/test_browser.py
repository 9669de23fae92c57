"""A person opens the compliance overview in chromium: scores per category, the trend chart, a failing host."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from console.compliance.catalog import load_catalog
from console.compliance import runs as compliance_runs
from console.access.actor import Actor
from tests.console.compliance.helpers import enrol, ingest, report
from tests.e2e.test_browser import log_in, page  # noqa: F401  (the browser fixture fails on any CSP/script error)

pytestmark = pytest.mark.browser
IDS = "dtnmt-ids-01"


def test_overview_renders_scores_trend_and_leads_to_the_failing_host(page, live_server, make_user,  # noqa: F811
                                                                   session_factory):
    ingest(session_factory, enrol(session_factory, IDS),
           report(IDS, firewall={"backend": "nftables", "input_policy": "accept", "rule_count": 0, "open_ports": []}))
    for _ in range(2):
        compliance_runs.execute(session_factory, Actor.cli(), load_catalog())
    make_user("hoa", "admin")
    log_in(page, live_server.url, "hoa")
    page.get_by_role("link", name="Compliance").click()
    expect(page.get_by_role("heading", name="Compliance", exact=True)).to_be_visible()
    # a card per category, availability included
    expect(page.get_by_test_id("category-scores").locator("article")).to_have_count(7)
    expect(page.locator("article[data-category=firewall] .figure")).to_have_text(re.compile(r"^\d+\.\d%$"))
    expect(page.get_by_test_id("trend-category")).to_have_attribute("data-trend-ready", "1")
    expect(page.get_by_test_id("trend-unit")).to_have_attribute("data-trend-ready", "1")
    page.get_by_test_id("failing-hosts").get_by_role("link", name=IDS).click()
    expect(page.get_by_role("heading", name=IDS)).to_be_visible()
    expect(page.get_by_test_id("target-results")).to_contain_text("FW-02")
    page.wait_for_load_state()  # app.js (deferred) makes the language menu submit on change
    page.get_by_test_id("language").select_option("vi")
    expect(page.get_by_role("link", name="Miễn trừ")).to_be_visible()
