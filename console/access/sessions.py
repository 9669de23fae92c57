"""Browser sessions the server can end: opened at login, checked on every request, revoked at logout.

The signed Flask cookie alone cannot be taken back: a copy made before
logging out stayed valid until it expired. So each login stores a session
row (the token's SHA-256, never the token) and the cookie carries the
token; a request whose token is unknown, revoked or expired is not logged in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from console.access import audit
from console.access.actor import Actor
from console.access.permissions import require
from console.common.paging import get_or_404
from console.models.base import utcnow
from console.models.users import LoginSession, User

TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often, not on every request


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, user: User, client_addr: str, user_agent: str, minutes: int) -> str:
    """A new session for a user who just logged in; returns the token for the cookie (shown nowhere else)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(LoginSession(user_id=user.id, token_hash=_digest(token), client_addr=client_addr[:64],
                             user_agent=(user_agent or "")[:200], created_at=now, last_seen_at=now,
                             expires_at=now + timedelta(minutes=minutes)))
    session.flush()
    return token


def is_live(session: Session, user_id: int, token: str | None, now: datetime | None = None) -> bool:
    """Whether this cookie's token is a live session of that user (and note that it was seen)."""
    if not token:
        return False
    now = now or utcnow()
    row = session.scalar(select(LoginSession).where(LoginSession.token_hash == _digest(token)))
    if row is None or row.user_id != user_id or row.revoked_at is not None or row.expires_at <= now:
        return False
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return True


def close(session: Session, token: str | None) -> None:
    """Revoke the session of this token (logout); an unknown token is nothing to do."""
    if token:
        session.execute(update(LoginSession).where(LoginSession.token_hash == _digest(token),
                                                   LoginSession.revoked_at.is_(None)).values(revoked_at=utcnow()))


def end_all(session: Session, user_id: int) -> int:
    """Revoke every live session of a user (password change, disable, an admin's "end sessions")."""
    result = session.execute(update(LoginSession).where(LoginSession.user_id == user_id,
                                                        LoginSession.revoked_at.is_(None))
                             .values(revoked_at=utcnow()))
    return result.rowcount or 0


def list_live(session: Session, user_id: int, now: datetime | None = None) -> list[LoginSession]:
    """The user's live sessions, newest first."""
    now = now or utcnow()
    query = (select(LoginSession).where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None),
                                        LoginSession.expires_at > now)
             .order_by(LoginSession.created_at.desc()).limit(100))
    return list(session.scalars(query))


def revoke(session: Session, actor: Actor, session_id: int) -> LoginSession:
    """End one session: the actor's own, or anyone's for an admin (audit-logged)."""
    row = get_or_404(session, LoginSession, session_id, f"no session {session_id}")
    if actor.user_id is None or row.user_id != actor.user_id:
        require(actor, "users.manage")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    audit.record(session, actor, "session.revoke", "session", row.id, user_id=row.user_id)
    return row


def is_current(row: LoginSession, token: str | None) -> bool:
    return bool(token) and row.token_hash == _digest(token)
