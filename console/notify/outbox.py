"""Sending the outbox: claim what is due, send each message once, record every attempt, back off on failure.

`deliver_due` runs in the scheduler process every [notify]
deliver_interval_seconds. It claims the due rows (state sending; on
PostgreSQL with SKIP LOCKED, so several nodes share the work without sending
a row twice), sends them in order, and records each outcome in its own
transaction right after the send. A failure schedules the next attempt
retry_seconds later, doubling up to retry_max_seconds; after max_attempts the
row is failed until `ops notify retry` or the page's Retry. When one message
of a channel fails, the channel's other due messages wait for the same next
attempt instead of each knocking on a server that is down; when the channel
answers again, they go out in order, each once.

A crash between a send and its record leaves the row "sending"; after
STUCK_MINUTES it is sent again. Receivers that must never see a repeat can
drop it by its id (Message-ID for email, X-Ops-Delivery for webhooks).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from console.access import audit
from console.access.actor import Actor
from console.access.permissions import require
from console.common.paging import get_or_404
from console.db import session_scope
from console.errors import NotFound, ValidationFailed
from console.models.base import utcnow
from console.models.notify import DELIVERY_STATES, NotifyDelivery
from console.notify import channels as channel_senders
from console.notify import messages
from console.notify.channels import DeliveryError, Message
from console.notify.events import Event, delivery
from console.notify.kinds import KINDS, SEVERITIES

log = logging.getLogger("ops.notify")
STUCK_MINUTES = 10
MAX_DIGEST_LINES = 500


@dataclass
class DeliveryTotals:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    postponed: int = 0
    errors: dict[str, str] = field(default_factory=dict)


def backoff_seconds(notify, attempts: int) -> int:
    """Seconds before attempt number attempts + 1: retry_seconds, doubled each time, at most retry_max_seconds."""
    return min(notify.retry_seconds * 2 ** max(attempts - 1, 0), notify.retry_max_seconds)


def deliver_due(factory: sessionmaker[Session], settings, now: datetime | None = None, limit: int = 200,
                send=channel_senders.send, only_id: int | None = None) -> DeliveryTotals:
    """Send what is due now; the totals of this round."""
    totals = DeliveryTotals()
    claimed = _claim(factory, now or utcnow(), limit, only_id)
    totals.claimed = len(claimed)
    down: dict[str, datetime] = {}
    for row in claimed:
        channel = settings.notify.channel(row.channel)
        at = now or utcnow()
        if channel is None or not channel.enabled:
            _record(factory, row.id, state="failed", attempted=at, error=f"channel {row.channel!r} is not in "
                    "ops.toml or is disabled")
            totals.failed += 1
            continue
        if row.channel in down:
            _postpone(factory, row.id, down[row.channel])
            totals.postponed += 1
            continue
        try:
            receipt = send(channel, _message(row))
        except DeliveryError as exc:
            reason = str(exc)[:1000]
            attempts = row.attempts + 1
            gave_up = attempts >= settings.notify.max_attempts
            retry_at = at + timedelta(seconds=backoff_seconds(settings.notify, attempts))
            _record(factory, row.id, state="failed" if gave_up else "pending", attempted=at, error=reason,
                    attempts=attempts, next_attempt_at=None if gave_up else retry_at)
            down[row.channel] = retry_at
            totals.failed += 1
            totals.errors[row.channel] = reason
            log.warning("notification %s to %s failed (attempt %s): %s", row.id, row.channel, attempts, reason)
            continue
        except Exception as exc:  # a channel bug must not stop the others; the row is retried
            log.exception("notification %s to %s: channel error", row.id, row.channel)
            _record(factory, row.id, state="pending", attempted=at, error=f"channel error: {type(exc).__name__}",
                    attempts=row.attempts + 1,
                    next_attempt_at=at + timedelta(seconds=backoff_seconds(settings.notify, row.attempts + 1)))
            totals.failed += 1
            continue
        _record(factory, row.id, state="sent", attempted=at, attempts=row.attempts + 1, receipt=str(receipt)[:255],
                sent_at=utcnow())
        totals.sent += 1
    return totals


def _claim(factory, now: datetime, limit: int, only_id: int | None) -> list[NotifyDelivery]:
    with session_scope(factory) as session:
        session.execute(update(NotifyDelivery).where(
            NotifyDelivery.state == "sending", NotifyDelivery.claimed_at < now - timedelta(minutes=STUCK_MINUTES))
            .values(state="pending"))
        query = (select(NotifyDelivery).where(NotifyDelivery.state == "pending", NotifyDelivery.next_attempt_at <= now)
                 .order_by(NotifyDelivery.id).limit(limit))
        if only_id is not None:
            query = query.where(NotifyDelivery.id == only_id)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(session.scalars(query))
        for row in rows:
            row.state, row.claimed_at = "sending", now
        session.flush()
        session.expunge_all()
        return rows


def _record(factory, delivery_id: int, **values) -> None:
    attempted = values.pop("attempted")
    error = values.pop("error", "")
    with session_scope(factory) as session:
        session.execute(update(NotifyDelivery).where(NotifyDelivery.id == delivery_id).values(
            last_attempt_at=attempted, last_error=error, claimed_at=None, **values))


def _postpone(factory, delivery_id: int, at: datetime) -> None:
    with session_scope(factory) as session:
        session.execute(update(NotifyDelivery).where(NotifyDelivery.id == delivery_id).values(
            state="pending", next_attempt_at=at, claimed_at=None))


def _message(row: NotifyDelivery) -> Message:
    text = row.body
    if row.repeats:
        text = f"{text}\n\n{messages.repeats_line(row.repeats, row.language)}"
    return Message(delivery_id=row.id, kind=row.kind, severity=row.severity, subject=row.subject, text=text,
                   link=row.link, created_at=row.event_at, language=row.language, key=row.event_key,
                   data=dict(row.data or {}))


# --- digests ---------------------------------------------------------------

def send_digests(factory: sessionmaker[Session], settings, now: datetime | None = None) -> int:
    """Gather each (rule, channel)'s held messages into one digest message; the number of digests written."""
    now = now or utcnow()
    written = 0
    with session_scope(factory) as session:
        pairs = session.execute(select(NotifyDelivery.rule, NotifyDelivery.channel)
                                .where(NotifyDelivery.state == "held").distinct()).all()
        for rule_name, channel_name in pairs:
            held = list(session.scalars(select(NotifyDelivery).where(
                NotifyDelivery.state == "held", NotifyDelivery.rule == rule_name,
                NotifyDelivery.channel == channel_name).order_by(NotifyDelivery.id)))
            channel = settings.notify.channel(channel_name)
            language = channel.language if channel else "vi"
            lines = [f"{messages.local_text(row.event_at, settings.console.timezone)} {row.subject}"
                     + (f" (+{row.repeats})" if row.repeats else "") for row in held[:MAX_DIGEST_LINES]]
            if len(held) > MAX_DIGEST_LINES:
                lines.append(f"... +{len(held) - MAX_DIGEST_LINES}")
            event = Event("notify.digest", f"digest:{rule_name}", max((row.severity for row in held), key=_rank),
                          {"count": len(held), "rule": rule_name}, f"/notifications/?rule={rule_name}",
                          lines=lines, at=now)
            digest = delivery(settings, event, rule_name, channel_name, language,
                              f"{rule_name}|{channel_name}|notify.digest|{now:%Y-%m-%d %H:%M}", now)
            session.add(digest)
            session.flush()
            for row in held:
                row.state, row.digest_id = "digested", digest.id
            written += 1
    return written


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0


# --- what people do: a test message, retry, the log --------------------------

def queue_test(session: Session, actor: Actor, settings, channel_name: str) -> NotifyDelivery:
    """A test message to one channel, through the outbox like every message; audited."""
    require(actor, "notify.manage")
    channel = settings.notify.channel(channel_name)
    if channel is None:
        raise NotFound(f"no notification channel named {channel_name!r} in ops.toml")
    now = utcnow()
    event = Event("notify.test", f"channel:{channel.name}", "info", {"channel": channel.name, "actor": actor.username},
                  "/notifications/", at=now)
    row = delivery(settings, event, "test", channel.name, channel.language, f"test|{channel.name}|{now.isoformat()}",
                   now)
    session.add(row)
    session.flush()
    audit.record(session, actor, "notify.test", "notify_channel", channel.name, delivery=row.id)
    return row


def retry(session: Session, actor: Actor, delivery_id: int | None = None, channel: str | None = None) -> int:
    """Put failed deliveries back to be sent now (one, a channel's, or all); audited. The number put back."""
    require(actor, "notify.manage")
    query = update(NotifyDelivery).where(NotifyDelivery.state == "failed")
    if delivery_id is not None:
        get_or_404(session, NotifyDelivery, delivery_id, f"notification {delivery_id} not found")
        query = query.where(NotifyDelivery.id == delivery_id)
    if channel is not None:
        query = query.where(NotifyDelivery.channel == channel)
    count = session.execute(query.values(state="pending", attempts=0, next_attempt_at=utcnow())).rowcount
    audit.record(session, actor, "notify.retry", "notify_delivery", str(delivery_id or channel or "all"), count=count)
    return count


@dataclass(frozen=True)
class LogFilter:
    channel: str | None = None
    state: str | None = None
    kind: str | None = None
    rule: str | None = None

    def __post_init__(self):
        if self.state is not None and self.state not in DELIVERY_STATES:
            raise ValidationFailed("state", f"one of {', '.join(DELIVERY_STATES)}")
        if self.kind is not None and self.kind not in KINDS:
            raise ValidationFailed("kind", "not an event kind")


def log_page(session: Session, where: LogFilter, before: int | None = None, limit: int = 50) -> list[NotifyDelivery]:
    query = select(NotifyDelivery).order_by(NotifyDelivery.id.desc()).limit(limit)
    for column, value in ((NotifyDelivery.channel, where.channel), (NotifyDelivery.state, where.state),
                          (NotifyDelivery.kind, where.kind), (NotifyDelivery.rule, where.rule)):
        if value is not None:
            query = query.where(column == value)
    if before is not None:
        query = query.where(NotifyDelivery.id < before)
    return list(session.scalars(query))


def get_delivery(session: Session, delivery_id: int) -> NotifyDelivery:
    return get_or_404(session, NotifyDelivery, delivery_id, f"notification {delivery_id} not found")


def channel_status(session: Session, settings) -> list[dict]:
    """Each configured channel with its last delivery, its last error and its counts by state."""
    counts: dict[str, dict[str, int]] = {}
    for name, state, count in session.execute(select(NotifyDelivery.channel, NotifyDelivery.state, func.count())
                                              .group_by(NotifyDelivery.channel, NotifyDelivery.state)):
        counts.setdefault(name, {})[state] = count
    status = []
    for channel in settings.notify.channels:
        last_sent = session.scalar(select(func.max(NotifyDelivery.sent_at)).where(NotifyDelivery.channel == channel.name))
        last_error = session.execute(select(NotifyDelivery.last_error, NotifyDelivery.last_attempt_at).where(
            NotifyDelivery.channel == channel.name, NotifyDelivery.last_error != "")
            .order_by(NotifyDelivery.last_attempt_at.desc()).limit(1)).first()
        status.append({"name": channel.name, "kind": channel.kind, "target": channel.target(),
                       "language": channel.language, "enabled": channel.enabled,
                       "last_sent_at": last_sent, "last_error": last_error[0] if last_error else "",
                       "last_error_at": last_error[1] if last_error else None, "counts": counts.get(channel.name, {})})
    return status


def delivery_counts(session: Session) -> list[tuple[str, str, int]]:
    """(channel, state, count) for /metrics."""
    return [tuple(row) for row in session.execute(select(NotifyDelivery.channel, NotifyDelivery.state, func.count())
                                                  .group_by(NotifyDelivery.channel, NotifyDelivery.state))]


def purge(session: Session, older_than_days: int, now: datetime | None = None) -> int:
    """Delete sent and digested deliveries older than the window (failed ones stay until retried or purged by hand)."""
    cutoff = (now or utcnow()) - timedelta(days=older_than_days)
    session.execute(update(NotifyDelivery).where(NotifyDelivery.digest_id.in_(
        select(NotifyDelivery.id).where(NotifyDelivery.created_at < cutoff))).values(digest_id=None))
    return session.execute(delete(NotifyDelivery).where(NotifyDelivery.created_at < cutoff,
                                                        NotifyDelivery.state.in_(("sent", "digested")))).rowcount
