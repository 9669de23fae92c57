"""Host hardening from the agents' reports: Lynis runs and findings, pending security updates, waivers.

A report carries a `lynis` section once per Lynis run and an `updates`
section once per check (probes/collectors/lynis.py, updates.py). `store` keeps
each Lynis run (the hardening index over time) and replaces the host's
findings with the run's; the latest updates check replaces the host's row.
A waiver accepts one Lynis test id on one host, with a reason, until a date,
as compliance waivers do for controls: never deleted, revoked by setting
revoked_at, lapsing by itself, every change audit-logged.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from console.access import audit
from console.access.actor import Actor
from console.access.permissions import require
from console.common.paging import get_or_404
from console.common.waivers import check_expiry, checked_reason, mark_revoked
from console.errors import NotFound, ValidationFailed
from console.inventory.hosts import active_host, active_hosts
from console.models.agents import HardeningWaiver, HostFinding, HostSecurityUpdates, LynisRun
from console.models.base import utcnow

from probes.report import Report

__all__ = ["evidence"]

KINDS = ("warning", "suggestion")
TREND_RUNS = 90
MAX_SEARCH = 100


def store(session: Session, host_id: int, report: Report) -> None:
    """Keep the report's Lynis run and updates check, if it carries them (called by ingest, once per report id)."""
    if report.lynis is not None and report.lynis.installed and report.lynis.finished_at is not None:
        _store_lynis(session, host_id, str(report.report_id), report.lynis)
    if report.updates is not None:
        _store_updates(session, host_id, str(report.report_id), report.updates)


def _store_lynis(session: Session, host_id: int, report_id: str, lynis) -> None:
    run = LynisRun(host_id=host_id, report_id=report_id, lynis_version=lynis.lynis_version or "",
                   started_at=lynis.started_at, finished_at=lynis.finished_at, hardening_index=lynis.hardening_index,
                   tests_performed=lynis.tests_performed, warning_count=len(lynis.warnings),
                   suggestion_count=len(lynis.suggestions), dropped_findings=lynis.dropped_findings,
                   cpu_seconds=lynis.cpu_seconds, test_groups=" ".join(lynis.groups)[:500])
    session.add(run)
    session.flush()
    session.execute(delete(HostFinding).where(HostFinding.host_id == host_id))
    rows = [{"host_id": host_id, "run_id": run.id, "kind": kind, "test_id": item.test_id, "text": item.text,
             "details": item.details, "solution": item.solution}
            for kind, items in (("warning", lynis.warnings), ("suggestion", lynis.suggestions)) for item in items]
    if rows:
        session.execute(HostFinding.__table__.insert(), rows)


def _store_updates(session: Session, host_id: int, report_id: str, updates) -> None:
    row = session.get(HostSecurityUpdates, host_id) or HostSecurityUpdates(host_id=host_id)
    row.report_id, row.source, row.checked_at = report_id, updates.source, updates.checked_at
    row.apt_updated_at, row.pending_count = updates.apt_updated_at, updates.security_pending_count
    row.oldest_pending_since, row.dropped_packages = updates.oldest_pending_since, updates.dropped_packages
    row.packages = [package.model_dump(mode="json") for package in updates.packages]
    session.add(row)


def latest_run(session: Session, host_id: int) -> LynisRun | None:
    query = select(LynisRun).where(LynisRun.host_id == host_id).order_by(LynisRun.finished_at.desc()).limit(1)
    return session.scalar(query)


def index_trend(session: Session, host_id: int, runs: int = TREND_RUNS) -> list[tuple[datetime, int | None]]:
    """(finished_at, hardening index) of the host's last `runs` Lynis runs, oldest first."""
    query = (select(LynisRun.finished_at, LynisRun.hardening_index).where(LynisRun.host_id == host_id)
             .order_by(LynisRun.finished_at.desc()).limit(runs))
    return list(reversed([(at, index) for at, index in session.execute(query)]))


def security_updates(session: Session, host_id: int) -> HostSecurityUpdates | None:
    return session.get(HostSecurityUpdates, host_id)


@dataclass(frozen=True)
class Finding:
    kind: str
    test_id: str
    text: str
    details: str
    solution: str
    waiver: HardeningWaiver | None = None


def parse_search(raw: str | None) -> str:
    """The findings search text: trimmed, at most MAX_SEARCH characters."""
    return (raw or "").strip()[:MAX_SEARCH]


def parse_kind(raw: str | None) -> str | None:
    if raw in (None, ""):
        return None
    if raw not in KINDS:
        raise ValidationFailed("kind", f"kind must be one of {', '.join(KINDS)}")
    return raw


def _matching(query, search: str, kind: str | None):
    if kind:
        query = query.where(HostFinding.kind == kind)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(or_(func.lower(HostFinding.test_id).like(pattern), func.lower(HostFinding.text).like(pattern)))
    return query


def findings(session: Session, host_id: int, search: str = "", kind: str | None = None) -> list[Finding]:
    """The host's findings of its latest run, warnings first, each with the waiver in force for its test id."""
    query = _matching(select(HostFinding).where(HostFinding.host_id == host_id), search, kind)
    waivers = active_waivers(session, [host_id])
    rows = session.scalars(query.order_by(HostFinding.kind.desc(), HostFinding.test_id, HostFinding.id))
    return [Finding(row.kind, row.test_id, row.text, row.details, row.solution, waivers.get((host_id, row.test_id)))
            for row in rows]


@dataclass(frozen=True)
class EstateFinding:
    kind: str
    test_id: str
    text: str
    host_count: int
    hosts: tuple[str, ...]


def estate_findings(session: Session, search: str = "", kind: str | None = None, limit: int = 200) -> list[EstateFinding]:
    """The most common findings across active hosts (test id x kind), most hosts first."""
    names = {host.id: host.name for host in active_hosts(session)}
    query = _matching(select(HostFinding.kind, HostFinding.test_id, HostFinding.text, HostFinding.host_id), search, kind)
    hosts: dict[tuple[str, str], set[int]] = defaultdict(set)
    texts: dict[tuple[str, str], str] = {}
    for row_kind, test_id, text, host_id in session.execute(query):
        if host_id in names:
            hosts[(row_kind, test_id)].add(host_id)
            texts.setdefault((row_kind, test_id), text)
    found = [EstateFinding(key[0], key[1], texts[key], len(ids), tuple(sorted(names[i] for i in ids)))
             for key, ids in hosts.items()]
    found.sort(key=lambda f: (-f.host_count, f.kind != "warning", f.test_id))
    return found[:limit]


def active_waivers(session: Session, host_ids: list[int], now: datetime | None = None) -> dict[tuple[int, str], HardeningWaiver]:
    """Waivers in force at `now` for these hosts, by (host id, test id); the latest expiry wins."""
    query = (select(HardeningWaiver).where(HardeningWaiver.host_id.in_(host_ids), HardeningWaiver.revoked_at.is_(None),
                                           HardeningWaiver.expires_at > (now or utcnow()))
             .order_by(HardeningWaiver.expires_at))
    return {(w.host_id, w.test_id): w for w in session.scalars(query)}


def waive(session: Session, actor: Actor, host_name: str, test_id: str, reason: str, expires_at: datetime) -> HardeningWaiver:
    """Accept Lynis test `test_id` on an active host until `expires_at`; ValidationFailed names the bad field."""
    require(actor, "compliance.waive")
    host = active_host(session, host_name)
    if host is None:
        raise ValidationFailed("host", f"{host_name!r} is not an active host")
    test_id = (test_id or "").strip()
    known = session.scalar(select(func.count(HostFinding.id)).where(HostFinding.host_id == host.id,
                                                                     HostFinding.test_id == test_id))
    if not known:
        raise NotFound(f"{host.name} has no Lynis finding {test_id!r}")
    reason = checked_reason(reason)
    now = utcnow()
    check_expiry(expires_at, now)
    waiver = HardeningWaiver(host_id=host.id, test_id=test_id, reason=reason, expires_at=expires_at,
                             created_by=actor.username[:64], created_at=now)
    session.add(waiver)
    session.flush()
    audit.record(session, actor, "hardening.waive", "hardening_waiver", str(waiver.id), host=host.name,
                 test_id=test_id, reason=reason, expires_at=expires_at.isoformat())
    return waiver


def revoke_waiver(session: Session, actor: Actor, waiver_id: int, host_id: int | None = None) -> HardeningWaiver:
    """Revoke a waiver (of `host_id`'s, when given: another host's waiver is not found)."""
    require(actor, "compliance.waive")
    waiver = get_or_404(session, HardeningWaiver, waiver_id, f"no hardening waiver {waiver_id}")
    if host_id is not None and waiver.host_id != host_id:
        raise NotFound(f"no hardening waiver {waiver_id} on this host")
    if mark_revoked(waiver, actor.username, utcnow()):
        audit.record(session, actor, "hardening.unwaive", "hardening_waiver", str(waiver.id), test_id=waiver.test_id)
    return waiver


def evidence(session: Session, host_ids: list[int], now: datetime) -> dict[int, dict]:
    """{host_id: {"lynis": ..., "updates": ...}} as the compliance controls read them, in four queries.

    `lynis.warning_ids` leaves out the warnings waived at `now`; `lynis` is absent for a host without a
    run, `updates` for a host without a check.
    """
    found: dict[int, dict] = {host_id: {} for host_id in host_ids}
    newest = (select(LynisRun.host_id, func.max(LynisRun.finished_at).label("at"))
              .where(LynisRun.host_id.in_(host_ids)).group_by(LynisRun.host_id).subquery())
    runs = select(LynisRun).join(newest, (LynisRun.host_id == newest.c.host_id) & (LynisRun.finished_at == newest.c.at))
    warnings: dict[int, list[str]] = defaultdict(list)
    waived = active_waivers(session, host_ids, now)
    query = (select(HostFinding.host_id, HostFinding.test_id).where(HostFinding.host_id.in_(host_ids),
                                                                    HostFinding.kind == "warning")
             .order_by(HostFinding.test_id))
    for host_id, test_id in session.execute(query):
        if (host_id, test_id) not in waived and test_id not in warnings[host_id]:
            warnings[host_id].append(test_id)
    for run in session.scalars(runs):
        found[run.host_id]["lynis"] = {
            "finished_at": run.finished_at.isoformat(), "hardening_index": run.hardening_index,
            "warning_ids": warnings.get(run.host_id, []), "lynis_version": run.lynis_version,
            "waived_warnings": sorted({t for (h, t) in waived if h == run.host_id})}
    for row in session.scalars(select(HostSecurityUpdates).where(HostSecurityUpdates.host_id.in_(host_ids))):
        found[row.host_id]["updates"] = {
            "checked_at": row.checked_at.isoformat(), "security_pending_count": row.pending_count,
            "oldest_pending_since": row.oldest_pending_since.isoformat() if row.oldest_pending_since else None,
            "apt_updated_at": row.apt_updated_at.isoformat() if row.apt_updated_at else None,
            "packages": [p.get("name") for p in row.packages[:20]]}
    return found


def run_as_dict(run: LynisRun | None) -> dict | None:
    if run is None:
        return None
    return {"finished_at": run.finished_at.isoformat(), "started_at": run.started_at.isoformat() if run.started_at else None,
            "lynis_version": run.lynis_version, "hardening_index": run.hardening_index,
            "tests_performed": run.tests_performed, "warning_count": run.warning_count,
            "suggestion_count": run.suggestion_count, "dropped_findings": run.dropped_findings,
            "cpu_seconds": run.cpu_seconds, "test_groups": run.test_groups.split()}


def waiver_as_dict(waiver: HardeningWaiver) -> dict:
    now = utcnow()
    state = "revoked" if waiver.revoked_at else ("active" if waiver.expires_at > now else "expired")
    return {"id": waiver.id, "test_id": waiver.test_id, "reason": waiver.reason,
            "expires_at": waiver.expires_at.isoformat(), "created_by": waiver.created_by,
            "created_at": waiver.created_at.isoformat(), "state": state,
            "revoked_at": waiver.revoked_at.isoformat() if waiver.revoked_at else None}


def finding_as_dict(finding: Finding) -> dict:
    return {"kind": finding.kind, "test_id": finding.test_id, "text": finding.text, "details": finding.details,
            "solution": finding.solution, "waiver": waiver_as_dict(finding.waiver) if finding.waiver else None}


def updates_as_dict(row: HostSecurityUpdates | None) -> dict | None:
    if row is None:
        return None
    return {"checked_at": row.checked_at.isoformat(), "source": row.source,
            "apt_updated_at": row.apt_updated_at.isoformat() if row.apt_updated_at else None,
            "security_pending_count": row.pending_count,
            "oldest_pending_since": row.oldest_pending_since.isoformat() if row.oldest_pending_since else None,
            "age_basis": "first_seen_by_agent", "packages": row.packages, "dropped_packages": row.dropped_packages}


def host_hardening(session: Session, host_id: int, search: str = "", kind: str | None = None) -> dict:
    """A host's hardening for the API: latest run, index trend, findings, pending security updates."""
    return {"lynis": run_as_dict(latest_run(session, host_id)),
            "trend": [{"finished_at": at.isoformat(), "hardening_index": index}
                      for at, index in index_trend(session, host_id)],
            "findings": [finding_as_dict(f) for f in findings(session, host_id, search, kind)],
            "security_updates": updates_as_dict(security_updates(session, host_id))}
