"""API: Liveness, Prometheus metrics and who a token acts as. Each docstring's YAML after '---' is its OpenAPI operation."""

from __future__ import annotations

from flask import Response
from sqlalchemy import text

from console.api import bp
from console.api.envelope import ok
from console.version import app_version
from console.web import metrics as metrics_module
from console.web.auth import current_actor, permission_required
from console.web.runtime import db


@bp.get("/healthz")
def healthz():
    """Liveness, database reachability and the console's version; open, reveals nothing else.
    ---
    get:
      summary: Is the console up and its database reachable
      security: []
      responses:
        200: {description: "Up"}
        503: {description: "Database unreachable"}
    """
    try:
        db().execute(text("SELECT 1"))
    except Exception:  # any driver error means the same to a health check
        return {"status": "error", "database": "unreachable", "version": app_version()}, 503
    return {"status": "ok", "database": "ok", "version": app_version()}


@bp.get("/metrics")
def metrics():
    """Prometheus metrics of the console (bearer token unless [metrics] require_token = false).
    ---
    get:
      summary: Prometheus text exposition
      responses:
        200: {description: "Metrics"}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    return Response(metrics_module.exposition(db()), mimetype="text/plain; version=0.0.4")


@bp.get("/api/v1/me")
@permission_required("view")
def me():
    """The token's user and role.
    ---
    get:
      summary: Who this token acts as
      responses:
        200: {description: "The acting user"}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    actor = current_actor()
    return ok({"username": actor.username, "role": actor.role.value})
