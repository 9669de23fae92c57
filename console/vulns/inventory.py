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
from datetime import datetime, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from console.models.base import utcnow
from console.models.vulns import HostPackages, HostVuln, VulnSource
from console.vulns.matching import Finding, match_host, tracked_sources
from console.vulns.queries import record_day

from probes.collectors.packages import inventory_digest

__all__ = ["store", "rematch"]

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


def rematch(session: Session, host_ids: list[int] | None = None, now: datetime | None = None,
            tables: dict[str, dict] | None = None) -> int:
    """Match these hosts (all with a package list when None) against the stored data; the number of findings.

    `tables` ({release: {source: {CVE: entry}}}) spares reading back what an import has just parsed.
    """
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
        if tables is not None:
            entries_of = tables.get(release, {}).get
        elif estate:
            entries_of = release_entries(session, release).get
        else:
            entries_of = entries_reader(session, release)
        cache: dict = {}
        for host_id, packages in hosts:
            findings[host_id] = match_host(tracked_sources(packages), entries_of, cache)
    total = _replace(session, findings, now)
    if host_ids is None:  # the estate after an import; a host's new list waits for the next compliance run
        record_day(session, now)
    return total


def _replace(session: Session, findings: dict[int, list[Finding]], now: datetime) -> int:
    """Bring host_vulns of these hosts to `findings`, writing only the difference; the number of findings.

    An unchanged finding keeps its row; a changed one is updated in place (first_seen_at stays); a gone one
    is deleted. Writes go through the driver's executemany: an estate's first match writes hundreds of
    thousands of rows, and SQLAlchemy's per-row processing would triple the time.
    """
    ids = list(findings)
    known: dict[tuple[int, str, str], tuple] = {}
    for start in range(0, len(ids), CHUNK):
        query = select(HostVuln.id, HostVuln.host_id, HostVuln.cve, HostVuln.source, HostVuln.installed,
                       HostVuln.state, HostVuln.fixed_version, HostVuln.urgency,
                       HostVuln.note).where(HostVuln.host_id.in_(ids[start:start + CHUNK]))
        for row_id, host_id, cve, source, *values in session.execute(query):
            known[(host_id, cve, source)] = (row_id, tuple(values))
    changed, rows, total = [], [], 0
    for host_id, found in findings.items():
        total += len(found)
        for f in found:
            values = (f.installed, f.state, f.fixed_version, f.urgency, f.note)
            old = known.pop((host_id, f.cve, f.source), None)
            if old is None:
                rows.append((host_id, f.cve, f.source, *values, now))
            elif old[1] != values:
                changed.append((*values, old[0]))
    gone = [row_id for row_id, _values in known.values()]
    for start in range(0, len(gone), CHUNK):
        session.execute(delete(HostVuln).where(HostVuln.id.in_(gone[start:start + CHUNK])))
    _write(session, rows, changed)
    return total


def _write(session: Session, rows: list[tuple], changed: list[tuple]) -> None:
    connection = session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sqlite = connection.dialect.name == "sqlite"
    insert_sql = (f"INSERT INTO host_vulns (host_id, cve, source, installed, state, fixed_version, urgency, note, "
                  f"first_seen_at) VALUES ({', '.join([mark] * 9)})")
    update_sql = (f"UPDATE host_vulns SET installed = {mark}, state = {mark}, fixed_version = {mark}, "
                  f"urgency = {mark}, note = {mark} WHERE id = {mark}")
    for start in range(0, len(rows), CHUNK):
        connection.exec_driver_sql(insert_sql, [(*row[:8], _stored_time(row[8], sqlite))
                                                for row in rows[start:start + CHUNK]])
    for start in range(0, len(changed), CHUNK):
        connection.exec_driver_sql(update_sql, changed[start:start + CHUNK])


def _stored_time(moment: datetime, sqlite: bool):
    """As UTCDateTime stores it: naive UTC; on SQLite the text SQLAlchemy's DateTime writes."""
    naive = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else naive
