"""A security officer in chromium: the versions page, a version's diff, and a rollback."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from console.db import session_scope
from console.ruleset import service
from tests.e2e.test_browser import log_in, page  # noqa: F401  (the page fixture fails on CSP/script errors)

pytestmark = pytest.mark.browser


def test_versions_page_shows_the_diff_and_rolls_back(page, live_server, make_user, session_factory,  # noqa: F811
                                                     admin_actor, rules_config):
    with session_scope(session_factory) as db:
        assert service.build_version(db, admin_actor, config=rules_config).version_number == 1
    (rules_config.policy_dir / "disable.conf").write_text("9100003\n9100004 # SNMP noise from the ISP\n")
    with session_scope(session_factory) as db:
        assert service.build_version(db, admin_actor, config=rules_config).version_number == 2
    make_user("an", "security_officer")
    log_in(page, live_server.url, "an")
    page.get_by_role("link", name="Rules", exact=True).click()
    expect(page.get_by_test_id("active-version")).to_contain_text("Version 2, 2 of 4 rules enabled")
    page.get_by_role("link", name="Versions", exact=True).click()
    expect(page.get_by_test_id("version-2")).to_contain_text("Active")
    expect(page.get_by_test_id("version-1")).to_contain_text("4")
    page.get_by_test_id("version-2").get_by_role("link", name="2").click()
    expect(page.get_by_test_id("diff-title")).to_have_text("Changes from version 1")
    row = page.get_by_test_id("diff").get_by_role("row").filter(has_text="9100004")
    expect(row).to_contain_text("disabled")
    expect(row).to_contain_text("OPS SNMP request with community public from outside")
    expect(page.get_by_test_id("diff").get_by_role("row")).to_have_count(2)  # header + one change
    page.get_by_role("link", name="Versions", exact=True).click()
    page.get_by_test_id("rollback-1").click()
    expect(page.get_by_text("Version 1 is active again.")).to_be_visible()
    expect(page.get_by_test_id("version-1")).to_contain_text("Active")
    expect(page.get_by_test_id("rollback-2")).to_be_visible()
