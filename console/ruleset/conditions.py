"""The rule manager's own condition for the notifications' minute look: an IPS sensor that stops inspecting.

Registered with console.notify.looks (console/wiring.py imports this module); the watcher only runs it. An IPS
sensor whose host has gone stale is left to host.stale: an old report says nothing about now.
"""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime

from sqlalchemy.orm import Session

from console.agents import host_reports
from console.inventory.hosts import active_hosts
from console.notify.events import Event
from console.notify.looks import register_look
from console.notify.messages import bilingual
from console.ruleset import health

_HostRef = namedtuple("_HostRef", "id")


def ips_down_events(session: Session, settings, now: datetime, turned) -> list[Event]:
    """sensor.ips_down, critical, once per stop: the message says what traffic through the sensor does meanwhile."""
    sensors = health.ips_sensors_by_host(settings.rules)
    if not sensors:
        return []
    hosts = active_hosts(session, only=list(sensors))
    conditions = host_reports.conditions(session, [_HostRef(host.id) for host in hosts])
    payloads = host_reports.latest_payloads(session, [host.id for host in hosts])
    events = []
    for host in hosts:
        condition = conditions.get(host.id)
        if condition is not None and condition.status == host_reports.HostHealth.stale:
            continue
        payload = (payloads.get(host.id) or (None, {}))[1] or {}
        seen = health.problem(payload.get("sensor"), settings.rules.ips_kernel_drop_percent_max)
        if not (turned(session, f"sensor.ips_down:{host.name}", seen is not None, now) and seen is not None):
            continue
        sensor = sensors[host.name]
        reason = {language: text % seen[1] if seen[1] else text for language, text in bilingual(seen[0]).items()}
        effect = bilingual(health.effect(sensor, seen[0]))
        events.append(Event("sensor.ips_down", f"sensor:{host.name}", "critical",
                            {"sensor": sensor.name, "host": host.name, "reason": reason, "effect": effect},
                            unit=host.unit or None, link="/", at=now))
    return events


register_look(ips_down_events)
