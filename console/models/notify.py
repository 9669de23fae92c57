"""The notification outbox: one row per message to one channel, written in the transaction of the event.

An event (a UPS on battery, a control newly failing, an IDS alert group) is
routed by the rules of ops.toml to channels; each (rule, channel) gets a
delivery row, rendered then in the channel's language, in the same
transaction as what caused it, so a message is never lost with a crash and
never sent for something that was rolled back. The scheduler process sends
the pending rows (console/notify/outbox.py) and records each attempt.

States: pending (to send at next_attempt_at), sending (claimed by a sender),
sent, failed (gave up after max_attempts; `ops notify retry` puts it back),
held (kept for the daily digest), digested (went out inside digest_id).
A repeat of a throttled key does not make a row: it counts in `repeats` of
the row that went out.

A condition row remembers what is true now (a UPS on battery, a host stale),
so a state is announced when it starts, not at every poll.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from console.models.base import Base, UTCDateTime, utcnow

DELIVERY_STATES = ("pending", "sending", "sent", "failed", "held", "digested")


class NotifyDelivery(Base):
    __tablename__ = "notify_deliveries"
    __table_args__ = (
        Index("ix_notify_deliveries_due", "state", "next_attempt_at"),
        Index("ix_notify_deliveries_throttle", "throttle_key", "created_at"),
        Index("ix_notify_deliveries_channel", "channel", "id"),
        Index("ix_notify_deliveries_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(48))
    event_key: Mapped[str] = mapped_column(String(255), default="")
    throttle_key: Mapped[str] = mapped_column(String(400), default="")
    rule: Mapped[str] = mapped_column(String(64), default="")
    channel: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16), default="info")
    unit: Mapped[str] = mapped_column(String(128), default="")
    system: Mapped[str] = mapped_column(String(128), default="")
    language: Mapped[str] = mapped_column(String(2), default="vi")
    subject: Mapped[str] = mapped_column(String(400), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(1000), default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    repeats: Mapped[int] = mapped_column(Integer, default=0)
    event_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str] = mapped_column(String(1000), default="")
    receipt: Mapped[str] = mapped_column(String(255), default="")
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("notify_deliveries.id"), default=None, index=True)


class NotifyCondition(Base):
    __tablename__ = "notify_conditions"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
