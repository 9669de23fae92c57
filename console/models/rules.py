"""The IDS rule manager's records: ruleset versions, their per-sid changes, deploys and rule test runs.

The rule files themselves live under the var folder (rules/versions.py); these
rows say which version is in force, what changed, and what each sensor runs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.models.base import Base, UTCDateTime, utcnow


class RulesetVersion(Base):
    __tablename__ = "ruleset_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    built_by: Mapped[str] = mapped_column(String(64))
    rules_total: Mapped[int] = mapped_column(Integer)
    rules_enabled: Mapped[int] = mapped_column(Integer)
    rules_added: Mapped[int] = mapped_column(Integer)
    rules_removed: Mapped[int] = mapped_column(Integer)
    rules_modified: Mapped[int] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    note: Mapped[str] = mapped_column(String(255), default="")
    messages: Mapped[list] = mapped_column(JSON, default=list)
    # Source lines not in this version ({file, line, sid, kind, reason}; kind "encoding" or "refused"):
    # a refused rule is left out only when the build was told to allow it (`ops rules update --allow-refused`).
    left_out: Mapped[list] = mapped_column(JSON, default=list)

    changes: Mapped[list["RulesetChange"]] = relationship(back_populates="version", cascade="all, delete-orphan")


class RulesetChange(Base):
    """One sid that changed against the version before: added, removed, modified, enabled, disabled."""

    __tablename__ = "ruleset_changes"
    __table_args__ = (Index("ix_ruleset_changes_version_sid", "version_id", "sid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("ruleset_versions.id"))
    gid: Mapped[int] = mapped_column(Integer, default=1)
    sid: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    msg: Mapped[str] = mapped_column(String(512), default="")
    source: Mapped[str] = mapped_column(String(255), default="")

    version: Mapped[RulesetVersion] = relationship(back_populates="changes")


class RuleDeployment(Base):
    """One push of a version to one sensor, with what Suricata said after the reload."""

    __tablename__ = "rule_deployments"
    __table_args__ = (Index("ix_rule_deployments_sensor_id", "sensor", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sensor: Mapped[str] = mapped_column(String(64))
    version_number: Mapped[int] = mapped_column(Integer)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deployed_by: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # ok, failed
    rules_loaded: Mapped[int | None] = mapped_column(Integer, default=None)
    rules_failed: Mapped[int | None] = mapped_column(Integer, default=None)
    message: Mapped[str] = mapped_column(String(1024), default="")


class RuleTestRun(Base):
    """One `ops rules test` run: pass/fail per sid (and case) against a built ruleset."""

    __tablename__ = "rule_test_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_number: Mapped[int | None] = mapped_column(Integer, default=None)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ran_by: Mapped[str] = mapped_column(String(64))
    passed: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    results: Mapped[list] = mapped_column(JSON, default=list)


class RuleDeployApproval(Base):
    """A deploy to an IPS sensor whose new drop rules would have blocked inventory hosts' traffic (issue 32):
    asked by one person, approved by another before it goes out."""

    __tablename__ = "rule_deploy_approvals"
    __table_args__ = (UniqueConstraint("version_number", "sensor", name="uq_rule_deploy_approvals_version_sensor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_number: Mapped[int] = mapped_column(Integer)
    sensor: Mapped[str] = mapped_column(String(64))
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    alerts: Mapped[int] = mapped_column(Integer, default=0)  # what the preview counted when asked
    hosts: Mapped[list] = mapped_column(JSON, default=list)
    approved_by: Mapped[str] = mapped_column(String(64), default="")
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
