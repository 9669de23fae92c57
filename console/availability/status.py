"""What people see: each service's state now, its response time and certificate, for the page, the API, the CLI
and the Overview tile (one function each, the same figures everywhere).

The state is worked out now from the checks' stored states (console/availability/states.py), so a maintenance
window that just opened shows at once; `since` is when the runner last saw the state change.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.availability.states import shown_states
from console.models.availability import AvailabilityCheckState, AvailabilityServiceState
from console.models.base import utcnow

STATES = ("up", "degraded", "down", "unreachable", "maintenance", "unknown")
HEALTH = {"up": "ok", "degraded": "warning", "down": "stale", "unreachable": "stale", "maintenance": "never_seen",
          "unknown": "never_seen"}


def services_status(session: Session, settings, now: datetime | None = None) -> list[dict]:
    """Every service of ops.toml in declaration order, with its checks' latest results."""
    now = now or utcnow()
    shown = shown_states(session, settings, now)
    stored = {row.service: row for row in session.scalars(select(AvailabilityServiceState))}
    checks = {(row.service, row.check_name): row for row in session.scalars(select(AvailabilityCheckState))}
    found = []
    for service in settings.availability.services:
        state, cause, detail = shown[service.name]
        row = stored.get(service.name)
        items = [_check(service.name, check, checks.get((service.name, check.name))) for check in service.checks]
        times = [item["response_ms"] for item in items if item["response_ms"] is not None and item["kind"] == "http"]
        days = [item["certificate_days_left"] for item in items if item["certificate_days_left"] is not None]
        found.append({
            "name": service.name, "label": service.title, "unit": service.unit or None,
            "system": service.system or None, "state": state,
            "cause": cause or None,  # "service:<name>" or "uplink:<name>" when unreachable
            "parent": cause.split(":", 1)[1] if cause else None,
            "detail": detail, "since": row.since if row is not None and row.state == state else None,
            "sla_target_percent": service.sla_target_percent, "depends_on": list(service.depends_on),
            "response_ms": max(times) if times else None,
            "certificate_days_left": min(days) if days else None,
            "checks": items,
        })
    return found


def _check(service: str, check, row: AvailabilityCheckState | None) -> dict:
    facts = (row.facts if row is not None else None) or {}
    return {"name": check.name, "kind": check.kind, "target": check.target(),
            "interval_seconds": check.interval_seconds,
            "outcome": (row.last_outcome or None) if row is not None else None,
            "detail": row.last_detail if row is not None else "",
            "response_ms": row.last_response_ms if row is not None else None,
            "failures_in_a_row": row.consecutive_failures if row is not None else 0,
            "checked_at": row.last_checked_at if row is not None else None,
            "certificate_days_left": facts.get("certificate_days_left"),
            "tls_version": facts.get("tls_version"), "loss_percent": facts.get("loss_percent")}


def overview(session: Session, settings, now: datetime | None = None) -> dict:
    """The Overview tile: services by state, the ones not up, and the nearest certificate expiry."""
    services = services_status(session, settings, now)
    counts = {state: 0 for state in STATES}
    for item in services:
        counts[item["state"]] += 1
    days = [(item["certificate_days_left"], item["name"]) for item in services
            if item["certificate_days_left"] is not None]
    nearest = min(days) if days else None
    return {"total": len(services), "counts": counts,
            "not_up": [{"name": item["name"], "label": item["label"], "state": item["state"], "parent": item["parent"]}
                       for item in services if item["state"] not in ("up",)][:10],
            "certificate": {"service": nearest[1], "days_left": nearest[0]} if nearest else None}


def metric_families(session: Session) -> list:
    """Prometheus gauges for /metrics: each service's state (1 for the state it is in), response time, certificate."""
    from prometheus_client.core import GaugeMetricFamily

    settings = session.info.get("ops_settings")
    if settings is None or not settings.availability.services:
        return []
    state = GaugeMetricFamily("ops_availability_service_state", "1 for the state each service is in now",
                              labels=["service", "state"])
    response = GaugeMetricFamily("ops_availability_response_ms", "The slowest HTTP check's last answer, ms",
                                 labels=["service"])
    days = GaugeMetricFamily("ops_availability_certificate_days_left",
                             "Days until the nearest leaf certificate of the service's TLS checks expires",
                             labels=["service"])
    for item in services_status(session, settings):
        for name in STATES:
            state.add_metric([item["name"], name], 1 if item["state"] == name else 0)
        if item["response_ms"] is not None:
            response.add_metric([item["name"]], item["response_ms"])
        if item["certificate_days_left"] is not None:
            days.add_metric([item["name"]], item["certificate_days_left"])
    return [state, response, days]
