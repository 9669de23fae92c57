"""Known vulnerabilities: CVEs by number of hosts (filters), one CVE's hosts, CVE waivers per host.

A host's own CVEs are a section of its page (hosts.detail includes `host_context`). Every page shows
the date of the tracker data and says when it is older than `[vulns] max_age_days`.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, StringField
from wtforms.validators import DataRequired, Length

from console.common.time import local_to_utc
from console.errors import OpsError, ValidationFailed
from console.inventory.hosts import get_host, unit_labels
from console.remediation.service import list_remediations
from console.vulns import queries, waivers
from console.vulns.queries import STATE_LABELS, URGENCIES
from console.web.auth import current_actor, permission_required
from console.web.forms import ActionForm
from console.web.runtime import db, settings

bp = Blueprint("vulns", __name__, url_prefix="/vulns")
HOST_ROWS = 200  # a host page lists the first 200 (fixable and most urgent first); the filters reach the rest


class CveWaiverForm(FlaskForm):
    cve = HiddenField(validators=[DataRequired(), Length(max=32)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(min=5, max=500)])
    until = DateField(_l("Waived until (last day)"), validators=[DataRequired()])


def _filters() -> tuple[queries.Filters, str]:
    try:
        return queries.Filters.parse(request.args), ""
    except ValidationFailed as exc:
        return queries.Filters(), str(exc)


def _common() -> dict:
    from flask_babel import get_locale

    from console.systems.service import list_systems

    locale = str(get_locale())
    systems = [(row.key, row.name_vi if locale == "vi" else row.name_en) for row in list_systems(db())]
    state_labels = {key: _(label) for key, label in STATE_LABELS.items()}  # translated once, not per row
    return {"data_status": queries.data_status(db(), settings().vulns.max_age_days), "state_labels": state_labels,
            "urgencies": URGENCIES, "unit_names": unit_labels(db(), locale), "systems": systems}


@bp.get("/")
def index():
    filters, problem = _filters()
    return render_template("vulns/index.html", rows=queries.estate(db(), filters), filters=filters,
                           problem=problem, **_common()), 400 if problem else 200


@bp.get("/cves/<cve>")
def cve(cve: str):
    cve = cve.strip().upper()[:32]
    filters, problem = _filters()
    fixes = list_remediations(db(), control_id=cve, limit=20)
    return render_template("vulns/cve.html", cve=cve, detail=queries.cve_detail(db(), cve),
                           hosts=queries.cve_hosts(db(), cve, filters), filters=filters, problem=problem,
                           fixes=fixes, form=ActionForm(), **_common()), 400 if problem else 200


def host_context(host) -> dict:
    """The host page's Vulnerabilities section (filters ?vstate=, ?vurgency=)."""
    args = {"state": request.args.get("vstate") or "", "urgency": request.args.get("vurgency") or ""}
    try:
        filters = queries.Filters.parse(args)
    except ValidationFailed:
        filters = queries.Filters()
    return {"vulns_summary": queries.host_summary(db(), host.id), "vulns": queries.host_findings(db(), host.id, filters),
            "vulns_filter": filters, "vulns_waiver_form": CveWaiverForm(), "vulns_shown": HOST_ROWS, **_common()}


@bp.post("/hosts/<name>/waivers")
@permission_required("vulns.waive")
def waive(name: str):
    host = get_host(db(), name)
    form = CveWaiverForm()
    if not form.validate_on_submit():
        flash(_("Waiver not saved: give a reason (5 to 500 characters) and a last day."), "error")
        return redirect(url_for("hosts.detail", name=host.name, _anchor="vulnerabilities"))
    zone = ZoneInfo(settings().console.timezone)
    try:
        expires = local_to_utc(datetime.combine(form.until.data, time(23, 59, 59)), zone, "until")
        waivers.waive(db(), current_actor(), host.name, form.cve.data, form.reason.data, expires)
    except OpsError as exc:
        db().rollback()
        flash(str(exc), "error")
        return redirect(url_for("hosts.detail", name=host.name, _anchor="vulnerabilities"))
    flash(_("Waiver saved."), "success")
    return redirect(url_for("hosts.detail", name=host.name, _anchor="vulnerabilities"))


@bp.post("/hosts/<name>/waivers/<int:waiver_id>/revoke")
@permission_required("vulns.waive")
def revoke(name: str, waiver_id: int):
    host = get_host(db(), name)
    if ActionForm().validate_on_submit():
        waivers.revoke(db(), current_actor(), waiver_id, host.id)
        flash(_("Waiver revoked."), "success")
    return redirect(url_for("hosts.detail", name=host.name, _anchor="vulnerabilities"))
