"""Announcing an event: route it by the rules of ops.toml and write its deliveries into the outbox, in the caller's transaction.

Every part of the console that sees something worth telling calls `emit`
with the session it is already writing in: when that transaction commits,
the messages are in the outbox; when it rolls back, they never existed. The
caller commits. Nothing is sent here (console/notify/outbox.py sends).

Routing: each [[notify.rules]] table whose events, min_severity, units and
systems match sends to its channels. Throttle: a rule sends at most one
message per (channel, kind, key) per throttle_minutes; a repeat inside the
window only counts on the message that went out. A rule with digest = true
holds its messages for the daily digest.

States that last (a UPS on battery, a host stale) are announced on change:
`changed(session, key, active)` remembers the state per key and says when it
turned.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from console.models.base import utcnow
from console.models.notify import NotifyCondition, NotifyDelivery
from console.notify import messages
from console.notify.kinds import KINDS

__all__ = ["changed", "emit", "emit_all", "Event", "notify_settings"]

log = logging.getLogger("ops.notify")
LIVE_STATES = ("pending", "sending", "sent", "failed", "held")
CHUNK = 500


@dataclass
class Event:
    kind: str
    key: str  # what it is about: "host:dtnmt-web-01", "device:ups-1", "alert-group:<key>"
    severity: str
    params: dict
    link: str  # the console page, e.g. "/hosts/dtnmt-web-01"
    unit: str | None = None
    system: str | None = None
    lines: list[str] = field(default_factory=list)
    at: datetime | None = None


def notify_settings(session: Session):
    """The session's settings ([notify] and [console]), or None: a session without settings announces nothing."""
    return session.info.get("ops_settings")


def routes(settings, event: Event) -> list[tuple]:
    """(rule, channel) pairs this event goes to."""
    if settings is None:
        return []
    found = []
    for rule in settings.notify.rules:
        if rule.matches(event.kind, event.severity, event.unit, event.system):
            for name in rule.channels:
                channel = settings.notify.channel(name)
                if channel is not None and channel.enabled:
                    found.append((rule, channel))
    return found


def emit(session: Session, event: Event, now: datetime | None = None) -> int:
    return emit_all(session, [event], now)


def emit_all(session: Session, events: list[Event], now: datetime | None = None) -> int:
    """Write the deliveries of `events`; returns how many were written (throttled repeats are counted, not written)."""
    settings = notify_settings(session)
    if settings is None or not settings.notify.rules:
        return 0
    now = now or utcnow()
    planned = []
    for event in events:
        if event.kind not in KINDS:
            raise ValueError(f"unknown event kind {event.kind!r}")
        for rule, channel in routes(settings, event):
            planned.append((event, rule, channel, f"{rule.name}|{channel.name}|{event.kind}|{event.key}"[:400]))
    if not planned:
        return 0
    recent = _recent_by_key(session, planned, now)
    written, seen = 0, set()
    for event, rule, channel, throttle_key in planned:
        if rule.throttle_minutes and (throttle_key in recent or throttle_key in seen):
            if throttle_key in recent:
                session.execute(update(NotifyDelivery).where(NotifyDelivery.id == recent[throttle_key])
                                .values(repeats=NotifyDelivery.repeats + 1))
            continue
        seen.add(throttle_key)
        session.add(delivery(settings, event, rule.name, channel.name, channel.language, throttle_key, now,
                             held=rule.digest))
        written += 1
    session.flush()
    return written


def _recent_by_key(session: Session, planned: list[tuple], now: datetime) -> dict[str, int]:
    """Throttle keys with a message inside their rule's window: key -> the latest such delivery id."""
    windows = {throttle_key: rule.throttle_minutes for _, rule, _, throttle_key in planned if rule.throttle_minutes}
    if not windows:
        return {}
    oldest = now - timedelta(minutes=max(windows.values()))
    keys, found = list(windows), {}
    for start in range(0, len(keys), CHUNK):
        rows = session.execute(
            select(NotifyDelivery.throttle_key, func.max(NotifyDelivery.id), func.max(NotifyDelivery.created_at))
            .where(NotifyDelivery.throttle_key.in_(keys[start:start + CHUNK]), NotifyDelivery.created_at >= oldest,
                   NotifyDelivery.state.in_(LIVE_STATES))
            .group_by(NotifyDelivery.throttle_key))
        for key, latest_id, latest_at in rows:
            if latest_at >= now - timedelta(minutes=windows[key]):
                found[key] = latest_id
    return found


def delivery(settings, event: Event, rule: str, channel: str, language: str, throttle_key: str, now: datetime,
             held: bool = False) -> NotifyDelivery:
    """The outbox row of one event to one channel, rendered in `language`; held rows wait for the digest."""
    link = settings.notify.console_url.rstrip("/") + event.link
    subject, body = messages.render(event.kind, event.severity, event.params, event.lines, link, language,
                                    settings.console.timezone)
    return NotifyDelivery(
        kind=event.kind, event_key=event.key[:255], throttle_key=throttle_key, rule=rule, channel=channel,
        severity=event.severity, unit=(event.unit or "")[:128], system=(event.system or "")[:128],
        language=language, subject=subject, body=body, link=link[:1000], data=_facts(event.params),
        state="held" if held else "pending", next_attempt_at=None if held else now,
        event_at=event.at or now, created_at=now)


def _facts(params: dict) -> dict:
    return {name: value.isoformat() if isinstance(value, datetime) else value for name, value in params.items()
            if isinstance(value, (str, int, float, bool, datetime, dict)) or value is None}


def changed(session: Session, key: str, active: bool, now: datetime | None = None) -> bool:
    """Remember whether `key` holds now; True when that differs from before (a new key counts when active)."""
    now = now or utcnow()
    row = session.get(NotifyCondition, key[:300])
    if row is None:
        if not active:
            return False
        try:
            with session.begin_nested():
                session.add(NotifyCondition(key=key[:300], active=True, since=now, updated_at=now))
        except IntegrityError:  # another node recorded it at the same moment: it announces
            return False
        return True
    if row.active == active:
        return False
    row.active, row.since, row.updated_at = active, now, now
    return True


def active_conditions(session: Session, prefix: str) -> set[str]:
    return set(session.scalars(select(NotifyCondition.key).where(NotifyCondition.key.startswith(prefix),
                                                                 NotifyCondition.active.is_(True))))
