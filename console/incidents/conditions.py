"""Incidents announce their own conditions: a 24 h / 72 h deadline near or past (NĐ 331/2026 Điều 31.2.d).

Registered with the notifications' minute look (console/notify/looks.py, run by watch.py): the watcher only
runs it; what a deadline is and when it is near stays here. console/wiring.py imports this module.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from console.notify.events import Event
from console.notify.looks import register_look

DEADLINE_LABELS = {"first_notice": "24 h", "full_report": "72 h"}


def deadline_events(session: Session, settings, now: datetime, turned) -> list[Event]:
    """incident.deadline_near within [notify] incident_warn_hours of a deadline, incident.overdue past it; once
    each (`turned`: the condition just started)."""
    from console.incidents.service import open_deadlines

    warn = timedelta(hours=settings.notify.incident_warn_hours)
    events = []
    for item in open_deadlines(session, now, limit=1000)["items"]:
        params = {"incident_id": item["id"], "title": item["title"], "deadline": DEADLINE_LABELS[item["kind"]],
                  "due_at": item["due"], "hours_left": max(int(item["seconds_left"] // 3600), 0)}
        base = {"system": item["system"] or None, "link": f"/incidents/{item['id']}", "at": now}
        key = f"incident:{item['id']}:{item['kind']}"
        if item["overdue"]:
            if turned(session, f"incident.overdue:{key}", True, now):
                events.append(Event("incident.overdue", key, "critical", params, **base))
        elif item["due"] - now <= warn and turned(session, f"incident.deadline_near:{key}", True, now):
            events.append(Event("incident.deadline_near", key, "high", params, **base))
    return events


register_look(deadline_events)
