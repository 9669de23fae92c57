"""The audit log with filters; read-only by construction."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, render_template, request

from console.errors import ValidationFailed
from console.access import audit
from console.web.auth import permission_required
from console.web.runtime import db

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE = 50


def parse_filter(args) -> audit.AuditFilter:
    """Build the filter from query arguments; shared by the page and the API."""
    return audit.AuditFilter(
        actor=(args.get("actor") or "").strip(),
        action=(args.get("action") or "").strip(),
        outcome=(args.get("outcome") or "").strip(),
        object_type=(args.get("object_type") or "").strip(),
        since=_date(args, "since"),
        until=_date(args, "until"),
    )


def _date(args, name: str):
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(name, "use a date like 2026-11-25 or 2026-11-25T08:00") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def parse_before(args) -> int | None:
    value = args.get("before")
    if not value:
        return None
    if not value.isdigit():
        raise ValidationFailed("before", "must be an event id")
    return int(value)


@bp.get("/")
@permission_required("audit.view")
def index():
    filters = parse_filter(request.args)
    events = audit.list_events(db(), filters, before_id=parse_before(request.args), limit=PAGE + 1)
    next_before = events[PAGE - 1].id if len(events) > PAGE else None
    return render_template("audit/index.html", events=events[:PAGE], filters=filters, next_before=next_before)
