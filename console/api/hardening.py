"""API: hosts' hardening (Lynis runs and findings, pending security updates) and finding waivers.

Each docstring's YAML after '---' is its OpenAPI operation.
"""

from __future__ import annotations

from datetime import datetime

from flask import request

from console.agents import hardening
from console.api import bp
from console.api.envelope import int_arg, json_body, ok, text_field
from console.errors import ValidationFailed
from console.inventory.hosts import get_host
from console.web.auth import current_actor, permission_required
from console.web.runtime import db


def _filters() -> tuple[str, str | None]:
    search = request.args.get("q") or ""
    if len(search) > hardening.MAX_SEARCH:
        raise ValidationFailed("q", f"at most {hardening.MAX_SEARCH} characters")
    return hardening.parse_search(search), hardening.parse_kind(request.args.get("kind"))


@bp.get("/api/v1/hosts/<name>/hardening")
@permission_required("view")
def host_hardening(name: str):
    """A host's latest Lynis run, its hardening index over time, its findings and its pending security updates.
    ---
    get:
      summary: Get a host's hardening
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
        - {name: q, in: query, schema: {type: string, maxLength: 100}, description: "Part of a test id or text"}
        - {name: kind, in: query, schema: {type: string, enum: [warning, suggestion]}}
      responses:
        200: {description: "lynis (null before the first run), trend, findings (each with its waiver), security_updates"}
        400: {$ref: "#/components/responses/BadRequest"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    host = get_host(db(), name)
    search, kind = _filters()
    return ok(hardening.host_hardening(db(), host.id, search, kind))


@bp.get("/api/v1/hardening/findings")
@permission_required("view")
def hardening_findings():
    """The most common Lynis findings of the active hosts' latest runs, most hosts first.
    ---
    get:
      summary: List the estate's Lynis findings
      parameters:
        - {name: q, in: query, schema: {type: string, maxLength: 100}, description: "Part of a test id or text"}
        - {name: kind, in: query, schema: {type: string, enum: [warning, suggestion]}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 1000}}
      responses:
        200: {description: "Findings: kind, test_id, text, host_count, hosts"}
        400: {$ref: "#/components/responses/BadRequest"}
    """
    search, kind = _filters()
    limit = int_arg("limit", 200, 1, 1000)
    return ok([{"kind": f.kind, "test_id": f.test_id, "text": f.text, "host_count": f.host_count, "hosts": list(f.hosts)}
               for f in hardening.estate_findings(db(), search, kind, limit)])


@bp.post("/api/v1/hosts/<name>/hardening/waivers")
@permission_required("compliance.waive")  # before the body is read: a refusal reveals no schema
def hardening_waivers_create(name: str):
    """Waive one Lynis test id on one host until a time (admin only).
    ---
    post:
      summary: Waive a Lynis finding on a host
      parameters: [{name: name, in: path, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [test_id, reason, expires_at]
              properties:
                test_id: {type: string, minLength: 1, maxLength: 32}
                reason: {type: string, minLength: 5, maxLength: 500}
                expires_at: {type: string, format: date-time}
      responses:
        201: {description: "The waiver"}
        400: {$ref: "#/components/responses/BadRequest"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {description: "No such host, or the host's latest Lynis run has no finding with this test id"}
    """
    body = json_body()
    try:
        expires = datetime.fromisoformat(text_field(body, "expires_at"))
    except ValueError:
        raise ValidationFailed("expires_at", "an ISO 8601 time with its zone") from None
    host = get_host(db(), name)
    waiver = hardening.waive(db(), current_actor(), host.name, text_field(body, "test_id"),
                             text_field(body, "reason"), expires)
    return ok(hardening.waiver_as_dict(waiver), status=201)


@bp.delete("/api/v1/hosts/<name>/hardening/waivers/<int:waiver_id>")
@permission_required("compliance.waive")
def hardening_waivers_revoke(name: str, waiver_id: int):
    """Revoke a Lynis finding waiver of this host (admin only).
    ---
    delete:
      summary: Revoke a Lynis finding waiver
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
        - {name: waiver_id, in: path, required: true, schema: {type: integer}}
      responses:
        200: {description: "The revoked waiver"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    host = get_host(db(), name)
    return ok(hardening.waiver_as_dict(hardening.revoke_waiver(db(), current_actor(), waiver_id, host.id)))
