"""API routes for remediations (Fix with Ansible). Each docstring's YAML after '---' is its OpenAPI operation."""

from __future__ import annotations

from flask import request

from console.api import bp
from console.api.envelope import int_arg, json_body, ok, text_field
from console.errors import ValidationFailed
from console.remediation import service as remediation
from console.web.auth import current_actor, permission_required
from console.web.runtime import catalog, db, runtime, settings


@bp.get("/api/v1/remediations")
@permission_required("view")
def remediations_list():
    """Remediations, newest first.
    ---
    get:
      summary: List remediations
      parameters:
        - {name: state, in: query, schema: {$ref: "#/components/schemas/RemediationState"}}
        - {name: control_id, in: query, schema: {type: string, maxLength: 32}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500}}
      responses:
        200: {description: "Remediations with their state, jobs and verification"}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    control_id = _control_id(request.args.get("control_id") or "")
    rows = remediation.list_remediations(db(), state=request.args.get("state") or None, control_id=control_id or None,
                                         limit=int_arg("limit", 100, 1, 500))
    return ok([remediation.as_dict(item) for item in rows])


@bp.post("/api/v1/remediations")
@permission_required("remediation.run")  # before the body is read: a refusal reveals no schema
def remediations_start():
    """Fix a failing control with Ansible (it_staff, admin): a check-mode job limited to the hosts starts.
    ---
    post:
      summary: Start a remediation
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [control_id, hosts]
              properties:
                control_id: {type: string, maxLength: 32}
                hosts: {type: array, maxItems: 500, items: {type: string, maxLength: 255},
                        description: "Hosts on which the control failed"}
                run_id: {type: integer, minimum: 1, maximum: 2147483647,
                         description: "The compliance run it failed in (default: the latest)"}
      responses:
        201: {description: "The remediation, its check job queued"}
        400: {$ref: "#/components/responses/BadRequest"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
        409: {description: "A remediation of this control is still open on some of these hosts, or a job holds them"}
    """
    body = json_body()
    hosts = _hosts(body)
    control_id = _control_id(text_field(body, "control_id"))
    run_id = body.get("run_id")
    if run_id is not None and (not isinstance(run_id, int) or isinstance(run_id, bool) or not 0 < run_id < 2**31):
        raise ValidationFailed("run_id", "must be a positive integer")
    item = remediation.start(runtime().session_factory, current_actor(), settings(), catalog(),
                             control_id, hosts, run_id)
    return ok(remediation.as_dict(item), 201)


@bp.post("/api/v1/vulns/cves/<cve>/remediations")
@permission_required("remediation.run")  # before the body is read: a refusal reveals no schema
def remediations_start_cve(cve: str):
    """Fix a CVE with Ansible (it_staff, admin): upgrade the affected packages on hosts where a fix is available.
    ---
    post:
      summary: Start a CVE's fix
      description: "A check-mode job of [vulns] fix_playbook limited to the hosts starts; then approval
        ([vulns] fix_needs_approval), apply, and verification by each host's next package list."
      parameters: [{name: cve, in: path, required: true, schema: {type: string, maxLength: 32}}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [hosts]
              properties:
                hosts: {type: array, maxItems: 500, items: {type: string, maxLength: 255},
                        description: "Hosts on which the CVE has a fix available"}
      responses:
        201: {description: "The remediation, its check job queued"}
        400: {$ref: "#/components/responses/BadRequest"}
        403: {$ref: "#/components/responses/Forbidden"}
        409: {description: "A fix of this CVE is still open on some of these hosts, or a job holds them"}
    """
    body = json_body()
    hosts = _hosts(body)
    item = remediation.start_cve(runtime().session_factory, current_actor(), settings(), cve.strip().upper()[:32],
                                 hosts)
    return ok(remediation.as_dict(item), 201)


def _hosts(body: dict) -> list[str]:
    hosts = body.get("hosts")
    if not isinstance(hosts, list) or len(hosts) > 500 or not all(isinstance(h, str) and len(h) <= 255 for h in hosts):
        raise ValidationFailed("hosts", "must be a list of at most 500 host names")
    return hosts


def _control_id(value: str) -> str:
    if len(value) > 32:
        raise ValidationFailed("control_id", "at most 32 characters")
    return value


@bp.get("/api/v1/remediations/<int:remediation_id>")
@permission_required("view")
def remediations_show(remediation_id: int):
    """One remediation: the finding, its check and apply jobs, the approval and the verification per host.
    ---
    get:
      summary: Get a remediation
      parameters: [{name: remediation_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {description: "The remediation"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    return ok(remediation.as_dict(remediation.get(db(), remediation_id)))


def _action(run) -> dict:
    return ok(remediation.as_dict(run()))


@bp.post("/api/v1/remediations/<int:remediation_id>/approve")
@permission_required("remediation.approve")
def remediations_approve(remediation_id: int):
    """Approve a critical control's remediation (admin, it_staff, security_officer; not the one who started it).
    ---
    post:
      summary: Approve a remediation
      parameters: [{name: remediation_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {description: "Approved"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
        409: {description: "Not awaiting approval (no approval needed, already approved, or its check job has not ended)"}
    """
    return _action(lambda: remediation.approve(db(), current_actor(), remediation_id))


@bp.post("/api/v1/remediations/<int:remediation_id>/apply")
@permission_required("remediation.run")
def remediations_apply(remediation_id: int):
    """Start the apply job of a checked remediation (it_staff, admin; not the approver of a critical one).
    ---
    post:
      summary: Apply a remediation
      parameters: [{name: remediation_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {description: "The apply job is queued"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
        409: {description: "Not checked yet, not approved, or a job holds these hosts"}
    """
    return _action(lambda: remediation.apply(runtime().session_factory, current_actor(), settings(), remediation_id))


@bp.post("/api/v1/remediations/<int:remediation_id>/withdraw")
@permission_required("remediation.run")
def remediations_withdraw(remediation_id: int):
    """Withdraw an open remediation: its running job is cancelled and nothing is verified (it_staff, admin).
    ---
    post:
      summary: Withdraw a remediation
      parameters: [{name: remediation_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {description: "Withdrawn"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
        409: {description: "It has already ended"}
    """
    return _action(lambda: remediation.withdraw(db(), current_actor(), remediation_id))
