"""Users: creation, login with lock-out and per-address throttling, roles.

Passwords are hashed with argon2id (argon2-cffi's defaults). A failed login
is answered the same way whether the user exists or not, and costs the same
time, so the login form does not reveal user names.
"""

from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.errors import Conflict, NotFound, ValidationFailed
from console.models.users import Role, User
from console.models.users import password_stamp
from console.models.base import utcnow
from console.access import audit
from console.access.actor import Actor
from console.access.permissions import require
from console.settings import SecuritySettings

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
LOCALES = ("vi", "en")
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class LoginOutcome(str, enum.Enum):
    ok = "ok"
    invalid = "invalid"
    locked = "locked"
    throttled = "throttled"


@dataclass
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None


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
    audit.record(session, actor, "user.enable" if active else "user.disable", "user", username)
    return user


def set_role(session: Session, actor: Actor, username: str, role: Role | str) -> User:
    require(actor, "users.manage")
    user, role = get_user(session, username), _role(role)
    if user.role == Role.admin and role != Role.admin and user.is_active and count_admins(session) <= 1:
        raise Conflict("cannot take the admin role from the last active admin")
    old, user.role = user.role, role
    user.password_changed_at = utcnow()
    audit.record(session, actor, "user.role", "user", username, old=old.value, new=role.value)
    return user


def reset_password(session: Session, actor: Actor, security: SecuritySettings, username: str) -> str:
    """Give a user a new generated password (shown once) and unlock the account."""
    require(actor, "users.manage")
    user = get_user(session, username)
    password = generate_password()
    _store_password(user, password)
    audit.record(session, actor, "user.password_reset", "user", username)
    return password


def change_own_password(session: Session, actor: Actor, security: SecuritySettings, current: str, new: str) -> None:
    require(actor, "profile.edit")
    user = get_user(session, actor.username)
    if not _verify(user.password_hash, current):
        raise ValidationFailed("current_password", "is not correct")
    check_password_rules(new, security)
    _store_password(user, new)
    audit.record(session, actor, "user.password_change", "user", user.username)


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


def authenticate(session: Session, security: SecuritySettings, username: str, password: str, client_addr: str) -> LoginResult:
    """Check a login; counts failures, locks the account, throttles the address.

    Every outcome is audit-logged in the caller's transaction, which the
    caller commits whatever the outcome.
    """
    username = (username or "").strip().lower()[:64]
    actor = Actor(username=username or "-", role=None, client_addr=client_addr)
    if _address_failures(session, security, client_addr) >= security.ip_max_failures:
        audit.record(session, actor, "login", "user", username, outcome="denied", reason="address throttled")
        return LoginResult(LoginOutcome.throttled)
    user = session.scalar(select(User).where(User.username == username))
    now = utcnow()
    if user is not None and user.locked_until and user.locked_until > now:
        _verify(_DUMMY_HASH, password)
        audit.record(session, actor, "login", "user", username, outcome="denied", reason="account locked")
        return LoginResult(LoginOutcome.locked)
    if user is None or not user.is_active or not _verify(user.password_hash, password):
        if user is None:
            _verify(_DUMMY_HASH, password)
        return _failed(session, security, actor, user)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    audit.record(session, Actor(user.username, user.role, client_addr, user.id), "login", "user", username)
    return LoginResult(LoginOutcome.ok, user)


def _failed(session: Session, security: SecuritySettings, actor: Actor, user: User | None) -> LoginResult:
    reason = "unknown user" if user is None else ("disabled" if not user.is_active else "wrong password")
    if user is not None and user.is_active:
        user.failed_logins += 1
        if user.failed_logins >= security.login_max_failures:
            user.locked_until = utcnow() + timedelta(minutes=security.lockout_minutes)
            reason += f"; account locked for {security.lockout_minutes} min"
    audit.record(session, actor, "login", "user", actor.username, outcome="failure", reason=reason)
    return LoginResult(LoginOutcome.invalid)


def _address_failures(session: Session, security: SecuritySettings, client_addr: str) -> int:
    since = utcnow() - timedelta(minutes=security.ip_window_minutes)
    return audit.count_events(session, "login", "failure", client_addr=client_addr, since=since)


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
