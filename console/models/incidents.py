"""Incidents: an alert or a finding escalated, with when it was detected and when each notice went out.

NĐ 331/2026 Điều 31.2.d: a serious incident needs a first notice within 24
hours and a full report within 72 hours. The deadlines are computed from
`detected_at` (console.incidents.service), never stored, so correcting the
detection time moves them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from console.models.base import Base, UTCDateTime, utcnow


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_detected_at", "detected_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16))  # alert, finding, report
    source_ref: Mapped[str] = mapped_column(String(64), default="")
    system_key: Mapped[str] = mapped_column(String(128), default="")
    serious: Mapped[bool] = mapped_column(default=True)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    first_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    first_notice_by: Mapped[str] = mapped_column(String(64), default="")
    full_report_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    full_report_by: Mapped[str] = mapped_column(String(64), default="")
