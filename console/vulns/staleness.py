"""Tracker data too old: announced once when it passes `[vulns] max_age_days`, again only after a newer import.

Called by the notification watch every minute (console/notify/watch.py); the condition is kept per key
as the other lasting states are (console/notify/events.changed).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from console.notify.events import Event, changed
from console.vulns.queries import data_status

KEY = "vulns:data_stale"


def stale_events(session: Session, settings, now: datetime) -> list[Event]:
    status = data_status(session, settings.vulns.max_age_days, now)
    if not status.imported:
        return []  # nothing imported yet: every vulnerability page says so
    if not changed(session, KEY, status.stale, now) or not status.stale:
        return []
    return [Event("vulns.data_stale", KEY, "medium",
                  {"data_date": status.data_date.date().isoformat(), "age_days": status.age_days,
                   "max_days": status.max_age_days}, "/vulns/", at=now)]
