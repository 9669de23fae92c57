"""API bearer tokens: made once, stored hashed, scoped to a role, revocable.

Tokens carry 256 bits of randomness, so a plain SHA-256 is enough to store
them (a slow hash only matters for guessable secrets like passwords). A
token's role can never exceed its owner's: an admin may issue tokens of any
role, everyone else only of their own.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.orm import Session, joinedload

from console.common.time import iso
from console.common.paging import get_or_404
from console.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from console.models.users import ApiToken, Role, User
from console.models.base import utcnow
from console.access import audit
from console.access.actor import Actor
from console.access.permissions import allowed, require

TOKEN_PREFIX = "ops_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def create_token(
    session: Session, actor: Actor, name: str, role: Role | str | None, days: int, owner: str | None = None,
    max_live: int | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token (for the actor, or for `owner` when an admin asks); returns (row, token shown once).

    `max_live` ([security] max_tokens_per_user) caps the owner's live tokens: one more is a Conflict (409).
    """
    require(actor, "tokens.manage")
    if owner and owner != actor.username:
        require(actor, "users.manage")
    user = session.scalar(select(User).where(User.username == (owner or actor.username)))
    if user is None:
        raise NotFound(f"no user {owner or actor.username!r}")
    name = (name or "").strip()
    if not name or len(name) > 128:
        raise ValidationFailed("name", "give the token a name of 1-128 characters")
    if any(char == "\x00" or "\ud800" <= char <= "\udfff" for char in name):
        raise ValidationFailed("name", "must not hold NUL or lone surrogate characters")
    try:
        role = Role(role) if role else user.role
    except ValueError:
        raise ValidationFailed("role", f"must be one of {', '.join(r.value for r in Role)}") from None
    if role != user.role and user.role != Role.admin:
        raise PermissionDenied(f"a {user.role.value} user may not hold a token of role {role.value}")
    if not 1 <= days <= 3650:
        raise ValidationFailed("days", "must be between 1 and 3650")
    if max_live is not None:
        live = session.scalar(select(func.count(ApiToken.id)).where(
            ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow()))
        if live >= max_live:
            raise Conflict(f"{user.username} holds {live} live tokens, the most [security] max_tokens_per_user "
                           "allows: revoke one first")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id, name=name, role=role, token_hash=token_digest(token),
        prefix=token[:10], expires_at=utcnow() + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "token.create", "token", str(row.id), name=name, role=role.value, owner=user.username)
    return row, token


def verify_token(session: Session, token: str) -> ApiToken | None:
    """The live token for this bearer string, or None (unknown, revoked, expired, owner disabled)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.scalar(_token_by_digest(), {"digest": token_digest(token)})
    now = utcnow()
    if row is None or row.revoked_at or row.expires_at <= now or not row.user.is_active:
        return None
    if row.role != row.user.role and row.user.role != Role.admin:
        return None  # owner was demoted: the token may not outrank them
    return row


@functools.cache
def _token_by_digest() -> Select:
    """The token with its owner, in one query, built once: every API call runs it (verify_token).

    The owner is loaded with the token (a join) rather than by a second query when verify_token reads it, and
    the statement is made once per process, so SQLAlchemy keeps its cache key instead of working it out again
    on every call.
    """
    return select(ApiToken).options(joinedload(ApiToken.user)).where(ApiToken.token_hash == bindparam("digest"))


def use_is_stale(row: ApiToken) -> bool:
    """Whether the token's last use should be written again: once a minute is enough to see it in use."""
    return row.last_used_at is None or utcnow() - row.last_used_at > LAST_USED_RESOLUTION


def record_use(session: Session, token_id: int) -> None:
    """Note that the token was used now (its own transaction, so a call that fails still shows the token in use)."""
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))


def list_tokens(session: Session, actor: Actor, everyone: bool = False) -> list[ApiToken]:
    query = select(ApiToken).join(User).order_by(ApiToken.id.desc())
    if everyone:
        require(actor, "users.manage")
    else:
        require(actor, "tokens.manage")
        query = query.where(User.username == actor.username)
    return list(session.scalars(query))


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    """Revoke one of the actor's tokens (an admin may revoke anyone's)."""
    row = get_or_404(session, ApiToken, token_id, f"no token {token_id}")
    if row.user.username != actor.username:
        require(actor, "users.manage")
    elif not allowed(actor.role, "tokens.manage"):
        require(actor, "tokens.manage")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(session, actor, "token.revoke", "token", str(row.id), name=row.name, owner=row.user.username)
    return row


def revoke_all(session: Session, user_id: int) -> int:
    """Revoke every live token of a user (a directory user who left its groups); the caller audit-logs it."""
    result = session.execute(update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                             .values(revoked_at=utcnow()))
    return result.rowcount or 0


def token_as_dict(row: ApiToken) -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "role": row.role.value,
        "owner": row.user.username,
        "prefix": row.prefix,
        "created_at": row.created_at.isoformat(),
        "expires_at": row.expires_at.isoformat(),
        "last_used_at": iso(row.last_used_at),
        "revoked": row.revoked_at is not None,
    }
