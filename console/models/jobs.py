"""Playbook runs (jobs): the run itself, one result row per host, and its output as events.

A job's output is kept whole as events, each event's stdout bounded; secret
values never reach these tables (they are redacted before any row is
written). `JobHostLock` rows say which job holds which inventory host while it
is queued or running: the unique host column is what refuses a second job on
the same hosts, on both databases, without a race.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.models.base import Base, UTCDateTime, utcnow


class JobState(str, enum.Enum):
    queued = "queued"
    running = "running"
    successful = "successful"
    failed = "failed"  # the playbook ran; a host failed or was unreachable
    cancelled = "cancelled"
    error = "error"  # the playbook could not run (syntax error, missing file, worker died)

    @property
    def finished(self) -> bool:
        return self not in (JobState.queued, JobState.running)


JOB_STATE_ENUM = Enum(JobState, name="job_state", native_enum=False, length=16, validate_strings=True)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_created_at", "created_at"), Index("ix_jobs_state", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    playbook: Mapped[str] = mapped_column(String(255))
    limit: Mapped[str] = mapped_column(String(1024), default="")
    tags: Mapped[str] = mapped_column(String(1024), default="")
    check_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    diff: Mapped[bool] = mapped_column(Boolean, default=False)  # --diff: what each changed file task changes
    extravars: Mapped[dict] = mapped_column(JSON, default=dict)  # secret values replaced by REDACTED
    state: Mapped[JobState] = mapped_column(JOB_STATE_ENUM, default=JobState.queued)
    started_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancel_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancel_requested_by: Mapped[str] = mapped_column(String(64), default="")
    return_code: Mapped[int | None] = mapped_column(Integer, default=None)
    error_message: Mapped[str] = mapped_column(Text, default="")
    worker_pid: Mapped[int | None] = mapped_column(Integer, default=None)
    worker_node: Mapped[str] = mapped_column(String(255), default="")
    host_count: Mapped[int] = mapped_column(Integer, default=0)
    ok_count: Mapped[int] = mapped_column(Integer, default=0)
    changed_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    unreachable_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)
    event_count: Mapped[int] = mapped_column(Integer, default=0)

    host_results: Mapped[list["JobHostResult"]] = relationship(
        back_populates="job", cascade="all, delete-orphan", passive_deletes=True, order_by="JobHostResult.host")


class JobHostResult(Base):
    """What happened on one host; `status` is final once the job has finished."""

    __tablename__ = "job_host_results"
    __table_args__ = (UniqueConstraint("job_id", "host", name="uq_job_host_results_job_host"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    host: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    ok: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    unreachable: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")

    job: Mapped[Job] = relationship(back_populates="host_results")


class JobEvent(Base):
    """One ansible-runner event: its sequence number, kind, host, task and stdout (bounded, redacted)."""

    __tablename__ = "job_events"
    __table_args__ = (UniqueConstraint("job_id", "seq", name="uq_job_events_job_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    event_type: Mapped[str] = mapped_column(String(64))
    host: Mapped[str] = mapped_column(String(255), default="")
    task: Mapped[str] = mapped_column(String(1024), default="")
    outcome: Mapped[str] = mapped_column(String(16), default="")  # ok, changed, failed, unreachable, skipped
    stdout: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class JobHostLock(Base):
    """An inventory host held by a queued or running job; removed when the job finishes."""

    __tablename__ = "job_host_locks"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
