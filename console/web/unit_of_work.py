"""One unit of work per request: the view's changes are committed when it succeeds, rolled back otherwise.

A view (or API handler) never commits. When it returns a response below 400
its session is committed; a 4xx/5xx answer or an exception rolls it back, so
a refused change leaves nothing half-written and a handler cannot forget to
commit. A view whose failure answer must still keep what it wrote (a failed
login is counted and audit-logged) says so with `keep_on_error()`. The error
handlers record refusals in their own transaction (console.web.errors).
"""

from __future__ import annotations

from functools import wraps

from flask import Flask, g

from console.web.runtime import db


def init_app(app: Flask) -> None:
    """Wrap every view registered so far; call after the blueprints are registered."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint != "static":
            app.view_functions[endpoint] = _unit_of_work(app, view)


def keep_on_error() -> None:
    """Commit this request's work even though its answer is an error status."""
    g.ops_keep_on_error = True


def _unit_of_work(app: Flask, view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        response = app.make_response(view(*args, **kwargs))
        if "db" in g:
            if response.status_code < 400 or g.get("ops_keep_on_error"):
                db().commit()
            else:
                db().rollback()
        return response

    return wrapper
