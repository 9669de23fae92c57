"""Users: creation, login with lock-out and per-address throttling, roles.

Passwords are hashed with argon2id (argon2-cffi's defaults). A failed login
is answered the same way whether the user exists or not, and costs the same
time, so the login form does not reveal user names.
"""

from __future__ import annotations

import enum
import functools
import re
import secrets
from dataclasses import dataclass
import math
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.errors import Conflict, NotFound, ValidationFailed
from console.models.users import Role, User
from console.models.users import password_stamp
from console.models.base import utcnow
from console.access import audit, sessions
from console.access.actor import Actor
from console.access.permissions import require
from console.access.config import SecuritySettings

__all__ = ["user_exists"]

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
LOCALES = ("vi", "en")
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the user is unknown, so a miss costs what a wrong password costs.

    Made on first use, not at import: one argon2id hash is most of a second of every `ops` command's start.
    """
    return _hasher.hash(secrets.token_urlsafe(16))


class LoginOutcome(str, enum.Enum):
    ok = "ok"
    invalid = "invalid"
    locked = "locked"
    throttled = "throttled"
    refused = "refused"  # directory account: right password, but in no group mapped to a role
    unreachable = "unreachable"  # directory account: the directory did not answer


@dataclass
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None
    retry_after_seconds: int = 0  # for locked and throttled: when the same address may try again


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def check_password_rules(password: str, security: SecuritySettings) -> None:
    if len(password) < security.min_password_length:
        raise ValidationFailed("password", f"must be at least {security.min_password_length} characters")


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def list_users(session: Session, actor: Actor) -> list[User]:
    require(actor, "users.view")
    return list(session.scalars(select(User).order_by(User.username)))


def count_active(session: Session) -> int:
    return session.scalar(select(func.count(User.id)).where(User.is_active)) or 0


def count_admins(session: Session) -> int:
    return session.scalar(select(func.count(User.id)).where(User.role == Role.admin, User.is_active)) or 0


def create_user(
    session: Session,
    actor: Actor,
    security: SecuritySettings,
    username: str,
    role: Role | str,
    password: str | None = None,
    display_name: str = "",
) -> tuple[User, str | None]:
    """Create a user; returns (user, generated password or None if one was given)."""
    require(actor, "users.manage")
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise ValidationFailed("username", "use 2-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit")
    role = _role(role)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"username: {username!r} already exists")
    generated = None
    if password is None:
        password = generated = generate_password()
    check_password_rules(password, security)
    user = User(username=username, role=role, password_hash=hash_password(password), display_name=display_name[:128])
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", username, role=role.value)
    return user, generated


def _role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationFailed("role", f"must be one of {', '.join(r.value for r in Role)}") from None


def set_active(session: Session, actor: Actor, username: str, active: bool) -> User:
    require(actor, "users.manage")
    user = get_user(session, username)
    if not active and user.role == Role.admin and user.is_active and count_admins(session) <= 1:
        raise Conflict("cannot disable the last active admin")
    user.is_active = active
    user.password_changed_at = utcnow()  # ends the user's open sessions
    if not active:
        sessions.end_all(session, user.id)
    audit.record(session, actor, "user.enable" if active else "user.disable", "user", username)
    return user


def set_role(session: Session, actor: Actor, username: str, role: Role | str) -> User:
    require(actor, "users.manage")
    user, role = get_user(session, username), _role(role)
    if user.role == Role.admin and role != Role.admin and user.is_active and count_admins(session) <= 1:
        raise Conflict("cannot take the admin role from the last active admin")
    old, user.role = user.role, role
    user.password_changed_at = utcnow()
    sessions.end_all(session, user.id)
    audit.record(session, actor, "user.role", "user", username, old=old.value, new=role.value)
    return user


def reset_password(session: Session, actor: Actor, security: SecuritySettings, username: str) -> str:
    """Give a user a new generated password (shown once) and unlock the account."""
    require(actor, "users.manage")
    user = get_user(session, username)
    _local_password_only(user)
    password = generate_password()
    _store_password(user, password)
    sessions.end_all(session, user.id)
    audit.record(session, actor, "user.password_reset", "user", username)
    return password


def change_own_password(session: Session, actor: Actor, security: SecuritySettings, current: str, new: str) -> None:
    require(actor, "profile.edit")
    user = get_user(session, actor.username)
    _local_password_only(user)
    if not _verify(user.password_hash, current):
        raise ValidationFailed("current_password", "is not correct")
    check_password_rules(new, security)
    _store_password(user, new)
    sessions.end_all(session, user.id)
    audit.record(session, actor, "user.password_change", "user", user.username)


def _local_password_only(user: User) -> None:
    if user.source != "local":
        raise Conflict(f"{user.username} signs in with the directory: its password is changed there")


def _store_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None


def set_locale(session: Session, actor: Actor, locale: str) -> None:
    require(actor, "profile.edit")
    if locale not in LOCALES:
        raise ValidationFailed("locale", f"must be one of {', '.join(LOCALES)}")
    user = get_user(session, actor.username)
    if user.locale != locale:
        user.locale = locale
        audit.record(session, actor, "user.locale", "user", user.username, locale=locale)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, security: SecuritySettings, username: str, password: str, client_addr: str,
                 directory=None) -> LoginResult:
    """Check a login; every outcome is audit-logged in the caller's transaction, which it commits whatever the outcome.

    Brute force is kept out without letting a stranger lock anyone out
    (OWASP ASVS V2.2): after `login_max_failures` failures for one user name
    from one address, that address may not try that name again for
    `lockout_minutes`, while the user still logs in from anywhere else; an
    address with `ip_max_failures` failures over any names in
    `ip_window_minutes` is throttled. Whether the name exists changes
    neither the answer nor its timing.

    `directory` (a console.access.directory.accounts.DirectorySignIn, when
    [auth.ldap] is enabled) answers for names that are not local accounts,
    after the same lock-out and throttle checks.
    """
    username = (username or "").strip().lower()[:64]
    username = username.replace("\x00", "\\x00")  # PostgreSQL text holds no NUL: kept visible, escaped, for the log
    actor = Actor(username=username or "-", role=None, client_addr=client_addr)
    now = utcnow()
    wait = _address_wait(session, security, client_addr, now)
    if wait:
        audit.record(session, actor, "login", "user", username, outcome="denied", reason="address throttled")
        return LoginResult(LoginOutcome.throttled, retry_after_seconds=wait)
    user = session.scalar(select(User).where(User.username == username))
    wait = _name_wait(session, security, username, client_addr, user, now)
    if wait:
        _verify(_dummy_hash(), password)
        audit.record(session, actor, "login", "user", username, outcome="denied",
                     reason="locked for this address")
        return LoginResult(LoginOutcome.locked, retry_after_seconds=wait)
    if directory is not None and (user is None or user.source == "ldap"):
        return directory.sign_in(session, username, password or "", actor, user, now)
    if user is None or not user.is_active or not _verify(user.password_hash, password):
        if user is None:
            _verify(_dummy_hash(), password)
        reason = "unknown user" if user is None else ("disabled" if not user.is_active else "wrong password")
        audit.record(session, actor, "login", "user", username, outcome="failure", reason=reason)
        return LoginResult(LoginOutcome.invalid)
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    audit.record(session, Actor(user.username, user.role, client_addr, user.id), "login", "user", username)
    return LoginResult(LoginOutcome.ok, user)


def burn_password_time(password: str) -> None:
    """Spend the time a password check costs, for an answer that must not be quicker for unknown names."""
    _verify(_dummy_hash(), password)


def _address_wait(session: Session, security: SecuritySettings, client_addr: str, now: datetime) -> int:
    """Seconds this address must wait before any login, 0 when it may try."""
    window = timedelta(minutes=security.ip_window_minutes)
    times = audit.event_times(session, "login", "failure", client_addr=client_addr, since=now - window,
                              limit=security.ip_max_failures)
    return _wait(times, security.ip_max_failures, window, now)


def _name_wait(session: Session, security: SecuritySettings, username: str, client_addr: str,
               user: User | None, now: datetime) -> int:
    """Seconds this address must wait before trying this user name again, 0 when it may.

    Failures before the user's last successful login from this address, or
    before a password reset, no longer count.
    """
    window = timedelta(minutes=security.lockout_minutes)
    since = now - window
    if user is not None:
        since = max(since, user.password_changed_at)
    last_ok = audit.event_times(session, "login", "success", client_addr=client_addr, object_id=username,
                                since=since, limit=1)
    if last_ok:
        since = max(since, last_ok[0])
    times = audit.event_times(session, "login", "failure", client_addr=client_addr, object_id=username,
                              since=since, limit=security.login_max_failures)
    return _wait(times, security.login_max_failures, window, now)


def _wait(newest_first: list[datetime], limit: int, window: timedelta, now: datetime) -> int:
    if len(newest_first) < limit:
        return 0
    free_at = newest_first[limit - 1] + window  # when the oldest of the counted failures leaves the window
    return max(1, math.ceil((free_at - now).total_seconds()))


def usernames(session: Session) -> list[str]:
    """Every user name, sorted (for assignee choices)."""
    return list(session.scalars(select(User.username).order_by(User.username)))


def user_exists(session: Session, username: str) -> bool:
    return session.scalar(select(User.id).where(User.username == username)) is not None


def load_session_user(session: Session, session_id: str) -> User | None:
    """The user behind a login cookie id ("<id>:<password time>"), if still valid."""
    try:
        user_id, stamp = (int(part) for part in session_id.split(":", 1))
    except ValueError:
        return None
    user = session.get(User, user_id)
    if user is None or not user.is_active or password_stamp(user.password_changed_at) != stamp:
        return None
    return user
