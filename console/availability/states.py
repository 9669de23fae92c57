"""A service's state from its checks, its dependencies and maintenance; outages and announcements on each change.

Own state, from the service's checks alone: down when a check failed
`failures_before_down` times in a row; degraded when a check failed fewer
times, answered slowly, or shows a certificate near expiry; up when every
check passed; unknown before the first result.

Shown state: maintenance while a window covers the service; else
unreachable when the service is not up and a service or uplink it depends on
(directly or further up) is down, with the cause "service:<name>" or
"uplink:<name>"; else its own state.

Announced (console/notify, in the caller's transaction): a service going
down with the services it takes with it, in ONE message; its return with the
outage's duration; services made unreachable by an uplink, in one message
per uplink. Nothing is announced for a service in maintenance, nor for a
dependent whose parent was announced.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.availability import maintenance, uplinks
from console.models.availability import AvailabilityCheckState, AvailabilityOutage, AvailabilityServiceState
from console.notify import events
from console.notify.messages import bilingual
from console.common.i18n import _l

LINK = "/availability"
OUTAGE_STATES = ("down", "unreachable")


UNREACHABLE_LINE = _l("Unreachable because of it: %(service)s")


def own_state(settings, service, checks: dict) -> tuple[str, str]:
    """(state, detail) of `service` from its checks' states alone."""
    worst, detail, seen = "up", "", 0
    for check in service.checks:
        row = checks.get((service.name, check.name))
        if row is None or not row.last_outcome:
            continue
        seen += 1
        if row.consecutive_failures >= settings.availability.threshold(check):
            return "down", f"{check.name}: {row.last_detail}"
        if row.last_outcome != "ok" and worst == "up":
            worst, detail = "degraded", f"{check.name}: {row.last_detail}"
    return ("unknown", "") if seen == 0 else (worst, detail)


def shown_states(session: Session, settings, now: datetime) -> dict[str, tuple[str, str, str]]:
    """service name -> (state, cause, detail) as the page shows it now."""
    config = settings.availability
    checks = {(row.service, row.check_name): row for row in session.scalars(select(AvailabilityCheckState))}
    own = {service.name: own_state(settings, service, checks) for service in config.services}
    shown: dict[str, tuple[str, str, str]] = {}
    for service in config.services:
        state, detail = own[service.name]
        cause = ""
        if state != "up":
            cause = _down_parent(session, config, service, own)
            if cause:
                state = "unreachable"
        window = maintenance.active(settings, service.name, now)
        if window is not None:
            state, cause, detail = "maintenance", "", window.reason
        shown[service.name] = (state, cause, detail)
    return shown


def _down_parent(session: Session, config, service, own: dict, seen: frozenset = frozenset()) -> str:
    """"service:<name>" or "uplink:<name>" of the first parent that is down, looking up the dependencies."""
    for uplink in service.uplink_dependencies():
        if uplinks.uplink_down(session, uplink):
            return f"uplink:{uplink}"
    for name in service.service_dependencies():
        parent = config.service(name)
        if parent is None or name in seen:
            continue
        if own[name][0] == "up":
            continue
        further = _down_parent(session, config, parent, own, seen | {service.name})
        if further:  # the cause furthest up: the uplink or service that took the parent down too
            return further
        if own[name][0] == "down":
            return f"service:{name}"
    return ""


def evaluate(session: Session, settings, now: datetime) -> None:
    """Compare the shown states with the stored ones; store them, open and close outages, announce the changes."""
    config = settings.availability
    shown = shown_states(session, settings, now)
    stored = {row.service: row for row in session.scalars(select(AvailabilityServiceState))}
    went_down: list[str] = []
    unreachable_by: dict[str, list[str]] = {}
    for service in config.services:
        state, cause, detail = shown[service.name]
        row = stored.get(service.name)
        before = row.state if row is not None else "unknown"
        before_cause = row.cause if row is not None else ""
        in_window = state == "maintenance"
        outage_now = _outage_state(state)
        if row is None:
            row = AvailabilityServiceState(service=service.name, state=state, since=now, cause=cause, detail=detail,
                                           updated_at=now)
            session.add(row)
        elif (before, before_cause) != (state, cause):
            row.state, row.cause, row.since = state, cause, now
        row.detail, row.updated_at = detail, now
        change, closed = _move_outage(session, service.name, outage_now, cause, detail, now)
        if change in ("opened", "recaused") and outage_now == "self" and not in_window:
            went_down.append(service.name)
        elif change == "opened" and cause.startswith("uplink:") and before not in OUTAGE_STATES:
            unreachable_by.setdefault(cause, []).append(service.name)
        elif change == "closed" and closed.cause == "self" and not in_window:
            _announce_up(session, settings, service, closed, now)
    for name in went_down:
        _announce_down(session, settings, config.service(name), shown, now)
    for cause, names in unreachable_by.items():
        _announce_unreachable(session, settings, cause, names, now)


def _outage_state(state: str) -> str | None:
    """"self" when the service is down itself, "dependency" when unreachable, else None.

    Maintenance is no outage: the report leaves its time out, and a service still down when its window ends
    starts an outage then (and is announced).
    """
    if state == "down":
        return "self"
    return "dependency" if state == "unreachable" else None


def _move_outage(session: Session, service: str, outage: str | None, cause: str, detail: str,
                 now: datetime) -> tuple[str | None, AvailabilityOutage | None]:
    """Open, close or re-cause the service's open outage: ("opened" | "closed" | "recaused" | None, the closed one)."""
    current = session.scalars(select(AvailabilityOutage).where(AvailabilityOutage.service == service,
                                                               AvailabilityOutage.ended_at.is_(None))).first()
    wanted = None if outage is None else ("self" if outage == "self" else cause)
    if (current.cause if current is not None else None) == wanted:
        return None, None
    if current is not None:
        current.ended_at = now
    if wanted is not None:
        session.add(AvailabilityOutage(service=service, started_at=now, cause=wanted, detail=detail[:300]))
        session.flush()
        return ("recaused" if current is not None else "opened"), current
    return "closed", current


def _event(service, kind: str, severity: str, params: dict, at: datetime, lines=None) -> events.Event:
    return events.Event(kind=kind, key=f"service:{service.name}", severity=severity,
                        params={"service": service.title, **params}, link=LINK, unit=service.unit or None,
                        system=service.system or None, lines=lines or [], at=at)


def _announce_down(session: Session, settings, service, shown: dict, now: datetime) -> None:
    templates = bilingual(UNREACHABLE_LINE)
    lines = []
    for name in settings.availability.dependents(service.name):
        if shown[name][0] == "unreachable" and shown[name][1] == f"service:{service.name}":
            title = settings.availability.service(name).title
            lines.append({language: text % {"service": title} for language, text in templates.items()})
    events.emit(session, _event(service, "service.down", "high",
                                {"since": now, "reason": shown[service.name][2]}, now, lines), now)


def _announce_up(session: Session, settings, service, outage: AvailabilityOutage, now: datetime) -> None:
    minutes = int((now - outage.started_at).total_seconds() // 60)
    events.emit(session, _event(service, "service.up", "info",
                                {"at": now, "duration_hours": minutes // 60, "duration_minutes": minutes % 60,
                                 "started_at": outage.started_at}, now), now)


def _announce_unreachable(session: Session, settings, cause: str, names: list[str], now: datetime) -> None:
    titles = [settings.availability.service(name).title for name in names]
    parent = cause.removeprefix("uplink:")
    events.emit(session, events.Event(kind="service.unreachable", key=cause, severity="high",
                                      params={"parent": parent, "count": len(names), "since": now},
                                      link=LINK, lines=titles, at=now), now)


def certificate_events(session: Session, settings, service_name: str, check, state: AvailabilityCheckState,
                       now: datetime) -> None:
    """Announce a certificate crossing a warning step (30, 14, 7 days by default) or expiring, once each."""
    days = state.facts.get("certificate_days_left")
    if days is None:
        return
    steps = settings.availability.certificate_warn_days
    step = -1 if days < 0 else min((limit for limit in steps if days <= limit), default=None)
    warned = state.certificate_warned_days
    if step is None:
        state.certificate_warned_days = None  # renewed: the next approach is announced again
        return
    if warned is not None and step >= warned:
        return
    state.certificate_warned_days = step
    service = settings.availability.service(service_name)
    if maintenance.active(settings, service_name, now) is not None:
        return
    params = {"target": check.target(), "not_after": state.facts.get("certificate_not_after", ""),
              "days": days, "check": check.name}
    kind, severity = ("certificate.expired", "high") if step < 0 else (
        "certificate.expiring", "high" if step <= min(steps) else "medium")
    events.emit(session, events.Event(kind=kind, key=f"certificate:{service_name}:{check.name}", severity=severity,
                                      params={"service": service.title, **params}, link=LINK,
                                      unit=service.unit or None, system=service.system or None, at=now), now)
