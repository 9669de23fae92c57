"""Compliance runs, their per control x target results, waivers, and the run lock.

Results keep the target's name, unit, the control's category and severity as
they were at run time (denormalised on purpose): history reads one table,
and a retired host or a changed catalog does not rewrite past runs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from console.models.base import Base, UTCDateTime, utcnow


class ComplianceRun(Base):
    __tablename__ = "compliance_runs"
    __table_args__ = (Index("ix_compliance_runs_started_at", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger: Mapped[str] = mapped_column(String(16))  # cli, console, schedule
    actor: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="done")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    catalog_digest: Mapped[str] = mapped_column(String(16), default="")
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)


class ComplianceResult(Base):
    __tablename__ = "compliance_results"
    __table_args__ = (
        Index("ix_compliance_results_run_result", "run_id", "result"),
        Index("ix_compliance_results_run_control", "run_id", "control_id"),
        Index("ix_compliance_results_run_target", "run_id", "target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("compliance_runs.id", ondelete="CASCADE"))
    control_id: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(255))
    target_kind: Mapped[str] = mapped_column(String(8), default="host")  # host or device
    unit: Mapped[str] = mapped_column(String(128), default="")
    category: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    result: Mapped[str] = mapped_column(String(8))  # pass, fail, unknown, waived
    why: Mapped[str] = mapped_column(String(500), default="")
    # What `why` was made of (console.compliance.conditions.Reason.data), to say it in the reader's language.
    reason: Mapped[dict | None] = mapped_column(JSON, default=None)
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    evidence_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    waiver_id: Mapped[int | None] = mapped_column(Integer, default=None)


class ComplianceWaiver(Base):
    __tablename__ = "compliance_waivers"
    __table_args__ = (Index("ix_compliance_waivers_control_target", "control_id", "target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    control_id: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(String(500))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_by: Mapped[str] = mapped_column(String(64), default="")


class ComplianceLock(Base):
    """One row while a run is in progress; its primary key is what keeps two runs apart."""

    __tablename__ = "compliance_locks"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
