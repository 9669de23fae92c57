"""Remediations: one failing control (or one CVE) on some hosts, carried through Ansible to a verified result.

A remediation is the chain the finding's page shows: the failing result (the
compliance run it was found in), a check-mode job that shows per host what
would change, the approval a critical control needs from a second person,
the apply job, and the verification: the same control evaluated again on
those hosts once their agents have reported after the apply job (or a
timeout passed). A CVE's fix (`cve` set, console.vulns.fixes) upgrades the
affected packages and is verified by the hosts' next package lists. Jobs are referenced, not copied; a purged job leaves the
reference empty while the remediation keeps its own record.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from console.models.base import Base, UTCDateTime, utcnow


class RemediationState(str, enum.Enum):
    checking = "checking"  # the check-mode job is queued or running
    checked = "checked"  # the check job ended: waiting for Apply (and approval when the control is critical)
    applying = "applying"  # the apply job is queued or running
    verifying = "verifying"  # the apply job ended: waiting for the hosts' agents to report
    verified = "verified"  # the control passes again on every host
    still_failing = "still_failing"  # verified, and some host still does not pass
    cancelled = "cancelled"  # withdrawn, or a job was cancelled: nothing is verified
    error = "error"  # a job could not run at all

    @property
    def finished(self) -> bool:
        return self in (RemediationState.verified, RemediationState.still_failing, RemediationState.cancelled,
                        RemediationState.error)


REMEDIATION_STATE_ENUM = Enum(RemediationState, name="remediation_state", native_enum=False, length=16,
                              validate_strings=True)


class Remediation(Base):
    __tablename__ = "remediations"
    __table_args__ = (Index("ix_remediations_state", "state"), Index("ix_remediations_control_id", "control_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    control_id: Mapped[str] = mapped_column(String(32))  # a CVE fix's is its CVE
    cve: Mapped[str] = mapped_column(String(32), default="", server_default="")  # set: a CVE's Fix with Ansible
    severity: Mapped[str] = mapped_column(String(16))
    run_id: Mapped[int | None] = mapped_column(Integer, default=None)  # the compliance run that found it failing
    hosts: Mapped[list] = mapped_column(JSON, default=list)
    playbook: Mapped[str] = mapped_column(String(255))
    tags: Mapped[str] = mapped_column(String(1024), default="")
    extravars: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[RemediationState] = mapped_column(REMEDIATION_STATE_ENUM, default=RemediationState.checking)
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    check_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"), default=None)
    approved_by: Mapped[str] = mapped_column(String(64), default="")
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    applied_by: Mapped[str] = mapped_column(String(64), default="")
    apply_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"), default=None)
    apply_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    verify_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Per host: {"host", "result" (pass/fail/unknown/unreachable), "why", "reason", "evidence_at"}.
    verification: Mapped[list] = mapped_column(JSON, default=list)
    message: Mapped[str] = mapped_column(Text, default="")  # why it ended cancelled or in error (English, logged)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
