"""Ops Console: the Flask application factory.

`create_app` is the only place settings are read for the web console; it
wires the extensions, the blueprints and the one error handler, and holds no
state outside the app object.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from console.common.limits import MAX_BODY_BYTES
from console.settings import Settings, ensure_secret_key, load_settings
from console.version import app_version


def create_app(settings: Settings | None = None, config_path: str | Path | None = None) -> Flask:
    from console.web import auth, converters, errors, i18n, metrics, runtime, security, unit_of_work
    from console.wiring import register_areas

    register_areas()
    settings = settings or load_settings(config_path)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=ensure_secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.console.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.console.secure_cookies,
        PERMANENT_SESSION_LIFETIME=settings.console.session_lifetime_minutes * 60,
        WTF_CSRF_TIME_LIMIT=settings.console.session_lifetime_minutes * 60,
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        OPS_SETTINGS=settings,
        OPS_VERSION=app_version(),
    )
    converters.init_app(app)
    runtime.init_app(app, settings)
    security.init_app(app, settings)
    auth.init_app(app)
    security.init_input_checks(app)
    i18n.init_app(app, settings)
    metrics.init_app(app)
    errors.init_app(app)
    _register_blueprints(app)
    unit_of_work.init_app(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from console.api import bp as api_bp
    from console.views import (admin_users, alerts, audit_log, auth_pages, compliance, devices, hosts, incidents,
                               jobs, notifications, overview, profile, rules, systems, tasks)

    for module in (auth_pages, overview, hosts, devices, compliance, systems, alerts, incidents, rules, jobs,
                   tasks, notifications, admin_users, audit_log, profile):
        app.register_blueprint(module.bp)
    from console.views import availability, endpoints, remediation, status_page

    app.register_blueprint(availability.bp)
    app.register_blueprint(status_page.bp)
    app.register_blueprint(endpoints.bp)
    app.register_blueprint(remediation.bp)
    from console.views import vulns

    app.register_blueprint(vulns.bp)
    app.register_blueprint(api_bp)
