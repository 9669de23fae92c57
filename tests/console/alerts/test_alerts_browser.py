"""A security officer works the alert inbox in Debian's chromium (fails on any CSP or script error)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from console.alerts.ingest import ingest_files
from tests.e2e.test_browser import log_in, page  # noqa: F401  (the page fixture that collects browser errors)

pytestmark = pytest.mark.browser


def test_officer_filters_bulk_acknowledges_and_triages_a_group(page, live_server, make_user, factory,  # noqa: F811
                                                                suricata_eve):
    ingest_files(factory, [suricata_eve], "sensor-a", 500, 65536)
    make_user("hoa", "security_officer")
    log_in(page, live_server.url, "hoa")
    page.get_by_role("link", name="Alerts").click()
    expect(page.get_by_test_id("group-row")).to_have_count(7)
    expect(page.locator("canvas.alerts-chart")).to_have_attribute("data-drawn", "1")
    page.get_by_test_id("filter-signature").fill("web attack")
    expect(page.get_by_test_id("group-row")).to_have_count(3)
    page.get_by_label("Select all").check()
    page.get_by_test_id("bulk-action").select_option("acknowledged")
    page.get_by_test_id("bulk-apply").click()
    expect(page.get_by_text("3 groups changed.")).to_be_visible()
    page.get_by_test_id("tab-acknowledged").click()
    expect(page.get_by_test_id("group-row")).to_have_count(3)
    page.get_by_test_id("group-row").first.get_by_role("link", name="OPS test web attack path").click()
    expect(page.get_by_test_id("event").first).to_contain_text("198.18.200.80:80")
    page.get_by_test_id("status-escalated").click()
    expect(page.get_by_test_id("group-status")).to_have_text("Escalated")
    page.get_by_test_id("comment-body").fill("lab scanner, checking with the owner")
    page.get_by_test_id("comment-add").click()
    expect(page.get_by_text("lab scanner, checking with the owner")).to_be_visible()
    page.get_by_test_id("fp-propose").click()
    expect(page.get_by_test_id("fp-proposal")).to_contain_text("suppress gen_id 1, sig_id 9905001, track by_src")
    page.get_by_role("link", name="Alerts").click()
    page.get_by_test_id("tab-escalated").click()
    expect(page.get_by_test_id("group-row")).to_have_count(1)
