"""API: known vulnerabilities per host from Debian's security tracker data (console/vulns), and their waivers.

Every answer carries `data_status`: the date of the tracker data in use and whether it is older than
`[vulns] max_age_days`. Each docstring's YAML after '---' is its OpenAPI operation.
"""

from __future__ import annotations

from datetime import datetime

from flask import request

from console.api import bp
from console.api.envelope import int_arg, json_body, ok, text_field
from console.errors import NotFound, ValidationFailed
from console.inventory.hosts import get_host
from console.vulns import queries, waivers
from console.web.auth import current_actor, permission_required
from console.web.runtime import db, settings



def _status() -> dict:
    return queries.data_status(db(), settings().vulns.max_age_days).as_dict()


@bp.get("/api/v1/vulns")
@permission_required("view")
def vulns_list():
    """CVEs affecting the active hosts, most hosts first, with the filters applied.
    ---
    get:
      summary: List CVEs by number of hosts affected
      parameters:
        - {name: fixable, in: query, schema: {type: string, enum: ["yes", "no"]}}
        - {name: urgency, in: query, schema: {type: string, enum: [high, medium, low, "not yet assigned", unimportant, end-of-life]}}
        - {name: state, in: query, schema: {type: string, enum: [fixable, open, no_dsa, postponed, ignored, end_of_life, undetermined]}}
        - {name: unit, in: query, schema: {type: string, maxLength: 128}}
        - {name: system, in: query, schema: {type: string, maxLength: 128}}
        - {name: package, in: query, schema: {type: string, maxLength: 128}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500}}
      responses:
        200: {description: "data_status and cves: cve, hosts, fixable_hosts, packages, urgency, states, description"}
    """
    filters = queries.Filters.parse(request.args)
    limit = int_arg("limit", queries.MAX_ROWS, 1, queries.MAX_ROWS)
    return ok({"data_status": _status(), "cves": [row.as_dict() for row in queries.estate(db(), filters, limit)]})


@bp.get("/api/v1/vulns/hosts/<name>")
@permission_required("view")
def vulns_host(name: str):
    """One host's CVEs: each with its installed version, Debian's state, fixed version, urgency and waiver.
    ---
    get:
      summary: Get a host's vulnerabilities
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
        - {name: fixable, in: query, schema: {type: string, enum: ["yes", "no"]}}
        - {name: urgency, in: query, schema: {type: string, enum: [high, medium, low, "not yet assigned", unimportant, end-of-life]}}
        - {name: state, in: query, schema: {type: string, enum: [fixable, open, no_dsa, postponed, ignored, end_of_life, undetermined]}}
        - {name: package, in: query, schema: {type: string, maxLength: 128}}
      responses:
        200: {description: "data_status, packages (release, count, when listed; null before the agent's first list), findings"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    host = get_host(db(), name)
    filters = queries.Filters.parse(request.args)
    summary = queries.host_summary(db(), host.id)
    return ok({"data_status": _status(), "host": host.name, "packages": summary.as_dict() if summary else None,
               "findings": [f.as_dict() for f in queries.host_findings(db(), host.id, filters)]})


@bp.get("/api/v1/vulns/cves/<cve>")
@permission_required("view")
def vulns_cve(cve: str):
    """The active hosts one CVE affects.
    ---
    get:
      summary: Get the hosts a CVE affects
      parameters:
        - {name: cve, in: path, required: true, schema: {type: string, maxLength: 32}}
        - {name: fixable, in: query, schema: {type: string, enum: ["yes", "no"]}}
        - {name: unit, in: query, schema: {type: string, maxLength: 128}}
        - {name: system, in: query, schema: {type: string, maxLength: 128}}
      responses:
        200: {description: "data_status, cve, description, hosts (host, unit and the finding)"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    cve = cve.strip().upper()[:32]
    detail = queries.cve_detail(db(), cve)
    if detail is None:
        raise NotFound(f"{cve} is not in the imported tracker data")
    filters = queries.Filters.parse(request.args)
    return ok({"data_status": _status(), "cve": cve, "description": detail.description,
               "hosts": [h.as_dict() for h in queries.cve_hosts(db(), cve, filters)]})


@bp.post("/api/v1/vulns/hosts/<name>/waivers")
@permission_required("vulns.waive")
def vulns_waivers_create(name: str):
    """Waive one CVE on one host until a time (admin only).
    ---
    post:
      summary: Waive a CVE on a host
      parameters: [{name: name, in: path, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [cve, reason, expires_at]
              properties:
                cve: {type: string, minLength: 1, maxLength: 32}
                reason: {type: string, minLength: 5, maxLength: 500}
                expires_at: {type: string, format: date-time}
      responses:
        201: {description: "The waiver"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {description: "No such host, or the host is not affected by this CVE"}
    """
    body = json_body()
    try:
        expires = datetime.fromisoformat(text_field(body, "expires_at"))
    except ValueError:
        raise ValidationFailed("expires_at", "an ISO 8601 time with its zone") from None
    host = get_host(db(), name)
    waiver = waivers.waive(db(), current_actor(), host.name, text_field(body, "cve"), text_field(body, "reason"),
                           expires)
    return ok(waivers.waiver_as_dict(waiver), status=201)


@bp.delete("/api/v1/vulns/hosts/<name>/waivers/<int:waiver_id>")
@permission_required("vulns.waive")
def vulns_waivers_revoke(name: str, waiver_id: int):
    """Revoke a CVE waiver of this host (admin only).
    ---
    delete:
      summary: Revoke a CVE waiver
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
        - {name: waiver_id, in: path, required: true, schema: {type: integer}}
      responses:
        200: {description: "The revoked waiver"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    host = get_host(db(), name)
    return ok(waivers.waiver_as_dict(waivers.revoke(db(), current_actor(), waiver_id, host.id)))
