"""The asset list from the inventory, and the sync button."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from console.errors import InventoryError
from console.models import HostStatus
from console.services.inventory_sync import get_host, list_hosts, sync_inventory
from console.web.auth import current_actor, permission_required
from console.web.forms import ActionForm
from console.web.runtime import db, settings

bp = Blueprint("hosts", __name__, url_prefix="/hosts")
PAGE = 50


@bp.get("/")
def index():
    return _render_index()


def _render_index(http_status: int = 200):
    filters = {
        "unit": request.args.get("unit") or None,
        "role": request.args.get("role") or None,
        "status": request.args.get("status") or HostStatus.active.value,
        "search": request.args.get("q") or None,
    }
    wanted_status = None if filters["status"] == "all" else filters["status"]
    hosts = list_hosts(db(), unit=filters["unit"], role=filters["role"], status=wanted_status,
                       search=filters["search"], after_name=request.args.get("after"), limit=PAGE + 1)
    next_after = hosts[PAGE - 1].name if len(hosts) > PAGE else None
    return render_template("hosts/index.html", hosts=hosts[:PAGE], filters=filters,
                           next_after=next_after, form=ActionForm()), http_status


@bp.get("/<name>")
def detail(name: str):
    return render_template("hosts/detail.html", host=get_host(db(), name))


@bp.post("/sync")
@permission_required("inventory.sync")
def sync():
    if not ActionForm().validate_on_submit():
        flash(_("The form expired. Try again."), "error")
        return redirect(url_for("hosts.index"))
    try:
        result = sync_inventory(db(), current_actor(), settings().inventory)
    except InventoryError as exc:
        db().rollback()
        flash(_("Inventory not synced: %(error)s", error=str(exc)), "error")
        return _render_index(http_status=400)
    db().commit()
    flash(_("Inventory synced: %(summary)s", summary=result.summary()), "success")
    return redirect(url_for("hosts.index"))
