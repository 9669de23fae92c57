"""Endpoints from Kaspersky Security Center: the list with its filters and the coverage figure, one endpoint's history."""

from __future__ import annotations

import dataclasses

from flask import Blueprint, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from console.common.paging import page
from console.endpoints import coverage, service
from console.inventory.hosts import unit_labels
from console.web.runtime import db, settings

bp = Blueprint("endpoints", __name__, url_prefix="/endpoints")

STATE_LABELS = {"ok": _l("Protected"), "protection_off": _l("Protection off"), "bases_old": _l("Old bases"),
                "not_seen": _l("Not seen")}
RTP_LABELS = {0: _l("unknown"), 1: _l("stopped"), 2: _l("suspended"), 3: _l("starting"), 4: _l("running"),
              5: _l("running (maximum protection)"), 6: _l("running (maximum performance)"),
              7: _l("running (recommended settings)"), 8: _l("running (custom settings)"), 9: _l("failure")}


@bp.get("/")
def index():
    wanted = service.parse_filter(request.args)
    rows = service.list_endpoints(db(), dataclasses.replace(wanted, limit=wanted.limit + 1))
    rows, next_after = page(rows, wanted.limit, service.cursor)
    return render_template("endpoints/index.html", rows=rows, next_after=next_after, filters=wanted,
                           choices=service.choices(db()), units=unit_labels(db(), str(get_locale())),
                           figure=coverage.coverage(db(), settings()), unmanaged=coverage.unmanaged(db(), settings()), last_sync=service.last_sync(db()),
                           states=STATE_LABELS, configured=settings().endpoints.configured)


@bp.get("/<int:endpoint_id>")
def detail(endpoint_id: int):
    row = service.get_endpoint(db(), endpoint_id)
    return render_template("endpoints/detail.html", row=row, history=service.history(db(), row),
                           reasons=service.status_reasons(row.status_mask), units=unit_labels(db(), str(get_locale())),
                           states=STATE_LABELS, rtp=RTP_LABELS)
