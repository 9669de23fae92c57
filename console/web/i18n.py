"""Vietnamese and English: the user's choice, else the session's, else ops.toml's default.

Times are stored in UTC and shown in the configured zone (Asia/Ho_Chi_Minh by default).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import Flask, session
from flask_babel import Babel, format_datetime, gettext
from flask_login import current_user
from jinja2 import pass_context

from console.alerts.severity import severity_level, severity_word
from console.settings import Settings

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}


def init_app(app: Flask, settings: Settings) -> None:
    default = settings.console.default_locale

    def select_locale() -> str:
        if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
            return current_user.locale
        chosen = session.get("locale")
        return chosen if chosen in LANGUAGES else default

    Babel(
        app,
        locale_selector=select_locale,
        timezone_selector=lambda: settings.console.timezone,
        default_translation_directories=str(Path(__file__).parent.parent / "translations"),
        default_locale=default,
    )
    app.jinja_env.filters["localtime"] = lambda value, fmt="yyyy-MM-dd HH:mm:ss": (
        format_datetime(value, fmt) if value else "—"
    )
    app.jinja_env.filters["localiso"] = _local_iso
    app.jinja_env.filters["severity_word"] = _severity_word
    app.jinja_env.filters["severity_level"] = severity_level
    app.jinja_env.filters["host_warning"] = _host_warning
    app.context_processor(lambda: {"languages": LANGUAGES, "current_locale": select_locale()})


def _local_iso(value, fmt: str = "yyyy-MM-dd HH:mm:ss") -> str:
    """An ISO 8601 text from a report, shown in the console's zone; shown as is if it is not one."""
    try:
        return format_datetime(datetime.fromisoformat(str(value)), fmt)
    except ValueError:
        return str(value or "—")


def _host_warning(warning) -> str:
    """A host warning (console.agents.host_reports.HostWarning) in the user's language."""
    message, params = getattr(warning, "message", None), getattr(warning, "params", ())
    if message is None:  # a plain text
        return str(warning)
    return gettext(message, **dict(params))


@pass_context  # never folded at compile time (`1|severity_word` is a constant): translated per request
def _severity_word(_context, value) -> str:
    """Suricata's severity as the word in the user's language (console.alerts.severity holds the mapping)."""
    return gettext(severity_word(value))
