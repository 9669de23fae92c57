"""Host agents: their enrolment, their credential (a public key) and their reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.models.base import Base, UTCDateTime, utcnow
from console.models.inventory import Host


class EnrollmentToken(Base):
    """A one-time secret an operator hands to a host; only its SHA-256 is stored."""

    __tablename__ = "enrollment_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    host_name: Mapped[str] = mapped_column(String(255), default="")  # "" = any inventory host
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id"))
    public_key: Mapped[str] = mapped_column(String(64))
    agent_version: Mapped[str] = mapped_column(String(32), default="")
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    enrolled_from: Mapped[str] = mapped_column(String(64), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    interval_seconds: Mapped[int] = mapped_column(Integer, default=60)

    host: Mapped[Host] = relationship()


class HostReport(Base):
    """One agent report, kept whole, with the figures the charts need pulled out."""

    __tablename__ = "host_reports"
    __table_args__ = (Index("ix_host_reports_host_collected", "host_id", "collected_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[str] = mapped_column(String(36), unique=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cpu_percent: Mapped[float | None] = mapped_column(Float, default=None)
    memory_percent: Mapped[float | None] = mapped_column(Float, default=None)
    disk_max_percent: Mapped[float | None] = mapped_column(Float, default=None)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[dict] = mapped_column(JSON)


class LynisRun(Base):
    """One Lynis run on a host as its agent reported it: the hardening index over time."""

    __tablename__ = "lynis_runs"
    __table_args__ = (Index("ix_lynis_runs_host_finished", "host_id", "finished_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id"))
    report_id: Mapped[str] = mapped_column(String(36))
    lynis_version: Mapped[str] = mapped_column(String(32), default="")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    hardening_index: Mapped[int | None] = mapped_column(Integer, default=None)
    tests_performed: Mapped[int | None] = mapped_column(Integer, default=None)
    # The Lynis test groups audited, space-separated ([agent] lynis_groups); "": the full audit.
    test_groups: Mapped[str] = mapped_column(String(500), default="", server_default="")
    warning_count: Mapped[int] = mapped_column(Integer, default=0)
    suggestion_count: Mapped[int] = mapped_column(Integer, default=0)
    dropped_findings: Mapped[int] = mapped_column(Integer, default=0)
    cpu_seconds: Mapped[float | None] = mapped_column(Float, default=None)


class HostFinding(Base):
    """A warning or suggestion of a host's latest Lynis run (replaced by the next run)."""

    __tablename__ = "host_findings"
    __table_args__ = (Index("ix_host_findings_host", "host_id"), Index("ix_host_findings_test", "test_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id"))
    run_id: Mapped[int] = mapped_column(ForeignKey("lynis_runs.id"))
    kind: Mapped[str] = mapped_column(String(10))  # warning or suggestion
    test_id: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(String(500), default="")
    details: Mapped[str] = mapped_column(String(500), default="")
    solution: Mapped[str] = mapped_column(String(500), default="")


class HostSecurityUpdates(Base):
    """A host's latest check of pending security updates (one row per host, updated in place)."""

    __tablename__ = "host_security_updates"

    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id"), primary_key=True)
    report_id: Mapped[str] = mapped_column(String(36))
    source: Mapped[str] = mapped_column(String(16))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    apt_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    pending_count: Mapped[int] = mapped_column(Integer, default=0)
    oldest_pending_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    packages: Mapped[list] = mapped_column(JSON, default=list)
    dropped_packages: Mapped[int] = mapped_column(Integer, default=0)


class HardeningWaiver(Base):
    """An admin accepts one Lynis finding (test id) on one host, with a reason, until a date; never deleted."""

    __tablename__ = "hardening_waivers"
    __table_args__ = (Index("ix_hardening_waivers_host_test", "host_id", "test_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id"))
    test_id: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(500))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_by: Mapped[str] = mapped_column(String(64), default="")
