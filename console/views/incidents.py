"""Incidents pages: the list with each serious incident's 24 h / 72 h deadlines and what is overdue, an incident
with its notice text, escalation from an alert or a compliance result, and recording a notice as sent.

Thin over console.incidents.service; every change is role-checked here and in the service.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from console.common.time import local_to_utc, window_of
from console.errors import OpsError
from console.models.base import utcnow
from console.incidents import service as incidents
from console.systems import service as systems
from console.web.auth import current_actor, permission_required
from console.web.forms import ActionForm
from console.web.runtime import db, settings

bp = Blueprint("incidents", __name__, url_prefix="/incidents")
KIND_NAMES = {"first_notice": _l("First notice (24 h)"), "full_report": _l("Full report (72 h)")}


class IncidentForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(min=3, max=200)])
    detected_at = DateTimeLocalField(_l("Detected at (local time)"), validators=[Optional()])
    system_key = SelectField(_l("Information system"), validators=[Optional()])
    serious = BooleanField(_l("Serious (24 h notice, 72 h full report)"), default=True)
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])


class EscalateForm(FlaskForm):
    alert_id = IntegerField(_l("Alert number"), validators=[Optional()])
    result_id = IntegerField(_l("Compliance result number"), validators=[Optional()])
    serious = BooleanField(_l("Serious (24 h notice, 72 h full report)"), default=True)


@bp.app_context_processor
def _names():
    return {"notice_kind_names": KIND_NAMES}


@bp.get("/")
def index():
    return render_template("incidents/index.html", **_context(IncidentForm(), EscalateForm()))


def _context(form: IncidentForm, escalate: EscalateForm) -> dict:
    form.system_key.choices = [("", "–")] + [(row.key, f"{row.key} ({row.level})") for row in systems.list_systems(db())]
    now = utcnow()
    rows = [(row, incidents.deadlines(row)) for row in incidents.list_incidents(db(), now=now)]
    return {"rows": rows, "now": now, "form": form, "escalate": escalate}


@bp.post("/")
@permission_required("incidents.manage")
def create():
    form, escalate = IncidentForm(), EscalateForm()
    context = _context(form, escalate)
    if not form.validate_on_submit():
        return render_template("incidents/index.html", **context), 400
    detected = form.detected_at.data
    if detected is not None:
        detected = local_to_utc(detected, ZoneInfo(settings().console.timezone), "detected_at",
                                window_of(settings().console))
    return _saved(lambda: incidents.open_incident(db(), current_actor(), form.title.data, detected, form.serious.data,
                                                  form.description.data or "", form.system_key.data or ""), context)


@bp.post("/escalate")
@permission_required("incidents.manage")
def escalate():
    form, escalate_form = IncidentForm(), EscalateForm()
    context = _context(form, escalate_form)
    if not escalate_form.validate_on_submit():
        return render_template("incidents/index.html", **context), 400
    if escalate_form.alert_id.data:
        return _saved(lambda: incidents.escalate_alert(db(), current_actor(), escalate_form.alert_id.data,
                                                       escalate_form.serious.data), context)
    return _saved(lambda: incidents.escalate_finding(db(), current_actor(), escalate_form.result_id.data or 0,
                                                     escalate_form.serious.data), context)


def _saved(make, context: dict):
    try:
        incident = make()
    except OpsError as exc:
        db().rollback()
        flash(str(exc), "error")
        return render_template("incidents/index.html", **context), 400
    flash(_("Incident %(id)s opened.", id=incident.id), "success")
    return redirect(url_for("incidents.incident", incident_id=incident.id))


@bp.get("/<int:incident_id>")
def incident(incident_id: int):
    row = incidents.get(db(), incident_id)
    from flask_babel import get_locale

    locale = "vi" if str(get_locale() or "en").startswith("vi") else "en"
    zone = settings().console.timezone
    notices = {kind: incidents.notice_text(db(), row, kind, locale, zone) for kind in incidents.KINDS}
    system = None
    if row.system_key:
        system = systems.get_system(db(), row.system_key)
    return render_template("incidents/incident.html", incident=row, deadlines=incidents.deadlines(row), now=utcnow(),
                           notices=notices, system=system, form=ActionForm(), locale=locale)


@bp.post("/<int:incident_id>/sent/<kind>")
@permission_required("incidents.manage")
def sent(incident_id: int, kind: str):
    if ActionForm().validate_on_submit():
        incidents.record_sent(db(), current_actor(), incident_id, kind)
        flash(_("Recorded as sent."), "success")
    return redirect(url_for("incidents.incident", incident_id=incident_id))
