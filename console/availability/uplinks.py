"""Uplinks as services depend on them, by name: the one door between availability and the devices area.

A service may declare `depends_on = ["uplink:isp-a"]`. The uplinks themselves
(an interface on the router, read over SNMP IF-MIB) belong to the devices
area; this module asks it whether one is down now (for "unreachable: <uplink>
down"); which uplink names exist is configuration (availability.config
.configured_uplinks). The answer is the devices area's newest poll of the
uplink (`devices.service.uplink_down`); `register` puts another answer in its
place.
"""

from __future__ import annotations

from typing import Callable

UplinkDown = Callable[[object, str], bool | None]
_resolver: list[UplinkDown] = []


def register(resolver: UplinkDown) -> None:
    """The devices area's answer to "is uplink <name> down?": resolver(session, name) -> True, False or None."""
    _resolver[:] = [resolver]


def uplink_down(session, name: str) -> bool:
    """True when the uplink is down by its newest poll; False when up or not known."""
    if _resolver:
        return bool(_resolver[0](session, name))
    from console.devices import service as devices

    return bool(devices.uplink_down(session, name))
