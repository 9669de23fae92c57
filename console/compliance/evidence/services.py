"""The department's services, as the availability area checks them (console.availability): one target each.

A service is a target named `service:<name>` (kind device, device kind "service"), in its unit. Its evidence:

- `certificate_days_left`: the fewest days left on a leaf certificate its TLS checks saw (absent where it has no
  TLS check); `certificate_state`: "ok" while more than the last step of [availability] certificate_warn_days
  (7 by default: the step the notifications call urgent) is left, "expiring" at that step or fewer, "expired"
  once past; `certificate_min_days` is that step;
- `sla_state`: "met" while the month's downtime so far stays within the month's budget for its SLA target,
  "missed" once past it (`console.availability.report.standing`), with `uptime_percent` (the month so far),
  `sla_target_percent`, `down_minutes` and `downtime_budget_minutes`.

The evidence is as old as the service's newest check; a service never checked is unknown, never a pass.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from console.compliance.evidence import Evidence, Target
from console.models.base import utcnow

PREFIX = "service:"


def load(session: Session, now: datetime | None = None) -> tuple[list[Target], dict[str, Evidence]]:
    """(service targets, evidence by target name); none where ops.toml declares no service."""
    settings = session.info.get("ops_settings")
    if settings is None or not settings.availability.services:
        return [], {}
    from console.availability import report, status

    now = now or utcnow()
    standing = report.standing(session, settings, now)
    last_step = min(settings.availability.certificate_warn_days)
    targets, evidence = [], {}
    for item in status.services_status(session, settings, now):
        name = PREFIX + item["name"]
        targets.append(Target(name=name, kind="device", unit=item["unit"] or "", device_kind="service"))
        checked = [check["checked_at"] for check in item["checks"] if check["checked_at"] is not None]
        if not checked:
            evidence[name] = Evidence.unknown(f"service {item['name']}: not checked yet")
            continue
        sla = standing[item["name"]]
        fields = {"uptime_percent": sla["uptime_percent"], "sla_target_percent": sla["sla_target_percent"],
                  "down_minutes": sla["down_minutes"], "downtime_budget_minutes": sla["downtime_budget_minutes"],
                  "sla_state": "met" if sla["met"] else "missed"}
        days = item["certificate_days_left"]
        if days is not None:
            fields.update(certificate_days_left=days, certificate_min_days=last_step,
                          certificate_state="expired" if days < 0 else "expiring" if days <= last_step else "ok")
        evidence[name] = Evidence(fields, max(checked))
    return targets, evidence


def names(session: Session) -> set[str]:
    """The service targets a waiver may name."""
    settings = session.info.get("ops_settings")
    if settings is None:
        return set()
    return {PREFIX + service.name for service in settings.availability.services}
