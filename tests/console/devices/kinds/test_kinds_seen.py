"""What people see of uplinks and server rooms, read from real components (a router namespace's snmpd and
snmpsim): the Devices page and a device's page (in Vietnamese too), the Overview line of each kind,
/api/v1/devices with its kind filter, and `ops devices poll|list --kind`."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from console.db import session_scope
from console.devices import service as devices
from console.models import User
from console.settings import load_settings
from tests.console.cli.test_cli import ops
from tests.fixtures.router import COMMUNITY
from tests.console.devices.kinds.test_room_sensors import apc_walk


@pytest.fixture
def settings(config_file, router_uplinks, snmpsim_room, monkeypatch):
    monkeypatch.setenv("TEST_ROUTER_COMMUNITY", COMMUNITY)
    monkeypatch.setenv("TEST_ROOM_COMMUNITY", "apc")
    snmpsim_room.write("apc", apc_walk(22, humidity=45))
    snmpsim_room.start("apc")
    config_file.write_text(config_file.read_text() + f"""
[[devices]]
name = "uplink-vnpt"
kind = "uplink"
connector = "snmp"
address = "{router_uplinks.address}"
community = "env:TEST_ROUTER_COMMUNITY"
interface = "wan1"
group = "wan"
gateway = "{router_uplinks.gateway(1)}"
ping_count = 2

[[devices]]
name = "room-a"
kind = "room"
connector = "snmp"
address = "127.0.0.1"
port = {snmpsim_room.port}
community = "env:TEST_ROOM_COMMUNITY"
temperature = {{source = "apc_probe", index = 1}}
humidity = {{source = "apc_probe", index = 1}}
temperature_max = 26
""")
    return load_settings(config_file)


@pytest.fixture
def polled(settings, session_factory):
    with session_scope(session_factory) as session:
        results = devices.poll_all(session, settings)
    assert [(r.name, r.status) for r in results] == [("uplink-vnpt", "ok"), ("room-a", "ok")], results
    return settings


@pytest.mark.sqlite_only  # the same queries as the API test, which runs on both databases
def test_devices_page_device_page_and_overview_show_uplinks_and_rooms(polled, logged_in, session_factory):
    client = logged_in("auditor")
    page = client.get("/devices/").get_data(as_text=True)
    assert "Uplink" in page and "wan1 up" in page
    assert "Server room" in page and "22.0 °C (within range) · 45.0 % (within range)" in page
    uplink = client.get("/devices/uplink-vnpt").get_data(as_text=True)
    assert 'data-testid="uplink-status">up · administratively up' in uplink
    assert "ms · loss 0.0 %" in uplink  # the round trip to the ISP's gateway, by fping
    room = client.get("/devices/room-a").get_data(as_text=True)
    assert "22.0 °C · within range (15.0–26.0 °C) · APC probe 1" in room
    overview = client.get("/").get_data(as_text=True)
    assert 'data-testid="uplink-state-uplink-vnpt">up<' in overview
    assert 'data-testid="room-state-room-a">within range<' in overview
    with session_scope(session_factory) as session:
        session.execute(update(User).where(User.username == "auditor1").values(locale="vi"))
    page = client.get("/devices/").get_data(as_text=True)
    assert "Đường truyền" in page and "wan1 hoạt động" in page and "Phòng máy chủ" in page
    assert "22.0 °C (trong ngưỡng)" in page


def test_api_lists_devices_of_one_kind_with_their_summary(polled, client, token_for):  # noqa: F811
    auditor = token_for("auditor")
    rooms = client.get("/api/v1/devices?kind=room", headers=auditor).json["data"]
    assert [(d["name"], d["fields"]["temperature_c"], d["summary"]) for d in rooms] == [
        ("room-a", 22.0, "22.0 C (ok) 45.0% RH (ok)")]
    uplinks = client.get("/api/v1/devices?kind=uplink", headers=auditor).json["data"]
    assert [(d["name"], d["fields"]["oper_status"]) for d in uplinks] == [("uplink-vnpt", "up")]
    refused = client.get("/api/v1/devices?kind=toaster", headers=auditor)
    assert refused.status_code == 400 and refused.json["errors"][0]["field"] == "kind"
    overview = client.get("/api/v1/overview", headers=auditor).json["data"]["devices"]
    assert [(u["name"], u["state"]) for u in overview["uplinks"]] == [("uplink-vnpt", "up")]
    assert [(r["name"], r["state"], r["temperature_c"]) for r in overview["rooms"]] == [("room-a", "ok", 22.0)]


@pytest.mark.sqlite_only  # the same queries as the API test, which runs on both databases
def test_ops_devices_poll_and_list_by_kind(settings, config_file):
    assert ops("db", "upgrade", config=config_file).returncode == 0
    polled = ops("devices", "poll", config=config_file)
    assert polled.returncode == 0, polled.stdout + polled.stderr
    assert polled.stdout.splitlines() == ["uplink-vnpt: ok", "room-a: ok"]
    rooms = ops("devices", "list", "--kind", "room", config=config_file).stdout.splitlines()
    assert len(rooms) == 2 and rooms[1].startswith("room-a") and "22.0 C (ok) 45.0% RH (ok)" in rooms[1]
    uplinks = ops("devices", "list", "--kind", "uplink", config=config_file).stdout.splitlines()
    assert len(uplinks) == 2 and "wan1 up in - out - errors 0/0 rtt " in uplinks[1] and "loss 0.0%" in uplinks[1]
    wrong = ops("devices", "list", "--kind", "toaster", config=config_file)
    assert wrong.returncode != 0 and "must be one of ups, firewall, uplink, room" in wrong.stderr


def test_compliance_judges_the_uplink_and_the_room(polled, session_factory, snmpsim_room):
    """AV-UPLINK-01 and AV-ROOM-01/02 on the devices' newest polls: up and 22 °C pass; the room at 31 °C fails,
    over its temperature_max of 26, while its humidity (45 %) still passes."""
    from console.access.actor import Actor
    from console.compliance import history, runs
    from console.compliance.catalog import configured_catalog

    def judged() -> dict:
        outcome = runs.execute(session_factory, Actor.cli(), configured_catalog(polled))
        with session_factory() as session:
            return {(row.target, row.control_id): (row.result, row.why) for name in ("uplink-vnpt", "room-a")
                    for row in history.iter_results(session, outcome.run_id, target=name)
                    if row.control_id.startswith("AV-")}

    assert {key: result for key, (result, _why) in judged().items()} == {
        ("uplink-vnpt", "AV-UPLINK-01"): "pass", ("room-a", "AV-ROOM-01"): "pass", ("room-a", "AV-ROOM-02"): "pass"}
    snmpsim_room.write("apc", apc_walk(31, humidity=45))
    with session_scope(session_factory) as session:
        assert [r.status for r in devices.poll_all(session, polled)] == ["ok", "ok"]
    hot = judged()
    assert hot[("room-a", "AV-ROOM-01")][0] == "fail" and "high" in hot[("room-a", "AV-ROOM-01")][1]
    assert hot[("room-a", "AV-ROOM-02")][0] == "pass" and hot[("uplink-vnpt", "AV-UPLINK-01")][0] == "pass"
