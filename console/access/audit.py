"""Writing and reading the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.models import AuditEvent
from console.access.actor import Actor

SECRET_KEYS = ("password", "token", "secret", "key")


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str = "",
    object_id: str = "",
    outcome: str = "success",
    **detail,
) -> AuditEvent:
    """Append one audit event in the caller's transaction.

    Values under keys that look like secrets are dropped, whatever the caller
    passed, so that a password or token never reaches the log.
    """
    clean = {k: v for k, v in detail.items() if not any(s in k.lower() for s in SECRET_KEYS)}
    if actor.via != "web":
        clean.setdefault("via", actor.via)
    event = AuditEvent(
        actor=actor.username,
        action=action,
        outcome=outcome,
        object_type=object_type,
        object_id=str(object_id),
        client_addr=actor.client_addr or "",
        detail=clean,
    )
    session.add(event)
    session.flush()
    return event


@dataclass
class AuditFilter:
    actor: str = ""
    action: str = ""
    outcome: str = ""
    object_type: str = ""
    since: datetime | None = None
    until: datetime | None = None


def list_events(session: Session, filters: AuditFilter, before_id: int | None = None, limit: int = 50):
    """Newest first, keyset-paginated by id: pass the last id seen as before_id."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if filters.actor:
        query = query.where(AuditEvent.actor == filters.actor)
    if filters.action:
        query = query.where(AuditEvent.action.startswith(filters.action))
    if filters.outcome:
        query = query.where(AuditEvent.outcome == filters.outcome)
    if filters.object_type:
        query = query.where(AuditEvent.object_type == filters.object_type)
    if filters.since:
        query = query.where(AuditEvent.at >= filters.since)
    if filters.until:
        query = query.where(AuditEvent.at < filters.until)
    if before_id:
        query = query.where(AuditEvent.id < before_id)
    return list(session.scalars(query))


def event_as_dict(event: AuditEvent) -> dict:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "outcome": event.outcome,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "client_addr": event.client_addr,
        "detail": event.detail,
    }
