"""Information systems API: the systems with their latest figures, an assessment, manual evidence (note only).

Each docstring's YAML is its OpenAPI operation. Documents are attached in the
console (multipart upload); the API takes notes.
"""

from __future__ import annotations

from datetime import date

from console.api import bp
from console.api.envelope import json_body, ok, text_field
from console.errors import ValidationFailed
from console.compliance import manual_evidence
from console.compliance import system_assessment
from console.systems import service as systems
from console.common.paging import parse_id
from console.web.auth import current_actor, permission_required
from console.web.runtime import db, settings


@bp.get("/api/v1/compliance/systems")
@permission_required("view")
def compliance_systems_list():
    """Information systems with level, framework, hosts and the latest run's percent met and transition gap.
    ---
    get:
      summary: List information systems
      responses:
        200: {description: "Systems, highest level first"}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    return ok([{**systems.system_as_dict(row), **system_assessment.latest_figures(db(), row.key)}
               for row in systems.list_systems(db())])


@bp.get("/api/v1/compliance/systems/<key>")
@permission_required("view")
def compliance_system_assessment(key: str):
    """A system's assessment: every requirement of its level with verdict, hosts and evidence, and its transition gap.
    ---
    get:
      summary: Assessment of an information system (latest run, or ?run=)
      parameters:
        - {name: key, in: path, required: true, schema: {type: string}}
        - {name: run, in: query, schema: {type: integer, minimum: 1, maximum: 9223372036854775807}}
      responses:
        200: {description: "The assessment"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    from flask import request

    systems.get_system(db(), key)
    found = system_assessment.get(db(), key, parse_id(request.args.get("run"), "run"))
    return ok(system_assessment.assessment_as_dict(found))


@bp.post("/api/v1/compliance/systems/<key>/evidence")
@permission_required("compliance.evidence")  # before the body is read: a refusal reveals no schema
def compliance_system_evidence(key: str):
    """Attach manual evidence (a note) to a manual requirement (admin, security_officer); audit-logged.
    ---
    post:
      summary: Add manual evidence to a requirement of a system
      parameters: [{name: key, in: path, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [framework, requirement_id, evidence_date, expires_on, note]
              properties:
                framework: {type: string, enum: [legacy-85, current-331]}
                requirement_id: {type: string}
                evidence_date: {type: string, format: date}
                expires_on: {type: string, format: date}
                note: {type: string}
      responses:
        201: {description: "The evidence"}
        400: {$ref: "#/components/responses/BadRequest"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    body = json_body()
    row = manual_evidence.add(db(), current_actor(), manual_evidence.evidence_folder(settings()), key, text_field(body, "framework"),
                              text_field(body, "requirement_id"), _date(body, "evidence_date"),
                              _date(body, "expires_on"), text_field(body, "note"))
    return ok(manual_evidence.evidence_as_dict(row), status=201)


def _date(body: dict, name: str) -> date | None:
    value = body.get(name)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(name, "a date as YYYY-MM-DD") from None
