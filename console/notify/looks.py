"""The looks the areas register at their own conditions; the notifications' minute look (watch.py) runs them.

A look is `look(session, settings, now, turned) -> list[Event]`, where `turned(session, key, active, now)` says
whether the condition `key` just started (announced once, again only after it ended). Kept apart from
watch.py so that registering one (console/wiring.py, at start) imports nothing heavy.
"""

from __future__ import annotations

__all__ = ["LOOKS", "register_look", "register_systems", "systems_by_host"]

LOOKS: list = []
_SYSTEMS: list = []


def register_look(look) -> None:
    """An area's own look at its conditions (console/incidents/conditions.py): the watcher only runs it."""
    if look not in LOOKS:
        LOOKS.append(look)


def register_systems(function) -> None:
    """Where a message finds each host's information system: `function(session) -> {host name: system key}`,
    registered by the area that keeps the systems (console/compliance/tasks.py), so that the areas announcing
    about hosts (agents/conditions.py, alerts/announce.py) import no area above them."""
    _SYSTEMS[:] = [function]


def systems_by_host(session) -> dict[str, str]:
    """{host name: information system key} by the registered function."""
    if not _SYSTEMS:
        raise RuntimeError("notifications need the hosts' information systems, which their area registers at start "
                           "(console.wiring.register_areas)")
    return _SYSTEMS[0](session)
