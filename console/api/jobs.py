"""API routes for jobs. Each docstring's YAML after '---' is its OpenAPI operation."""

from __future__ import annotations

from flask import request

from console.api import bp
from console.api.envelope import int_arg, json_body, listed, ok, text_field
from console.errors import ValidationFailed
from console.jobs.serialize import event_as_dict, job_as_dict
from console.jobs import service as jobs
from console.web.auth import current_actor, permission_required
from console.web.runtime import db, runtime, settings


@bp.get("/api/v1/jobs")
@permission_required("view")
def jobs_list():
    """Jobs, newest first, keyset-paginated by id.
    ---
    get:
      summary: List jobs
      parameters:
        - {name: state, in: query, schema: {$ref: "#/components/schemas/JobState"}}
        - {name: before, in: query, schema: {type: integer, minimum: 0, maximum: 2147483648},
           description: "Last id of the previous page"}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500}}
      responses:
        200: {description: "Jobs; 'next' is the 'before' value for the next page"}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    limit = int_arg("limit", 50, 1, 500)
    state = jobs.parse_state(request.args.get("state"))
    rows = jobs.list_jobs(db(), state=state, before_id=int_arg("before", 0, 0, 2**31) or None, limit=limit + 1)
    return listed(rows, limit, lambda j: j.id, job_as_dict)


@bp.post("/api/v1/jobs")
@permission_required("jobs.run")  # before the body is read: a refusal reveals no schema
def jobs_launch():
    """Run a playbook (it_staff, admin): the job is queued and a worker runs it.
    ---
    post:
      summary: Launch a job
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [playbook]
              properties:
                playbook: {type: string, description: "A file name in [jobs] playbooks_dir"}
                limit: {type: string}
                tags: {type: string}
                check: {type: boolean}
                extra_vars: {type: object, additionalProperties: {type: string}}
                secret_vars: {type: object, additionalProperties: {type: string},
                              description: "Used by the run, redacted from everything stored"}
                vault_password: {type: string}
                ssh_key: {type: string, description: "A private key, handed to ssh-agent"}
      responses:
        201: {description: "The queued job"}
        400: {$ref: "#/components/responses/BadRequest"}
        403: {$ref: "#/components/responses/Forbidden"}
        409: {description: "Another queued or running job holds some of these hosts"}
    """
    body = json_body()
    extravars, secret_vars = _vars(body, "extra_vars"), _vars(body, "secret_vars")
    check = body.get("check", False)
    if not isinstance(check, bool):
        raise ValidationFailed("check", "must be true or false")
    job = jobs.start(runtime().session_factory, current_actor(), settings(), jobs.LaunchRequest(
        text_field(body, "playbook"), text_field(body, "limit", required=False), text_field(body, "tags", required=False),
        check, {**extravars, **secret_vars}, set(secret_vars),
        text_field(body, "vault_password", required=False) or None, text_field(body, "ssh_key", required=False) or None))
    return ok(job_as_dict(jobs.get_job(db(), job.id)), 201)


def _vars(body: dict, name: str) -> dict[str, str]:
    value = body.get(name) or {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValidationFailed(name, "must be an object of names to text values")
    return value


@bp.get("/api/v1/jobs/<int:job_id>")
@permission_required("view")
def jobs_show(job_id: int):
    """One job with its per-host results.
    ---
    get:
      summary: Get a job
      parameters: [{name: job_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {description: "The job"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    return ok(job_as_dict(jobs.get_job(db(), job_id), with_hosts=True))


@bp.get("/api/v1/jobs/<int:job_id>/events")
@permission_required("view")
def jobs_events(job_id: int):
    """Output events after a sequence number: poll with the last 'seq' seen until 'finished' is true.
    ---
    get:
      summary: A job's output events
      parameters:
        - {name: job_id, in: path, required: true, schema: {type: integer}}
        - {name: after, in: query, schema: {type: integer, minimum: 0, maximum: 2147483648}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 1000}}
      responses:
        200: {description: "Events in order; 'state' and 'finished' say whether more can come"}
        400: {$ref: "#/components/responses/BadRequest"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    job = jobs.get_job(db(), job_id)
    finished = job.state.finished
    limit = int_arg("limit", 500, 1, 1000)
    rows = jobs.events_after(db(), job_id, int_arg("after", 0, 0, 2**31), limit=limit)
    return ok([event_as_dict(e) for e in rows], state=job.state.value, finished=finished and len(rows) < limit)


@bp.post("/api/v1/jobs/<int:job_id>/cancel")
@permission_required("jobs.run")  # before the body is read: a refusal reveals no schema
def jobs_cancel(job_id: int):
    """Cancel a queued or running job (it_staff, admin).
    ---
    post:
      summary: Cancel a job
      parameters: [{name: job_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {description: "Cancelled (queued) or cancel requested (running)"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
        409: {description: "The job has already ended"}
    """
    job = jobs.cancel(db(), current_actor(), job_id)
    return ok(job_as_dict(job))
