"""Rendering an event as a message in a channel's language: subject, text with its detail lines, and the link.

The texts are the kinds' message ids (console/notify/kinds.py) translated
with the console's catalogue, formatted with the event's parameters; a
parameter the text does not know is left out, one it expects and lacks shows
as "?", so a message is always sent. Times are shown in the console's zone.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from console.common.i18n import _l, translations
from console.notify.kinds import KINDS, SEVERITY_NAMES

__all__ = ["bilingual", "severity_name"]

MAX_LINES = 50
MAX_SUBJECT = 300
OPEN_LINK = _l("Open in the console: %(link)s")
MORE_LINES = _l("... and %(count)s more")
REPEATS = _l("This happened %(count)s more times since the last message.")


class _Params(dict):
    def __missing__(self, key):
        return "?"


def bilingual(msgid: str) -> dict[str, str]:
    """A catalogue text in both languages, for an event parameter that is words rather than a fact."""
    return {language: translations(language).gettext(msgid) for language in ("vi", "en")}


def local_text(value, zone: str, language: str = "en") -> str:
    """A time as people here read it: 2026-12-01 14:13 (Asia/Ho_Chi_Minh); a text by language in `language`."""
    if isinstance(value, dict):
        return str(value.get(language, value.get("en", "")))
    if isinstance(value, datetime):
        return f"{value.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M:%S} ({zone})"
    return str(value)


def severity_name(severity: str, language: str) -> str:
    return translations(language).gettext(SEVERITY_NAMES.get(severity, severity))


def render(kind: str, severity: str, params: dict, lines: list, link: str, language: str,
           zone: str) -> tuple[str, str]:
    """(subject, text) of one event in `language`; a detail line is a str, or a dict of texts by language."""
    gettext = translations(language).gettext
    spec = KINDS[kind]
    values = _Params({name: local_text(value, zone, language) for name, value in params.items()})
    values["severity_name"] = gettext(SEVERITY_NAMES.get(severity, severity))
    subject = f"[{values['severity_name']}] {_format(gettext(spec.subject), values)}"
    text = [_format(gettext(spec.text), values)]
    if lines:
        text.append("")
        text += [f"- {line.get(language, '') if isinstance(line, dict) else line}" for line in lines[:MAX_LINES]]
        if len(lines) > MAX_LINES:
            text.append(_format(gettext(MORE_LINES), _Params(count=len(lines) - MAX_LINES)))
    text += ["", _format(gettext(OPEN_LINK), _Params(link=link))]
    return " ".join(subject.split())[:MAX_SUBJECT], "\n".join(text)


def repeats_line(count: int, language: str) -> str:
    return _format(translations(language).gettext(REPEATS), _Params(count=count))


def _format(template: str, values: dict) -> str:
    try:
        return template % values
    except (TypeError, ValueError):  # a translation with a broken placeholder: the text as it is
        return template
