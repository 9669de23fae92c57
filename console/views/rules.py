"""The Rules pages: overview with build/deploy, versions and diffs, search, sources, policy, tests."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from console.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from console.ruleset import bulk as rules_bulk
from console.ruleset import preview
from console.ruleset import operations as ops
from console.ruleset import service
from console.common.paging import MAX_ID, page, parse_id
from console.tasks import service as tasks
from console.web.auth import current_actor, permission_required
from console.web.forms import ActionForm, form_expired, form_posted
from console.web.runtime import db
from rules.errors import RulesetError

bp = Blueprint("rules", __name__, url_prefix="/rules")
PAGE = 50
POLICY_NAMES = ("enable.conf", "disable.conf", "drop.conf", "modify.conf", "threshold.config")


@bp.get("/")
def index():
    return render_template("rules/index.html", status=service.ruleset_status(db()), active=service.active_version(db()),
                           deployments=ops.deployments(db(), limit=10), test_run=ops.latest_test_run(db()),
                           form=ActionForm())


def _posted() -> bool:
    return form_posted()


@bp.post("/build")
@permission_required("rules.manage")
def build():
    """Queue a build (console.tasks): suricata -T takes seconds to a minute; the task page follows it."""
    if _posted():
        task = tasks.submit(db(), current_actor(), "rules.build",
                            {"reason": request.form.get("reason", "")[:200],
                             "allow_refused": request.form.get("allow_refused") == "1"})
        flash(_("Build queued: this page shows its progress."), "success")
        return redirect(url_for("tasks.detail", task_id=task.id))
    return redirect(url_for("rules.index"))


@bp.post("/deploy")
@permission_required("rules.manage")
def deploy():
    """Queue a deploy of the active version (console.tasks): an ansible push runs a playbook, minutes long."""
    if _posted():
        if service.active_version(db()) is None:
            flash(_("No active ruleset version: build one first."), "error")
        elif not service.rules_config(db()).sensors:
            flash(_("No sensors are configured in [rules] sensors."), "error")
        else:
            try:
                _check_inline(service.active_version(db()).number)
            except Conflict as exc:
                flash(str(exc), "error")
                return redirect(url_for("rules.deploy_preview"))
            task = tasks.submit(db(), current_actor(), "rules.deploy", {"sensors": None})
            flash(_("Deploy queued: this page shows its progress."), "success")
            return redirect(url_for("tasks.detail", task_id=task.id))
    return redirect(url_for("rules.index"))


def _check_inline(number: int) -> None:
    """Conflict when a drop would block inventory hosts' traffic on an IPS sensor without a second person's yes."""
    preview.check_approved(db(), number, preview.would_block(db(), number))


@bp.get("/deploy/preview")
def deploy_preview():
    """What the active version's new or changed drop rules would have blocked on each IPS sensor."""
    active = service.active_version(db())
    previews = preview.would_block(db(), active.number) if active else []
    approvals = {p.sensor: preview.approval(db(), active.number, p.sensor) for p in previews}
    return render_template("rules/deploy_preview.html", active=active, previews=previews, approvals=approvals,
                           form=ActionForm())


@bp.post("/deploy/request")
@permission_required("rules.manage")
def deploy_request():
    if _posted():
        active = service.active_version(db())
        if active is not None:
            preview.request_deploy(db(), current_actor(), active.number)
            flash(_("Approval asked for: a second person approves the deploy on this page."), "success")
    return redirect(url_for("rules.deploy_preview"))


@bp.post("/deploy/approve/<sensor>")
@permission_required("remediation.approve")
def deploy_approve(sensor: str):
    if _posted():
        active = service.active_version(db())
        try:
            preview.approve_deploy(db(), current_actor(), active.number if active else 0, sensor[:64])
            flash(_("Deploy to %(sensor)s approved.", sensor=sensor), "success")
        except (Conflict, NotFound, PermissionDenied) as exc:
            flash(str(exc), "error")
    return redirect(url_for("rules.deploy_preview"))


@bp.get("/versions")
def versions():
    before = parse_id(request.args.get("before"), "before")
    rows, next_before = page(service.list_versions(db(), before=before, limit=PAGE + 1), PAGE, lambda v: v.number)
    return render_template("rules/versions.html", versions=rows, form=ActionForm(), next_before=next_before)


@bp.get("/versions/<int:number>")
def version(number: int):
    row = service.get_version(db(), number)
    against = parse_id(request.args.get("against"), "against")
    if against:
        changes, title_from = service.diff(db(), against, number), against
    else:
        changes, title_from = service.changes_of(db(), number), number - 1 if number > 1 else None
    return render_template("rules/version.html", version=row, changes=changes, diff_from=title_from,
                           blocking=preview.where_rules_block(db(), number), form=ActionForm())


@bp.post("/versions/<int:number>/rollback")
@permission_required("rules.manage")
def rollback(number: int):
    if _posted():
        service.rollback(db(), current_actor(), number)
        flash(_("Version %(number)s is active again. Deploy it to the sensors.", number=number), "success")
    return redirect(url_for("rules.versions"))


@bp.get("/search")
def search():
    rule_filter = rules_bulk.parse_filter(request.args)
    offset = min(max(0, request.args.get("offset", 0, type=int)), MAX_ID)
    rows, total = ops.search_rules(db(), sid=rule_filter.sid, text=rule_filter.text, classtype=rule_filter.classtype,
                                   enabled=rule_filter.enabled, source=rule_filter.source, offset=offset, limit=PAGE)
    return render_template("rules/search.html", rules=rows, total=total, offset=offset, page=PAGE, args=request.args,
                           filter_args=rule_filter.as_args(), link_args=rule_filter.as_dict(), form=ActionForm(),
                           max_sids=rules_bulk.MAX_SIDS)


@bp.post("/bulk")
@permission_required("rules.manage")
def bulk():
    """Disable, enable or drop the ticked rules, the page's rules or every rule matching the filter: one build.

    The choice is checked here (a bad one answers at once, on the search page); the build runs in a task
    (console.tasks), whose page follows it, as "Build and validate" does.
    """
    form = request.form
    rule_filter = rules_bulk.parse_filter(form)
    target = url_for("rules.search", **rule_filter.as_dict())
    if not _posted():
        return redirect(target)
    scope, action, reason = form.get("scope", "selected"), form.get("action", ""), form.get("reason", "")
    sids = [int(value) for value in form.getlist("rule" if scope == "selected" else "page_rule") if value.isdigit()]
    if scope != "filter" and not sids:
        flash(_("Tick at least one rule, or choose all rules on this page or all matching the filter."), "error")
        return redirect(target)
    expected = form.get("expected", "")
    if scope == "filter":
        choice = {"filter": rule_filter.as_dict(), "expected": int(expected) if expected.isdigit() else None}
    else:
        choice = {"sids": sids}
    try:
        rules_bulk.plan(db(), current_actor(), action=action, reason=reason, sids=choice.get("sids"),
                        rule_filter=rule_filter if scope == "filter" else None, expected=choice.get("expected"))
    except (ValidationFailed, NotFound, Conflict, RulesetError) as exc:
        db().rollback()
        flash(str(exc), "error")
        return redirect(target)
    task = tasks.submit(db(), current_actor(), "rules.bulk", {"action": action, "reason": reason} | choice)
    flash(_("Build queued: this page shows its progress."), "success")
    return redirect(url_for("tasks.detail", task_id=task.id))


@bp.route("/sources", methods=["GET", "POST"])
def sources():
    if request.method == "POST":
        return _change_source()
    return render_template("rules/sources.html", sources=ops.list_sources(db()), form=ActionForm())


@permission_required("rules.manage")
def _change_source():
    if _posted():
        action = request.form.get("action", "")
        try:
            ops.change_source(db(), current_actor(), action, request.form.get("name", "").strip(),
                              kind=request.form.get("kind", ""), location=request.form.get("location", "").strip())
        except (RulesetError, ValidationFailed) as exc:
            db().rollback()
            flash(str(exc), "error")
            return redirect(url_for("rules.sources"))
        flash(_("Source changed. Build a new version to use it."), "success")
    return redirect(url_for("rules.sources"))


@bp.route("/policy/<name>", methods=["GET", "POST"])
def policy(name: str):
    if name not in POLICY_NAMES:
        return redirect(url_for("rules.policy", name="disable.conf"))
    text, error = None, None
    if request.method == "POST":
        text, error = _save_policy(name)
        if error is None:
            return redirect(url_for("rules.policy", name=name))
    if text is None:
        text = ops.read_policy(db(), name)
    return render_template("rules/policy.html", name=name, names=POLICY_NAMES, text=text, error=error,
                           form=ActionForm()), 400 if error else 200


@permission_required("rules.manage")
def _save_policy(name: str):
    text = request.form.get("text", "")
    if not _posted():
        return text, form_expired()
    try:
        ops.write_policy(db(), current_actor(), name, text)
    except RulesetError as exc:
        db().rollback()
        return text, str(exc)
    flash(_("%(name)s saved. Build a new version to apply it.", name=name), "success")
    return text, None


@bp.get("/tests")
def tests():
    return render_template("rules/tests.html", run=ops.latest_test_run(db()), form=ActionForm())


@bp.post("/tests/run")
@permission_required("rules.manage")
def run_tests():
    if _posted():
        try:
            run = ops.run_tests(db(), current_actor())
        except RulesetError as exc:
            db().rollback()
            flash(str(exc), "error")
            return redirect(url_for("rules.tests"))
        flash(_("Rule tests: %(passed)s passed, %(failed)s failed.", passed=run.passed, failed=run.failed),
              "success" if run.failed == 0 else "error")
    return redirect(url_for("rules.tests"))
