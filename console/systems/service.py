"""Information systems in the database: kept in step with the inventory, listed, read.

The inventory (group_vars/system_*.yml) is the one source of truth: the sync
writes what it reads, and an admin's edit in the console writes the file
first (console.systems.edit). A system that leaves the inventory is
kept with present = False, so its past assessments and evidence keep their
name; it is no longer assessed.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.common.time import iso
from console.errors import NotFound
from console.models.systems import InformationSystem
from console.models.base import utcnow
from console.systems.reader import SystemDef

__all__ = ["find_system", "get_system", "list_systems", "sync_systems", "system_of_host", "systems_by_host"]

ATTRIBUTES = ("name_vi", "name_en", "owner_unit", "level", "framework", "approved_on", "hosts")


def sync_systems(session: Session, systems: list[SystemDef]) -> dict[str, list[str]]:
    """Upsert the systems read from the inventory in the caller's transaction; returns what changed."""
    rows = {row.key: row for row in session.scalars(select(InformationSystem))}
    changes: dict[str, list[str]] = {"added": [], "updated": [], "removed": []}
    for system in systems:
        row = rows.get(system.key)
        wanted = {name: getattr(system, name) for name in ATTRIBUTES}
        if row is None:
            session.add(InformationSystem(key=system.key, present=True, updated_at=utcnow(), **wanted))
            changes["added"].append(system.key)
            continue
        if not row.present or any(getattr(row, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(row, name, value)
            row.present, row.updated_at = True, utcnow()
            changes["updated"].append(system.key)
    seen = {system.key for system in systems}
    for key, row in rows.items():
        if key not in seen and row.present:
            row.present, row.updated_at = False, utcnow()
            changes["removed"].append(key)
    session.flush()
    return changes


def list_systems(session: Session, include_absent: bool = False) -> list[InformationSystem]:
    """Systems ordered by level (highest first), then name."""
    query = select(InformationSystem).order_by(InformationSystem.level.desc(), InformationSystem.key)
    if not include_absent:
        query = query.where(InformationSystem.present)
    return list(session.scalars(query))


def get_system(session: Session, key: str) -> InformationSystem:
    row = session.scalar(select(InformationSystem).where(InformationSystem.key == key))
    if row is None:
        raise NotFound(f"no information system {key!r}")
    return row


def find_system(session: Session, key: str) -> InformationSystem | None:
    """The system with this key, or None (an incident may name one that has since left the inventory)."""
    return session.scalar(select(InformationSystem).where(InformationSystem.key == key)) if key else None


def system_of_host(session: Session, host: str) -> str:
    """The key of the present system holding this host (the highest level if several), else ""."""
    for key, hosts in session.execute(select(InformationSystem.key, InformationSystem.hosts)
                                      .where(InformationSystem.present).order_by(InformationSystem.level.desc())):
        if host in (hosts or []):
            return key
    return ""


def systems_by_host(session: Session) -> dict[str, str]:
    """Each host held by a present system -> that system's key (the highest level if several)."""
    found: dict[str, str] = {}
    for key, hosts in session.execute(select(InformationSystem.key, InformationSystem.hosts)
                                      .where(InformationSystem.present).order_by(InformationSystem.level.desc())):
        for host in hosts or []:
            found.setdefault(host, key)
    return found


def name_of(system, locale: str) -> str:
    return system.name_vi if locale == "vi" else system.name_en


def system_as_dict(row: InformationSystem) -> dict:
    return {"key": row.key, "name_vi": row.name_vi, "name_en": row.name_en, "owner_unit": row.owner_unit,
            "level": row.level, "framework": row.framework,
            "approved_on": iso(row.approved_on),
            "hosts": list(row.hosts or []), "present": row.present}


def overview(session: Session) -> list[dict]:
    """Each present system with its level and the percent met of its latest assessment (None before
    any run), highest level first: one query over the assessments' columns (not their verdicts)."""
    from sqlalchemy import func

    from console.models.systems import SystemAssessment

    latest = (select(SystemAssessment.system_key, func.max(SystemAssessment.run_id).label("run_id"))
              .group_by(SystemAssessment.system_key).subquery())
    query = (select(InformationSystem.key, InformationSystem.name_vi, InformationSystem.name_en,
                    InformationSystem.level, SystemAssessment.percent_met, SystemAssessment.run_id)
             .where(InformationSystem.present)
             .outerjoin(latest, latest.c.system_key == InformationSystem.key)
             .outerjoin(SystemAssessment, (SystemAssessment.system_key == latest.c.system_key)
                        & (SystemAssessment.run_id == latest.c.run_id))
             .order_by(InformationSystem.level.desc(), InformationSystem.key))
    return [{"key": key, "name_vi": name_vi, "name_en": name_en, "level": level, "percent_met": percent,
             "run_id": run_id} for key, name_vi, name_en, level, percent, run_id in session.execute(query)]
