"""Agent enrolment and the check of every signed agent request.

Enrolment trades a one-time token (stored hashed, bound to a host or not,
expiring) for an agent record holding the host's public key. A host that
enrols again gets a new agent and its old one is revoked, so a reinstalled
server does not leave a live credential behind.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from console.common.time import iso
from console.errors import NotFound, OpsError, ValidationFailed
from console.models.agents import Agent, EnrollmentToken
from console.models.base import utcnow
from console.access import audit
from console.access.actor import Actor
from console.inventory.hosts import active_host
from console.access.permissions import require
from probes import signing

__all__ = ["ReportRejected"]

CLOCK_SKEW = timedelta(minutes=5)
TOKEN_PREFIX = "enr_"


class ReportRejected(OpsError):
    """An agent request refused; `reason` is the metrics label, the message says what to fix."""

    def __init__(self, status: int, reason: str, message: str, field: str | None = None):
        self.http_status, self.reason, self.field = status, reason, field
        super().__init__(message)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def create_enrollment_token(session: Session, actor: Actor, host_name: str = "", hours: int = 24,
                            max_uses: int = 1) -> tuple[EnrollmentToken, str]:
    """A one-time enrolment token, shown once; bound to one inventory host when host_name is given."""
    require(actor, "agents.manage")
    if host_name and active_host(session, host_name) is None:
        raise NotFound(f"no active host {host_name!r} in the inventory")
    if not 1 <= hours <= 24 * 30:
        raise ValidationFailed("hours", "must be between 1 and 720")
    if not 1 <= max_uses <= 1000:
        raise ValidationFailed("max_uses", "must be between 1 and 1000")
    token = TOKEN_PREFIX + secrets.token_urlsafe(24)
    row = EnrollmentToken(token_hash=_digest(token), prefix=token[:10], host_name=host_name, created_by=actor.username,
                          expires_at=utcnow() + timedelta(hours=hours), max_uses=max_uses)
    session.add(row)
    session.flush()
    audit.record(session, actor, "agent.enrollment_token", "enrollment_token", str(row.id), host=host_name or "*",
                 hours=hours, max_uses=max_uses)
    return row, token


def enroll(session: Session, token: str, host_name: str, public_key: str, agent_version: str,
           client_addr: str) -> Agent:
    """Create the agent for `host_name` if the token allows it; the caller commits."""
    row = session.scalar(select(EnrollmentToken).where(EnrollmentToken.token_hash == _digest(token or "")))
    now = utcnow()
    if row is None or row.revoked_at or row.expires_at <= now or row.uses >= row.max_uses:
        raise ReportRejected(401, "enrollment_token", "the enrolment token is unknown, used up or expired")
    if len(agent_version or "") > 32:
        raise ReportRejected(422, "schema", f"agent_version: at most 32 characters (got {len(agent_version)})",
                             "agent_version")
    if row.host_name and row.host_name != host_name:
        raise ReportRejected(403, "enrollment_host", f"this token is for host {row.host_name!r}, not {host_name!r}")
    host = active_host(session, host_name)
    if host is None:
        raise ReportRejected(422, "unknown_host", f"host {host_name!r} is not an active inventory host", "host")
    _check_public_key(public_key)
    row.uses += 1
    for old in session.scalars(select(Agent).where(Agent.host_id == host.id, Agent.revoked_at.is_(None))):
        old.revoked_at = now
    agent = Agent(uid=str(uuid.uuid4()), host_id=host.id, public_key=public_key,
                  agent_version=agent_version or "", enrolled_from=client_addr[:64])
    session.add(agent)
    session.flush()
    actor = Actor(f"agent:{host_name}", None, client_addr, via="agent")
    audit.record(session, actor, "agent.enroll", "agent", agent.uid, host=host_name, token_id=row.id)
    return agent


def _check_public_key(public_key: str) -> None:
    try:
        raw = base64.b64decode(public_key or "", validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise ReportRejected(422, "bad_public_key", "public_key must be a base64 Ed25519 public key", "public_key")


def authenticate(session: Session, headers, body: bytes) -> Agent:
    """The live agent that signed this request, or ReportRejected (401/403)."""
    agent_uid = headers.get(signing.AGENT_HEADER, "")[:64]
    timestamp = headers.get(signing.TIMESTAMP_HEADER, "")[:64]
    signature = headers.get(signing.SIGNATURE_HEADER, "")[:200]
    if not (agent_uid and timestamp and signature):
        raise ReportRejected(401, "unsigned", "agent requests must be signed (X-Ops-Agent, X-Ops-Timestamp, X-Ops-Signature)")
    agent = session.scalar(select(Agent).options(joinedload(Agent.host)).where(Agent.uid == agent_uid))
    if agent is None or not signing.verify(agent.public_key, agent_uid, timestamp, body, signature):
        raise ReportRejected(401, "bad_signature", "the signature does not match a known agent")
    if agent.revoked_at is not None:
        raise ReportRejected(401, "revoked", "this agent has been revoked; enrol the host again")
    _check_timestamp(timestamp)
    return agent


def _check_timestamp(timestamp: str) -> None:
    try:
        signed_at = datetime.fromisoformat(timestamp)
    except ValueError:
        raise ReportRejected(401, "bad_timestamp", "X-Ops-Timestamp is not an ISO 8601 time") from None
    if signed_at.tzinfo is None or abs(utcnow() - signed_at) > CLOCK_SKEW:
        raise ReportRejected(401, "stale_signature", "the request was signed more than 5 minutes away from the "
                                                     "console's clock (replayed, or the host's clock is wrong)")


def revoke(session: Session, actor: Actor, agent_uid: str) -> Agent:
    require(actor, "agents.manage")
    agent = session.scalar(select(Agent).where(Agent.uid == agent_uid))
    if agent is None:
        raise NotFound(f"no agent {agent_uid!r}")
    if agent.revoked_at is None:
        agent.revoked_at = utcnow()
        audit.record(session, actor, "agent.revoke", "agent", agent.uid, host=agent.host.name)
    return agent


def list_agents(session: Session, host_id: int | None = None) -> list[Agent]:
    query = select(Agent).order_by(Agent.enrolled_at.desc())
    if host_id is not None:
        query = query.where(Agent.host_id == host_id)
    return list(session.scalars(query))


def agent_as_dict(agent: Agent) -> dict:
    return {
        "agent_id": agent.uid,
        "host": agent.host.name,
        "agent_version": agent.agent_version,
        "enrolled_at": agent.enrolled_at.isoformat(),
        "last_seen_at": iso(agent.last_seen_at),
        "revoked": agent.revoked_at is not None,
    }
