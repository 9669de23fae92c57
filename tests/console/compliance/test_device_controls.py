"""Device controls judged on what the real connectors read: NUT upsd with dummy-ups, and the Sophos replay.

The UPS is the Debian upsd the NUT fixture starts; the firewall is the replay
double of the Sophos XML API (tests/fixtures/sophos_api.py), whose zones
open HTTPS and SSH on LAN only.
"""

from __future__ import annotations

import time

from console.compliance.catalog import load_catalog
from console.devices.config import DeviceConfig
from console.compliance import runs as compliance_runs
from console.devices import service as devices
from console.access.actor import Actor
from tests.console.compliance.helpers import results_of
from console.lab.ups import write_device_file
from tests.fixtures.nut import DEVICE
from tests.fixtures.sophos_api import PASSWORD, USERNAME


def configs(port: int, replay) -> list[DeviceConfig]:
    return [
        DeviceConfig(name="ups-server-room", kind="ups", connector="nut", address="127.0.0.1", port=port,
                     ups="testups", hosts=["dtnmt-web-01"], timeout_seconds=5),
        DeviceConfig(name="xg210", kind="firewall", connector="sophos", address="127.0.0.1", port=replay.port,
                     username=USERNAME, password="env:TEST_XG_PASSWORD", pin_sha256=replay.pin,
                     hosts=["dtnmt-web-01"], timeout_seconds=5),
    ]


def poll_until(session, devices_config, flag: str) -> None:
    """dummy-ups rereads its file on its own schedule: poll until the UPS shows `flag`."""
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        devices.poll_all(session, devices_config)
        session.commit()
        state = next(s for s in devices.latest_states(session) if s.name == "ups-server-room")
        if flag in (state.fields.get("status_flags") or []):
            return
        time.sleep(1)
    raise AssertionError(f"upsd never reported {flag}")


def test_device_controls_follow_the_ups_and_the_firewall_as_the_connectors_read_them(
        session, session_factory, upsd, sophos_api, monkeypatch):
    monkeypatch.setenv("TEST_XG_PASSWORD", PASSWORD)
    device_file, port, _server = upsd
    devices_config = configs(port, sophos_api)
    poll_until(session, devices_config, "OL")
    catalog = load_catalog()

    on_line = results_of(session_factory, compliance_runs.execute(session_factory, Actor.cli(), catalog).run_id)
    assert on_line[("UPS-DEV-01", "ups-server-room")] == "pass"
    assert on_line[("FW-XG-01", "xg210")] == "pass"      # admin services open on LAN only, none on WAN
    assert on_line[("FW-XG-03", "xg210")] == "pass"      # the appliance answered with its API version

    write_device_file(device_file, DEVICE.replace("ups.status: OL", "ups.status: OB DISCHRG"))
    poll_until(session, devices_config, "OB")
    on_battery = results_of(session_factory, compliance_runs.execute(session_factory, Actor.cli(), catalog).run_id)
    assert on_battery[("UPS-DEV-01", "ups-server-room")] == "fail"

    sophos_api.mode = "garbage"
    devices.poll_all(session, devices_config)
    session.commit()
    unreadable = results_of(session_factory, compliance_runs.execute(session_factory, Actor.cli(), catalog).run_id)
    assert unreadable[("FW-XG-01", "xg210")] == "unknown"   # a firewall that answers garbage is never a pass
