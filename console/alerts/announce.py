"""IDS alerts told to people: one message per alert group per throttle window, never one per alert.

Called by store_batch with the groups a batch touched, in the batch's
transaction. Suricata's severity (1 highest) is mapped to the console's
(1 high, 2 medium, 3 low, 4 informational); the rules' min_severity
chooses what is worth a message. The unit and information system are those
of the inventory host at the destination, else at the source.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.inventory.hosts import host_names_at, host_units
from console.models.alerts import AlertGroup
from console.notify import events as notify_events
from console.notify import looks
from console.models.base import utcnow
from console.notify.kinds import SEVERITIES, suricata_severity
from console.ruleset import preview as ruleset_preview


def announce_groups(session: Session, groups: dict[str, dict], sensors: dict[str, str]) -> int:
    settings = notify_events.notify_settings(session)
    if settings is None or not groups:
        return 0
    return _announce_alerts(session, settings, groups, sensors) + _announce_young_blocks(session, settings, groups,
                                                                                         sensors)


def _announce_young_blocks(session: Session, settings, groups: dict[str, dict], sensors: dict[str, str]) -> int:
    """A group an inline sensor blocked, of a rule younger than [rules] young_rule_days: told once per group."""
    blocked = {key: group for key, group in groups.items() if group.get("blocked_count")}
    if not blocked or not settings.notify.rules:
        return 0
    now = utcnow()
    young = ruleset_preview.young_rules(session, {g["sid"] for g in blocked.values()},
                                        now - timedelta(days=settings.rules.young_rule_days))
    events = []
    for key, group in blocked.items():
        if group["sid"] in young and notify_events.changed(session, f"ids.blocked_young_rule:{key}", True, now):
            events.append(notify_events.Event(
                "ids.blocked_young_rule", f"blocked-group:{key}", "high",
                {"signature": group["signature"], "sid": group["sid"], "count": group["blocked_count"],
                 "sensor": sensors.get(key, "?"), "src": group["src_ip"], "dest": group["dest_ip"],
                 "first_seen": group["first_seen"], "changed_at": young[group["sid"]]},
                "/alerts/?status=all&action=blocked", at=group["last_seen"]))
    return notify_events.emit_all(session, events) if events else 0


def _announce_alerts(session: Session, settings, groups: dict[str, dict], sensors: dict[str, str]) -> int:
    floors = [rule.min_severity for rule in settings.notify.rules if "*" in rule.events or "ids.alert" in rule.events]
    if not floors:
        return 0
    lowest = min(SEVERITIES.index(level) for level in floors)
    wanted = {key: group for key, group in groups.items()
              if SEVERITIES.index(suricata_severity(group["severity"])) >= lowest}
    if not wanted:
        return 0
    ids = dict(session.execute(select(AlertGroup.group_key, AlertGroup.id)
                               .where(AlertGroup.group_key.in_(list(wanted)[:5000]))).all())
    units, systems = host_units(session), looks.systems_by_host(session)
    hosts = host_names_at(session, {group[side] for group in wanted.values() for side in ("src_ip", "dest_ip")})
    events = []
    for key, group in wanted.items():
        host = hosts.get(group["dest_ip"]) or hosts.get(group["src_ip"])
        events.append(notify_events.Event(
            "ids.alert", f"alert-group:{key}", suricata_severity(group["severity"]),
            {"signature": group["signature"], "sid": group["sid"], "count": group["count"],
             "sensor": sensors.get(key, "?"), "src": group["src_ip"], "dest": group["dest_ip"],
             "first_seen": group["first_seen"], "last_seen": group["last_seen"]},
            f"/alerts/groups/{ids[key]}" if key in ids else "/alerts/",
            unit=units.get(host) if host else None, system=systems.get(host) if host else None,
            at=group["last_seen"]))
    return notify_events.emit_all(session, events)
