"""Bearer-token check for every API route but /healthz."""

from __future__ import annotations

from flask import g, jsonify, request

from console.api import bp
from console.db import session_scope
from console.access import audit
from console.access.actor import Actor
from console.access.tokens import record_use, use_is_stale, verify_token
from console.web import metrics
from console.web.auth import client_addr
from console.web.runtime import db, runtime, settings
from console.web.security import csrf

csrf.exempt(bp)
OPEN = {"api.healthz", "api.agents_enroll", "api.reports_ingest", "api.alerts_eve_ingest"}  # these check their own credentials


@bp.before_request
def _authenticate():
    if request.endpoint in OPEN or (request.endpoint == "api.metrics" and not settings().metrics.require_token):
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _refuse("missing bearer token", "send 'Authorization: Bearer <token>'")
    row = verify_token(db(), token.strip())
    if row is None:
        return _refuse("invalid token", "the token is unknown, revoked or expired")
    if use_is_stale(row):  # written apart from the request's unit of work, which may roll back
        with session_scope(runtime().session_factory) as session:
            record_use(session, row.id)
    g.api_actor = Actor(row.user.username, row.role, client_addr(), row.user_id, via="api")
    g.api_token_id = row.id
    return None


def _refuse(reason: str, message: str):
    db().rollback()
    with session_scope(runtime().session_factory) as session:
        audit.record(session, Actor.anonymous(client_addr()), "api.auth", "request", request.path,
                     outcome="denied", reason=reason, method=request.method)
    metrics.ACCESS_DENIED.labels(reason="api.auth").inc()
    body = {"success": False, "errors": [{"code": "unauthorized", "message": message}]}
    return jsonify(body), 401, {"WWW-Authenticate": 'Bearer realm="ops-console"'}
