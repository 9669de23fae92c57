"""The hosts announce their own conditions: gone stale, antivirus off or out of date, a sensor failing rules.

What no single report reveals (a report that stops coming, a signature date that ages), looked at every minute
by the notifications' look (console/notify/looks.py, run by watch.py), which only schedules it. Each is a
condition per host (console/notify/events.changed): announced when it starts, once, and again only after it has
ended. console/wiring.py imports this module first, so the hosts' messages come before the other areas' as they
always did.
"""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from console.agents import host_reports
from console.common.i18n import _l
from console.inventory.hosts import active_hosts
from console.notify.events import Event
from console.notify.looks import register_look, systems_by_host
from console.notify.messages import bilingual

__all__ = ["host_events"]

_HostRef = namedtuple("_HostRef", "id")


def host_events(session: Session, settings, now: datetime, turned) -> list[Event]:
    """host.stale, host.antivirus_off, host.signatures_old and sensor.rules_failed, each once as it starts."""
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
        events += _antivirus_events(session, host.name, payload, max_age, now, context, turned)
        events += _sensor_events(session, host.name, payload, now, context, turned)
    return events


def _parse_date(value) -> datetime | None:
    """An agent's ISO 8601 time (aware, UTC if no zone), or None for anything else."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _antivirus_events(session, host: str, payload: dict, max_age: timedelta, now: datetime, context: dict,
                      turned) -> list:
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


def _sensor_events(session, host: str, payload: dict, now: datetime, context: dict, turned) -> list:
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


register_look(host_events)
