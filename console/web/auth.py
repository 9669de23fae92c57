"""Who is asking: login sessions for pages, bearer tokens for the API.

Every endpoint needs a logged-in user unless it is listed in PUBLIC; the API
blueprint checks its bearer token itself. Deny by default, so a new page can
not be forgotten.
"""

from __future__ import annotations

from functools import wraps

from flask import Flask, g, redirect, request, session, url_for
from flask_login import LoginManager, current_user

from console.access.actor import Actor
from console.access.permissions import allowed, require
from console.access import sessions
from console.access.users import load_session_user
from console.web.runtime import db

login_manager = LoginManager()
SESSION_KEY = "ops_session"  # the login session's token in the signed cookie (console.access.sessions)
# status_page.index answers 404 itself unless [availability] status_page is on (console/views/status_page.py).
PUBLIC = {"auth.login", "static", "api.healthz", "api.metrics", "auth.set_language_anonymous", "status_page.index"}


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load_user)
    app.before_request(_require_login)
    app.context_processor(lambda: {"can": can})


def _load_user(session_id: str):
    """The cookie's user, if its login session is still live on the server (not logged out, revoked or expired)."""
    user = load_session_user(db(), session_id)
    if user is None or not sessions.is_live(db(), user.id, session.get(SESSION_KEY)):
        return None
    return user


def _require_login():
    endpoint = request.endpoint or ""
    if (endpoint in PUBLIC or endpoint.startswith("api.") or request.path.startswith("/api/")
            or request.path in ("/healthz", "/metrics")):
        return None  # the API answers for itself: 401 without a token, JSON 404 / 405 for no such route
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    return None


def client_addr() -> str:
    return (request.remote_addr or "")[:64]


def current_actor() -> Actor:
    """The actor for this request: the API token's, else the logged-in user's."""
    if "api_actor" in g:
        return g.api_actor
    if current_user.is_authenticated:
        return Actor(current_user.username, current_user.role, client_addr(), current_user.id)
    return Actor.anonymous(client_addr())


def can(permission: str) -> bool:
    """For templates: show a control only to roles that may use it (the server checks again)."""
    return allowed(current_actor().role, permission)


def permission_required(permission: str):
    """Refuse the view (403, audit-logged by the error handler) unless the role allows it: the one permission check
    of pages and API alike, made before the view reads its arguments or body (a refusal reveals no schema)."""
    allowed(None, permission)  # an unknown permission fails at import, not at the first request

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            require(current_actor(), permission)
            return view(*args, **kwargs)

        wrapper.required_permission = permission  # tests/console/web/test_permissions_declared.py reads it
        return wrapper

    return decorate
