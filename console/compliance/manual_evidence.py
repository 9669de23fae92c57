"""Manual evidence: a note or a document showing a requirement no control can check is met, dated, until an expiry.

Only for requirements marked manual (of the system's level and framework, or
of its transition gap). The evidence counts from its date to its expiry,
then lapses by itself; it is never deleted, only revoked. Uploads are
hostile: size-limited, only document types, stored under a generated name
(the user's filename is kept for display only), written atomically; the
console serves them back as attachments. Every change is audit-logged.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.compliance.requirements import Requirement, cached_frameworks, transition_gap
from console.common.paging import get_or_404
from console.errors import NotFound, ValidationFailed
from console.models.systems import ManualEvidence
from console.models.base import utcnow
from console.access import audit
from console.access.actor import Actor
from console.access.permissions import require
from console.systems.service import get_system

MAX_BYTES = 10 * 1024 * 1024
MAX_YEARS = 3
SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg", ".odt", ".ods", ".docx", ".xlsx", ".txt")


@dataclass
class Upload:
    filename: str
    data: bytes


def evidence_folder(settings) -> Path:
    """Where uploaded evidence documents are kept: <[paths] var_dir>/evidence."""
    return settings.paths.var_dir / "evidence"



def requirement_for(system, framework: str, requirement_id: str) -> Requirement:
    """The manual requirement `requirement_id` of this system (its own framework or its transition gap)."""
    frameworks = cached_frameworks()
    if framework == system.framework:
        candidates = frameworks[framework].for_level(system.level)
    else:
        candidates = transition_gap(frameworks, system.framework, system.level) if framework == "current-331" else []
    found = next((req for req in candidates if req.id == requirement_id), None)
    if found is None:
        raise ValidationFailed("requirement_id", f"{framework} {requirement_id} is not a requirement of this system")
    if not found.manual:
        raise ValidationFailed("requirement_id", f"{requirement_id} is evidenced by controls, not by hand")
    return found


def add(session: Session, actor: Actor, folder: Path, system_key: str, framework: str, requirement_id: str,
        evidence_date: date | None, expires_on: date | None, note: str = "", upload: Upload | None = None,
        today: date | None = None) -> ManualEvidence:
    """Validate everything, then store the document and the row (in the caller's transaction)."""
    require(actor, "compliance.evidence")
    system = get_system(session, system_key)
    requirement_for(system, framework, requirement_id)
    today = today or utcnow().date()
    if evidence_date is None:
        raise ValidationFailed("evidence_date", "required: the date the document was issued or the check was done")
    if evidence_date > today:
        raise ValidationFailed("evidence_date", "must not be in the future")
    if expires_on is None:
        raise ValidationFailed("expires_on", "required: the last day the evidence holds")
    if not evidence_date < expires_on <= evidence_date + timedelta(days=366 * MAX_YEARS):
        raise ValidationFailed("expires_on", f"must be after the evidence date and at most {MAX_YEARS} years later")
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationFailed("note", "at most 2000 characters")
    if not note and upload is None:
        raise ValidationFailed("note", "give a note or attach a document")
    row = ManualEvidence(system_key=system.key, framework=framework, requirement_id=requirement_id, note=note,
                         evidence_date=evidence_date, expires_on=expires_on, created_by=actor.username[:64],
                         created_at=utcnow())
    if upload is not None:
        row.document_name, row.document_file, row.document_size, row.document_sha256 = _store(folder, upload)
    session.add(row)
    session.flush()
    audit.record(session, actor, "compliance.evidence.add", "manual_evidence", str(row.id), system=system.key,
                 framework=framework, requirement=requirement_id, evidence_date=evidence_date.isoformat(),
                 expires_on=expires_on.isoformat(), document=row.document_name, sha256=row.document_sha256)
    return row


def _store(folder: Path, upload: Upload) -> tuple[str, str, int, str]:
    name = display_name(upload.filename)
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValidationFailed("document", f"only {', '.join(SUFFIXES)} files are accepted")
    if not upload.data:
        raise ValidationFailed("document", "the file is empty")
    if len(upload.data) > MAX_BYTES:
        raise ValidationFailed("document", f"larger than {MAX_BYTES // (1024 * 1024)} MB")
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{uuid.uuid4().hex}{suffix}"
    tmp = folder / f".{stored}.tmp"
    try:
        with open(tmp, "xb") as handle:
            handle.write(upload.data)
        os.replace(tmp, folder / stored)
    finally:
        tmp.unlink(missing_ok=True)
    return name, stored, len(upload.data), hashlib.sha256(upload.data).hexdigest()


def display_name(filename: str) -> str:
    """The user's filename without any folder, control character or quote, at most 200 characters."""
    base = re.split(r"[\\/]", filename or "")[-1]
    base = re.sub(r'[\x00-\x1f\x7f"<>|:*?]', "_", base).strip(" .") or "document"
    return base[-200:]


def revoke(session: Session, actor: Actor, evidence_id: int) -> ManualEvidence:
    require(actor, "compliance.evidence")
    row = get_or_404(session, ManualEvidence, evidence_id, f"no manual evidence {evidence_id}")
    if row.revoked_at is None:
        row.revoked_at, row.revoked_by = utcnow(), actor.username[:64]
        audit.record(session, actor, "compliance.evidence.revoke", "manual_evidence", str(row.id),
                     system=row.system_key, requirement=row.requirement_id)
    return row


def list_for(session: Session, system_key: str, requirement_id: str | None = None) -> list[ManualEvidence]:
    query = select(ManualEvidence).where(ManualEvidence.system_key == system_key)
    if requirement_id:
        query = query.where(ManualEvidence.requirement_id == requirement_id)
    return list(session.scalars(query.order_by(ManualEvidence.expires_on.desc())))


def valid_on(session: Session, day: date) -> dict[tuple[str, str, str], list[dict]]:
    """Evidence in force on `day`, by (system, framework, requirement); the latest expiry first."""
    query = (select(ManualEvidence).where(ManualEvidence.revoked_at.is_(None), ManualEvidence.evidence_date <= day,
                                          ManualEvidence.expires_on >= day)
             .order_by(ManualEvidence.expires_on.desc()))
    found: dict[tuple[str, str, str], list[dict]] = {}
    for row in session.scalars(query):
        found.setdefault((row.system_key, row.framework, row.requirement_id), []).append(evidence_as_dict(row))
    return found


def document_path(session: Session, folder: Path, evidence_id: int) -> tuple[Path, str]:
    row = session.get(ManualEvidence, evidence_id)
    if row is None or not row.document_file:
        raise NotFound(f"no document for manual evidence {evidence_id}")
    return folder / row.document_file, row.document_name


def state(row: ManualEvidence, day: date | None = None) -> str:
    day = day or utcnow().date()
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if row.expires_on < day else "valid" if row.evidence_date <= day else "future"


def evidence_as_dict(row: ManualEvidence) -> dict:
    return {"id": row.id, "system": row.system_key, "framework": row.framework, "requirement_id": row.requirement_id,
            "note": row.note, "evidence_date": row.evidence_date.isoformat(), "expires_on": row.expires_on.isoformat(),
            "document_name": row.document_name, "document_size": row.document_size,
            "document_sha256": row.document_sha256, "created_by": row.created_by,
            "created_at": row.created_at.isoformat(), "state": state(row)}
