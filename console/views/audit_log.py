"""The audit log with filters; read-only by construction."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request

from console.common.time import window_of
from console.access import audit
from console.common.paging import page
from console.web.auth import permission_required
from console.web.runtime import db, settings

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE = 50


@bp.get("/")
@permission_required("audit.view")
def index():
    filters = audit.parse_filter(request.args, ZoneInfo(settings().console.timezone),
                                 window_of(settings().console))
    events, next_before = page(audit.list_events(db(), filters, before_id=audit.parse_before(request.args),
                                                 limit=PAGE + 1), PAGE, lambda e: e.id)
    return render_template("audit/index.html", events=events, filters=filters, next_before=next_before)
