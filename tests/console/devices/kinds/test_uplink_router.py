"""Two uplinks of a real router (a network namespace whose snmpd reports its veth interfaces' IF-MIB counters):
traffic measured from real packets, round-trip time and loss to the ISP's gateway by fping, a cut line seen as down, the failover to the other uplink and the way back,
each told once. Poll times are given (`now`), so rates need no waiting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from console.devices import service as devices
from console.devices.connectors import ConnectorError
from console.devices.config import DeviceConfig
from console.devices.kinds import uplink
from console.models.base import utcnow
from console.models.notify import NotifyDelivery
from tests.fixtures.router import COMMUNITY
from tests.fixtures.notify_config import syslog_rule

NOTIFY = syslog_rule()
IF_HC_IN = "1.3.6.1.2.1.31.1.1.1.6"
IF_OPER = "1.3.6.1.2.1.2.2.1.8"


@pytest.fixture
def config_file(config_file):
    config_file.write_text(config_file.read_text() + NOTIFY)
    return config_file


@pytest.fixture(autouse=True)
def community(monkeypatch):
    monkeypatch.setenv("TEST_ROUTER_COMMUNITY", COMMUNITY)


def uplinks(router) -> list[DeviceConfig]:
    common = {"kind": "uplink", "connector": "snmp", "address": router.address, "community": "env:TEST_ROUTER_COMMUNITY",
              "group": "wan", "timeout_seconds": 6}
    return [DeviceConfig(name="uplink-vnpt", interface="wan1", gateway=router.gateway(1), ping_count=3, **common),
            DeviceConfig(name="uplink-viettel", interface="wan2", **common)]


def told(session) -> list[tuple[str, str]]:
    return [(row.kind, row.subject) for row in session.scalars(select(NotifyDelivery).order_by(NotifyDelivery.id))]


def index_of(router, name: str) -> int:
    import json
    import subprocess

    shown = subprocess.run(["ip", "-n", router.router, "-j", "link", "show", name], capture_output=True, text=True,
                           check=True)
    return json.loads(shown.stdout)[0]["ifindex"]


def test_traffic_outage_failover_and_back_on_a_real_router(session, router_uplinks):
    router, configs = router_uplinks, uplinks(router_uplinks)
    wan1, wan2 = index_of(router, "wan1"), index_of(router, "wan2")
    t0 = utcnow()
    assert [r.status for r in devices.poll_all(session, configs, now=t0)] == ["ok", "ok"]
    first = {item.name: item.fields for item in devices.latest_states(session)}
    assert first["uplink-vnpt"]["oper_status"] == "up" and first["uplink-vnpt"]["in_bps"] is None
    assert first["uplink-vnpt"]["loss_percent"] == 0.0 and 0 < first["uplink-vnpt"]["rtt_ms"] < 100
    assert "rtt_ms" not in first["uplink-viettel"]  # no gateway configured: no fping

    # Real traffic over wan1: 300 echo requests of 1200 bytes come back as 300 replies into wan1.
    before = int(router.snmpget(f"{IF_HC_IN}.{wan1}"))
    router.traffic(1, count=300, size=1200)
    router.wait_for(f"{IF_HC_IN}.{wan1}", lambda value: int(value) >= before + 300 * 1200)
    devices.poll_all(session, configs, now=t0 + timedelta(seconds=60))
    state = {item.name: item.fields for item in devices.latest_states(session)}
    assert state["uplink-vnpt"]["in_bps"] >= 300 * 1200 * 8 / 60
    assert state["uplink-viettel"]["in_bps"] < 8000
    assert (state["uplink-vnpt"]["carrying"], state["uplink-viettel"]["carrying"]) == (True, False)
    assert told(session) == []

    # The line of wan1 is cut at the ISP's end; the traffic goes over wan2.
    router.isp_link(1, up=False)
    router.wait_for(f"{IF_OPER}.{wan1}", lambda value: value != "1" and value != "up")
    router.traffic(2, count=300, size=1200)
    devices.poll_all(session, configs, now=t0 + timedelta(seconds=120))
    state = {item.name: item.fields for item in devices.latest_states(session)}
    assert state["uplink-vnpt"]["oper_status"] in ("down", "lowerLayerDown")
    assert (state["uplink-vnpt"]["loss_percent"], state["uplink-vnpt"]["rtt_ms"]) == (100.0, None)
    assert (state["uplink-vnpt"]["carrying"], state["uplink-viettel"]["carrying"]) == (False, True)
    assert told(session) == [
        ("uplink.down", "[high] Uplink uplink-vnpt is down"),
        ("uplink.failover", "[high] Traffic moved from uplink uplink-vnpt to uplink-viettel")]

    # Still down a minute later: nothing new. Then the line is back: told once; the traffic stays on wan2 (idle).
    devices.poll_all(session, configs, now=t0 + timedelta(seconds=180))
    router.isp_link(1, up=True)
    router.wait_for(f"{IF_OPER}.{wan1}", lambda value: value in ("1", "up"))
    devices.poll_all(session, configs, now=t0 + timedelta(seconds=240))
    state = {item.name: item.fields for item in devices.latest_states(session)}
    assert state["uplink-viettel"]["carrying"] is True
    assert [kind for kind, _subject in told(session)] == ["uplink.down", "uplink.failover", "uplink.up"]
    overview = devices.overview(session, configs)["uplinks"]
    assert [(line["name"], line["state"], line["carrying"]) for line in overview] == [
        ("uplink-vnpt", "up", False), ("uplink-viettel", "up", True)]


def test_an_interface_the_router_does_not_have_is_named_with_those_it_has(router_uplinks):
    config = uplinks(router_uplinks)[0].model_copy(
        update={"options": uplink.Options(interface="wan9")})
    with pytest.raises(ConnectorError, match=r"no interface named 'wan9' \(ifName or ifDescr\); it has: .*wan1, wan2"):
        uplink.read(config)
