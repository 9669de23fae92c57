"""A background task's page: its state and progress, polled by htmx until it ends, then its result link or reason."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask_babel import lazy_gettext as _l

from console.tasks import service as tasks
from console.web.runtime import db, settings

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
KIND_NAMES = {"compliance.run": _l("Compliance run"), "devices.poll": _l("Device poll"),
              "rules.deploy": _l("Ruleset deploy"), "rules.build": _l("Ruleset build"),
              "rules.bulk": _l("Bulk rule change"), "alerts.false_positive": _l("False-positive confirmation")}
STATE_NAMES = {"queued": _l("Queued: waiting for the task worker"), "running": _l("Running"), "done": _l("Done"),
               "failed": _l("Failed")}


def result_link(task) -> str | None:
    """Where the task's result is: the run, the device, the rules page."""
    if task.kind == "compliance.run" and task.result and task.result.get("run_id"):
        return url_for("compliance.run", run_id=task.result["run_id"])
    if task.kind == "devices.poll":
        return url_for("devices.detail", name=task.params.get("name", ""))
    if task.kind == "rules.deploy":
        return url_for("rules.index")
    if task.kind in ("rules.build", "rules.bulk"):
        number = (task.result or {}).get("version_number") if task.state.value == "done" else None
        return url_for("rules.version", number=number) if number else url_for("rules.index")
    if task.kind == "alerts.false_positive":
        return url_for("alerts.group", group_id=task.params.get("group_id", 0))
    return None


@bp.app_context_processor
def _names():
    return {"task_kind_names": KIND_NAMES, "task_state_names": STATE_NAMES}


@bp.get("/<int:task_id>")
def detail(task_id: int):
    task = tasks.get_task(db(), task_id)
    return render_template("tasks/detail.html", task=task, link=result_link(task),
                           progress=tasks.progress(task, settings()))


@bp.get("/<int:task_id>/status")
def status(task_id: int):
    """The status block alone, for htmx; it carries the next poll while the task has not ended."""
    task = tasks.get_task(db(), task_id)
    return render_template("tasks/_status.html", task=task, link=result_link(task),
                           progress=tasks.progress(task, settings()))
