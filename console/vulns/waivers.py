"""Waivers: an admin accepts one CVE on one host, with a reason, until a date (the rules every waiver shares:
console/common/waivers.py).

Never deleted: revoked by setting revoked_at, lapsing by itself; every change audit-logged.
A waived finding stays listed, marked waived, and leaves the counts of open findings.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.access import audit
from console.access.actor import Actor
from console.access.permissions import require
from console.common.paging import get_or_404
from console.common.waivers import check_expiry, checked_reason, mark_revoked
from console.errors import NotFound, ValidationFailed
from console.inventory.hosts import active_host
from console.models.base import utcnow
from console.models.vulns import HostVuln, VulnWaiver



def active_waivers(session: Session, host_ids: list[int] | None = None,
                   now: datetime | None = None) -> dict[tuple[int, str], VulnWaiver]:
    """Waivers in force at `now`, by (host id, CVE); the latest expiry wins. All hosts when host_ids is None."""
    query = (select(VulnWaiver).where(VulnWaiver.revoked_at.is_(None), VulnWaiver.expires_at > (now or utcnow()))
             .order_by(VulnWaiver.expires_at))
    if host_ids is not None:
        query = query.where(VulnWaiver.host_id.in_(host_ids))
    return {(w.host_id, w.cve): w for w in session.scalars(query)}


def waive(session: Session, actor: Actor, host_name: str, cve: str, reason: str, expires_at: datetime) -> VulnWaiver:
    """Accept `cve` on an active host until `expires_at`; ValidationFailed names the bad field."""
    require(actor, "vulns.waive")
    host = active_host(session, host_name)
    if host is None:
        raise ValidationFailed("host", f"{host_name!r} is not an active host")
    cve = (cve or "").strip().upper()
    known = session.scalar(select(func.count(HostVuln.id)).where(HostVuln.host_id == host.id, HostVuln.cve == cve))
    if not known:
        raise NotFound(f"{host.name} is not affected by {cve!r}")
    reason = checked_reason(reason)
    now = utcnow()
    check_expiry(expires_at, now)
    waiver = VulnWaiver(host_id=host.id, cve=cve, reason=reason, expires_at=expires_at,
                        created_by=actor.username[:64], created_at=now)
    session.add(waiver)
    session.flush()
    audit.record(session, actor, "vulns.waive", "vuln_waiver", str(waiver.id), host=host.name, cve=cve,
                 reason=reason, expires_at=expires_at.isoformat())
    return waiver


def revoke(session: Session, actor: Actor, waiver_id: int, host_id: int | None = None) -> VulnWaiver:
    require(actor, "vulns.waive")
    waiver = get_or_404(session, VulnWaiver, waiver_id, f"no vulnerability waiver {waiver_id}")
    if host_id is not None and waiver.host_id != host_id:
        raise NotFound(f"no vulnerability waiver {waiver_id} on this host")
    if mark_revoked(waiver, actor.username, utcnow()):
        audit.record(session, actor, "vulns.unwaive", "vuln_waiver", str(waiver.id), cve=waiver.cve)
    return waiver


def waiver_as_dict(waiver: VulnWaiver | None) -> dict | None:
    if waiver is None:
        return None
    return {"id": waiver.id, "cve": waiver.cve, "reason": waiver.reason, "expires_at": waiver.expires_at.isoformat(),
            "created_by": waiver.created_by, "created_at": waiver.created_at.isoformat()}
