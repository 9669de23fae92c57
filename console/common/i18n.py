"""The one translation marker for code without Flask (the areas): `_l("text")` marks a message id.

`make messages` extracts it (babel.cfg's keyword `_l`); the text stays English here and is translated where
it is said: a page (flask_babel), a notification (console/notify/messages.py), a reason
(console/compliance/reasons.py). The web layers use flask_babel's lazy_gettext under the same name.
"""

from __future__ import annotations

__all__ = ["_l"]


def _l(text: str) -> str:
    """Marks a message id for extraction; translated when the message is shown or sent."""
    return text
