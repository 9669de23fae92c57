"""The Availability page: each service up, down, degraded, unreachable or in maintenance, with its checks.

The checks run in the scheduler (console/availability/runner.py), never here: the page reads what they stored.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from console.availability import status
from console.web.auth import permission_required
from console.web.runtime import db, settings

bp = Blueprint("availability", __name__, url_prefix="/availability")


@bp.get("/")
@permission_required("view")
def index():
    services = status.services_status(db(), settings())
    return render_template("availability/index.html", services=services, health=status.HEALTH)
