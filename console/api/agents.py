"""API routes for host agents: enrolment, signed reports, and their management."""

from __future__ import annotations

from flask import request

from console.common.time import iso, window_of
from console.api import bp
from console.api.envelope import int_arg, json_body, ok, text_field
from console.db import session_scope
from console.errors import ValidationFailed
from console.agents import enrolment as agents
from console.access import audit
from console.agents import host_reports as reports
from console.access.actor import Actor
from console.agents.enrolment import ReportRejected
from console.inventory.hosts import get_host
from console.web import metrics
from console.web.auth import client_addr, current_actor, permission_required
from console.web.runtime import db, runtime, settings


@bp.post("/api/v1/agents/enroll")
def agents_enroll():
    """Trade a one-time enrolment token for an agent credential (the host's public key).
    ---
    post:
      summary: Enrol a host agent
      security: []
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [token, host, public_key]
              properties:
                token: {type: string}
                host: {type: string}
                public_key: {type: string, description: "base64 Ed25519 public key"}
                agent_version: {type: string}
      responses:
        201: {description: "Enrolled: agent_id and host"}
        401: {$ref: "#/components/responses/Unauthorized"}
        422: {$ref: "#/components/responses/BadRequest"}
    """
    body = json_body()
    try:
        agent = agents.enroll(db(), text_field(body, "token"), text_field(body, "host"), text_field(body, "public_key"),
                              text_field(body, "agent_version", required=False), client_addr())
    except ReportRejected as exc:
        _refused("agent.enroll", exc, host=str(body.get("host", ""))[:255])
        raise
    return ok({"agent_id": agent.uid, "host": agent.host.name}, 201)


@bp.post("/api/v1/reports")
def reports_ingest():
    """Accept one signed agent report; a report id already stored is acknowledged, not stored again.
    ---
    post:
      summary: Submit an agent report
      security: []
      parameters:
        - {name: X-Ops-Agent, in: header, required: true, schema: {type: string}}
        - {name: X-Ops-Timestamp, in: header, required: true, schema: {type: string}}
        - {name: X-Ops-Signature, in: header, required: true, schema: {type: string}}
      requestBody:
        required: true
        content: {application/json: {schema: {type: object}}}
      responses:
        201: {description: "Stored"}
        200: {description: "Already stored (duplicate report id)"}
        401: {$ref: "#/components/responses/Unauthorized"}
        403: {$ref: "#/components/responses/Forbidden"}
        413: {description: "Too large"}
        415: {description: "Not sent as application/json"}
        422: {$ref: "#/components/responses/BadRequest"}
    """
    body = request.get_data(cache=False)
    try:
        if not request.is_json:
            raise ReportRejected(415, "not_json", "send the report as Content-Type: application/json", "body")
        agent = agents.authenticate(db(), request.headers, body)
        stored, report_id = reports.ingest(db(), agent, body, window_of(settings().console))
    except ReportRejected as exc:
        metrics.REPORTS.labels(outcome="rejected", reason=exc.reason).inc()
        if exc.http_status in (401, 403):
            _refused("report", exc)
        raise
    metrics.REPORTS.labels(outcome="stored" if stored else "duplicate", reason="").inc()
    return ok({"report_id": report_id, "stored": stored}, 201 if stored else 200)


def _refused(action: str, exc: ReportRejected, **detail) -> None:
    db().rollback()
    with session_scope(runtime().session_factory) as session:
        audit.record(session, Actor.anonymous(client_addr()), action, "request", request.path, outcome="denied",
                     reason=exc.reason, **detail)


@bp.get("/api/v1/agents")
@permission_required("view")
def agents_list():
    """Enrolled agents, newest first.
    ---
    get:
      summary: List agents
      responses:
        200: {description: "Agents"}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    return ok([agents.agent_as_dict(a) for a in agents.list_agents(db())])


@bp.post("/api/v1/agents/<agent_id>/revoke")
@permission_required("agents.manage")  # before the body is read: a refusal reveals no schema
def agents_revoke(agent_id: str):
    """Revoke an agent: its reports are refused from now on (admin, it_staff).
    ---
    post:
      summary: Revoke an agent
      parameters: [{name: agent_id, in: path, required: true, schema: {type: string}}]
      responses:
        200: {description: "Revoked"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    agent = agents.revoke(db(), current_actor(), agent_id)
    return ok(agents.agent_as_dict(agent))


@bp.post("/api/v1/enrollment-tokens")
@permission_required("agents.manage")  # before the body is read: a refusal reveals no schema
def enrollment_tokens_create():
    """A one-time enrolment token, shown once (admin, it_staff).
    ---
    post:
      summary: Create an enrolment token
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                host: {type: string, description: "Bind the token to this inventory host"}
                hours: {type: integer, minimum: 1, maximum: 720}
                max_uses: {type: integer, minimum: 1, maximum: 1000}
      responses:
        201: {description: "The token, shown once"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    body = json_body(optional=True)
    hours, uses = body.get("hours", 24), body.get("max_uses", 1)
    for name, value in (("hours", hours), ("max_uses", uses)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValidationFailed(name, "must be a whole number")
    row, token = agents.create_enrollment_token(db(), current_actor(), text_field(body, "host", required=False),
                                                hours, uses)
    return ok({"token": token, "host": row.host_name or None, "expires_at": row.expires_at.isoformat()}, 201)


@bp.get("/api/v1/hosts/<name>/reports")
@permission_required("view")
def host_reports(name: str):
    """A host's status and its reports of the last hours, oldest first.
    ---
    get:
      summary: Host status and report history
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
        - {name: hours, in: query, schema: {type: integer, minimum: 1, maximum: 2160}}
      responses:
        200: {description: "Status, reasons (English sentences), warnings ({code, text, params}: the same, with a stable code) and reports"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    host = get_host(db(), name)
    state = reports.condition(db(), host)
    rows = reports.history(db(), host.id, hours=int_arg("hours", 24, 1, 2160))
    return ok({"status": state.status.value, "reasons": [reason.text for reason in state.reasons],
               "warnings": [reports.warning_as_dict(reason) for reason in state.reasons],
               "last_seen_at": iso(state.last_seen_at),
               "reports": [r.payload for r in rows]})
