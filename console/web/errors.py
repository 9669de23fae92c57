"""The one error handler: JSON envelopes for the API, an error page for people.

Access failures (a role refused, a bad CSRF token) are audit-logged in their
own transaction after the request's work has been rolled back, so the refusal
is on record and nothing of the refused change is.
"""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from console.db import session_scope
from console.errors import USER_ERRORS, OpsError, PermissionDenied, ValidationFailed
from console.access import audit
from console.access.permissions import Denied
from console.web import metrics
from console.web.runtime import db, runtime
from rules.errors import RulesError


def init_app(app: Flask) -> None:
    for user_error in USER_ERRORS:  # OpsError, and the rule manager's RulesError alike
        app.register_error_handler(user_error, _ops_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(InterfaceError, _database_unavailable)
    app.register_error_handler(Exception, _unexpected)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path in ("/metrics", "/healthz")


def error_response(status: int, message: str, field: str | None = None, code: str | None = None):
    if wants_json():
        error = {"code": code or str(status), "message": message}
        if field:
            error["field"] = field
        return jsonify({"success": False, "errors": [error]}), status
    return render_template("error.html", status=status, message=message, field=field), status


def _audit_refusal(action: str, **detail) -> None:
    from console.web.auth import current_actor

    db().rollback()
    actor = current_actor()
    with session_scope(runtime().session_factory) as session:
        audit.record(session, actor, action, "request", request.path, outcome="denied",
                     method=request.method, **detail)
    metrics.ACCESS_DENIED.labels(reason=action).inc()


def _ops_error(exc: OpsError | RulesError):
    if isinstance(exc, Denied):
        _audit_refusal("access.denied", permission=exc.permission)
    elif isinstance(exc, PermissionDenied):
        _audit_refusal("access.denied", reason=str(exc))
    else:
        db().rollback()
    field = getattr(exc, "field", None)
    message = exc.message if isinstance(exc, ValidationFailed) else str(exc)
    return error_response(exc.http_status, message, field=field)


def _csrf_error(exc: CSRFError):
    _audit_refusal("csrf.rejected", reason=exc.description)
    return error_response(400, f"CSRF check failed: {exc.description} Reload the page and try again.", code="csrf")


def _http_error(exc: HTTPException):
    response = error_response(exc.code or 500, exc.description or exc.name)
    if exc.code == 405 and getattr(exc, "valid_methods", None):  # RFC 9110: a 405 names what the resource allows
        return (*response, {"Allow": ", ".join(exc.valid_methods)})
    return response


def _database_unavailable(exc: OperationalError | InterfaceError):
    """The database refused the work (disk full, server restarting, connection lost): 503, nothing kept.

    Senders that retry (agents' spools, EVE shippers) keep what was refused and send it again.
    """
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
    current_app.logger.error("database unavailable on %s %s: %s", request.method, request.path, reason)
    try:
        db().rollback()
    except Exception:  # the connection itself may be gone; the pool replaces it
        current_app.logger.info("rollback after a database error failed too", exc_info=True)
    message = _("The console's database cannot do this now (%(reason)s); nothing was stored. Try again later.",
                reason=reason)
    response = error_response(503, message, code="database_unavailable")
    return (*response, {"Retry-After": "30"})


def _unexpected(exc: Exception):
    """A bug: logged with its traceback for the operator, a plain 500 for the user."""
    current_app.logger.exception("unexpected error on %s %s", request.method, request.path)
    db().rollback()
    return error_response(500, "Internal error: nothing was changed. The details are in the console's log.",
                          code="internal")
