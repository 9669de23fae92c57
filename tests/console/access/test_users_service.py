"""Users: argon2 hashes, lock-out, per-address throttling, roles, audit records."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from console.errors import Conflict, ValidationFailed
from console.models import AuditEvent, Role, User
from console.access import users
from console.access.actor import Actor
from console.access.permissions import Denied
from console.settings import SecuritySettings

SECURITY = SecuritySettings(login_max_failures=3, lockout_minutes=15, ip_max_failures=6, ip_window_minutes=15)
GOOD = "a long enough password"


def add(session, name="bob", role=Role.it_staff, password=GOOD):
    user, _ = users.create_user(session, Actor.cli(), SECURITY, name, role, password=password)
    session.commit()
    return user


def test_password_is_stored_as_argon2id_hash(session, production_hasher):
    user = add(session)
    # argon2-cffi's default parameters, RFC 9106's second recommended option (64 MiB, 3 passes, 4 lanes).
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert GOOD not in user.password_hash


def test_a_hash_with_weaker_parameters_is_made_again_with_the_defaults_at_the_next_login(request, session):
    user = add(session)  # with the tests' cheap parameters, as a console of an older argon2-cffi would have
    assert user.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    request.getfixturevalue("production_hasher")
    assert users.authenticate(session, SECURITY, "bob", GOOD, "198.18.0.5").outcome == users.LoginOutcome.ok
    session.commit()
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert users.authenticate(session, SECURITY, "bob", GOOD, "198.18.0.5").outcome == users.LoginOutcome.ok


def test_generated_password_logs_in(session):
    user, generated = users.create_user(session, Actor.cli(), SECURITY, "carol", "auditor")
    assert generated and len(generated) >= 16
    result = users.authenticate(session, SECURITY, "carol", generated, "198.18.0.5")
    assert result.outcome == users.LoginOutcome.ok and result.user.id == user.id


def test_wrong_password_is_refused_and_audited_without_the_password(session):
    add(session)
    result = users.authenticate(session, SECURITY, "bob", "wrong password 1", "198.18.0.5")
    session.commit()
    assert result.outcome == users.LoginOutcome.invalid
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "login")).one()
    assert (event.outcome, event.client_addr, event.object_id) == ("failure", "198.18.0.5", "bob")
    assert "wrong password 1" not in str(event.detail)


def test_account_locks_after_repeated_failures_even_with_right_password(session):
    add(session)
    for _ in range(SECURITY.login_max_failures):
        users.authenticate(session, SECURITY, "bob", "nope nope nope", "198.18.0.5")
    session.commit()
    assert users.authenticate(session, SECURITY, "bob", GOOD, "198.18.0.5").outcome == users.LoginOutcome.locked


def test_address_is_throttled_across_user_names(session):
    add(session)
    for number in range(SECURITY.ip_max_failures):
        users.authenticate(session, SECURITY, f"ghost{number}", "x" * 12, "198.18.0.66")
    session.commit()
    assert users.authenticate(session, SECURITY, "bob", GOOD, "198.18.0.66").outcome == users.LoginOutcome.throttled
    assert users.authenticate(session, SECURITY, "bob", GOOD, "198.18.0.67").outcome == users.LoginOutcome.ok


def test_disabled_user_cannot_log_in(session):
    add(session)
    add(session, "root1", Role.admin)
    users.set_active(session, Actor.cli(), "bob", False)
    assert users.authenticate(session, SECURITY, "bob", GOOD, "198.18.0.5").outcome == users.LoginOutcome.invalid


def test_last_admin_cannot_be_disabled_or_demoted(session):
    add(session, "root1", Role.admin)
    with pytest.raises(Conflict):
        users.set_active(session, Actor.cli(), "root1", False)
    with pytest.raises(Conflict):
        users.set_role(session, Actor.cli(), "root1", "auditor")


def test_non_admin_cannot_create_users(session, auditor_actor):
    with pytest.raises(Denied):
        users.create_user(session, auditor_actor, SECURITY, "eve", "admin", password=GOOD)
    assert session.scalar(select(User).where(User.username == "eve")) is None


@pytest.mark.parametrize("name", ["A", "x", "bad name", "-dash", "ü" * 3, "a" * 65])
def test_bad_usernames_are_refused_naming_the_field(session, name):
    with pytest.raises(ValidationFailed) as caught:
        users.create_user(session, Actor.cli(), SECURITY, name, "auditor", password=GOOD)
    assert caught.value.field == "username"


def test_short_password_and_duplicate_user_are_refused(session):
    with pytest.raises(ValidationFailed) as caught:
        users.create_user(session, Actor.cli(), SECURITY, "dan", "auditor", password="short")
    assert caught.value.field == "password"
    add(session, "dan")
    with pytest.raises(Conflict):
        add(session, "dan")


def test_password_change_ends_existing_sessions(session):
    user = add(session)
    old_id = user.get_id()
    assert users.load_session_user(session, old_id) is not None
    actor = Actor("bob", Role.it_staff)
    users.change_own_password(session, actor, SECURITY, GOOD, "another long password")
    session.commit()
    assert users.load_session_user(session, old_id) is None
    assert users.load_session_user(session, user.get_id()) is not None


def test_audit_log_refuses_update_and_delete(session):
    add(session)
    session.commit()
    for statement in ("UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
        session.rollback()
    assert session.scalar(select(AuditEvent.actor)) == "cli:" + Actor.cli().username.split(":", 1)[1]
