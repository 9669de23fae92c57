"""API routes for background tasks (what POST compliance/runs, devices/<name>/poll, rules/deploy, rules/build,
rules/bulk and alerts/groups/<id>/false-positive/confirm start).

Each docstring's YAML after '---' is its OpenAPI operation. Starting work answers
202 Accepted with the task and its status URL (also in Location); poll
GET /api/v1/tasks/<id> until `state` is done or failed.
"""

from __future__ import annotations

from flask import url_for

from console.api import bp
from console.api.envelope import ok
from console.tasks import service as tasks
from console.web.auth import permission_required
from console.web.runtime import db, settings


def task_body(task) -> dict:
    return tasks.task_as_dict(task, settings()) | {"status_url": url_for("api.tasks_show", task_id=task.id)}


def accepted(task):
    """202 with the task and its status URL, for a handler that queued `task`."""
    body, status = ok(task_body(task), status=202)
    return body, status, {"Location": url_for("api.tasks_show", task_id=task.id)}


@bp.get("/api/v1/tasks/<int:task_id>")
@permission_required("view")
def tasks_show(task_id: int):
    """A background task: its state, progress, result (e.g. run_id) or error.
    ---
    get:
      summary: Get a background task
      description: >
        state is queued, running, done or failed. result, once done, is kind-specific:
        compliance.run {run_id, counts}; devices.poll {name, status, reason, collected_at};
        rules.deploy {sensors: [per sensor: ok, rules_loaded, rules_failed, message]};
        rules.build {ok, version_number, messages}; rules.bulk {ok, action, changed, skipped, version_number,
        messages}; alerts.false_positive {group_id, proposal, status, version, message}.
        error says why a failed task failed (a refused build: its messages, naming file, line and sid).
      parameters: [{name: task_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {description: "The task"}
        401: {$ref: "#/components/responses/Unauthorized"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    return ok(task_body(tasks.get_task(db(), task_id)))
