"""Incidents and their reporting deadlines (NĐ 331/2026 Điều 31.2.d: first notice 24 h, full report 72 h).

An alert or a compliance finding is escalated to an incident keeping when it
was detected (the alert's event time, the run's start), or a person opens
one with the detection time they know. For a serious incident the console
computes both deadlines from that time, says which are overdue, and writes
the notice text from the incident's data; a person records when each notice
was sent. The notice is addressed to the Ministry of Public Security as the
decree says; its wording is ours (no official form is cited). Every change
is audit-logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.common.time import iso
from console.common.paging import get_or_404
from console.errors import ValidationFailed
from console.alerts.query import get_alert
from console.compliance.history import get_result, get_run
from console.systems.service import find_system, system_of_host
from console.inventory.hosts import host_name_at
from console.models.incidents import Incident
from console.models.base import utcnow
from console.access import audit
from console.access.actor import Actor
from console.access.permissions import require

__all__ = ["open_deadlines"]

FIRST_NOTICE = timedelta(hours=24)
FULL_REPORT = timedelta(hours=72)
KINDS = ("first_notice", "full_report")


@dataclass
class Deadline:
    kind: str
    due: datetime
    done_at: datetime | None

    def overdue(self, now: datetime) -> bool:
        return self.done_at is None and now > self.due

    def late(self) -> bool:
        return self.done_at is not None and self.done_at > self.due


def deadlines(incident: Incident) -> list[Deadline]:
    """The two deadlines of a serious incident ([] for one that is not serious)."""
    if not incident.serious:
        return []
    return [Deadline("first_notice", incident.detected_at + FIRST_NOTICE, incident.first_notice_at),
            Deadline("full_report", incident.detected_at + FULL_REPORT, incident.full_report_at)]


def open_incident(session: Session, actor: Actor, title: str, detected_at: datetime | None, serious: bool = True,
                  description: str = "", system_key: str = "", source: str = "report", source_ref: str = "",
                  now: datetime | None = None) -> Incident:
    require(actor, "incidents.manage")
    now = now or utcnow()
    title = (title or "").strip()
    if not 3 <= len(title) <= 200:
        raise ValidationFailed("title", "3 to 200 characters")
    if detected_at is None:
        raise ValidationFailed("detected_at", "required: when the incident was detected")
    if detected_at.tzinfo is None:
        raise ValidationFailed("detected_at", "give a time zone")
    if detected_at > now + timedelta(minutes=5):
        raise ValidationFailed("detected_at", "must not be in the future")
    detected_at = detected_at.astimezone(timezone.utc)
    if system_key and find_system(session, system_key) is None:
        raise ValidationFailed("system_key", f"no information system {system_key!r}")
    incident = Incident(title=title, source=source, source_ref=source_ref, system_key=system_key or "",
                        serious=bool(serious), detected_at=detected_at, description=(description or "")[:5000],
                        created_by=actor.username[:64], created_at=now)
    session.add(incident)
    session.flush()
    audit.record(session, actor, "incidents.open", "incident", str(incident.id), source=source, source_ref=source_ref,
                 serious=incident.serious, detected_at=detected_at.isoformat(), system=incident.system_key)
    return incident


def escalate_alert(session: Session, actor: Actor, alert_id: int, serious: bool = True) -> Incident:
    """An incident from an IDS alert: detected at the alert's event time, in the system of the host it involves."""
    alert = get_alert(session, alert_id)
    if alert is None:
        raise ValidationFailed("alert_id", f"no alert {alert_id}")
    description = (f"{alert.signature} (sid {alert.sid}, severity {alert.severity}); {alert.src_ip}"
                   f"{':' + str(alert.src_port) if alert.src_port else ''} -> {alert.dest_ip}"
                   f"{':' + str(alert.dest_port) if alert.dest_port else ''} {alert.proto}; sensor {alert.sensor}")
    return open_incident(session, actor, alert.signature[:200], alert.event_at, serious, description,
                         _system_of_address(session, alert.dest_ip, alert.src_ip), "alert", f"alert:{alert.id}")


def escalate_finding(session: Session, actor: Actor, result_id: int, serious: bool = True) -> Incident:
    """An incident from a failed compliance result: detected when its run started, in its host's system."""
    row = get_result(session, result_id)
    if row is None:
        raise ValidationFailed("result_id", f"no compliance result {result_id}")
    run = get_run(session, row.run_id)
    title = f"{row.control_id} {row.result} on {row.target}"
    return open_incident(session, actor, title, run.started_at, serious, row.why, system_of_host(session, row.target),
                         "finding", f"result:{row.id}")


def _system_of_address(session: Session, *addresses: str) -> str:
    for address in addresses:
        name = host_name_at(session, address)
        if name:
            return system_of_host(session, name)
    return ""


def record_sent(session: Session, actor: Actor, incident_id: int, kind: str, at: datetime | None = None) -> Incident:
    """Record that the first notice or the full report was sent (once; audit-logged)."""
    require(actor, "incidents.manage")
    if kind not in KINDS:
        raise ValidationFailed("kind", f"one of {', '.join(KINDS)}")
    incident = get(session, incident_id)
    at = (at or utcnow()).astimezone(timezone.utc)
    if at < incident.detected_at:
        raise ValidationFailed("sent_at", "before the incident was detected")
    if getattr(incident, f"{kind}_at") is None:
        setattr(incident, f"{kind}_at", at)
        setattr(incident, f"{kind}_by", actor.username[:64])
        audit.record(session, actor, f"incidents.{kind}", "incident", str(incident.id), sent_at=at.isoformat())
    return incident


def get(session: Session, incident_id: int) -> Incident:
    incident = get_or_404(session, Incident, incident_id, f"no incident {incident_id}")
    return incident


def list_incidents(session: Session, overdue_only: bool = False, now: datetime | None = None,
                   limit: int = 200) -> list[Incident]:
    """Newest first; with overdue_only, only serious incidents with a notice past its deadline."""
    now = now or utcnow()
    rows = list(session.scalars(select(Incident).order_by(Incident.detected_at.desc()).limit(limit)))
    return [row for row in rows if any(d.overdue(now) for d in deadlines(row))] if overdue_only else rows


def incident_as_dict(incident: Incident, now: datetime | None = None) -> dict:
    now = now or utcnow()
    return {"id": incident.id, "title": incident.title, "source": incident.source, "source_ref": incident.source_ref,
            "system": incident.system_key, "serious": incident.serious,
            "detected_at": incident.detected_at.isoformat(), "description": incident.description,
            "created_by": incident.created_by,
            "deadlines": [{"kind": d.kind, "due": d.due.isoformat(), "overdue": d.overdue(now), "late": d.late(),
                           "done_at": iso(d.done_at)} for d in deadlines(incident)]}


def notice_text(session: Session, incident: Incident, kind: str, locale: str = "vi", zone_name: str = "UTC") -> str:
    """The first notice or the full report, written from the incident's data (Vietnamese or English)."""
    if kind not in KINDS:
        raise ValidationFailed("kind", f"one of {', '.join(KINDS)}")
    zone = ZoneInfo(zone_name)
    system = find_system(session, incident.system_key)
    when = incident.detected_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    due = dict((d.kind, d.due.astimezone(zone).strftime("%Y-%m-%d %H:%M")) for d in deadlines(incident))
    if locale == "vi":
        head = "THÔNG BÁO BAN ĐẦU VỀ SỰ CỐ AN NINH MẠNG NGHIÊM TRỌNG" if kind == "first_notice" else \
            "BÁO CÁO ĐẦY ĐỦ VỀ SỰ CỐ AN NINH MẠNG NGHIÊM TRỌNG"
        lines = [head, "Kính gửi: Bộ Công an",
                 "Căn cứ: Nghị định 331/2026/NĐ-CP, Điều 31.2.d (thông báo trong 24 giờ, báo cáo đầy đủ trong 72 giờ).",
                 f"Sự cố số: {incident.id}", f"Tên sự cố: {incident.title}",
                 f"Thời điểm phát hiện: {when} ({zone_name})",
                 f"Hệ thống thông tin: {system.name_vi + f' (cấp độ {system.level})' if system else 'chưa xác định'}",
                 f"Nguồn phát hiện: {_source_vi(incident)}", f"Mô tả: {incident.description or '(chưa có)'}"]
        if due:
            lines.append(f"Hạn thông báo ban đầu: {due['first_notice']}; hạn báo cáo đầy đủ: {due['full_report']}")
        return "\n".join(lines) + "\n"
    head = "FIRST NOTICE OF A SERIOUS CYBERSECURITY INCIDENT" if kind == "first_notice" else \
        "FULL REPORT OF A SERIOUS CYBERSECURITY INCIDENT"
    lines = [head, "To: the Ministry of Public Security",
             "Basis: Decree 331/2026/ND-CP, Article 31.2.d (notice within 24 hours, full report within 72 hours).",
             f"Incident: {incident.id}", f"Title: {incident.title}", f"Detected at: {when} ({zone_name})",
             f"Information system: {system.name_en + f' (level {system.level})' if system else 'not determined'}",
             f"Source: {incident.source} {incident.source_ref}".rstrip(),
             f"Description: {incident.description or '(none yet)'}"]
    if due:
        lines.append(f"First notice due: {due['first_notice']}; full report due: {due['full_report']}")
    return "\n".join(lines) + "\n"


def _source_vi(incident: Incident) -> str:
    names = {"alert": "cảnh báo IDS", "finding": "kết quả đánh giá tuân thủ", "report": "báo cáo của người dùng"}
    return f"{names.get(incident.source, incident.source)} {incident.source_ref}".rstrip()


def open_deadlines(session: Session, now: datetime | None = None, limit: int = 10) -> dict:
    """Open incidents: serious ones with a notice still to send, each with its next deadline and the
    seconds left to it (negative once overdue), most urgent first; and how many there are."""
    from sqlalchemy import func, or_

    now = now or utcnow()
    pending = Incident.serious.is_(True) & or_(Incident.first_notice_at.is_(None), Incident.full_report_at.is_(None))
    total = session.scalar(select(func.count()).select_from(Incident).where(pending)) or 0
    rows = session.scalars(select(Incident).where(pending).order_by(Incident.detected_at).limit(limit))
    items = []
    for row in rows:
        due = next(d for d in deadlines(row) if d.done_at is None)
        items.append({"id": row.id, "title": row.title, "system": row.system_key, "detected_at": row.detected_at,
                      "kind": due.kind, "due": due.due, "seconds_left": int((due.due - now).total_seconds()),
                      "overdue": due.overdue(now)})
    items.sort(key=lambda item: item["due"])
    overdue = session.scalar(select(func.count()).select_from(Incident).where(
        Incident.serious.is_(True), or_(Incident.first_notice_at.is_(None) & (Incident.detected_at < now - FIRST_NOTICE),
                                        Incident.full_report_at.is_(None) & (Incident.detected_at < now - FULL_REPORT))))
    return {"open": int(total), "overdue": int(overdue or 0), "items": items}
