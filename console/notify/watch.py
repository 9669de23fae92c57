"""What no single write reveals, looked at every minute by the scheduler: hosts gone stale, antivirus off or out of date,
sensors failing rules; and what the areas registered (looks.register_look): incident deadlines near or past.

Each is a condition per host or incident (console/notify/events.changed):
announced when it starts, once, and again only after it has ended. The
look is one transaction: the conditions and the messages are written
together. It reads the other areas through their functions.
"""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from console.agents import host_reports
from console.common.i18n import _l
from console.compliance.systems.service import systems_by_host
from console.inventory.hosts import active_hosts
from console.models.base import utcnow
from console.notify.events import Event, active_conditions, changed, emit_all
from console.notify.looks import LOOKS
from console.notify.messages import bilingual

__all__ = ["look", "turned"]

_HostRef = namedtuple("_HostRef", "id")


def look(session: Session, settings, now: datetime | None = None) -> int:
    """One look at the estate; the number of messages written."""
    now = now or utcnow()
    session.info["ops_notify_active"] = active_conditions(session, "")
    events = _host_events(session, settings, now)
    for area_look in LOOKS:  # what the areas registered (console/notify/looks.py)
        events += area_look(session, settings, now, turned)
    return emit_all(session, events, now) if events else 0


def _host_events(session: Session, settings, now: datetime) -> list[Event]:
    hosts = active_hosts(session)
    if not hosts:
        return []
    conditions = host_reports.conditions(session, [_HostRef(host.id) for host in hosts])
    payloads = host_reports.latest_payloads(session, [host.id for host in hosts])
    systems = systems_by_host(session)
    max_age = timedelta(days=settings.notify.signature_max_age_days)
    events = []
    for host in hosts:
        condition = conditions.get(host.id)
        context = {"unit": host.unit or None, "system": systems.get(host.name) or None,
                   "link": f"/hosts/{host.name}", "at": now}
        stale = condition is not None and condition.status == host_reports.HostHealth.stale
        if turned(session, f"host.stale:{host.name}", stale, now) and stale:
            events.append(Event("host.stale", f"host:{host.name}", "high",
                                {"host": host.name, "last_seen": condition.last_seen_at}, **context))
        payload = (payloads.get(host.id) or (None, {}))[1] or {}
        if stale:
            continue  # an old report says nothing about now
        events += _antivirus_events(session, host.name, payload, max_age, now, context)
        events += _sensor_events(session, host.name, payload, now, context)
    return events


def turned(session: Session, key: str, active: bool, now: datetime) -> bool:
    """events.changed, asked only when the state differs from the one loaded at the start of the look (one query
    for the whole estate instead of one per host and condition)."""
    if (key[:300] in session.info.get("ops_notify_active", set())) == active:
        return False
    return changed(session, key, active, now)


def _parse_date(value) -> datetime | None:
    """An agent's ISO 8601 time (aware, UTC if no zone), or None for anything else."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _antivirus_events(session, host: str, payload: dict, max_age: timedelta, now: datetime, context: dict) -> list:
    events = []
    for product in payload.get("antivirus") or []:
        if not isinstance(product, dict):
            continue
        provider = str(product.get("provider") or "?")[:64]
        problem = None
        if product.get("installed") is False:
            problem = bilingual(_l("not installed"))
        elif product.get("running") is False:
            problem = bilingual(_l("installed but not running"))
        off = problem is not None
        if turned(session, f"host.antivirus_off:{host}:{provider}", off, now) and off:
            events.append(Event("host.antivirus_off", f"host:{host}:{provider}", "high",
                                {"host": host, "product": provider, "problem": problem}, **context))
        signed = _parse_date(product.get("signature_date"))
        old = signed is not None and now - signed > max_age
        if turned(session, f"host.signatures_old:{host}:{provider}", old, now) and old:
            events.append(Event("host.signatures_old", f"host:{host}:{provider}", "medium",
                                {"host": host, "product": provider, "signature_date": signed,
                                 "age_days": (now - signed).days, "max_days": max_age.days}, **context))
    return events


def _sensor_events(session, host: str, payload: dict, now: datetime, context: dict) -> list:
    sensor = payload.get("sensor")
    if not isinstance(sensor, dict):
        return []
    failed = sensor.get("rules_failed")
    failing = isinstance(failed, int) and not isinstance(failed, bool) and failed > 0
    if turned(session, f"sensor.rules_failed:{host}", failing, now) and failing:
        return [Event("sensor.rules_failed", f"sensor:{host}", "high",
                      {"host": host, "failed": failed, "loaded": sensor.get("rules_loaded"),
                       "version": sensor.get("ruleset_version")}, **{**context, "link": "/rules/"})]
    return []

