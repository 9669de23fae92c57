"""Service checks: every result kept raw, each check's running state, each service's state, its outages.

A result row is one run of one check, as it came back (outcome, response
time, the short reason, facts such as the certificate's days left). The
check state holds what the next round needs (failures in a row, when it is
due, which certificate warning went out); the service state is what the
Availability page shows; an outage is a time a service was down or
unreachable, with its cause ("self", "service:<name>", "uplink:<name>"),
which the monthly report reads. Services are named as in ops.toml.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from console.models.base import Base, UTCDateTime, utcnow

SERVICE_STATES = ("up", "degraded", "down", "unreachable", "maintenance", "unknown")


class AvailabilityResult(Base):
    __tablename__ = "availability_results"
    __table_args__ = (
        Index("ix_availability_results_service_check_at", "service", "check_name", "checked_at"),
        Index("ix_availability_results_checked_at", "checked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service: Mapped[str] = mapped_column(String(64))
    check_name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(16))  # ok, degraded, fail
    response_ms: Mapped[float | None] = mapped_column(Float, default=None)
    detail: Mapped[str] = mapped_column(String(300), default="")
    facts: Mapped[dict] = mapped_column(JSON, default=dict)


class AvailabilityHourly(Base):
    """Results older than [availability] raw_retention_days, rolled up per check and hour (UTC) before removal."""

    __tablename__ = "availability_hourly"

    service: Mapped[str] = mapped_column(String(64), primary_key=True)
    check_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    degraded: Mapped[int] = mapped_column(Integer, default=0)
    response_ms_sum: Mapped[float] = mapped_column(Float, default=0.0)
    response_ms_count: Mapped[int] = mapped_column(Integer, default=0)
    response_ms_max: Mapped[float | None] = mapped_column(Float, default=None)


class AvailabilityCheckState(Base):
    __tablename__ = "availability_check_states"

    service: Mapped[str] = mapped_column(String(64), primary_key=True)
    check_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_outcome: Mapped[str] = mapped_column(String(16), default="")
    last_detail: Mapped[str] = mapped_column(String(300), default="")
    last_response_ms: Mapped[float | None] = mapped_column(Float, default=None)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    # The smallest [availability] certificate_warn_days step announced for the certificate in use; -1: expired told.
    certificate_warned_days: Mapped[int | None] = mapped_column(Integer, default=None)


class AvailabilityServiceState(Base):
    __tablename__ = "availability_service_states"

    service: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="unknown")  # SERVICE_STATES
    since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cause: Mapped[str] = mapped_column(String(140), default="")  # "", "service:<name>", "uplink:<name>"
    detail: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AvailabilityOutage(Base):
    __tablename__ = "availability_outages"
    __table_args__ = (Index("ix_availability_outages_service_started", "service", "started_at"),
                      Index("ix_availability_outages_ended_at", "ended_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    service: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cause: Mapped[str] = mapped_column(String(140), default="self")  # self, service:<name>, uplink:<name>
    detail: Mapped[str] = mapped_column(String(300), default="")
