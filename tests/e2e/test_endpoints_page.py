"""A person checks antivirus coverage on the Endpoints page in Debian's chromium, against the KSC replay double.

The console syncs from tests/fixtures/ksc_replay.py (the lab's KSC replay server) and the IDS has seen one
address neither the inventory nor KSC knows; the page filters by unit, state and product, and an endpoint's
page shows its history.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from console.access.actor import Actor
from console.db import session_scope
from console.endpoints import coverage, service
from console.models import ContextEvent
from console.models.base import utcnow
from console.settings import load_settings
from tests.console.endpoints.test_endpoints_web import endpoints_table
from tests.e2e.test_browser import log_in, page  # noqa: F401  (the browser fixture)
from tests.fixtures.ksc_replay import PASSWORD, ksc_replay  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(config_file, ksc_replay, monkeypatch):  # noqa: F811
    monkeypatch.setenv("TEST_KSC_PASSWORD", PASSWORD)
    config_file.write_text(config_file.read_text() + endpoints_table(ksc_replay))
    return load_settings(config_file)


@pytest.fixture
def synced_endpoints(session_factory, settings, synced, ksc_replay):  # noqa: F811
    ksc_replay.estate.hosts[4]["KLHST_WKS_RTP_STATE"] = 1
    with session_scope(session_factory) as db:
        db.add(ContextEvent(event_at=utcnow() - timedelta(minutes=10), sensor="ids-01", event_type="flow",
                            flow_id=1, src_ip="198.18.20.230", dest_ip="198.18.10.11",
                            record=json.dumps({"event_type": "flow"})))
        db.flush()
        assert service.sync(db, settings, Actor.cli()).status == "ok"
        coverage.refresh_seen(db, settings)
    return ksc_replay.estate.hosts[4]["KLHST_WKS_DN"]


def test_security_officer_reads_coverage_filters_and_opens_an_endpoints_history(page, live_server, make_user,  # noqa: F811
                                                                              synced_endpoints):
    make_user("lan", "security_officer")
    log_in(page, live_server.url, "lan")
    page.get_by_role("link", name="Endpoints").click()
    # The filters are htmx's: a change made before its deferred script has run would send no request.
    page.wait_for_load_state()
    expect(page.get_by_test_id("coverage-figure")).to_contain_text("%")
    expect(page.get_by_test_id("servers-without-ksc")).to_contain_text("dtnmt-bak-01")
    expect(page.get_by_test_id("unmanaged-table")).to_contain_text("198.18.20.230")
    table = page.get_by_test_id("endpoints-table")
    expect(table.locator("tbody tr")).to_have_count(15)

    page.get_by_test_id("filter-state").select_option("protection_off")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text(synced_endpoints)
    page.get_by_test_id("filter-state").select_option("")
    page.get_by_test_id("filter-unit").select_option("unit_department_office")
    expect(table).not_to_contain_text("dtnmt-web-01")
    expect(table).to_contain_text("ws-department-office-0001")
    version = page.get_by_test_id("filter-product").locator("option").nth(1).get_attribute("value")
    page.get_by_test_id("filter-product").select_option(version)
    expect(table.locator("tbody tr").first).to_contain_text(version)

    page.get_by_test_id("filter-unit").select_option("")
    page.get_by_test_id("filter-product").select_option("")
    page.get_by_test_id("filter-state").select_option("protection_off")
    table.get_by_role("link", name=synced_endpoints).click()
    expect(page.get_by_role("heading", name=synced_endpoints)).to_be_visible()
    expect(page.get_by_test_id("endpoint-history")).to_contain_text("Protection off")
    expect(page.get_by_test_id("endpoint-facts")).to_contain_text("stopped")
