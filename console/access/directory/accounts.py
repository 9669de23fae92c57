"""Directory accounts on the console side: sign-in, the account made at first sign-in, the periodic re-check.

A directory account (source "ldap") has no usable local password: the
directory checks the password and its groups give the role, read again at
every sign-in. Local accounts (the break-glass admin) are never sent to the
directory. When a directory user leaves every mapped group, is disabled or
disappears, their API tokens are revoked and their browser sessions ended:
at their next sign-in attempt, and at the scheduler's re-check every
`recheck_minutes`. An unreachable directory changes nothing (an outage must
not lock everyone out or revoke everyone's tokens); it is audit-logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.access import audit, sessions, tokens, users
from console.access.actor import Actor
from console.access.directory.client import Directory, DirectoryError, DirectoryUser
from console.access.directory.config import LdapSettings
from console.access.directory.roles import role_for
from console.access.users import USERNAME, LoginOutcome, LoginResult
from console.models.base import utcnow
from console.models.users import Role, User

log = logging.getLogger("ops.directory")
SOURCE = "ldap"
NO_PASSWORD = "!directory"  # not an argon2 hash: a local password check on it always fails
FILTER_CHARACTERS = ("*", "(", ")", "\\", "\x00")


def name_problem(username: str) -> str | None:
    """Why this user name may not be looked up in the directory, or None.

    Filter characters (RFC 4515: `*`, `(`, `)`, `\\`, NUL) are refused outright,
    although they would be escaped, so that an injection attempt is plain in
    the audit log; anything else outside the console's user name rule too.
    """
    if any(char in username for char in FILTER_CHARACTERS):
        return "filter characters in user name"
    if not USERNAME.match(username):
        return "user name outside the console's rule"
    return None


@dataclass
class Lookup:
    """What `ops auth ldap test` prints: the entry found, its groups, and the role they give."""

    user: DirectoryUser | None
    role: Role | None = None
    matched: list[str] | None = None
    password_ok: bool | None = None


def lookup(config: LdapSettings, username: str, password: str | None = None, environ=None) -> Lookup:
    """Find the user and work out the role, storing nothing; checks the password too when one is given."""
    problem = name_problem(username.strip().lower())
    if problem:
        raise DirectoryError(f"{username!r}: {problem}")
    directory = Directory(config, environ)
    found = directory.find(username.strip().lower())
    if found is None:
        return Lookup(None)
    role, matched = role_for(found.groups, config.role_groups)
    password_ok = directory.check_password(found.dn, password) if password is not None else None
    return Lookup(found, role, matched, password_ok)


class DirectorySignIn:
    """The directory half of `users.authenticate`: called for a name that is not a local account."""

    def __init__(self, config: LdapSettings, environ=None):
        self.config, self.directory = config, Directory(config, environ)

    def sign_in(self, session: Session, username: str, password: str, actor: Actor, user: User | None,
                now: datetime) -> LoginResult:
        problem = name_problem(username) or (None if password else "empty password")
        if problem is None and user is not None and not user.is_active:
            problem = "disabled"
        if problem:
            return _failed(session, actor, username, problem)
        try:
            found = self.directory.find(username)
            if found is None:
                users.burn_password_time(password)
                _withdraw(session, user, actor, "not in the directory")
                return _failed(session, actor, username, "unknown user")
            if found.disabled:
                _withdraw(session, user, actor, "disabled in the directory")
                return _failed(session, actor, username, "disabled in the directory")
            if not self.directory.check_password(found.dn, password):
                return _failed(session, actor, username, "wrong password")
        except DirectoryError as exc:
            log.warning("directory sign-in of %s: %s", username, exc)
            audit.record(session, actor, "login", "user", username, outcome="error", reason="directory unreachable",
                         error=str(exc)[:300], source=SOURCE)
            return LoginResult(LoginOutcome.unreachable)
        role, matched = role_for(found.groups, self.config.role_groups)
        if role is None:
            _withdraw(session, user, actor, "in no mapped group")
            audit.record(session, actor, "login", "user", username, outcome="denied", reason="in no mapped group",
                         source=SOURCE)
            return LoginResult(LoginOutcome.refused)
        user = _account(session, user, username, found, role, actor, now)
        user.last_login_at = now
        audit.record(session, Actor(user.username, user.role, actor.client_addr, user.id), "login", "user", username,
                     source=SOURCE, groups=matched)
        return LoginResult(LoginOutcome.ok, user)


def _failed(session: Session, actor: Actor, username: str, reason: str) -> LoginResult:
    """A failure as a local one is: counted by the lock-out and the throttle (same action, outcome, address)."""
    audit.record(session, actor, "login", "user", username, outcome="failure", reason=reason, source=SOURCE)
    return LoginResult(LoginOutcome.invalid)


def _account(session: Session, user: User | None, username: str, found: DirectoryUser, role: Role, actor: Actor,
             now: datetime) -> User:
    """The console account of this directory user: made at the first sign-in, its role set from the groups."""
    if user is None:
        user = User(username=username, role=role, password_hash=NO_PASSWORD, display_name=found.display_name[:128],
                    source=SOURCE, directory_dn=found.dn[:1024], directory_checked_at=now)
        session.add(user)
        session.flush()
        audit.record(session, Actor(username, role, actor.client_addr, user.id), "user.create", "user", username,
                     role=role.value, source=SOURCE)
        return user
    _set_role(session, user, role, Actor(username, role, actor.client_addr, user.id))
    user.directory_dn, user.directory_checked_at = found.dn[:1024], now
    if found.display_name:
        user.display_name = found.display_name[:128]
    return user


def _set_role(session: Session, user: User, role: Role, actor: Actor) -> None:
    if user.role == role:
        return
    old, user.role = user.role, role
    user.password_changed_at = utcnow()  # sessions opened under the old role end, as for an admin's change
    sessions.end_all(session, user.id)
    audit.record(session, actor, "user.role", "user", user.username, old=old.value, new=role.value,
                 reason="directory groups", source=SOURCE)


def _withdraw(session: Session, user: User | None, actor: Actor, reason: str) -> bool:
    """A directory user who may no longer sign in: revoke their API tokens and end their sessions (audited).

    True when there was something to take back."""
    if user is None or user.source != SOURCE:
        return False
    revoked = tokens.revoke_all(session, user.id)
    ended = sessions.end_all(session, user.id)
    if revoked or ended:
        audit.record(session, actor, "user.directory_withdraw", "user", user.username, reason=reason,
                     api_grants_revoked=revoked, sessions_ended=ended)  # "token" keys are dropped by audit
    return bool(revoked or ended)


@dataclass
class Recheck:
    checked: int = 0
    withdrawn: int = 0
    role_changed: int = 0
    unreachable: bool = False


def recheck_all(session: Session, config: LdapSettings, actor: Actor, environ=None) -> Recheck:
    """Look every active directory account up again (the scheduler's job); stop at the first directory error."""
    result, directory, now = Recheck(), Directory(config, environ), utcnow()
    for user in session.scalars(select(User).where(User.source == SOURCE, User.is_active).order_by(User.id)):
        try:
            found = directory.find(user.username)
        except DirectoryError as exc:
            log.warning("directory re-check stopped: %s", exc)
            audit.record(session, actor, "directory.recheck", "user", user.username, outcome="error",
                         reason="directory unreachable", error=str(exc)[:300])
            result.unreachable = True
            return result
        result.checked += 1
        role = role_for(found.groups, config.role_groups)[0] if found and not found.disabled else None
        if role is None:
            reason = "not in the directory" if found is None else (
                "disabled in the directory" if found.disabled else "in no mapped group")
            result.withdrawn += _withdraw(session, user, actor, reason)
        elif role != user.role:
            _set_role(session, user, role, actor)
            result.role_changed += 1
        user.directory_checked_at = now
    return result
