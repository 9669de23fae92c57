"""Systems pages: each information system's level, framework, percent met, trend and transition gap; drill-down
to a requirement's verdict, hosts and evidence; manual evidence; the admin's edit; dossier downloads.

Thin over console.systems.service, system_assessment, manual_evidence and
systems_edit; every change is role-checked here and again in the service.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from console.compliance import dossier
from console.compliance.requirements import FRAMEWORKS, cached_frameworks, covered_levels
from console.errors import NotFound, OpsError
from console.compliance import manual_evidence
from console.compliance import system_assessment
from console.systems import service as systems
from console.systems import edit as systems_edit
from console.inventory.hosts import unit_labels
from console.common.paging import parse_id
from console.web.auth import current_actor, permission_required
from console.web.forms import ActionForm, form_posted
from console.web.runtime import db, settings

bp = Blueprint("systems", __name__, url_prefix="/compliance/systems")
VERDICT_NAMES = {"met": _l("Met"), "not_met": _l("Not met"), "manual_missing": _l("Manual evidence missing"),
                 "waived": _l("Waived")}
MIMETYPES = {"pdf": "application/pdf", "csv": "text/csv", "json": "application/json", "html": "text/html"}


class EvidenceForm(FlaskForm):
    evidence_date = DateField(_l("Date of the evidence"), validators=[Optional()])
    expires_on = DateField(_l("Valid until"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])
    document = FileField(_l("Document (PDF, image, office file; at most 10 MB)"))


class SystemForm(FlaskForm):
    name_vi = StringField(_l("Name (Vietnamese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    owner_unit = SelectField(_l("Owner unit"), validators=[DataRequired()])
    level = IntegerField(_l("Security level"), validators=[DataRequired(), NumberRange(1, 5)])
    framework = SelectField(_l("Framework"), validators=[DataRequired()])
    approved_on = DateField(_l("Level approved on"), validators=[Optional()])


@bp.record_once
def _load_frameworks(_state) -> None:
    """A broken requirement file stops the console at start with its file and line, like the controls catalog."""
    cached_frameworks()


@bp.app_context_processor
def _names():
    return {"verdict_names": VERDICT_NAMES}


@bp.get("/")
def index():
    rows = [(row, system_assessment.latest_figures(db(), row.key), system_assessment.trend(db(), row.key))
            for row in systems.list_systems(db())]
    return render_template("compliance/systems.html", rows=rows, locale=_locale())


@bp.get("/<key>")
def system(key: str):
    row = systems.get_system(db(), key)
    run_id = parse_id(request.args.get("run"), "run")
    try:
        assessment = system_assessment.get(db(), key, run_id)
    except NotFound:
        assessment = None
    return render_template("compliance/system.html", **_system_context(row, assessment, SystemForm(obj=row)))


def _system_context(row, assessment, form: SystemForm) -> dict:
    units = unit_labels(db(), _locale())
    form.owner_unit.choices = sorted(units.items())
    form.framework.choices = [(framework, framework) for framework in FRAMEWORKS]
    return {"system": row, "assessment": assessment, "form": form, "units": units, "locale": _locale(),
            "trend": system_assessment.trend(db(), row.key), "formats": dossier.FORMATS}


@bp.post("/<key>")
@permission_required("systems.manage")
def edit(key: str):
    row = systems.get_system(db(), key)
    form = SystemForm()
    context = _system_context(row, _latest_or_none(key), form)
    if not form.validate_on_submit():
        return render_template("compliance/system.html", **context), 400
    values = {name: getattr(form, name).data for name in ("name_vi", "name_en", "owner_unit", "level", "framework",
                                                          "approved_on")}
    try:
        systems_edit.update(db(), current_actor(), settings().inventory, key, values, covered_levels())
    except OpsError as exc:
        db().rollback()
        flash(str(exc), "error")
        return render_template("compliance/system.html", **context), 400
    flash(_("System saved to the inventory."), "success")
    return redirect(url_for("systems.system", key=key))


def _latest_or_none(key: str):
    try:
        return system_assessment.get(db(), key)
    except NotFound:
        return None


@bp.get("/<key>/requirements/<framework>/<requirement_id>")
def requirement(key: str, framework: str, requirement_id: str):
    return render_template("compliance/requirement.html", **_requirement_context(key, framework, requirement_id,
                                                                                 EvidenceForm()))


def _requirement_context(key: str, framework: str, requirement_id: str, form: EvidenceForm) -> dict:
    row = systems.get_system(db(), key)
    assessment = _latest_or_none(key)
    verdict = None
    if assessment is not None:
        verdict = next((v for v in [*assessment.verdicts, *assessment.gap]
                        if v["requirement_id"] == requirement_id and v["framework"] == framework), None)
    try:
        spec = manual_evidence.requirement_for(row, framework, requirement_id)
    except OpsError:
        spec = None
    if verdict is None and spec is None:
        raise NotFound(f"no requirement {framework} {requirement_id} for system {key!r}")
    return {"system": row, "assessment": assessment, "verdict": verdict, "manual": spec is not None,
            "framework": framework, "requirement_id": requirement_id, "form": form, "action_form": ActionForm(),
            "evidence": manual_evidence.list_for(db(), key, requirement_id), "state": manual_evidence.state,
            "locale": _locale()}


@bp.post("/<key>/requirements/<framework>/<requirement_id>/evidence")
@permission_required("compliance.evidence")
def add_evidence(key: str, framework: str, requirement_id: str):
    form = EvidenceForm()
    context = _requirement_context(key, framework, requirement_id, form)
    if not form.validate_on_submit():
        return render_template("compliance/requirement.html", **context), 400
    upload = None
    if form.document.data and form.document.data.filename:
        data = form.document.data.stream.read(manual_evidence.MAX_BYTES + 1)
        upload = manual_evidence.Upload(form.document.data.filename, data)
    try:
        manual_evidence.add(db(), current_actor(), manual_evidence.evidence_folder(settings()), key, framework, requirement_id,
                            form.evidence_date.data, form.expires_on.data, form.note.data or "", upload)
    except OpsError as exc:
        db().rollback()
        flash(str(exc), "error")
        return render_template("compliance/requirement.html", **context), 400
    flash(_("Evidence saved. It counts from the next compliance run."), "success")
    return redirect(url_for("systems.requirement", key=key, framework=framework, requirement_id=requirement_id))


@bp.post("/evidence/<int:evidence_id>/revoke")
@permission_required("compliance.evidence")
def revoke_evidence(evidence_id: int):
    if not form_posted():
        return redirect(url_for("systems.index"))
    row = manual_evidence.revoke(db(), current_actor(), evidence_id)
    flash(_("Evidence revoked."), "success")
    return redirect(url_for("systems.requirement", key=row.system_key, framework=row.framework,
                            requirement_id=row.requirement_id))


@bp.get("/evidence/<int:evidence_id>/document")
def evidence_document(evidence_id: int):
    """The stored document, always as an attachment of an opaque type: never rendered by the browser."""
    path, name = manual_evidence.document_path(db(), manual_evidence.evidence_folder(settings()), evidence_id)
    if not path.is_file():
        raise NotFound(f"the document of evidence {evidence_id} is missing")
    return send_file(path, mimetype="application/octet-stream", as_attachment=True, download_name=name)


@bp.get("/<key>/dossier.<fmt>")
def dossier_download(key: str, fmt: str):
    return _download("dossier", key, fmt)


@bp.get("/annual-report.<fmt>")
def annual_download(fmt: str):
    return _download("annual", None, fmt)


def _download(kind: str, key: str | None, fmt: str):
    locale = request.args.get("lang", _locale())
    if fmt not in dossier.FORMATS or locale not in dossier.LOCALES:
        raise NotFound(f"no {fmt} report in {locale}")
    data = dossier.collect(db(), kind, key, parse_id(request.args.get("run"), "run"))
    body = dossier.render_bytes(data, fmt, locale)
    name = dossier.filename(data, fmt, locale)
    return Response(body, mimetype=MIMETYPES[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _locale() -> str:
    from flask_babel import get_locale

    return "vi" if str(get_locale() or "en").startswith("vi") else "en"
