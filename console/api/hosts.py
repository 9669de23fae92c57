"""API: The asset list: hosts and the inventory sync. Each docstring's YAML after '---' is its OpenAPI operation."""

from __future__ import annotations

from flask import request

from console.api import bp
from console.api.envelope import int_arg, listed, ok
from console.inventory.sync import sync_inventory
from console.inventory.hosts import HostFilter, filtered_hosts, get_host, host_as_dict
from console.web.auth import current_actor, permission_required
from console.web.runtime import db, settings


@bp.get("/api/v1/hosts")
@permission_required("view")
def hosts_list():
    """Hosts of the asset list, keyset-paginated by name.
    ---
    get:
      summary: List hosts
      parameters:
        - {name: unit, in: query, schema: {type: string}}
        - {name: role, in: query, schema: {type: string}}
        - {name: status, in: query, schema: {$ref: "#/components/schemas/HostStatus"}}
        - {name: q, in: query, schema: {type: string}, description: "Part of the name or address"}
        - {name: after, in: query, schema: {type: string}, description: "Last name of the previous page"}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500}}
      responses:
        200: {description: "Hosts; 'next' is the 'after' value for the next page"}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    limit = int_arg("limit", 100, 1, 500)
    rows = filtered_hosts(db(), HostFilter.parse(request.args), after_name=request.args.get("after") or None,
                          limit=limit + 1)
    return listed(rows, limit, lambda h: h.name, host_as_dict)


@bp.get("/api/v1/hosts/<name>")
@permission_required("view")
def host_detail(name: str):
    """One host with its groups and inventory variables.
    ---
    get:
      summary: Get a host
      parameters: [{name: name, in: path, required: true, schema: {type: string}}]
      responses:
        200: {description: "The host"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    return ok(host_as_dict(get_host(db(), name)))


@bp.post("/api/v1/inventory/sync")
@permission_required("inventory.sync")  # before the body is read: a refusal reveals no schema
def inventory_sync():
    """Sync the asset list from inventory/ (it_staff, admin).
    ---
    post:
      summary: Sync the inventory
      responses:
        200: {description: "Added, updated, retired and unchanged hosts"}
        400: {$ref: "#/components/responses/BadRequest"}
        403: {$ref: "#/components/responses/Forbidden"}
    """
    result = sync_inventory(db(), current_actor(), settings().inventory)
    return ok(result.as_dict())
