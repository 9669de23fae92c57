"""CSRF on every form and the security headers on every response.

The CSP allows scripts and styles from this origin only: templates carry no
inline script, no inline style and no event-handler attributes.
"""

from __future__ import annotations

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from console.common.text import bad_character
from console.errors import ValidationFailed
from console.settings import Settings

csrf = CSRFProtect()

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def init_input_checks(app: Flask) -> None:
    """Refuse, naming the field, query-string and form values that cannot be stored (NUL, lone surrogates).

    Registered after the login check, so an anonymous request is sent to the login page as before. API
    bodies are JSON: console.api.envelope.json_body checks every string in them.
    """

    @app.before_request
    def _storable_text():
        fields = [request.args] if request.path.startswith("/api/") else [request.args, request.form]
        for values in fields:
            for name, value in values.items(multi=True):
                problem = bad_character(name) or bad_character(value)
                if problem:
                    raise ValidationFailed(name if not bad_character(name) else "query", problem)


def init_app(app: Flask, settings: Settings) -> None:
    csrf.init_app(app)
    if settings.console.proxy_count:
        count = settings.console.proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    secure = settings.console.secure_cookies

    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if not request.path.startswith("/static/"):
            headers.setdefault("Cache-Control", "no-store")
        return response
