"""Uplinks as services depend on them, by name: the one door between availability and the devices area.

A service may declare `depends_on = ["uplink:isp-a"]`. The uplinks themselves
(an interface on the router, read over SNMP IF-MIB) belong to the devices
area; this module only asks it two things: which uplink names exist (for
`ops config check`) and whether one is down now (for "unreachable: <uplink>
down"). Until the devices area registers its answer with `register`, no
uplink is known to be down.
"""

from __future__ import annotations

from typing import Callable

UplinkDown = Callable[[object, str], bool | None]
_resolver: list[UplinkDown] = []


def configured_uplinks(settings) -> set[str] | None:
    """Names of the `[[devices]]` of kind "uplink"; None while the devices area has no such kind (names unchecked)."""
    from typing import get_args

    from console.devices.connectors.config import DeviceConfig

    if "uplink" not in get_args(DeviceConfig.model_fields["kind"].annotation):
        return None
    return {device.name for device in getattr(settings, "devices", []) if getattr(device, "kind", "") == "uplink"}


def register(resolver: UplinkDown) -> None:
    """The devices area's answer to "is uplink <name> down?": resolver(session, name) -> True, False or None."""
    _resolver[:] = [resolver]


def uplink_down(session, name: str) -> bool:
    """True when the registered resolver says the uplink is down; False when up, unknown or none is registered."""
    if not _resolver:
        return False
    return bool(_resolver[0](session, name))
