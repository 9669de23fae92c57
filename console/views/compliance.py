"""Compliance pages: overview, runs, a run, drill-down per host and control, catalog, waivers, reports.

The catalog is loaded and validated when the blueprint is registered (app
start), so a broken control file stops the console from starting with the
file and line, rather than failing at the first run.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from console.common.time import local_to_utc
from console.compliance import reports
from console.compliance.catalog import CATEGORIES
from console.errors import NotFound, OpsError
from console.compliance import history
from console.compliance import runs as compliance_runs
from console.compliance import waivers as compliance_waivers
from console.common.paging import parse_id
from console.inventory.hosts import unit_labels
from console.remediation import service as remediation
from console.tasks import service as tasks
from console.web.auth import current_actor, permission_required
from console.web.forms import ActionForm, form_posted
from console.web.runtime import catalog, db, settings

bp = Blueprint("compliance", __name__, url_prefix="/compliance")
PAGE = 500
FAILING_LISTED = 200
CATEGORY_NAMES = {"firewall": _l("Firewall"), "ups": _l("UPS"), "endpoint": _l("Endpoint protection"),
                  "ids": _l("IDS"), "server": _l("Server"), "logging_backup": _l("Logging and backup"),
                  "availability": _l("Availability")}
RESULT_NAMES = {"pass": _l("Pass"), "fail": _l("Fail"), "unknown": _l("Unknown"), "waived": _l("Waived")}


@bp.app_context_processor
def _names():
    return {"category_names": CATEGORY_NAMES, "result_names": RESULT_NAMES}


class WaiverForm(FlaskForm):
    control_id = SelectField(_l("Control"), validators=[DataRequired()])
    target = StringField(_l("Host or device"), validators=[DataRequired(), Length(max=255)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(min=5, max=500)])
    until = DateField(_l("Waived until (last day)"), validators=[DataRequired()])


@bp.get("/")
def index():
    run = history.latest_run(db())
    failing: dict[str, list[str]] = {}
    if run is not None:
        for row in history.iter_results(db(), run.id, result="fail"):
            if row.target not in failing and len(failing) >= FAILING_LISTED:
                continue  # the run page lists every failure; the overview names the first hosts
            failing.setdefault(row.target, []).append(row.control_id)
    return render_template("compliance/index.html", run=run, failing=failing, form=ActionForm(),
                           running=compliance_runs.running(db()))


@bp.get("/data/trend")
def trend_data():
    """JSON for the trend charts (session-authenticated, read by static/js/compliance.js)."""
    by = request.args.get("by", "category")
    data = history.trend(db(), dimension=by, limit=60)
    names = unit_labels(db(), str(get_locale())) if by == "unit" else {k: str(v) for k, v in CATEGORY_NAMES.items()}
    labels = {key: names.get(key, key) for key in data["series"]}
    return jsonify({"labels": [r["started_at"] for r in data["runs"]], "series": data["series"], "names": labels})


@bp.get("/runs/")
def runs():
    before = parse_id(request.args.get("before"), "before")
    items = history.list_runs(db(), limit=51, before_id=before)
    return render_template("compliance/runs.html", runs=items[:50], next_before=items[49].id if len(items) > 50 else None,
                           form=ActionForm(), running=compliance_runs.running(db()))


@bp.post("/runs/")
@permission_required("compliance.run")
def start_run():
    """Queue a compliance run (console.tasks) and show its task page; the run happens in the task worker."""
    if not form_posted():
        return redirect(url_for("compliance.runs"))
    if compliance_runs.running(db()) is not None:
        flash(_("Not started: %(error)s", error=_("another compliance run is in progress")), "error")
        return redirect(url_for("compliance.runs"))
    task = tasks.submit(db(), current_actor(), "compliance.run", {"trigger": "console"})
    flash(_("Compliance run queued: this page shows its progress."), "success")
    return redirect(url_for("tasks.detail", task_id=task.id))


@bp.get("/runs/<int:run_id>")
def run(run_id: int):
    item = history.get_run(db(), run_id)
    result_filter = history.ResultFilter.from_args(request.args)
    filters = {key: value or None for key, value in vars(result_filter).items()}
    rows = history.results_page(db(), run_id, result_filter, limit=PAGE)
    previous = history.list_runs(db(), limit=1, before_id=run_id)
    return render_template("compliance/run.html", run=item, rows=rows, filters=filters, page=PAGE,
                           previous=previous[0] if previous else None, formats=reports.FORMATS,
                           unit_names=unit_labels(db(), str(get_locale())))


@bp.get("/runs/<int:older>/diff/<int:newer>")
def diff(older: int, newer: int):
    return render_template("compliance/diff.html", diff=history.diff_runs(db(), older, newer))


@bp.get("/runs/<int:run_id>/report.<fmt>")
def report(run_id: int, fmt: str):
    locale = request.args.get("lang", "vi")
    if fmt not in reports.FORMATS or locale not in reports.LOCALES:
        raise NotFound(f"no {fmt} report in {locale}")
    history.get_run(db(), run_id)
    body = reports.render_bytes(db(), run_id, catalog(), fmt, locale, settings().console.timezone)
    mimetype = {"pdf": "application/pdf", "csv": "text/csv", "json": "application/json",
                "junit": "application/xml", "html": "text/html"}[fmt]
    name = reports.filename(run_id, fmt, locale)
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/hosts/<name>")
def host(name: str):
    runs_seen = history.list_runs(db(), limit=10)
    latest = runs_seen[0] if runs_seen else None
    rows = list(history.iter_results(db(), latest.id, target=name)) if latest else []
    past = [(r, sum(1 for x in history.iter_results(db(), r.id, target=name, result="fail"))) for r in runs_seen]
    return render_template("compliance/target.html", name=name, run=latest, rows=rows, past=past)


@bp.get("/controls/")
def controls():
    return render_template("compliance/controls.html", controls=catalog().controls, digest=catalog().digest)


@bp.get("/controls/<control_id>")
def control(control_id: str):
    found = catalog().by_id().get(control_id)
    if found is None:
        raise NotFound(f"no control {control_id!r}")
    latest = history.latest_run(db())
    rows = list(history.iter_results(db(), latest.id, control_id=control_id)) if latest else []
    failing = sorted({row.target for row in rows if row.result == "fail" and row.target_kind == "host"})
    return render_template("compliance/control.html", control=found, run=latest, rows=rows, failing_hosts=failing,
                           remediations=remediation.list_remediations(db(), control_id=control_id, limit=20),
                           form=ActionForm())


@bp.get("/waivers/")
def waivers():
    return render_template("compliance/waivers.html", **_waiver_context(WaiverForm()))


def _waiver_context(form: WaiverForm) -> dict:
    language = "vi" if str(get_locale()) == "vi" else "en"
    form.control_id.choices = [(c.id, f"{c.id} {getattr(c.spec.title, language)}") for c in catalog().controls]
    return {"waivers": compliance_waivers.list_waivers(db(), include_inactive=True), "form": form,
            "action_form": ActionForm(), "state": compliance_waivers.state}


@bp.post("/waivers/")
@permission_required("compliance.waive")
def create_waiver():
    form = WaiverForm()
    context = _waiver_context(form)
    if not form.validate_on_submit():
        return render_template("compliance/waivers.html", **context), 400
    zone = ZoneInfo(settings().console.timezone)
    expires = local_to_utc(datetime.combine(form.until.data, time(23, 59, 59)), zone, "until")
    try:
        compliance_waivers.create(db(), current_actor(), catalog(), form.control_id.data, form.target.data.strip(),
                                  form.reason.data, expires)
    except OpsError as exc:
        db().rollback()
        flash(str(exc), "error")
        return render_template("compliance/waivers.html", **context), 400
    flash(_("Waiver saved."), "success")
    return redirect(url_for("compliance.waivers"))


@bp.post("/waivers/<int:waiver_id>/revoke")
@permission_required("compliance.waive")
def revoke_waiver(waiver_id: int):
    if ActionForm().validate_on_submit():
        compliance_waivers.revoke(db(), current_actor(), waiver_id)
        flash(_("Waiver revoked."), "success")
    return redirect(url_for("compliance.waivers"))


def categories() -> tuple[str, ...]:
    return CATEGORIES
