"""A service that depends on an uplink learns the uplink's state from the devices area's newest poll."""

from __future__ import annotations

from datetime import timedelta

from console.availability import uplinks
from console.availability.config import configured_uplinks
from console.db import session_scope
from console.devices import service as devices
from console.models.base import utcnow
from console.models.devices import Device, DeviceState


def _uplink(db, name: str, *polls: tuple[str, dict]) -> None:
    device = Device(name=name, kind="uplink", connector="snmp", address="198.18.30.1", port=161, host_names=[])
    db.add(device)
    db.flush()
    for n, (status, state) in enumerate(polls):
        db.add(DeviceState(device_id=device.id, collected_at=utcnow() - timedelta(minutes=len(polls) - n),
                           status=status, state=state))


def test_the_newest_poll_of_the_uplink_says_whether_it_is_down(session_factory):
    with session_scope(session_factory) as db:
        _uplink(db, "isp-a", ("ok", {"oper_status": "up"}), ("ok", {"oper_status": "down"}))
        _uplink(db, "isp-b", ("ok", {"oper_status": "down"}), ("ok", {"oper_status": "up"}))
        _uplink(db, "isp-c", ("ok", {"oper_status": "down"}), ("unknown", {}))  # the router did not answer
    with session_factory() as db:
        assert devices.uplink_down(db, "isp-a") is True
        assert devices.uplink_down(db, "isp-b") is False
        assert devices.uplink_down(db, "isp-c") is None
        assert devices.uplink_down(db, "no-such-uplink") is None
        # what the availability area asks when a service depends on "uplink:<name>"
        assert [uplinks.uplink_down(db, name) for name in ("isp-a", "isp-b", "isp-c")] == [True, False, False]


def test_uplink_names_for_the_config_check_are_the_devices_of_kind_uplink():
    class Item:
        def __init__(self, name, kind):
            self.name, self.kind = name, kind

    class Settings:
        devices = [Item("isp-a", "uplink"), Item("ups-1", "ups"), Item("isp-b", "uplink")]

    assert configured_uplinks(Settings()) == {"isp-a", "isp-b"}
