"""Devices the console polls itself (UPS units, the firewall, uplinks, server rooms): last state, history, 'poll now'.

'Poll now' queues a background task (console.tasks): a slow or unreachable device never holds the request.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from console.devices import service as devices
from console.tasks import service as tasks
from console.web.auth import current_actor, permission_required
from console.web.forms import ActionForm, form_posted
from console.web.runtime import db, settings

bp = Blueprint("devices", __name__, url_prefix="/devices")


@bp.get("/")
def index():
    states = devices.configured_states(db(), settings().devices)
    return render_template("devices/index.html", states=states, form=ActionForm(), kind_labels=_kind_labels())


@bp.get("/<name>")
def detail(name: str):
    device = devices.get_device(db(), name)
    history = devices.recent_states(db(), device, limit=50)
    latest = devices.evidence(device, history[0] if history else None)
    return render_template("devices/detail.html", device=device, latest=latest, history=history, form=ActionForm(),
                           kind_labels=_kind_labels())


def _kind_labels() -> dict[str, str]:
    """Each kind's name in the reader's language (the registry holds message ids)."""
    return {kind["name"]: _(kind["label"]) for kind in devices.kinds_shown()}


@bp.post("/<name>/poll")
@permission_required("devices.poll")
def poll(name: str):
    """Queue a poll of one device (console.tasks) and show its task page; the poll happens in the task worker."""
    if not form_posted():
        return redirect(url_for("devices.index"))
    devices.require_configured(settings(), name)  # an unknown device is a 404 now, not a failed task later
    task = tasks.submit(db(), current_actor(), "devices.poll", {"name": name})
    flash(_("Poll of %(device)s queued.", device=name), "success")
    return redirect(url_for("tasks.detail", task_id=task.id))
