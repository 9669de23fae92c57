"""A person reads a host's hardening in Debian's chromium: Lynis index and trend, findings, waivers, the estate's list.

The host's agent ships two Lynis runs (the recorded real report, then the
same with a higher index) and its pending security updates from this
machine's apt lists to the live console, as it does on a host.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.console.agents.test_hardening import HOST, RecordedLynis, fresh_lynis, shipping_agent  # noqa: F401
from tests.e2e.test_browser import log_in, page  # noqa: F401  (the browser fixture)
from tests.probes.test_lynis_report import recorded
from probes.collectors.updates import UpdatesCollector

pytestmark = pytest.mark.browser


def test_admin_finds_a_common_finding_reads_the_host_and_waives_it(page, live_server, shipping_agent, make_user,
                                                                   tmp_path):
    shipping_agent(fresh_lynis(), UpdatesCollector(tmp_path / "agent", python=sys.executable)).run_once()
    shipping_agent(RecordedLynis(recorded(), index=61)).run_once()
    make_user("thanh", "admin")
    log_in(page, live_server.url, "thanh")
    page.get_by_role("link", name="Hosts").click()
    page.get_by_test_id("estate-findings-link").click()
    expect(page.get_by_role("heading", name="Lynis findings across hosts")).to_be_visible()
    row = page.get_by_test_id("estate-finding").filter(has_text="Found one or more vulnerable packages")
    expect(row.get_by_test_id("finding-host-count")).to_have_text("1")
    row.get_by_role("link", name=HOST).click()

    expect(page.get_by_test_id("hardening-index")).to_have_text("61")
    expect(page.get_by_test_id("hardening-trend")).to_have_attribute("data-drawn", "1")
    expect(page.get_by_test_id("security-pending-count")).to_be_visible()
    expect(page.get_by_test_id("apt-updated-at")).not_to_have_text("never")
    page.get_by_test_id("finding-search").press_sequentially("banner")  # htmx narrows the table as one types
    expect(page.get_by_test_id("host-findings").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("host-findings")).not_to_contain_text("PKGS-7392")

    page.get_by_test_id("finding-search").fill("")
    page.get_by_test_id("finding-search").press_sequentially("FIRE-4512")
    finding = page.get_by_test_id("finding-warning").filter(has_text="FIRE-4512")
    expect(finding).to_have_count(1)
    finding.get_by_text("Waive").first.click()
    finding.get_by_label("Reason").fill("no rules in the lab's namespace on purpose")
    finding.get_by_label("Waived until (last day)").fill((datetime.now() + timedelta(days=7)).strftime("%Y-%m-%d"))
    finding.get_by_test_id("waive-finding").click()
    expect(page.get_by_text("Waiver saved.")).to_be_visible()
    expect(page.get_by_test_id("finding-waived")).to_contain_text("no rules in the lab's namespace on purpose")
