"""API routes for endpoints from Kaspersky Security Center and antivirus coverage.

Each docstring's YAML after '---' is its OpenAPI operation.
"""

from __future__ import annotations

import dataclasses

from flask import request

from console.api import bp
from console.api.envelope import int_arg, listed, ok
from console.endpoints import coverage, service
from console.web.auth import permission_required
from console.web.runtime import db, settings


@bp.get("/api/v1/endpoints")
@permission_required("view")
def endpoints_list():
    """Endpoints KSC reported at its last sync, by name, keyset-paginated.
    ---
    get:
      summary: List endpoints (workstations and servers managed by Kaspersky Security Center)
      description: >
        state is the worst problem the last sync found: protection_off (KLHST_WKS_RTP_STATE not running),
        bases_old (KLHST_WKS_RTP_AV_BASES_TIME older than [endpoints] bases_max_age_hours), not_seen
        (KLHST_WKS_LAST_VISIBLE older than stale_days), else ok. host_name is the inventory host it matched.
      parameters:
        - {name: unit, in: query, schema: {type: string, maxLength: 64}}
        - {name: state, in: query, schema: {type: string, enum: [ok, protection_off, bases_old, not_seen]}}
        - {name: product, in: query, schema: {type: string, maxLength: 64}, description: "Protection product version"}
        - {name: q, in: query, schema: {type: string, maxLength: 255}, description: "Part of the name or address"}
        - {name: after, in: query, schema: {type: string, maxLength: 300}, description: "'next' of the previous page"}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500}}
      responses:
        200: {description: "Endpoints; 'next' is the 'after' value for the next page"}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    wanted = service.parse_filter(request.args)
    rows = service.list_endpoints(db(), dataclasses.replace(wanted, limit=wanted.limit + 1))
    return listed(rows, wanted.limit, service.cursor, service.endpoint_as_dict)


@bp.get("/api/v1/endpoints/<int:endpoint_id>")
@permission_required("view")
def endpoint_detail(endpoint_id: int):
    """One endpoint with its history (one observation per change of its protection), newest first.
    ---
    get:
      summary: Get an endpoint with its history
      parameters:
        - {name: endpoint_id, in: path, required: true, schema: {type: integer, minimum: 1}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500}}
      responses:
        200: {description: "The endpoint"}
        401: {$ref: "#/components/responses/Unauthorized"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    row = service.get_endpoint(db(), endpoint_id)
    data = service.endpoint_as_dict(row)
    data["history"] = [service.observation_as_dict(item)
                       for item in service.history(db(), row, int_arg("limit", 100, 1, 500))]
    return ok(data)


@bp.get("/api/v1/endpoints/coverage")
@permission_required("view")
def endpoints_coverage():
    """Antivirus coverage: protected endpoints out of every device known to exist, and the lists behind it.
    ---
    get:
      summary: Antivirus coverage (inventory, KSC and the IDS side by side)
      description: >
        exist counts KSC's endpoints, the inventory servers KSC does not manage, and the internal addresses
        the IDS saw (flow, DHCP) within unmanaged_days that neither knows; protected counts endpoints with
        protection on, bases within bases_max_age_hours and seen within stale_days. missing lists each group
        (at most 1000 entries each); last_sync is the last KSC sync attempt.
      responses:
        200: {description: "The coverage figure and its lists"}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    data = coverage.coverage(db(), settings())
    last = service.last_sync(db())
    data["last_sync"] = None if last is None else {
        "started_at": last.started_at.isoformat(), "status": last.status, "reason": last.reason,
        "host_count": last.host_count}
    return ok(data)


@bp.get("/api/v1/endpoints/unmanaged")
@permission_required("view")
def endpoints_unmanaged():
    """Internal addresses the IDS saw that are neither in the inventory nor in KSC, last seen first.
    ---
    get:
      summary: List unmanaged devices (addresses seen in flow and DHCP events)
      responses:
        200: {description: "Addresses with first_seen_at, last_seen_at, sensor and event_type"}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    return ok([coverage.seen_as_dict(row) for row in coverage.unmanaged(db(), settings())])
