"""Writing and reading the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.access.actor import Actor
from console.common.time import DEFAULT_WINDOW, TimeWindow, parse_local_time
from console.errors import ValidationFailed
from console.models.audit import AuditEvent

__all__ = ["record"]

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


def parse_filter(args, zone: tzinfo = timezone.utc, window: TimeWindow = DEFAULT_WINDOW) -> AuditFilter:
    """The filter from query arguments, shared by the page, the API and the CLI.

    A time without a zone (the page's date fields) is in `zone`, the console's,
    as on the alerts pages; since and until must lie in `window` (console.common.time).
    """
    return AuditFilter(
        actor=(args.get("actor") or "").strip(),
        action=(args.get("action") or "").strip(),
        outcome=(args.get("outcome") or "").strip(),
        object_type=(args.get("object_type") or "").strip(),
        since=parse_local_time(args.get("since"), "since", zone, window),
        until=parse_local_time(args.get("until"), "until", zone, window),
    )


MAX_ID = 2**63 - 1


def parse_before(args) -> int | None:
    """The `before` event id of a page; a bad value is a ValidationFailed naming it."""
    value = (args.get("before") or "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) > MAX_ID:
        raise ValidationFailed("before", "must be an event id")
    return int(value)


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


def event_times(session: Session, action: str, outcome: str, client_addr: str | None = None,
                object_id: str | None = None, since: datetime | None = None, limit: int = 100) -> list[datetime]:
    """When events of this action and outcome happened (from this address, on this object, since then), newest first."""
    query = select(AuditEvent.at).where(AuditEvent.action == action, AuditEvent.outcome == outcome)
    if client_addr is not None:
        query = query.where(AuditEvent.client_addr == client_addr)
    if object_id is not None:
        query = query.where(AuditEvent.object_id == object_id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    return list(session.scalars(query.order_by(AuditEvent.at.desc()).limit(limit)))


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
