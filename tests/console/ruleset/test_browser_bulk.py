"""A security officer in chromium: bulk disable from the rule search, ticked rules and all matching a filter."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from console.db import session_scope
from console.ruleset import service
from tests.console.ruleset.test_bulk import EXTRA
from tests.console.tasks.fixtures import task_worker  # noqa: F401  (fixture: the consumer runs the builds)
from tests.e2e.test_browser import log_in, page  # noqa: F401  (the page fixture fails on CSP/script errors)

pytestmark = pytest.mark.browser


def _changes(session_factory, number):
    with session_scope(session_factory) as db:
        return {(c.sid, c.kind) for c in service.changes_of(db, number)}


def test_bulk_disable_ticked_rules_then_all_matching_a_filter(page, live_server, make_user,  # noqa: F811
                                                              session_factory, admin_actor, rules_config,
                                                              task_worker):  # noqa: F811
    (rules_config.local_dir / "bulk.rules").write_text(EXTRA)
    with session_scope(session_factory) as db:
        assert service.build_version(db, admin_actor, config=rules_config).version_number == 1
    make_user("an", "security_officer")
    log_in(page, live_server.url, "an")
    page.goto(f"{live_server.url}/rules/search")
    expect(page.get_by_text("7 rules match.")).to_be_visible()
    page.get_by_test_id("select-9100001").check()
    page.get_by_test_id("select-9100004").check()
    page.get_by_test_id("bulk-action").select_option("disable")
    page.get_by_test_id("bulk-reason").fill("noisy on the guest VLAN")
    page.get_by_test_id("bulk-apply").click()
    # the build is a task: its page follows it (htmx) until it is done
    expect(page.get_by_test_id("task-status")).to_have_attribute("data-state", "done", timeout=60_000)
    expect(page.get_by_test_id("task-result")).to_contain_text("Version 2 built, validated and active.")
    expect(page.get_by_test_id("task-result")).to_contain_text("2 rules changed")
    assert _changes(session_factory, 2) == {(9100001, "disabled"), (9100004, "disabled")}

    page.goto(f"{live_server.url}/rules/search")
    page.get_by_label("Message contains").fill("BULK probe")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("3 rules match.")).to_be_visible()
    page.get_by_test_id("scope-filter").check()
    page.get_by_test_id("bulk-reason").fill("retire the port probes")
    page.get_by_test_id("bulk-apply").click()
    expect(page.get_by_test_id("task-status")).to_have_attribute("data-state", "done", timeout=60_000)
    expect(page.get_by_test_id("task-result")).to_contain_text("Version 3 built, validated and active.")
    assert _changes(session_factory, 3) == {(9100101, "disabled"), (9100102, "disabled"), (9100103, "disabled")}
    page.goto(f"{live_server.url}/rules/search?q=BULK+probe")
    expect(page.get_by_test_id("rules").get_by_role("row").filter(has_text="BULK probe")).to_have_count(3)
    expect(page.get_by_test_id("rule-9100101")).to_contain_text("no")
    page.get_by_role("link", name="Versions", exact=True).click()
    expect(page.get_by_test_id("version-3")).to_contain_text("Active")
