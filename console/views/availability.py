"""The Availability page: each service up, down, degraded, unreachable or in maintenance, with its checks.

The checks run in the scheduler (console/availability/runner.py), never here: the page reads what they stored.
The Reports page lists the filed monthly reports (console/availability/report.py) and files one as a task.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from console.availability import report, status
from console.errors import NotFound, ValidationFailed
from console.tasks import service as tasks
from console.web.auth import current_actor, permission_required
from console.web.forms import ActionForm, form_posted
from console.web.runtime import db, settings

bp = Blueprint("availability", __name__, url_prefix="/availability")


@bp.get("/")
@permission_required("view")
def index():
    services = status.services_status(db(), settings())
    return render_template("availability/index.html", services=services, health=status.HEALTH)


@bp.get("/reports/")
@permission_required("view")
def reports():
    zone = ZoneInfo(settings().console.timezone)
    ended = report.previous_month(datetime.now(zone).date().replace(day=1))
    return render_template("availability/reports.html", filed=report.filed(settings()), form=ActionForm(),
                           default_month=f"{ended:%Y-%m}", configured=bool(settings().availability.services))


@bp.post("/reports/")
@permission_required("compliance.run")
def file_report():
    """File a month's report as a task (WeasyPrint takes seconds a PDF) and show its task page."""
    if not form_posted():
        return redirect(url_for("availability.reports"))
    try:
        month = report.parse_month(request.form.get("month", "")[:16])
    except ValidationFailed:
        flash(_("Not started: %(error)s", error=_("not a month: use YYYY-MM, years 2000 to 2999")), "error")
        return redirect(url_for("availability.reports"))
    task = tasks.submit(db(), current_actor(), "availability.report", {"month": f"{month:%Y-%m}"})
    flash(_("Filing the availability report of %(month)s: this page shows its progress.", month=f"{month:%Y-%m}"),
          "success")
    return redirect(url_for("tasks.detail", task_id=task.id))


@bp.get("/reports/<name>")
@permission_required("view")
def filed_report(name: str):
    path = report.filed_path(settings(), name)
    if path is None:
        raise NotFound(f"no filed availability report named {name!r}")
    mimetype = {"pdf": "application/pdf", "csv": "text/csv", "html": "text/html"}[path.suffix[1:]]
    return Response(path.read_bytes(), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{path.name}"'})
