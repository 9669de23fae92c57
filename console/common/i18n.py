"""Translation for code without Flask (the areas): the one marker `_l` and the one catalogue loader.

`_l("text")` marks a message id: `make messages` extracts it (babel.cfg's keyword `_l`); the text stays
English here and is translated where it is said: a page (flask_babel), a notification
(console/notify/messages.py), a reason (console/compliance/reasons.py), a report (compliance, availability).
The web layers use flask_babel's lazy_gettext under the same name. `translations(language)` is the compiled
catalogue of console/translations (English: the message ids themselves).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

__all__ = ["TRANSLATIONS", "_l", "translations"]

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


@lru_cache(maxsize=8)
def translations(language: str) -> NullTranslations:
    """The catalogue of `language` ("vi", "en"), loaded once per process; English and unknown: the ids as they are."""
    if language == "en":
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [language], domain="messages")


def _l(text: str) -> str:
    """Marks a message id for extraction; translated when the message is shown or sent."""
    return text
