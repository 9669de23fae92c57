"""Waivers: an admin accepts a control's failure on one target, with a reason, until a date.

A waiver is never deleted: revoking sets revoked_at. It lapses by itself:
a run asks for waivers whose expiry is after the run's time, so an expired
waiver simply stops applying. Every change is audit-logged.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.common.time import iso
from console.compliance.catalog import Catalog
from console.common.paging import get_or_404
from console.errors import ValidationFailed
from console.inventory.hosts import active_host
from console.models.compliance import ComplianceWaiver
from console.models.base import utcnow
from console.access import audit
from console.access.actor import Actor
from console.access.permissions import require
from console.common.waivers import check_expiry, checked_reason, mark_revoked



def create(session: Session, actor: Actor, catalog: Catalog, control_id: str, target: str, reason: str,
           expires_at: datetime) -> ComplianceWaiver:
    require(actor, "compliance.waive")
    if control_id not in catalog.by_id():
        raise ValidationFailed("control_id", f"no control {control_id!r} in the catalog")
    reason = checked_reason(reason)
    now = utcnow()
    check_expiry(expires_at, now)
    if not _known_target(session, target):
        raise ValidationFailed("target", f"{target!r} is no active host, device, endpoint or service")
    waiver = ComplianceWaiver(control_id=control_id, target=target, reason=reason, expires_at=expires_at,
                              created_by=actor.username[:64], created_at=now)
    session.add(waiver)
    session.flush()
    audit.record(session, actor, "compliance.waive", "compliance_waiver", str(waiver.id), control=control_id,
                 target=target, reason=reason, expires_at=expires_at.isoformat())
    return waiver


def revoke(session: Session, actor: Actor, waiver_id: int) -> ComplianceWaiver:
    require(actor, "compliance.waive")
    waiver = get_or_404(session, ComplianceWaiver, waiver_id, f"no waiver {waiver_id}")
    if mark_revoked(waiver, actor.username, utcnow()):
        audit.record(session, actor, "compliance.unwaive", "compliance_waiver", str(waiver.id),
                     control=waiver.control_id, target=waiver.target)
    return waiver


def list_waivers(session: Session, include_inactive: bool = False) -> list[ComplianceWaiver]:
    query = select(ComplianceWaiver).order_by(ComplianceWaiver.expires_at)
    if not include_inactive:
        query = query.where(ComplianceWaiver.revoked_at.is_(None), ComplianceWaiver.expires_at > utcnow())
    return list(session.scalars(query))


def active_waivers(session: Session, now: datetime) -> dict[tuple[str, str], ComplianceWaiver]:
    """Waivers in force at `now`, by (control, target); the latest expiry wins."""
    query = (select(ComplianceWaiver).where(ComplianceWaiver.revoked_at.is_(None), ComplianceWaiver.expires_at > now)
             .order_by(ComplianceWaiver.expires_at))
    return {(w.control_id, w.target): w for w in session.scalars(query)}


def state(waiver: ComplianceWaiver, now: datetime | None = None) -> str:
    if waiver.revoked_at is not None:
        return "revoked"
    return "active" if waiver.expires_at > (now or utcnow()) else "expired"


def waiver_as_dict(waiver: ComplianceWaiver) -> dict:
    return {"id": waiver.id, "control_id": waiver.control_id, "target": waiver.target, "reason": waiver.reason,
            "expires_at": waiver.expires_at.isoformat(), "created_by": waiver.created_by,
            "created_at": waiver.created_at.isoformat(), "state": state(waiver),
            "revoked_at": iso(waiver.revoked_at)}


def _known_target(session: Session, target: str) -> bool:
    if active_host(session, target) is not None:
        return True
    from console.compliance.evidence import devices, endpoints, services

    if target.startswith(services.PREFIX):
        return target in services.names(session)
    if target == endpoints.COVERAGE_TARGET or target.startswith("endpoint:"):
        endpoint_targets, _found = endpoints.load(session)
        return any(endpoint.name == target for endpoint in endpoint_targets)
    device_targets, _evidence = devices.load(session)
    return any(device.name == target for device in device_targets)
