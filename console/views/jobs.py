"""The Jobs page: history, the launch form, a job's live output and per-host results, cancel.

No playbook runs inside a request: launching commits a queued job and starts
a detached worker; the job page polls `events` (htmx) for output newer than
the last line it has, until the job has ended.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from console.errors import Conflict, InventoryError, ValidationFailed
from console.jobs import targets
from console.jobs import service as jobs
from console.common.paging import page, parse_id
from console.web.auth import current_actor, permission_required
from console.web.forms import ActionForm, JobLaunchForm
from console.web.runtime import db, runtime, settings

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
PAGE = 50
EVENTS_PER_POLL = 500


@bp.get("/")
def index():
    return _render_index(_launch_form())


def _launch_form() -> JobLaunchForm:
    form = JobLaunchForm()
    form.playbook.choices = [(name, name) for name in targets.list_playbooks(settings().jobs.playbooks_dir)]
    return form


def _render_index(form: JobLaunchForm, http_status: int = 200):
    state = jobs.parse_state(request.args.get("state"))
    rows, next_before = page(jobs.list_jobs(db(), state=state, before_id=parse_id(request.args.get("before"), "before"),
                                            limit=PAGE + 1), PAGE, lambda j: j.id)
    return render_template("jobs/index.html", jobs=rows, form=form, next_before=next_before,
                           state=state or "", states=jobs.STATES), http_status


@bp.post("/launch")
@permission_required("jobs.run")
def launch():
    form = _launch_form()
    if not form.validate_on_submit():
        return _render_index(form, 400)
    try:
        secret_vars = jobs.parse_extravars((form.secret_vars.data or "").splitlines(), "secret_vars")
        extravars = jobs.parse_extravars((form.extra_vars.data or "").splitlines(), "extra_vars")
        job = jobs.start(runtime().session_factory, current_actor(), settings(), jobs.LaunchRequest(
            form.playbook.data, form.limit.data or "", form.tags.data or "", form.check.data,
            {**extravars, **secret_vars}, set(secret_vars)))
    except (ValidationFailed, Conflict, InventoryError) as exc:
        flash(_("Job not started: %(error)s", error=str(exc)), "error")
        return _render_index(form, 409 if isinstance(exc, Conflict) else 400)
    flash(_("Job %(id)s started.", id=job.id), "success")
    return redirect(url_for("jobs.detail", job_id=job.id))


@bp.get("/<int:job_id>")
def detail(job_id: int):
    job = jobs.get_job(db(), job_id)
    events = jobs.events_after(db(), job_id, 0, limit=100_000)
    return render_template("jobs/detail.html", job=job, events=events, form=ActionForm(),
                           last_seq=events[-1].seq if events else 0)


@bp.get("/<int:job_id>/events")
def events(job_id: int):
    """New output after `after` (a sequence number), the state and host table, and the next poll if still running."""
    after = request.args.get("after", "0")
    job = jobs.get_job(db(), job_id)
    ended = job.state.finished  # read before the events: an ended job's events are all committed
    rows = jobs.events_after(db(), job_id, int(after) if after.isdigit() else 0, limit=EVENTS_PER_POLL)
    last_seq = rows[-1].seq if rows else (int(after) if after.isdigit() else 0)
    more = not ended or len(rows) == EVENTS_PER_POLL
    return render_template("jobs/_events.html", job=job, events=rows, last_seq=last_seq, more=more,
                           form=ActionForm())


@bp.post("/<int:job_id>/cancel")
@permission_required("jobs.run")
def cancel(job_id: int):
    if ActionForm().validate_on_submit():
        try:
            jobs.cancel(db(), current_actor(), job_id)
            flash(_("Cancel requested: the run stops within a few seconds."), "success")
        except Conflict as exc:
            db().rollback()
            flash(str(exc), "error")
    return redirect(url_for("jobs.detail", job_id=job_id))
