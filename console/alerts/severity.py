"""Suricata's alert severity as a word: 1 is high, 2 medium, 3 low, 4 and anything else informational.

The one mapping: the pages show the word translated, with a colour by its level
(`severity_level` gives the CSS class part, the `severity_word` filter in console/web/i18n.py
the word in the user's language); URLs, filters and the API keep the number.
"""

from __future__ import annotations

from console.common.i18n import _l


LEVELS = {1: "high", 2: "medium", 3: "low"}
OTHER = "informational"
WORDS = {"high": _l("high"), "medium": _l("medium"), "low": _l("low"), "informational": _l("informational")}
CHOICES = (1, 2, 3, 4)  # what the inbox filter offers


def severity_level(severity) -> str:
    """high, medium, low or informational (also for a missing or odd value)."""
    try:
        return LEVELS.get(int(severity), OTHER)
    except (TypeError, ValueError):
        return OTHER


def severity_word(severity) -> str:
    """The English word (the message id the pages translate)."""
    return WORDS[severity_level(severity)]
