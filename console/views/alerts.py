"""The alert inbox (new, acknowledged, escalated, closed), a group's page, triage forms, chart data, exports."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from console.common.time import window_of
from console.errors import Conflict, ValidationFailed
from console.access import users
from console.alerts import allow as alerts_allow
from console.alerts import triage as alerts_triage
from console.alerts.enrich import Enricher
from console.alerts.export import group_as_dict, groups_csv, iter_groups
from console.alerts.health import event_counters, problem_counts
from console.alerts.query import (STATUSES, chart_series, comments, flow_context, get_group, group_events,
                                           list_groups, parse_filter)
from console.tasks import service as tasks
from console.web.auth import current_actor, permission_required
from console.web.forms import ActionForm, form_posted
from console.web.runtime import db, settings

bp = Blueprint("alerts", __name__, url_prefix="/alerts")
PAGE = 50


def _filter(default_status: str = "new"):
    return parse_filter(request.args, default_status, ZoneInfo(settings().console.timezone),
                        window_of(settings().console))


def _enricher() -> Enricher:
    return Enricher(db(), settings().alerts.internal_networks)


@bp.get("/")
def index():
    alert_filter = _filter()
    groups, next_cursor = list_groups(db(), alert_filter, after=request.args.get("after") or None, limit=PAGE)
    return render_template("alerts/index.html", groups=groups, next_cursor=next_cursor, filters=alert_filter,
                           args=alert_filter.as_args(), tab=alert_filter.status or "all", statuses=STATUSES,
                           enricher=_enricher(), form=ActionForm(), problems=problem_counts(db()),
                           counters=event_counters(db()), users=_usernames())


def _usernames() -> list[str]:
    return users.usernames(db())


@bp.get("/groups/<int:group_id>")
def group(group_id: int):
    row = get_group(db(), group_id)
    events = group_events(db(), row, limit=PAGE)
    return render_template("alerts/group.html", group=row, events=events, sides=_enricher().group(row),
                           context=flow_context(db(), [e.flow_id for e in events]), comments=comments(db(), row),
                           form=ActionForm(), next_status=sorted(alerts_triage.NEXT[row.status]), users=_usernames(),
                           pretty=lambda text: json.dumps(json.loads(text), indent=2, ensure_ascii=False))


def _act(group_id: int | None, action, success: str):
    """Run a triage action from a form: CSRF checked, one commit, a flash either way."""
    target = url_for("alerts.group", group_id=group_id) if group_id else request.form.get("next") or url_for("alerts.index")
    if not target.startswith("/alerts"):
        target = url_for("alerts.index")
    if not form_posted():
        return redirect(target)
    try:
        action()
    except (ValidationFailed, Conflict) as exc:
        db().rollback()
        flash(str(exc), "error")
        return redirect(target)
    flash(success, "success")
    return redirect(target)


@bp.post("/groups/<int:group_id>/status")
@permission_required("alerts.triage")
def set_status(group_id: int):
    status = request.form.get("status", "")
    return _act(group_id, lambda: alerts_triage.set_status(db(), current_actor(), [group_id], status),
                _("Status changed."))


@bp.post("/groups/<int:group_id>/assign")
@permission_required("alerts.triage")
def assign(group_id: int):
    assignee = request.form.get("assignee", "")
    return _act(group_id, lambda: alerts_triage.assign(db(), current_actor(), [group_id], assignee),
                _("Assignee changed."))


@bp.post("/groups/<int:group_id>/comment")
@permission_required("alerts.triage")
def comment(group_id: int):
    body = request.form.get("body", "")
    return _act(group_id, lambda: alerts_triage.add_comment(db(), current_actor(), group_id, body), _("Comment added."))


@bp.post("/groups/<int:group_id>/false-positive")
@permission_required("alerts.triage")
def false_positive(group_id: int):
    """Propose a suppression (this address, or a network the user typed) or a disable.

    A scope or network that does not hold answers 400 naming the field (the error page), and nothing changes.
    """
    kind, track = request.form.get("kind", "suppress"), request.form.get("track", "by_src")
    scope = request.form.get("scope", "address")
    if scope not in ("address", "network"):
        raise ValidationFailed("scope", "must be address or network")
    network = request.form.get("network", "") if scope == "network" else ""
    if scope == "network" and kind == "suppress" and not network.strip():
        raise ValidationFailed("network", "type the network to suppress, in CIDR form (e.g. 198.18.20.0/24)")
    if network and kind == "suppress" and track in alerts_triage.TRACKS:  # a bad network: 400, before any change
        alerts_triage.suppression_scope(get_group(db(), group_id), track, network)
    return _act(group_id, lambda: alerts_triage.propose_false_positive(db(), current_actor(), group_id, kind, track,
                                                                       network),
                _("Marked as a false positive. Check the proposed rule change, then confirm it."))


@bp.post("/groups/<int:group_id>/allow")
@permission_required("rules.manage")
def allow(group_id: int):
    """One click from a blocked alert: a pass rule for its source, destination or a network, built, validated and
    deployed to the IPS sensors as one background task; the task's page, then this group's page, say when it is live.
    """
    scope, network = request.form.get("scope", "source"), request.form.get("network", "").strip()
    if scope not in alerts_allow.SCOPES:
        raise ValidationFailed("scope", "must be source or destination")
    if not ActionForm().validate_on_submit():
        flash(_("The form expired. Try again."), "error")
        return redirect(url_for("alerts.group", group_id=group_id))
    alerts_allow.allow_rule(get_group(db(), group_id), scope, network, alerts_allow.FIRST_SID)  # 400 before any change
    task = tasks.submit(db(), current_actor(), "alerts.allow", {"group": group_id, "scope": scope, "network": network})
    flash(_("Allow queued: the rule is built, validated and deployed to the IPS sensors."), "success")
    return redirect(url_for("tasks.detail", task_id=task.id))


@bp.post("/groups/<int:group_id>/false-positive/confirm")
@permission_required("alerts.triage")
def confirm_false_positive(group_id: int):
    """Mark the proposal pending and queue its build (console/alerts/tasks.py); the task page follows it."""
    reason = request.form.get("reason", "")
    found = {}

    def queue():
        alerts_triage.mark_confirm_pending(db(), current_actor(), group_id)
        found["task"] = tasks.submit(db(), current_actor(), "alerts.false_positive",
                                     {"group_id": group_id, "reason": reason[:500]})

    answer = _act(group_id, queue, _("Sent to the rule manager."))
    return redirect(url_for("tasks.detail", task_id=found["task"].id)) if "task" in found else answer


@bp.post("/bulk")
@permission_required("alerts.triage")
def bulk():
    ids = [int(value) for value in request.form.getlist("group") if value.isdigit()]
    action, assignee = request.form.get("action", ""), request.form.get("assignee", "")
    if action == "assign":
        run = lambda: alerts_triage.assign(db(), current_actor(), ids, assignee)  # noqa: E731
    else:
        run = lambda: alerts_triage.set_status(db(), current_actor(), ids, action)  # noqa: E731
    return _act(None, run, _("%(count)d groups changed.", count=len(ids)))


@bp.get("/chart.json")
def chart():
    alert_filter = _filter("all")
    return jsonify(chart_series(db(), alert_filter.since, alert_filter.until, settings().alerts.chart_max_buckets))


@bp.get("/export.csv")
def export_csv():
    text = groups_csv(db(), _filter(), _enricher(), settings().alerts.export_max_rows)
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=alert-groups.csv"})


@bp.get("/export.json")
def export_json():
    enricher = _enricher()
    data = [group_as_dict(g, enricher) for g in iter_groups(db(), _filter(), settings().alerts.export_max_rows)]
    return Response(json.dumps(data, ensure_ascii=False), mimetype="application/json",
                    headers={"Content-Disposition": "attachment; filename=alert-groups.json"})
