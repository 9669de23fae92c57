"""A person opens the Systems page in chromium, drills down to a requirement's hosts, and attaches evidence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from console.models.base import utcnow
from console.compliance import runs as compliance_runs
from console.access.actor import Actor
from tests.console.compliance.helpers import enrol, ingest, report
from tests.console.compliance.systems.test_systems_console import settings  # noqa: F401  (the console's inventory is the small estate)
from tests.console.compliance import estate
from tests.e2e.test_browser import log_in, page  # noqa: F401  (the browser fixture fails on any CSP/script error)

pytestmark = pytest.mark.browser


def test_systems_page_drills_down_to_a_requirement_and_takes_manual_evidence(page, live_server, make_user,  # noqa: F811
                                                                           session_factory, tmp_path):
    estate.firewall(session_factory, "land-app-01", "drop", "drop")
    ingest(session_factory, enrol(session_factory, "land-db-01"), report("land-db-01", firewall={
        "backend": "nftables", "input_policy": "drop", "forward_policy": "accept", "rule_count": 2, "open_ports": []}))
    catalog = estate.catalog(tmp_path)
    for _ in range(2):
        compliance_runs.execute(session_factory, Actor.cli(), catalog)
    make_user("lan", "security_officer")
    log_in(page, live_server.url, "lan")
    page.goto(f"{live_server.url}/compliance/")
    page.get_by_role("link", name="Systems").click()
    expect(page.get_by_role("heading", name="Information systems")).to_be_visible()
    row = page.locator("tr[data-system=system_procedures]")
    expect(row.get_by_test_id("level")).to_have_text("3")
    expect(row.get_by_test_id("trend")).to_be_visible()
    expect(page.locator("tr[data-system=system_documents]").get_by_test_id("gap")).to_have_text("5")
    row.get_by_role("link", name="Land administrative procedures").click()
    expect(page.locator("tr[data-requirement=C-NET-ACCESS]")).to_have_attribute("data-verdict", "not_met")
    page.get_by_role("link", name="C-NET-ACCESS").click()
    expect(page.get_by_test_id("requirement-results").locator("tr[data-result=fail]")).to_contain_text("land-db-01")
    page.go_back()
    page.get_by_role("link", name="C-INCIDENT-NOTICE").click()
    today = utcnow().date()
    page.get_by_label("Date of the evidence").fill(today.isoformat())
    page.get_by_label("Valid until").fill((today + timedelta(days=365)).isoformat())
    page.get_by_label("Note").fill("Quy trình thông báo sự cố trong 24 giờ")
    page.get_by_role("button", name="Save evidence").click()
    expect(page.get_by_test_id("manual-evidence")).to_contain_text("Quy trình thông báo sự cố trong 24 giờ")
    page.wait_for_load_state()  # app.js (deferred) makes the language menu submit on change
    page.get_by_test_id("language").select_option("vi")
    expect(page.get_by_role("heading", name="Bằng chứng thủ công")).to_be_visible()
