"""The overview: what the estate looks like right now."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import get_locale

from console.models.inventory import HostStatus
from console.access import audit
from console.inventory.hosts import host_counts, unit_counts, unit_labels
from console.web.auth import can
from console.web.runtime import db

bp = Blueprint("overview", __name__)


@bp.get("/")
def index():
    session = db()
    counts = host_counts(session)
    units = unit_counts(session)
    labels = unit_labels(session, str(get_locale()))
    recent = audit.list_events(session, audit.AuditFilter(), limit=8) if can("audit.view") else []
    return render_template(
        "overview/index.html",
        active_hosts=counts.get(HostStatus.active, 0),
        retired_hosts=counts.get(HostStatus.retired, 0),
        unit_chart={"labels": [labels.get(u, u) for u, _ in units], "values": [n for _, n in units]},
        recent_events=recent,
    )
