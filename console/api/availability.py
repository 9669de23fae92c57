"""API: the department's services and their checks (console/availability). Each docstring's YAML after '---' is
its OpenAPI operation."""

from __future__ import annotations

from console.access.permissions import require
from console.api import bp
from console.api.envelope import ok, plain
from console.availability import status
from console.errors import NotFound
from console.web.auth import current_actor
from console.web.runtime import db, settings


@bp.get("/api/v1/availability")
def availability_list():
    """Every service of ops.toml [[availability.services]] with its state now and its checks' latest results.
    ---
    get:
      summary: List the services and their availability now
      description: >
        state is up, degraded (a check failing fewer times than its limit, slow, or a certificate near
        expiry), down (a check failed failures_before_down times in a row), unreachable (a service or uplink
        it depends on is down: cause "service:<name>" or "uplink:<name>", parent its name), maintenance (in a
        maintenance window) or unknown (no result yet). response_ms is the slowest HTTP check's last answer;
        certificate_days_left the nearest leaf certificate expiry of its TLS checks (negative once expired).
        Times are ISO 8601 in UTC.
      responses:
        200:
          description: "The services"
          content:
            application/json:
              schema:
                type: object
                properties:
                  success: {type: boolean}
                  data: {type: array, items: {$ref: "#/components/schemas/AvailabilityService"}}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    require(current_actor(), "view")
    return ok(plain(status.services_status(db(), settings())))


@bp.get("/api/v1/availability/<name>")
def availability_detail(name: str):
    """One service with its state now and its checks' latest results.
    ---
    get:
      summary: Get one service's availability
      parameters: [{name: name, in: path, required: true, schema: {type: string}}]
      responses:
        200:
          description: "The service"
          content:
            application/json:
              schema:
                type: object
                properties:
                  success: {type: boolean}
                  data: {$ref: "#/components/schemas/AvailabilityService"}
        401: {$ref: "#/components/responses/Unauthorized"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    require(current_actor(), "view")
    found = [item for item in status.services_status(db(), settings()) if item["name"] == name]
    if not found:
        raise NotFound(f"no service named {name!r} in [[availability.services]]")
    return ok(plain(found[0]))
