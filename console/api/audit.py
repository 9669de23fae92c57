"""API: The audit log, read-only. Each docstring's YAML after '---' is its OpenAPI operation."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import request

from console.common.time import window_of
from console.api import bp
from console.api.envelope import int_arg, listed
from console.errors import ValidationFailed
from console.access import audit
from console.web.auth import permission_required
from console.web.runtime import db, settings


OUTCOMES = ("success", "failure", "denied")


@bp.get("/api/v1/audit")
@permission_required("audit.view")
def audit_list():
    """Audit events, newest first (admin, auditor, security_officer).
    ---
    get:
      summary: List audit events
      parameters:
        - {name: actor, in: query, schema: {type: string}}
        - {name: action, in: query, schema: {type: string}, description: "Prefix, e.g. 'user.'"}
        - {name: outcome, in: query, schema: {type: string, enum: [success, failure, denied]}}
        - {name: object_type, in: query, schema: {type: string}}
        - {name: since, in: query, schema: {type: string, format: date-time}}
        - {name: until, in: query, schema: {type: string, format: date-time}}
        - {name: before, in: query, schema: {type: integer, minimum: 0, maximum: 9223372036854775807},
           description: "Last id of the previous page"}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500}}
      responses:
        200: {description: "Events; 'next' is the 'before' value for the next page"}
        400: {$ref: "#/components/responses/BadRequest"}
        403: {$ref: "#/components/responses/Forbidden"}
    """
    limit = int_arg("limit", 100, 1, 500)
    if request.args.get("outcome") not in (None, "", *OUTCOMES):
        raise ValidationFailed("outcome", f"must be one of {', '.join(OUTCOMES)}")
    filters = audit.parse_filter(request.args, ZoneInfo(settings().console.timezone),
                                 window_of(settings().console))
    return listed(audit.list_events(db(), filters, audit.parse_before(request.args), limit + 1), limit,
                  lambda e: e.id, audit.event_as_dict)
