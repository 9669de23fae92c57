"""Information systems, the manual evidence attached to their requirements, and their assessments per run.

A system is identified by its inventory group (`key`, e.g. system_land_procedures):
the inventory is the source of truth and the console's edits write back to
it. Assessments are stored per run with the system's level and framework as
they were then (denormalised on purpose, like compliance_results), so a
dossier of an old run does not change when a system is re-levelled.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from console.models.base import Base, UTCDateTime, utcnow


class InformationSystem(Base):
    __tablename__ = "information_systems"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    owner_unit: Mapped[str] = mapped_column(String(128))
    level: Mapped[int] = mapped_column(Integer)
    framework: Mapped[str] = mapped_column(String(16))
    approved_on: Mapped[date | None] = mapped_column(Date, default=None)
    hosts: Mapped[list] = mapped_column(JSON, default=list)
    present: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ManualEvidence(Base):
    """A document or a note that a requirement no control can check is met, valid from a date until an expiry."""

    __tablename__ = "manual_evidence"
    __table_args__ = (Index("ix_manual_evidence_system_requirement", "system_key", "requirement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    system_key: Mapped[str] = mapped_column(String(128))
    framework: Mapped[str] = mapped_column(String(16))
    requirement_id: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    evidence_date: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    document_name: Mapped[str] = mapped_column(String(200), default="")
    document_file: Mapped[str] = mapped_column(String(80), default="")
    document_size: Mapped[int] = mapped_column(Integer, default=0)
    document_sha256: Mapped[str] = mapped_column(String(64), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_by: Mapped[str] = mapped_column(String(64), default="")


class SystemAssessment(Base):
    __tablename__ = "system_assessments"
    __table_args__ = (Index("ix_system_assessments_run_system", "run_id", "system_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("compliance_runs.id", ondelete="CASCADE"))
    system_key: Mapped[str] = mapped_column(String(128))
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    owner_unit: Mapped[str] = mapped_column(String(128))
    level: Mapped[int] = mapped_column(Integer)
    framework: Mapped[str] = mapped_column(String(16))
    approved_on: Mapped[date | None] = mapped_column(Date, default=None)
    hosts: Mapped[list] = mapped_column(JSON, default=list)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    percent_met: Mapped[float | None] = mapped_column(Float, default=None)
    verdicts: Mapped[list] = mapped_column(JSON, default=list)
    gap: Mapped[list] = mapped_column(JSON, default=list)
