"""The looks the areas register at their own conditions; the notifications' minute look (watch.py) runs them.

A look is `look(session, settings, now, turned) -> list[Event]`, where `turned(session, key, active, now)` says
whether the condition `key` just started (announced once, again only after it ended). Kept apart from
watch.py so that registering one (console/wiring.py, at start) imports nothing heavy.
"""

from __future__ import annotations

__all__ = ["LOOKS", "register_look"]

LOOKS: list = []


def register_look(look) -> None:
    """An area's own look at its conditions (console/incidents/conditions.py): the watcher only runs it."""
    if look not in LOOKS:
        LOOKS.append(look)
