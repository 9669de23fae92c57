"""Compliance API: runs, results, diffs, trends, the catalog and waivers. Each docstring's YAML is its OpenAPI operation."""

from __future__ import annotations

from datetime import datetime

from flask import request

from console.api import bp
from console.api.envelope import int_arg, json_body, listed, ok, text_field
from console.compliance.catalog import control_as_dict
from console.errors import ValidationFailed

from console.compliance import history
from console.compliance import runs as compliance_runs
from console.compliance import waivers as compliance_waivers
from console.web.auth import current_actor, permission_required
from console.web.runtime import catalog, db


@bp.get("/api/v1/compliance/runs")
@permission_required("view")
def compliance_runs_list():
    """Compliance runs, newest first, keyset-paginated by id.
    ---
    get:
      summary: List compliance runs
      parameters:
        - {name: before, in: query, schema: {type: integer, minimum: 0, maximum: 2147483648},
           description: "Last id of the previous page"}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 200}}
      responses:
        200: {description: "Runs with counts and per category / unit summaries"}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    limit = int_arg("limit", 50, 1, 200)
    return listed(history.list_runs(db(), limit=limit + 1, before_id=int_arg("before", 0, 0, 2**31) or None),
                  limit, lambda r: r.id, history.run_as_dict)


@bp.post("/api/v1/compliance/runs")
@permission_required("compliance.run")
def compliance_runs_start():
    """Queue a run of every control (admin, it_staff, security_officer); the task worker runs it.
    ---
    post:
      summary: Start a compliance run
      description: >
        Answers 202 at once with the task; poll its status_url (GET /api/v1/tasks/{task_id}) until
        state is done (result.run_id is the run) or failed (error says why, e.g. another run was in progress).
      responses:
        202:
          description: "The queued task, with status_url (also in the Location header)"
          headers: {Location: {schema: {type: string}, description: "The task's status URL"}}
        403: {$ref: "#/components/responses/Forbidden"}
        409: {description: "Another run is in progress"}
    """
    from console.api.tasks import accepted
    from console.errors import Conflict
    from console.tasks import service as tasks

    if compliance_runs.running(db()) is not None:
        raise Conflict("another compliance run is in progress")
    return accepted(tasks.submit(db(), current_actor(), "compliance.run", {"trigger": "console"}))


@bp.get("/api/v1/compliance/runs/<int:run_id>")
@permission_required("view")
def compliance_run_detail(run_id: int):
    """One run with its counts and summaries.
    ---
    get:
      summary: Get a compliance run
      parameters: [{name: run_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {description: "The run"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    return ok(history.run_as_dict(history.get_run(db(), run_id)))


@bp.get("/api/v1/compliance/runs/<int:run_id>/results")
@permission_required("view")
def compliance_run_results(run_id: int):
    """A run's results, filtered, keyset-paginated by result id.
    ---
    get:
      summary: Results of a run (drill down per host, control, category, unit, result)
      parameters:
        - {name: run_id, in: path, required: true, schema: {type: integer}}
        - {name: result, in: query, schema: {$ref: "#/components/schemas/ResultValue"}}
        - {name: host, in: query, schema: {type: string}, description: "Host or device name"}
        - {name: control, in: query, schema: {type: string}}
        - {name: category, in: query, schema: {type: string}}
        - {name: unit, in: query, schema: {type: string}}
        - {name: after, in: query, schema: {type: integer, minimum: 0, maximum: 4611686018427387904},
           description: "Last result id of the previous page"}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 5000}}
      responses:
        200: {description: "Results; 'next' is the 'after' value for the next page"}
        400: {$ref: "#/components/responses/BadRequest"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    history.get_run(db(), run_id)
    limit = int_arg("limit", 1000, 1, 5000)
    return listed(history.results_page(db(), run_id, history.ResultFilter.from_args(request.args),
                                       int_arg("after", 0, 0, 2**62), limit + 1), limit, lambda r: r.id,
                  lambda r: history.result_as_dict(r) | {"id": r.id})


@bp.get("/api/v1/compliance/diff")
@permission_required("view")
def compliance_diff():
    """Compare two runs: new failures, fixed, still failing.
    ---
    get:
      summary: Compare two compliance runs
      parameters:
        - {name: older, in: query, required: true, schema: {type: integer, minimum: 1, maximum: 2147483648}}
        - {name: newer, in: query, required: true, schema: {type: integer, minimum: 1, maximum: 2147483648}}
      responses:
        200: {description: "The three lists and their counts"}
        400: {$ref: "#/components/responses/BadRequest"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    older, newer = int_arg("older", 0, 1, 2**31), int_arg("newer", 0, 1, 2**31)
    if not (older and newer):
        raise ValidationFailed("older", "give both older and newer run ids")
    return ok(history.diff_runs(db(), older, newer).as_dict())


@bp.get("/api/v1/compliance/trend")
@permission_required("view")
def compliance_trend():
    """Score per category or unit over the last runs, oldest first.
    ---
    get:
      summary: Compliance trend
      parameters:
        - {name: by, in: query, schema: {type: string, enum: [category, unit]}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 365}}
      responses:
        200: {description: "runs and one series of scores per category or unit"}
        400: {$ref: "#/components/responses/BadRequest"}
    """
    return ok(history.trend(db(), request.args.get("by") or "category", int_arg("limit", 30, 1, 365)))


@bp.get("/api/v1/compliance/controls")
@permission_required("view")
def compliance_controls():
    """The controls catalog with conditions and mappings.
    ---
    get:
      summary: List controls
      responses:
        200: {description: "Every control of the loaded catalog"}
    """
    return ok([control_as_dict(c) for c in catalog().controls], digest=catalog().digest)


@bp.get("/api/v1/compliance/waivers")
@permission_required("view")
def compliance_waivers_list():
    """Waivers (add all=1 for expired and revoked ones too).
    ---
    get:
      summary: List waivers
      parameters: [{name: all, in: query, schema: {type: string, enum: ["0", "1"]}}]
      responses:
        200: {description: "Waivers with their state"}
        400: {$ref: "#/components/responses/BadRequest"}
    """
    if request.args.get("all") not in (None, "", "0", "1"):
        raise ValidationFailed("all", "must be 0 or 1")
    items = compliance_waivers.list_waivers(db(), include_inactive=request.args.get("all") == "1")
    return ok([compliance_waivers.waiver_as_dict(w) for w in items])


@bp.post("/api/v1/compliance/waivers")
@permission_required("compliance.waive")  # before the body is read: a refusal reveals no schema
def compliance_waivers_create():
    """Waive a control for one host or device until a time (admin only).
    ---
    post:
      summary: Create a waiver
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [control_id, target, reason, expires_at]
              properties:
                control_id: {type: string}
                target: {type: string}
                reason: {type: string}
                expires_at: {type: string, format: date-time}
      responses:
        201: {description: "The waiver"}
        400: {$ref: "#/components/responses/BadRequest"}
        403: {$ref: "#/components/responses/Forbidden"}
    """
    body = json_body()
    try:
        expires = datetime.fromisoformat(text_field(body, "expires_at"))
    except ValueError:
        raise ValidationFailed("expires_at", "an ISO 8601 time with its zone") from None
    waiver = compliance_waivers.create(db(), current_actor(), catalog(), text_field(body, "control_id"),
                                       text_field(body, "target"), text_field(body, "reason"), expires)
    return ok(compliance_waivers.waiver_as_dict(waiver), status=201)


@bp.delete("/api/v1/compliance/waivers/<int:waiver_id>")
@permission_required("compliance.waive")  # before the body is read: a refusal reveals no schema
def compliance_waivers_revoke(waiver_id: int):
    """Revoke a waiver (admin only).
    ---
    delete:
      summary: Revoke a waiver
      parameters: [{name: waiver_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {description: "The revoked waiver"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    waiver = compliance_waivers.revoke(db(), current_actor(), waiver_id)
    return ok(compliance_waivers.waiver_as_dict(waiver))
