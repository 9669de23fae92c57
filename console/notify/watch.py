"""What no single write reveals, looked at every minute by the scheduler: the looks the areas registered at their
own conditions (console/notify/looks.py): the hosts' (gone stale, antivirus off or out of date, a sensor failing
rules: agents/conditions.py), incident deadlines near or past (incidents/conditions.py), IPS sensors' health
(ruleset/conditions.py). The watcher only schedules them; it imports no area.

Each is a condition (console/notify/events.changed): announced when it starts, once, and again only after it has
ended. The look is one transaction: the conditions and the messages are written together.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from console.models.base import utcnow
from console.notify.events import active_conditions, changed, emit_all
from console.notify.looks import LOOKS

__all__ = ["look", "turned"]


def look(session: Session, settings, now: datetime | None = None) -> int:
    """One look at the estate; the number of messages written."""
    now = now or utcnow()
    session.info["ops_notify_active"] = active_conditions(session, "")
    events = []
    for area_look in LOOKS:  # what the areas registered, in console/wiring.py's order (the hosts' first)
        events += area_look(session, settings, now, turned)
    return emit_all(session, events, now) if events else 0


def turned(session: Session, key: str, active: bool, now: datetime) -> bool:
    """events.changed, asked only when the state differs from the one loaded at the start of the look (one query
    for the whole estate instead of one per host and condition)."""
    if (key[:300] in session.info.get("ops_notify_active", set())) == active:
        return False
    return changed(session, key, active, now)
