"""The overview: the estate at a glance, one tile per part, each a link to the page it counts.

Every tile asks its part's service (aggregate queries there; none here). The tiles refresh
themselves: the page's tile container asks GET /overview/tiles every 30 s (htmx) and swaps
only them. GET /api/v1/overview (console/api/overview.py) gives the same figures as JSON.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, render_template
from flask_babel import format_datetime, get_locale, get_timezone

from console.access import audit
from console.agents import host_reports
from console.alerts import health as alert_health
from console.availability import status as availability
from console.compliance import history
from console.systems import service as systems
from console.devices import service as devices
from console.incidents import service as incidents
from console.inventory.hosts import active_host_ids, host_counts, unit_counts, unit_labels
from console.jobs import service as jobs
from console.models.inventory import HostStatus
from console.ruleset import health as ips_health
from console.ruleset import service as ruleset
from console.web.auth import can, permission_required
from console.web.runtime import db, settings

bp = Blueprint("overview", __name__)
REFRESH_SECONDS = 30


@bp.get("/")
@permission_required("view")
def index():
    session = db()
    recent = audit.list_events(session, audit.AuditFilter(), limit=8) if can("audit.view") else []
    return render_template("overview/index.html", recent_events=recent, refresh_seconds=REFRESH_SECONDS, **tiles())


@bp.get("/overview/tiles")
@permission_required("view")
def tiles_fragment():
    """The tiles alone, for the page's 30 s htmx refresh."""
    return render_template("overview/_tiles.html", **tiles())


def tiles() -> dict:
    """What each tile shows, from its part's service."""
    session, locale = db(), str(get_locale())
    counts = host_counts(session)
    units = unit_counts(session)
    labels = unit_labels(session, locale)
    compliance = history.overview(session)
    alerts = alert_health.overview(session)
    return {
        "active_hosts": counts.get(HostStatus.active, 0),
        "retired_hosts": counts.get(HostStatus.retired, 0),
        "host_health": host_reports.health_counts(session, active_host_ids(session)),
        "unit_chart": {"labels": [labels.get(u, u) for u, _ in units], "values": [n for _, n in units]},
        "compliance": compliance,
        "compliance_chart": _chart([r["started_at"] for r in compliance["trend"]],
                                   [r["score"] for r in compliance["trend"]], "dd/MM HH:mm") if compliance else None,
        "alerts": alerts,
        "alerts_chart": _chart([datetime.fromisoformat(at) for at in alerts["per_hour"]["labels"]],
                               alerts["per_hour"]["values"], "dd/MM HH:mm"),
        "devices": devices.overview(session, settings().devices),
        "availability": availability.overview(session, settings()),
        "device_kinds": devices.kinds_shown(),
        "ruleset": ruleset.ruleset_status(session),
        "ips_problems": ips_health.ips_problems(session, settings().rules),
        "jobs": jobs.overview(session),
        "incidents": incidents.open_deadlines(session),
        "systems": systems.overview(session),
        "locale": locale,
    }


def _chart(times: list, values: list, fmt: str) -> dict:
    """Chart data with its time labels already in the console's zone and the user's locale (as the tables).

    The pattern is all numbers, so the first label is formatted by Babel and the rest, the same shape,
    by strftime in the same zone (168 Babel calls cost more than the queries behind them)."""
    if not times:
        return {"labels": [], "values": values}
    zone = get_timezone()
    first = format_datetime(times[0], fmt)
    rest = [at.astimezone(zone).strftime(_STRFTIME[fmt]) for at in times[1:]]
    return {"labels": [first] + rest, "values": values}


_STRFTIME = {"dd/MM HH:mm": "%d/%m %H:%M"}
