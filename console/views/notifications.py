"""Notifications: the delivery log (every role), and for admins the channels with their last delivery and error,
the rules, "send a test message" and "retry".

Channels and rules are ops.toml's ([[notify.channels]], [[notify.rules]]);
the page shows them and never their secrets. A test message goes through the
outbox like any other: the page queues it and the scheduler sends it.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from console.common.paging import page, parse_id
from console.models.notify import DELIVERY_STATES
from console.notify import outbox
from console.notify.kinds import KINDS, SEVERITY_NAMES
from console.web.auth import current_actor, permission_required
from console.web.forms import ActionForm, form_posted
from console.web.runtime import db, settings

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PAGE = 50
STATE_NAMES = {"pending": _l("Waiting to be sent"), "sending": _l("Sending"), "sent": _l("Sent"),
               "failed": _l("Failed"), "held": _l("Held for the digest"), "digested": _l("Sent in a digest")}


def event_severity_name(severity: str) -> str:
    return _(SEVERITY_NAMES.get(severity, severity))


@bp.app_context_processor
def _names():
    return {"delivery_state_names": STATE_NAMES, "event_kinds": KINDS, "event_severity_name": event_severity_name}


def _choice(name: str, allowed) -> str | None:
    value = (request.args.get(name) or "").strip()
    return value if value in allowed else None


@bp.get("/")
def index():
    conf = settings().notify
    where = outbox.LogFilter(channel=_choice("channel", [c.name for c in conf.channels]),
                             state=_choice("state", DELIVERY_STATES), kind=_choice("kind", KINDS),
                             rule=_choice("rule", [r.name for r in conf.rules] + ["test"]))
    before = parse_id(request.args.get("before"), "before")
    rows, next_before = page(outbox.log_page(db(), where, before=before, limit=PAGE + 1), PAGE, lambda row: row.id)
    status = outbox.channel_status(db(), settings())
    return render_template("notifications/index.html", rows=rows, next_before=next_before, where=where,
                           channels=status, rules=conf.rules, states=DELIVERY_STATES, form=ActionForm(),
                           config_channels=[channel.name for channel in conf.channels])


@bp.get("/<int:delivery_id>")
def detail(delivery_id: int):
    row = outbox.get_delivery(db(), delivery_id)
    return render_template("notifications/detail.html", row=row, form=ActionForm())


@bp.get("/<int:delivery_id>/status")
def status(delivery_id: int):
    """The state block alone, for htmx; it polls again while the message waits to be sent."""
    return render_template("notifications/_status.html", row=outbox.get_delivery(db(), delivery_id))


@bp.post("/channels/<name>/test")
@permission_required("notify.manage")
def send_test(name: str):
    if not form_posted():
        return redirect(url_for("notifications.index"))
    row = outbox.queue_test(db(), current_actor(), settings(), name)
    flash(_("Test message to %(channel)s queued: the scheduler sends it within seconds.", channel=name), "success")
    return redirect(url_for("notifications.detail", delivery_id=row.id))


@bp.post("/<int:delivery_id>/retry")
@permission_required("notify.manage")
def retry(delivery_id: int):
    if not form_posted():
        return redirect(url_for("notifications.detail", delivery_id=delivery_id))
    count = outbox.retry(db(), current_actor(), delivery_id=delivery_id)
    flash(_("Put back in the outbox.") if count else _("Only a failed message can be retried."),
          "success" if count else "error")
    return redirect(url_for("notifications.detail", delivery_id=delivery_id))
