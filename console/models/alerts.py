"""IDS alerts from Suricata's EVE log: alerts, their groups, context events, counters, checkpoints.

Every EVE record is kept whole as JSON text (`record`); the columns beside it
are what the inbox, the group page and retention search on. Alerts point at
their group by `group_key` (a hash of gid:sid x source x destination), so the
ingest path never needs to read a group id back before inserting alerts.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from console.models.base import Base, UTCDateTime, utcnow


class AlertStatus(str, enum.Enum):
    new = "new"
    acknowledged = "acknowledged"
    escalated = "escalated"
    closed = "closed"


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_group_event", "group_key", "event_at"),
        Index("ix_alerts_event_at", "event_at"),
        Index("ix_alerts_flow_id", "flow_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sensor: Mapped[str] = mapped_column(String(255))
    gid: Mapped[int] = mapped_column(Integer)
    sid: Mapped[int] = mapped_column(BigInteger)
    rev: Mapped[int] = mapped_column(Integer)
    signature: Mapped[str] = mapped_column(String(512))
    category: Mapped[str] = mapped_column(String(255))
    severity: Mapped[int] = mapped_column(Integer)
    src_ip: Mapped[str] = mapped_column(String(45))
    src_port: Mapped[int | None] = mapped_column(Integer)
    dest_ip: Mapped[str] = mapped_column(String(45))
    dest_port: Mapped[int | None] = mapped_column(Integer)
    proto: Mapped[str] = mapped_column(String(16))
    flow_id: Mapped[int | None] = mapped_column(BigInteger)
    app_proto: Mapped[str] = mapped_column(String(32))
    group_key: Mapped[str] = mapped_column(String(32))
    record: Mapped[str] = mapped_column(Text)
    # EVE's alert.action: "blocked" (an inline sensor dropped the packet) or "allowed" (it went through).
    action: Mapped[str] = mapped_column(String(16), default="allowed", server_default="allowed")


class AlertGroup(Base):
    """Signature x source x destination, as an inbox row; triage state lives here."""

    __tablename__ = "alert_groups"
    __table_args__ = (
        Index("ix_alert_groups_status_last_seen", "status", "last_seen", "id"),
        Index("ix_alert_groups_last_seen", "last_seen", "id"),
        Index("ix_alert_groups_sid_last_seen", "sid", "last_seen", "id"),
        Index("ix_alert_groups_src_key", "src_key"),
        Index("ix_alert_groups_dest_key", "dest_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_key: Mapped[str] = mapped_column(String(32), unique=True)
    gid: Mapped[int] = mapped_column(Integer)
    sid: Mapped[int] = mapped_column(BigInteger)
    signature: Mapped[str] = mapped_column(String(512))
    category: Mapped[str] = mapped_column(String(255))
    severity: Mapped[int] = mapped_column(Integer)
    src_ip: Mapped[str] = mapped_column(String(45))
    dest_ip: Mapped[str] = mapped_column(String(45))
    # The address as fixed-width hex (8 digits IPv4, 32 IPv6): CIDR filters become index range scans.
    src_key: Mapped[str] = mapped_column(String(32))
    dest_key: Mapped[str] = mapped_column(String(32))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    count: Mapped[int] = mapped_column(BigInteger)
    blocked_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")  # of `count`
    status: Mapped[str] = mapped_column(String(16), default=AlertStatus.new.value)
    assignee: Mapped[str] = mapped_column(String(64), default="")
    false_positive: Mapped[bool] = mapped_column(Boolean, default=False)
    fp_kind: Mapped[str] = mapped_column(String(16), default="")  # suppress or disable
    fp_proposal: Mapped[str] = mapped_column(String(255), default="")
    fp_status: Mapped[str] = mapped_column(String(16), default="")  # proposed, pending, applied, failed
    fp_message: Mapped[str] = mapped_column(String(1000), default="")
    fp_version: Mapped[int | None] = mapped_column(Integer, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AlertComment(Base):
    __tablename__ = "alert_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("alert_groups.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ContextEvent(Base):
    """flow, http, dns, tls, fileinfo, smb... and event types this console does not know, kept whole."""

    __tablename__ = "alert_context_events"
    __table_args__ = (
        Index("ix_alert_context_events_flow_id", "flow_id"),
        Index("ix_alert_context_events_event_at", "event_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sensor: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(32))
    flow_id: Mapped[int | None] = mapped_column(BigInteger)
    src_ip: Mapped[str] = mapped_column(String(45))
    dest_ip: Mapped[str] = mapped_column(String(45))
    record: Mapped[str] = mapped_column(Text)


class EventCounter(Base):
    """anomaly and stats events are counted per sensor and type; the latest record is kept."""

    __tablename__ = "alert_event_counters"
    __table_args__ = (UniqueConstraint("sensor", "event_type", name="uq_alert_event_counters_sensor_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sensor: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(BigInteger)
    last_event_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_record: Mapped[str] = mapped_column(Text)


class IngestCheckpoint(Base):
    """How far a source has been read: the file's identity and the byte offset after the last stored line.

    Written in the same transaction as the events it covers, so a crash
    leaves either both or neither.
    """

    __tablename__ = "alert_ingest_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(600), unique=True)
    path: Mapped[str] = mapped_column(String(1024))
    device: Mapped[int] = mapped_column(BigInteger)
    inode: Mapped[int] = mapped_column(BigInteger)
    fingerprint: Mapped[str] = mapped_column(String(64))
    fingerprint_bytes: Mapped[int] = mapped_column(Integer)
    offset: Mapped[int] = mapped_column(BigInteger)
    line_number: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class IngestProblem(Base):
    """Lines that could not be stored, counted per source and kind, with the last one described."""

    __tablename__ = "alert_ingest_problems"
    __table_args__ = (UniqueConstraint("source", "kind", name="uq_alert_ingest_problems_source_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(600))
    kind: Mapped[str] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(BigInteger)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_detail: Mapped[str] = mapped_column(String(1000))
