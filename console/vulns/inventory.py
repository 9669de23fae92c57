"""Each host's installed packages (from its agent's reports) and the CVEs that affect them.

A report's `packages` section carries the full list when it changed, else its
digest (probes/collectors/packages.py). The full list replaces the host's row
and the host is matched again at once; a digest only records that the list
still holds (or, when it differs, that the console's copy is out of date until
the agent's next full list).

Matching the estate (after an import) works per release: the tracker rows of
that release are read once, each distinct (source package, version) of all
hosts is judged once (matching.match_host's cache), and the results replace
host_vulns in the caller's transaction. A CVE already listed for a host keeps
its first_seen_at.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from console.models.base import utcnow
from console.models.vulns import HostPackages, HostVuln, VulnSource
from console.vulns.matching import Finding, match_host, tracked_sources

from probes.collectors.packages import inventory_digest

FIELDS = ("name", "version", "arch", "source", "source_version")
CHUNK = 5000


def store(session: Session, host_id: int, report_id: str, section, now: datetime | None = None) -> None:
    """Keep a report's packages section (called by ingest, once per report id)."""
    now = now or utcnow()
    row = session.get(HostPackages, host_id)
    if section.packages is None:
        if row is not None:
            row.reported_at, row.reported_digest = now, section.digest
        return
    packages = [{field: getattr(package, field) for field in FIELDS} for package in section.packages]
    release = section.release or ""
    if row is None:
        row = HostPackages(host_id=host_id)
        session.add(row)
    row.report_id, row.release, row.packages, row.package_count = report_id, release, packages, len(packages)
    row.digest = inventory_digest(section.release, packages)
    row.reported_digest, row.listed_at, row.reported_at = section.digest, now, now
    session.flush()
    rematch(session, [host_id], now)


def entries_reader(session: Session, release: str):
    """A function source -> {CVE: entry} for one release, reading each source's row at most once."""
    rows: dict[str, dict | None] = {}

    def entries_of(source: str) -> dict | None:
        if source not in rows:
            rows[source] = session.scalar(select(VulnSource.entries).where(VulnSource.release == release,
                                                                          VulnSource.source == source))
        return rows[source]
    return entries_of


def release_entries(session: Session, release: str) -> dict[str, dict]:
    """All sources of one release at once (the estate match)."""
    query = select(VulnSource.source, VulnSource.entries).where(VulnSource.release == release)
    return dict(session.execute(query).all())


def rematch(session: Session, host_ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Match these hosts (all with a package list when None) against the stored data; the findings written."""
    now = now or utcnow()
    query = select(HostPackages.host_id, HostPackages.release, HostPackages.packages)
    if host_ids is not None:
        query = query.where(HostPackages.host_id.in_(host_ids))
    by_release: dict[str, list[tuple[int, list]]] = defaultdict(list)
    for host_id, release, packages in session.execute(query):
        by_release[release].append((host_id, packages))
    estate = host_ids is None or len(host_ids) > 50
    findings: dict[int, list[Finding]] = {}
    for release, hosts in by_release.items():
        if estate:
            table = release_entries(session, release)
            entries_of = table.get
        else:
            entries_of = entries_reader(session, release)
        cache: dict = {}
        for host_id, packages in hosts:
            findings[host_id] = match_host(tracked_sources(packages), entries_of, cache)
    return _replace(session, findings, now)


def _replace(session: Session, findings: dict[int, list[Finding]], now: datetime) -> int:
    ids = list(findings)
    first_seen: dict[tuple[int, str, str], datetime] = {}
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        query = select(HostVuln.host_id, HostVuln.cve, HostVuln.source, HostVuln.first_seen_at).where(
            HostVuln.host_id.in_(part))
        first_seen.update({(h, c, s): at for h, c, s, at in session.execute(query)})
        session.execute(delete(HostVuln).where(HostVuln.host_id.in_(part)))
    rows = [{"host_id": host_id, "cve": f.cve, "source": f.source, "installed": f.installed, "state": f.state,
             "fixed_version": f.fixed_version, "urgency": f.urgency, "note": f.note,
             "first_seen_at": first_seen.get((host_id, f.cve, f.source), now)}
            for host_id, found in findings.items() for f in found]
    for start in range(0, len(rows), CHUNK):
        session.execute(HostVuln.__table__.insert(), rows[start:start + CHUNK])
    return len(rows)
