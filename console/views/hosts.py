"""The asset list from the inventory with each host's agent status, a host's page, and the sync button.

A host's page also shows its hardening (Lynis index and trend, findings with their waivers, pending
security updates); /hosts/findings lists the most common Lynis findings across the estate.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, StringField
from wtforms.validators import DataRequired, Length

from console.common.time import local_to_utc
from console.errors import InventoryError, OpsError
from console.models.inventory import HostStatus
from console.agents import enrolment as agents
from console.agents import hardening
from console.agents import host_reports as reports
from console.inventory.sync import sync_inventory
from console.inventory.hosts import HostFilter, filtered_hosts, get_host, role_labels, unit_labels
from console.common.paging import page
from console.web.auth import current_actor, permission_required
from console.web.forms import ActionForm, form_posted
from console.web.runtime import db, settings
from console.views import vulns as vulns_views

bp = Blueprint("hosts", __name__, url_prefix="/hosts")
PAGE = 50
FINDING_KINDS = {"warning": _l("Warning"), "suggestion": _l("Suggestion")}


class FindingWaiverForm(FlaskForm):
    test_id = HiddenField(validators=[DataRequired(), Length(max=32)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(min=5, max=500)])
    until = DateField(_l("Waived until (last day)"), validators=[DataRequired()])


@bp.get("/")
def index():
    return _render_index()


def _render_index(http_status: int = 200):
    host_filter = HostFilter.parse(request.args, default_status=HostStatus.active.value)
    filters = {"unit": host_filter.unit, "role": host_filter.role, "status": host_filter.status or "all",
               "search": host_filter.search}
    hosts, next_after = page(filtered_hosts(db(), host_filter, after_name=request.args.get("after"), limit=PAGE + 1),
                             PAGE, lambda h: h.name)
    conditions = reports.conditions(db(), hosts)
    return render_template("hosts/index.html", hosts=hosts, filters=filters, conditions=conditions,
                           next_after=next_after, form=ActionForm(), **_labels()), http_status


def _labels() -> dict:
    """Units and roles by their names in the user's language ({key: name}); pages show names, URLs keep keys."""
    locale = str(get_locale())
    return {"unit_names": unit_labels(db(), locale), "role_names": role_labels(db(), locale)}


@bp.get("/<name>")
def detail(name: str):
    host = get_host(db(), name)
    return render_template("hosts/detail.html", **_detail_context(host))


def _detail_context(host, enrollment_token: str | None = None) -> dict:
    hours = request.args.get("hours", "24")
    history = reports.history(db(), host.id, hours=int(hours) if hours.isdigit() and 0 < int(hours) <= 2160 else 24)
    latest = reports.latest_report(db(), host.id)
    chart = {
        "labels": [row.collected_at.isoformat() for row in history],
        "series": {"cpu": [row.cpu_percent for row in history], "memory": [row.memory_percent for row in history],
                   "disk": [row.disk_max_percent for row in history]},
    }
    return {"host": host, "condition": reports.condition(db(), host), "latest": latest.payload if latest else None,
            "agents": agents.list_agents(db(), host.id), "chart": chart, "form": ActionForm(),
            "enrollment_token": enrollment_token, **_labels(), **_hardening_context(host),
            **vulns_views.host_context(host)}


def _hardening_context(host) -> dict:
    """The host's Lynis run, index trend, findings (filtered by ?fq= and ?kind=) and pending security updates."""
    search, kind = hardening.parse_search(request.args.get("fq")), request.args.get("kind") or None
    kind = kind if kind in FINDING_KINDS else None
    trend = hardening.index_trend(db(), host.id)
    return {"lynis_run": hardening.latest_run(db(), host.id),
            "lynis_trend": {"labels": [at.isoformat() for at, _index in trend],
                            "series": {"index": [index for _at, index in trend]}},
            "findings": hardening.findings(db(), host.id, search, kind), "finding_filter": {"fq": search, "kind": kind},
            "finding_kinds": FINDING_KINDS, "security_updates": hardening.security_updates(db(), host.id),
            "waiver_form": FindingWaiverForm()}


@bp.get("/findings")
def findings():
    """The most common Lynis findings across the active hosts: test id x hosts."""
    search, kind = hardening.parse_search(request.args.get("q")), request.args.get("kind") or None
    kind = kind if kind in FINDING_KINDS else None
    return render_template("hosts/findings.html", findings=hardening.estate_findings(db(), search, kind),
                           filters={"q": search, "kind": kind}, finding_kinds=FINDING_KINDS)


@bp.post("/<name>/findings/waivers")
@permission_required("compliance.waive")
def waive_finding(name: str):
    host = get_host(db(), name)
    form = FindingWaiverForm()
    if not form.validate_on_submit():
        flash(_("Waiver not saved: give a reason (5 to 500 characters) and a last day."), "error")
        return render_template("hosts/detail.html", **_detail_context(host)), 400
    zone = ZoneInfo(settings().console.timezone)
    expires = local_to_utc(datetime.combine(form.until.data, time(23, 59, 59)), zone, "until")
    try:
        hardening.waive(db(), current_actor(), host.name, form.test_id.data, form.reason.data, expires)
    except OpsError as exc:
        db().rollback()
        flash(str(exc), "error")
        return render_template("hosts/detail.html", **_detail_context(host)), 400
    flash(_("Waiver saved."), "success")
    return redirect(url_for("hosts.detail", name=host.name, _anchor="hardening"))


@bp.post("/<name>/findings/waivers/<int:waiver_id>/revoke")
@permission_required("compliance.waive")
def revoke_finding_waiver(name: str, waiver_id: int):
    host = get_host(db(), name)
    if ActionForm().validate_on_submit():
        hardening.revoke_waiver(db(), current_actor(), waiver_id, host.id)
        flash(_("Waiver revoked."), "success")
    return redirect(url_for("hosts.detail", name=host.name, _anchor="hardening"))


@bp.post("/<name>/enrollment-token")
@permission_required("agents.manage")
def enrollment_token(name: str):
    host = get_host(db(), name)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("hosts.detail", name=name))
    _row, token = agents.create_enrollment_token(db(), current_actor(), host.name, hours=24)
    return render_template("hosts/detail.html", **_detail_context(host, enrollment_token=token))


@bp.post("/<name>/agents/<agent_id>/revoke")
@permission_required("agents.manage")
def revoke_agent(name: str, agent_id: str):
    if ActionForm().validate_on_submit():
        agents.revoke(db(), current_actor(), agent_id)
        flash(_("Agent revoked: its reports are refused from now on."), "success")
    return redirect(url_for("hosts.detail", name=name))


@bp.post("/sync")
@permission_required("inventory.sync")
def sync():
    if not form_posted():
        return redirect(url_for("hosts.index"))
    try:
        result = sync_inventory(db(), current_actor(), settings().inventory)
    except InventoryError as exc:
        db().rollback()
        flash(_("Inventory not synced: %(error)s", error=str(exc)), "error")
        return _render_index(http_status=400)
    flash(_("Inventory synced: %(summary)s", summary=result.summary()), "success")
    return redirect(url_for("hosts.index"))
