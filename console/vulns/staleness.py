"""Tracker data too old: announced once when it passes `[vulns] max_age_days`, again only after a newer import.

Registered as a look of the notification watch (console/notify/looks.py; imported by console/wiring.py),
which runs it every minute; the condition is kept per key as the other lasting states are.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from console.notify.events import Event, changed
from console.notify.looks import register_look
from console.vulns.queries import data_status

KEY = "vulns:data_stale"


def stale_events(session: Session, settings, now: datetime, turned=None) -> list[Event]:
    """`turned(session, key, active, now)` is the watch's (events.changed when called on its own)."""
    status = data_status(session, settings.vulns.max_age_days, now)
    if not status.imported:
        return []  # nothing imported yet: every vulnerability page says so
    turned = turned or (lambda db, key, active, moment: changed(db, key, active, moment))
    if not turned(session, KEY, status.stale, now) or not status.stale:
        return []
    return [Event("vulns.data_stale", KEY, "medium",
                  {"data_date": status.data_date.date().isoformat(), "age_days": status.age_days,
                   "max_days": status.max_age_days}, "/vulns/", at=now)]


register_look(stale_events)
