"""A person signs in with the department's directory (the test's real slapd) in Debian's chromium.

bob is an auditor through a nested group (audit-team inside ops-auditors):
he sees the auditor's pages and is refused an admin's. carol is in ops-it
and ops-security, so the higher role, security officer, is hers. dave is in
no mapped group and is told so on the login page.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_browser import page  # noqa: F401 (the browser fixture)
from tests.fixtures.slapd import PASSWORDS, ldap_options, ldap_password_file, ldap_toml, slapd  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture
def config_file(config_file, slapd, ldap_password_file):
    config_file.write_text(config_file.read_text() + ldap_toml(ldap_options(slapd, ldap_password_file)))
    return config_file


def sign_in(page, url, username):
    page.goto(f"{url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORDS[username])
    page.get_by_role("button", name="Log in").click()


def test_directory_auditor_signs_in_and_sees_the_auditors_pages(page, live_server):  # noqa: F811
    sign_in(page, live_server.url, "bob")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.get_by_test_id("profile")).to_contain_text("bob")
    expect(page.get_by_test_id("profile")).to_contain_text("Auditor")
    page.locator("nav").get_by_role("link", name="Audit", exact=True).click()
    expect(page.get_by_role("cell", name="login").first).to_be_visible()
    page.locator("nav").get_by_role("link", name="Users", exact=True).click()
    expect(page.get_by_test_id("source-bob")).to_have_text("directory")
    expect(page.get_by_test_id("new-user")).to_have_count(0)
    page.goto(f"{live_server.url}/users/new")
    expect(page.get_by_role("heading", name="403")).to_be_visible()


def test_directory_user_in_two_groups_gets_the_higher_role(page, live_server):  # noqa: F811
    sign_in(page, live_server.url, "carol")
    expect(page.get_by_test_id("profile")).to_contain_text("Security officer")
    expect(page.locator("nav").get_by_role("link", name="Audit", exact=True)).to_be_visible()
    expect(page.locator("nav").get_by_role("link", name="Users", exact=True)).to_have_count(0)


def test_directory_user_in_no_mapped_group_is_told_why(page, live_server):  # noqa: F811
    sign_in(page, live_server.url, "dave")
    expect(page.get_by_role("status")).to_contain_text("in no group that gives a role in this console")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
