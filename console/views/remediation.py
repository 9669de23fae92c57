"""Fix with Ansible: a finding's remediation, from the failing result to a verified pass.

Starting and applying commit a queued job and hand it to a detached worker
(console.jobs); no playbook runs in a request. The scheduler moves a
remediation on when its jobs end and its hosts' agents report; the page
reloads its chain every few seconds (htmx) while the remediation is open.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from console.common.paging import parse_id
from console.errors import Conflict, InventoryError, ValidationFailed
from console.remediation import service as remediation
from console.web.auth import current_actor, permission_required
from console.web.forms import ActionForm, form_posted
from console.web.runtime import catalog, db, runtime, settings

bp = Blueprint("remediation", __name__, url_prefix="/remediation")
STATE_NAMES = {
    "checking": _l("Checking what would change"), "checked": _l("Checked: waiting for Apply"),
    "applying": _l("Applying"), "verifying": _l("Waiting for the agents to report"),
    "verified": _l("Verified: passes again"), "still_failing": _l("Still failing"),
    "cancelled": _l("Cancelled"), "error": _l("Error"),
}


@bp.app_context_processor
def _names():
    return {"remediation_state_names": STATE_NAMES}


@bp.get("/")
def index():
    return _index()


def _index():
    state = request.args.get("state") or None
    control_id = (request.args.get("control") or "").strip()[:32] or None
    rows = remediation.list_remediations(db(), state=state, control_id=control_id)
    return render_template("remediation/index.html", rows=rows, state=state or "", control=control_id or "",
                           states=[s.value for s in remediation.RemediationState])


@bp.post("/")
@permission_required("remediation.run")
def start():
    if not form_posted():
        return _index(), 400
    control_id = (request.form.get("control_id") or "").strip()[:32]
    run_id = parse_id(request.form.get("run_id"), "run_id")
    hosts = request.form.getlist("host")
    try:
        item = remediation.start(runtime().session_factory, current_actor(), settings(), catalog(), control_id,
                                 hosts, run_id)
    except (ValidationFailed, Conflict, InventoryError) as exc:
        db().rollback()
        flash(_("Fix not started: %(error)s", error=str(exc)), "error")
        return _index(), 409 if isinstance(exc, Conflict) else 400
    flash(_("Check job started: it shows what would change on each host, and changes nothing."), "success")
    return redirect(url_for("remediation.detail", remediation_id=item.id))


@bp.post("/cve")
@permission_required("remediation.run")
def start_cve():
    """A CVE's Fix with Ansible, from its page: the hosts ticked there."""
    cve = (request.form.get("cve") or "").strip().upper()[:32]
    if not form_posted():
        return _index(), 400
    try:
        item = remediation.start_cve(runtime().session_factory, current_actor(), settings(), cve,
                                     request.form.getlist("host"))
    except (ValidationFailed, Conflict, InventoryError) as exc:
        db().rollback()
        flash(_("Fix not started: %(error)s", error=str(exc)), "error")
        return redirect(url_for("vulns.cve", cve=cve or "unknown")), 303
    flash(_("Check job started: it shows what would change on each host, and changes nothing."), "success")
    return redirect(url_for("remediation.detail", remediation_id=item.id))


@bp.get("/<int:remediation_id>")
def detail(remediation_id: int):
    return _detail(remediation_id)


def _detail(remediation_id: int):
    item = remediation.get(db(), remediation_id)
    context = remediation.chain(db(), item)
    template = "remediation/_chain.html" if request.headers.get("HX-Request") else "remediation/detail.html"
    return render_template(template, control=catalog().by_id().get(item.control_id), form=ActionForm(), **context)


def _act(remediation_id: int, action, done_message: str):
    if not form_posted():
        return _detail(remediation_id), 400
    try:
        action()
    except (Conflict, ValidationFailed, InventoryError) as exc:  # a refused person (PermissionDenied) is audited by the handler
        db().rollback()
        flash(str(exc), "error")
        return _detail(remediation_id), 409 if isinstance(exc, Conflict) else 400
    flash(done_message, "success")
    return redirect(url_for("remediation.detail", remediation_id=remediation_id))


@bp.post("/<int:remediation_id>/approve")
@permission_required("remediation.approve")
def approve(remediation_id: int):
    return _act(remediation_id, lambda: remediation.approve(db(), current_actor(), remediation_id),
                _("Approved: someone else may now apply it."))


@bp.post("/<int:remediation_id>/apply")
@permission_required("remediation.run")
def apply(remediation_id: int):
    return _act(remediation_id, lambda: remediation.apply(runtime().session_factory, current_actor(), settings(),
                                                         remediation_id),
                _("Apply job started. The control is evaluated again once the hosts' agents have reported."))


@bp.post("/<int:remediation_id>/withdraw")
@permission_required("remediation.run")
def withdraw(remediation_id: int):
    return _act(remediation_id, lambda: remediation.withdraw(db(), current_actor(), remediation_id),
                _("Remediation withdrawn: its job is cancelled and nothing is verified."))

