"""Directory sign-in against a real slapd (tests/fixtures/slapd.py): accounts, roles from groups, refusals, outages."""

from __future__ import annotations

import socket
import threading
import time

import ldap3
import pytest
from sqlalchemy import select

from console.access import tokens, users
from console.access.actor import Actor
from console.access.directory.accounts import NO_PASSWORD, DirectorySignIn, recheck_all
from console.access.directory.client import Directory
from console.access.directory.config import LdapSettings
from console.access.users import LoginOutcome
from console.errors import Conflict
from console.models.audit import AuditEvent
from console.models.users import ApiToken, LoginSession, Role, User
from console.settings import SecuritySettings
from tests.conftest import PASSWORD
from tests.fixtures.slapd import (GROUPS, PASSWORDS, PEOPLE, ROOT_DN, ROOT_PASSWORD, ldap_options,  # noqa: F401
                                  ldap_password_file, slapd)

ADDRESS = "198.18.0.50"
SECURITY = SecuritySettings()


@pytest.fixture
def config(slapd, ldap_password_file) -> LdapSettings:
    return LdapSettings(**ldap_options(slapd, ldap_password_file))


def sign_in(session, config, username, password, address=ADDRESS):
    return users.authenticate(session, SECURITY, username, password, address, directory=DirectorySignIn(config))


def last_login_event(session, username) -> AuditEvent:
    return session.scalars(select(AuditEvent).where(AuditEvent.action == "login", AuditEvent.object_id == username)
                           .order_by(AuditEvent.id.desc())).first()


@pytest.fixture
def root(slapd):
    """The directory's administrator, to move users between groups (as the department's admins would)."""
    connection = ldap3.Connection(ldap3.Server(slapd.ldap_url), ROOT_DN, ROOT_PASSWORD, auto_bind=True)
    yield connection
    connection.unbind()


def move(root, uid: str, group: str, add: bool) -> None:
    change = ldap3.MODIFY_ADD if add else ldap3.MODIFY_DELETE
    assert root.modify(f"cn={group},{GROUPS}", {"member": [(change, [f"uid={uid},{PEOPLE}"])]}), root.result


@pytest.mark.parametrize("mode,transport", [("memberof", "ldaps"), ("search", "starttls")])
@pytest.mark.parametrize("username,role", [("alice", Role.admin), ("bob", Role.auditor),
                                           ("carol", Role.security_officer)])
def test_directory_user_signs_in_and_gets_an_account_with_its_groups_role(session, slapd, ldap_password_file,
                                                                          mode, transport, username, role):
    changes = {"group_mode": mode}
    if transport == "starttls":
        changes.update(url=slapd.ldap_url, start_tls=True)
    config = LdapSettings(**ldap_options(slapd, ldap_password_file, **changes))
    result = sign_in(session, config, username, PASSWORDS[username])
    assert result.outcome == LoginOutcome.ok
    user = result.user
    assert (user.username, user.role, user.source) == (username, role, "ldap")
    assert user.directory_dn == f"uid={username},{PEOPLE}" and user.directory_checked_at is not None
    assert user.password_hash == NO_PASSWORD and user.display_name
    created = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.create",
                                                      AuditEvent.object_id == username))
    assert created.detail["source"] == "ldap" and created.detail["role"] == role.value
    assert last_login_event(session, username).outcome == "success"


def test_groups_are_followed_through_nesting_and_cycles_within_the_depth(slapd, config):
    alice = Directory(config).find("alice")
    assert sorted(g.split(",")[0] for g in alice.groups) == ["cn=loop-a", "cn=loop-b", "cn=ops-admins", "cn=staff"]
    shallow = LdapSettings(**{**config.model_dump(), "nested_depth": 0})
    assert [g.split(",")[0] for g in Directory(shallow).find("bob").groups] == ["cn=audit-team"]


def test_nested_group_beyond_the_depth_gives_no_role(session, slapd, ldap_password_file):
    config = LdapSettings(**ldap_options(slapd, ldap_password_file, nested_depth=0))
    assert sign_in(session, config, "bob", PASSWORDS["bob"]).outcome == LoginOutcome.refused


def test_user_in_no_mapped_group_is_refused_and_gets_no_account(session, config):
    result = sign_in(session, config, "dave", PASSWORDS["dave"])
    assert result.outcome == LoginOutcome.refused and result.user is None
    assert not users.user_exists(session, "dave")
    event = last_login_event(session, "dave")
    assert (event.outcome, event.detail["reason"]) == ("denied", "in no mapped group")


def test_ad_disabled_account_is_refused(session, config):
    result = sign_in(session, config, "erin", PASSWORDS["erin"])
    assert result.outcome == LoginOutcome.invalid
    assert last_login_event(session, "erin").detail["reason"] == "disabled in the directory"
    assert not users.user_exists(session, "erin")


def test_ad_style_filter_leaves_disabled_accounts_out_on_the_server(session, slapd, ldap_password_file):
    active_only = "(&(objectClass=person)(sAMAccountName={username})(!(userAccountControl:1.2.840.113556.1.4.803:=2)))"
    config = LdapSettings(**ldap_options(slapd, ldap_password_file, user_filter=active_only))
    assert sign_in(session, config, "alice", PASSWORDS["alice"]).outcome == LoginOutcome.ok
    assert sign_in(session, config, "erin", PASSWORDS["erin"]).outcome == LoginOutcome.invalid
    assert last_login_event(session, "erin").detail["reason"] == "unknown user"


def test_account_locked_by_ppolicy_is_refused_by_the_directory(session, config):
    result = sign_in(session, config, "locked", PASSWORDS["locked"])
    assert result.outcome == LoginOutcome.invalid
    assert last_login_event(session, "locked").detail["reason"] == "wrong password"


def test_wrong_password_is_refused_and_the_lockout_applies(session, config):
    for _ in range(SECURITY.login_max_failures):
        assert sign_in(session, config, "alice", "not-her-password").outcome == LoginOutcome.invalid
    assert last_login_event(session, "alice").detail["reason"] == "wrong password"
    assert sign_in(session, config, "alice", PASSWORDS["alice"]).outcome == LoginOutcome.locked
    assert sign_in(session, config, "alice", PASSWORDS["alice"], address="198.18.0.51").outcome == LoginOutcome.ok


@pytest.mark.parametrize("username", ["*", "al*", "alice)(uid=*", "*)(|(uid=*", "alice\x00", "alice\\2a", "(alice)"])
def test_filter_characters_in_the_user_name_are_refused(session, config, username, monkeypatch):
    searches = []
    monkeypatch.setattr(Directory, "find", lambda self, name: searches.append(name))
    result = sign_in(session, config, username, "whatever-1")
    assert result.outcome == LoginOutcome.invalid and not searches
    logged_as = username.strip().lower().replace("\x00", "\\x00")
    assert last_login_event(session, logged_as).detail["reason"] == "filter characters in user name"


def test_filter_characters_are_escaped_when_they_reach_the_directory(config):
    """Below the refusal, the search itself is safe: `*` is a literal, not a wildcard."""
    directory = Directory(config)
    assert directory.find("*") is None
    assert directory.find("alice)(uid=*") is None
    assert directory.find("ali*") is None
    assert directory.find("alice").dn == f"uid=alice,{PEOPLE}"


def test_empty_password_never_binds(session, config, monkeypatch):
    binds = []
    real_bind = ldap3.Connection.bind
    def counting_bind(self, *args, **kwargs):
        binds.append(self.user)
        return real_bind(self, *args, **kwargs)

    monkeypatch.setattr(ldap3.Connection, "bind", counting_bind)
    for password in ("", None):
        assert sign_in(session, config, "alice", password).outcome == LoginOutcome.invalid
        assert last_login_event(session, "alice").detail["reason"] == "empty password"
    assert binds == []
    assert Directory(config).check_password(f"uid=alice,{PEOPLE}", "") is False
    assert binds == []  # not even the service account's: nothing reached the directory


def test_directory_down_local_accounts_still_sign_in(session, slapd, ldap_password_file, make_user):
    make_user("breakglass", "admin")
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    config = LdapSettings(**ldap_options(slapd, ldap_password_file, url=f"ldaps://127.0.0.1:{port}"))
    result = sign_in(session, config, "alice", PASSWORDS["alice"])
    assert result.outcome == LoginOutcome.unreachable
    event = last_login_event(session, "alice")
    assert (event.outcome, event.detail["reason"]) == ("error", "directory unreachable")
    assert sign_in(session, config, "breakglass", PASSWORD).outcome == LoginOutcome.ok


def test_a_directory_that_never_answers_costs_a_bounded_time(session, slapd, ldap_password_file):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections (the kernel does), never says a word
    accepted = []
    threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
    try:
        config = LdapSettings(**ldap_options(slapd, ldap_password_file, timeout_seconds=1,
                                             url=f"ldaps://127.0.0.1:{silent.getsockname()[1]}"))
        started = time.monotonic()
        assert sign_in(session, config, "alice", PASSWORDS["alice"]).outcome == LoginOutcome.unreachable
        assert time.monotonic() - started < 5
    finally:
        silent.close()
        for connection, _address in accepted:
            connection.close()


def test_role_is_read_again_at_sign_in_and_tokens_stop_when_the_user_leaves_its_groups(session, config, root):
    alice = sign_in(session, config, "alice", PASSWORDS["alice"]).user
    assert alice.role == Role.admin
    _row, token = tokens.create_token(session, Actor("alice", Role.admin, ADDRESS, alice.id), "deploy", None, 30)
    session.add(LoginSession(user_id=alice.id, token_hash="x" * 64, expires_at=alice.created_at.replace(year=2099)))
    session.flush()
    move(root, "alice", "ops-admins", add=False)
    move(root, "alice", "ops-auditors", add=True)
    try:
        assert sign_in(session, config, "alice", PASSWORDS["alice"]).user.role == Role.auditor
        assert tokens.verify_token(session, token) is None  # an admin token may not outrank its auditor owner
        move(root, "alice", "ops-auditors", add=False)
        assert sign_in(session, config, "alice", PASSWORDS["alice"]).outcome == LoginOutcome.refused
        assert all(row.revoked_at for row in session.scalars(select(ApiToken).where(ApiToken.user_id == alice.id)))
        assert all(row.revoked_at for row in session.scalars(select(LoginSession)
                                                              .where(LoginSession.user_id == alice.id)))
    finally:
        move(root, "alice", "ops-admins", add=True)


def test_periodic_recheck_revokes_tokens_of_who_left_and_keeps_the_others(session, config, root):
    alice = sign_in(session, config, "alice", PASSWORDS["alice"]).user
    bob = sign_in(session, config, "bob", PASSWORDS["bob"]).user
    _a, alice_token = tokens.create_token(session, Actor("alice", Role.admin, ADDRESS, alice.id), "a", None, 30)
    _b, bob_token = tokens.create_token(session, Actor("bob", Role.auditor, ADDRESS, bob.id), "b", None, 30)
    move(root, "alice", "ops-admins", add=False)
    try:
        result = recheck_all(session, config, Actor("scheduler", Role.admin, "local", via="schedule"))
    finally:
        move(root, "alice", "ops-admins", add=True)
    assert (result.checked, result.withdrawn, result.unreachable) == (2, 1, False)
    assert tokens.verify_token(session, alice_token) is None
    assert tokens.verify_token(session, bob_token) is not None
    withdrawn = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.directory_withdraw"))
    assert withdrawn.object_id == "alice" and withdrawn.detail["reason"] == "in no mapped group"
    assert withdrawn.detail["api_grants_revoked"] == 1


def test_recheck_with_the_directory_down_revokes_nothing(session, config, slapd, ldap_password_file):
    bob = sign_in(session, config, "bob", PASSWORDS["bob"]).user
    _b, bob_token = tokens.create_token(session, Actor("bob", Role.auditor, ADDRESS, bob.id), "b", None, 30)
    down = LdapSettings(**ldap_options(slapd, ldap_password_file, url="ldaps://127.0.0.1:1"))
    result = recheck_all(session, down, Actor("scheduler", Role.admin, "local", via="schedule"))
    assert result.unreachable and result.withdrawn == 0
    assert tokens.verify_token(session, bob_token) is not None


def test_directory_account_has_no_local_password(session, config):
    sign_in(session, config, "carol", PASSWORDS["carol"])
    without_directory = users.authenticate(session, SECURITY, "carol", PASSWORDS["carol"], ADDRESS)
    assert without_directory.outcome == LoginOutcome.invalid
    with pytest.raises(Conflict):
        users.reset_password(session, Actor.cli(), SECURITY, "carol")
    carol = session.scalar(select(User).where(User.username == "carol"))
    with pytest.raises(Conflict):
        users.change_own_password(session, Actor("carol", carol.role, ADDRESS, carol.id), SECURITY,
                                  PASSWORDS["carol"], "a-new-password-1")


@pytest.mark.parametrize("transport", ["ldaps", "starttls"])
def test_a_server_certificate_from_another_ca_is_refused(session, slapd, ldap_password_file, tmp_path, transport):
    from tests.fixtures.slapd import make_test_ca

    make_test_ca(tmp_path)  # a CA of its own, which did not sign slapd's certificate
    changes = {"ca_file": str(tmp_path / "ca.pem")}
    if transport == "starttls":
        changes.update(url=slapd.ldap_url, start_tls=True)
    config = LdapSettings(**ldap_options(slapd, ldap_password_file, **changes))
    assert sign_in(session, config, "alice", PASSWORDS["alice"]).outcome == LoginOutcome.unreachable
    assert "certificate" in last_login_event(session, "alice").detail["error"].lower()


def test_the_name_in_the_url_may_be_the_certificates_dns_name(session, slapd, ldap_password_file):
    config = LdapSettings(**ldap_options(slapd, ldap_password_file, url=f"ldaps://localhost:{slapd.ldaps_port}"))
    assert sign_in(session, config, "alice", PASSWORDS["alice"]).outcome == LoginOutcome.ok


def test_a_local_account_is_never_sent_to_the_directory(session, config, make_user, monkeypatch):
    make_user("alice", "it_staff")  # a local alice takes precedence over the directory's
    monkeypatch.setattr(Directory, "find", lambda self, name: pytest.fail("a local account went to the directory"))
    assert sign_in(session, config, "alice", PASSWORD).user.source == "local"
    assert sign_in(session, config, "alice", PASSWORDS["alice"]).outcome == LoginOutcome.invalid
    assert session.scalar(select(User).where(User.username == "alice")).role == Role.it_staff


def test_the_documented_openldap_configuration_works_against_slapd(session, slapd, ldap_password_file, tmp_path):
    """docs/operations.md's OpenLDAP example, with only the server's address, CA and password file changed."""
    from console.settings import load_settings
    from tests.console.access.test_directory_config import operations_doc_configs

    text = operations_doc_configs()["OpenLDAP"]
    text = text.replace('"ldap://ldap.example.org"', f'"{slapd.ldap_url}"')
    text = text.replace('"/etc/ops-console/ldap-ca.pem"', f'"{slapd.ca_file}"')
    text = text.replace('"env:OPS_LDAP_BIND_PASSWORD"', f'"file:{ldap_password_file}"')
    path = tmp_path / "ops.toml"
    path.write_text(text)
    config = load_settings(path, environ={}).auth.ldap
    assert sign_in(session, config, "bob", PASSWORDS["bob"]).user.role == Role.auditor
    assert sign_in(session, config, "carol", PASSWORDS["carol"]).user.role == Role.security_officer
