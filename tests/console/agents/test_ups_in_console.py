"""A dummy UPS flipped to on-battery and to low-battery shows in the console through the agent."""

from __future__ import annotations

import time

import pytest

from console.db import session_scope
from console.agents import enrolment as agent_service
from console.access.actor import Actor
from probes.agent import Agent, enroll
from probes.collectors.ups import UpsCollector
from probes.config import AgentSettings
from console.lab.ups import write_device_file
from tests.fixtures.nut import DEVICE

HOST = "dtnmt-vp-ups-01"


def report_until(agent: Agent, client, headers, expected: str) -> dict:
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        assert agent.run_once().sent == 1
        data = client.get(f"/api/v1/hosts/{HOST}/reports?hours=1", headers=headers).json["data"]
        if any(expected in reason for reason in data["reasons"]):
            return data
        time.sleep(0.5)
    raise AssertionError(f"the console never showed {expected!r}: {data['reasons']}")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_on_battery_and_low_battery_reach_the_console(upsd, live_server, session_factory, tmp_path, logged_in):
    from console.models import Role
    from console.access import tokens

    device, port, _server = upsd
    client = logged_in("auditor", "watch")
    with session_scope(session_factory) as db:
        _row, token = agent_service.create_enrollment_token(db, Actor.cli(), HOST)
        _api, api_token = tokens.create_token(db, Actor("watch", Role.auditor), "t", None, 1)
    headers = {"Authorization": f"Bearer {api_token}"}
    settings = AgentSettings(state_dir=tmp_path / "agent", host_name=HOST)
    enroll(settings, live_server.url, token)
    agent = Agent(settings, [UpsCollector([f"testups@127.0.0.1:{port}"])])
    assert agent.run_once().sent == 1
    data = client.get(f"/api/v1/hosts/{HOST}/reports?hours=1", headers=headers).json["data"]
    assert data["status"] == "ok" and data["reports"][-1]["ups"][0]["status_flags"] == ["OL"]
    write_device_file(device, DEVICE.replace("ups.status: OL", "ups.status: OB DISCHRG"))
    data = report_until(agent, client, headers, "is on battery")
    assert data["status"] == "warning"
    write_device_file(device, DEVICE.replace("ups.status: OL", "ups.status: OB LB").replace("battery.charge: 100", "battery.charge: 8"))
    data = report_until(agent, client, headers, "battery is low")
    assert data["reports"][-1]["ups"][0]["battery_charge_percent"] == 8.0
    page = client.get(f"/hosts/{HOST}").get_data(as_text=True)
    assert "OB LB" in page and "battery is low" in page
