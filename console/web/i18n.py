"""Vietnamese and English: the user's choice, else the session's, else ops.toml's default.

Times are stored in UTC and shown in the configured zone (Asia/Ho_Chi_Minh by default).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from flask import Flask, session
from flask_babel import Babel, format_datetime, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup, escape

from console.alerts.query import group_action
from console.alerts.severity import severity_level, severity_word
from console.common.time import in_zone
from console.compliance.reasons import say_row
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
    app.jinja_env.filters["localtime"] = _local_time
    app.jinja_env.filters["localiso"] = _local_iso
    app.jinja_env.filters["severity_word"] = _severity_word
    app.jinja_env.filters["severity_level"] = severity_level
    app.jinja_env.filters["alert_action"] = group_action
    app.jinja_env.filters["host_warning"] = _host_warning
    app.jinja_env.filters["host_warning_text"] = _host_warning_text
    app.jinja_env.filters["reason"] = _reason
    app.jinja_env.filters["severity_name"] = _severity_name
    app.jinja_env.filters["catalogued"] = _catalogued
    app.jinja_env.filters["role_name"] = _role_name
    app.context_processor(lambda: {"languages": LANGUAGES, "current_locale": select_locale()})


def _local_time(value, fmt: str = "yyyy-MM-dd HH:mm:ss") -> str:
    """A stored time in the console's zone; never raises (a time the zone cannot hold is shown in UTC)."""
    if not value:
        return "—"
    try:
        return format_datetime(value, fmt)
    except (OverflowError, ValueError):  # year 9999 east of UTC: a row from before the time window
        return f"{in_zone(value, timezone.utc):%Y-%m-%d %H:%M:%S} UTC"


def _local_iso(value, fmt: str = "yyyy-MM-dd HH:mm:ss") -> str:
    """An ISO 8601 text from a report, shown in the console's zone; shown as is if it is not one."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value or "—")
    return _local_time(moment, fmt)


def _host_warning(warning) -> Markup:
    """A host warning (console.agents.host_reports.HostWarning) in the user's language, as HTML.

    Each value is agent-supplied text (a service, a mount, a collector name): escaped, and isolated in a
    <bdi> so a right-to-left override (U+202E) in it cannot reverse the sentence around it.
    """
    message, params = getattr(warning, "message", None), getattr(warning, "params", ())
    if message is None:  # a plain text
        return escape(str(warning))
    isolated = {name: Markup("<bdi>%s</bdi>") % str(value) for name, value in params}
    return escape(gettext(message)) % isolated  # the translated sentence escaped; Markup % keeps the <bdi>s


def _host_warning_text(warning) -> str:
    """The same sentence as plain text (for a title attribute), each value between Unicode isolates (FSI, PDI)."""
    message, params = getattr(warning, "message", None), getattr(warning, "params", ())
    if message is None:
        return str(warning)
    return gettext(message, **{name: f"\u2068{value}\u2069" for name, value in params})


CONTROL_SEVERITIES = {"low": _l("low"), "medium": _l("medium"), "high": _l("high"),
                      "critical": _l("critical"), "info": _l("informational")}


def _severity_name(value) -> str:
    """A control's or event's severity word (low ... critical) in the user's language."""
    found = CONTROL_SEVERITIES.get(str(value))
    return str(found) if found is not None else str(value)


ROLE_NAMES = {"admin": _l("Administrator"), "it_staff": _l("IT staff"),
              "security_officer": _l("Security officer"), "auditor": _l("Auditor")}


def _role_name(role) -> str:
    """A console role (admin, it_staff, security_officer, auditor) by its name in the user's language."""
    key = getattr(role, "value", role)
    found = ROLE_NAMES.get(str(key))
    return str(found) if found is not None else str(key)


def _catalogued(text) -> str:
    """A stored fixed sentence (a device's "never polled"...) from the catalogue; any other text as it is."""
    return gettext(str(text)) if text else ""


def _reason(row) -> str:
    """A compliance result's (or verdict's) reason in the user's language (console.compliance.reasons)."""
    return say_row(row, str(get_locale() or "en"))


@pass_context  # never folded at compile time (`1|severity_word` is a constant): translated per request
def _severity_word(_context, value) -> str:
    """Suricata's severity as the word in the user's language (console.alerts.severity holds the mapping)."""
    return gettext(severity_word(value))
