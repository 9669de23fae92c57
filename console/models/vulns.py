"""Known vulnerabilities: hosts' installed packages, Debian's security tracker data, the matches, waivers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from console.models.base import Base, UTCDateTime, utcnow


class HostPackages(Base):
    """A host's last full list of installed packages and the digest it last reported (one row per host)."""

    __tablename__ = "host_packages"

    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id"), primary_key=True)
    report_id: Mapped[str] = mapped_column(String(36))
    release: Mapped[str] = mapped_column(String(32), default="")
    digest: Mapped[str] = mapped_column(String(64))
    package_count: Mapped[int] = mapped_column(Integer, default=0)
    packages: Mapped[list] = mapped_column(JSON, default=list)  # [{name, version, arch, source, source_version}]
    listed_at: Mapped[datetime] = mapped_column(UTCDateTime())  # when the full list arrived
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the newest report (full or digest)
    reported_digest: Mapped[str] = mapped_column(String(64))  # differs from digest: the list is out of date


class VulnImport(Base):
    """One import of the tracker data; the newest is the data in use."""

    __tablename__ = "vuln_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    data_date: Mapped[datetime] = mapped_column(UTCDateTime())
    origin: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    package_count: Mapped[int] = mapped_column(Integer, default=0)
    entry_count: Mapped[int] = mapped_column(Integer, default=0)
    changes: Mapped[int] = mapped_column(Integer, default=0)
    imported_by: Mapped[str] = mapped_column(String(64), default="")
    stale_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class VulnSource(Base):
    """Debian's verdicts for one source package in one release: {CVE: [status, fixed, urgency, nodsa, reason]}."""

    __tablename__ = "vuln_sources"
    __table_args__ = (UniqueConstraint("release", "source", name="uq_vuln_sources_release_source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(128))
    digest: Mapped[str] = mapped_column(String(64))
    entries: Mapped[dict] = mapped_column(JSON, default=dict)


class VulnCve(Base):
    """What the tracker says of a CVE as a whole."""

    __tablename__ = "vuln_cves"

    cve: Mapped[str] = mapped_column(String(32), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    scope: Mapped[str] = mapped_column(String(16), default="")
    debianbug: Mapped[int | None] = mapped_column(Integer, default=None)


class HostVuln(Base):
    """One CVE affecting one installed source package of one host (worked out on import and on inventory)."""

    __tablename__ = "host_vulns"
    __table_args__ = (Index("ix_host_vulns_host", "host_id"), Index("ix_host_vulns_cve", "cve"))

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id"))
    cve: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(128))
    installed: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16))  # fixable, open, no_dsa, postponed, ignored, end_of_life, undetermined
    fixed_version: Mapped[str] = mapped_column(String(128), default="")
    urgency: Mapped[str] = mapped_column(String(32), default="")
    note: Mapped[str] = mapped_column(String(300), default="")
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VulnWaiver(Base):
    """An admin accepts one CVE on one host, with a reason, until a date; never deleted."""

    __tablename__ = "vuln_waivers"
    __table_args__ = (Index("ix_vuln_waivers_host_cve", "host_id", "cve"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id"))
    cve: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(500))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_by: Mapped[str] = mapped_column(String(64), default="")


class VulnDay(Base):
    """The estate's figures as they stood at the last change of one day (the console's zone): the reports' trend.

    Written after each import (the estate matched again) and by each compliance run; a day without a row kept
    the figures of the day before.
    """

    __tablename__ = "vuln_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    findings: Mapped[int] = mapped_column(Integer, default=0)
    fixable: Mapped[int] = mapped_column(Integer, default=0)
    high: Mapped[int] = mapped_column(Integer, default=0)  # of Debian's urgency high
    hosts_affected: Mapped[int] = mapped_column(Integer, default=0)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
