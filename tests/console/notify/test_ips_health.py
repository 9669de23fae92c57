"""An IPS sensor that stops inspecting is a critical event, told once, and on the Overview: the message says
what traffic does meanwhile (af-packet IPS fails closed, NFQUEUE with bypass fails open).

The sensor host's agent reports through the real report ingest (the "sensor" section the agent's Suricata
collector writes); the minute's look (console/notify/watch.py) reads the newest report.
"""

from __future__ import annotations

import pytest

from console.db import session_scope
from console.notify import watch
from tests.console.compliance.helpers import enrol, ingest, report
from tests.console.notify.test_events import EVERYTHING, messages

SENSOR_HOST, GATEWAY_HOST = "dtnmt-ids-01", "dtnmt-mail-01"  # a gateway host, for the test
RUNNING = {"engine": "suricata", "running": True, "rules_loaded": 40, "rules_failed": 0, "packets": 100000, "drops": 10}


@pytest.fixture
def config_file(config_file):
    config_file.write_text(config_file.read_text() + EVERYTHING + (
        '[rules]\nips_kernel_drop_percent_max = 2.0\nsensors = ['
        f'{{name = "edge-ips", kind = "ansible", host = "{SENSOR_HOST}", mode = "ips"}}, '
        f'{{name = "gw-ips", kind = "ansible", host = "{GATEWAY_HOST}", mode = "ips", ips_method = "nfqueue"}}]\n'))
    return config_file


def look(factory, settings) -> None:
    with session_scope(factory) as session:
        watch.look(session, settings)


def test_an_ips_sensor_down_is_critical_once_and_says_traffic_stops(session_factory, settings, synced, logged_in):
    sensor, gateway = enrol(session_factory, SENSOR_HOST), enrol(session_factory, GATEWAY_HOST)
    ingest(session_factory, sensor, report(SENSOR_HOST, sensor=RUNNING))
    ingest(session_factory, gateway, report(GATEWAY_HOST, sensor={**RUNNING, "drops": 5000}))  # 5 % dropped
    look(session_factory, settings)
    [open_gateway] = messages(session_factory, "sensor.ips_down")
    assert open_gateway.severity == "critical" and open_gateway.event_key == f"sensor:{GATEWAY_HOST}"
    assert "the kernel dropped 5.0% of the packets (more than 2%)" in open_gateway.body
    assert "fails open: traffic passes through it unchecked" in open_gateway.body

    ingest(session_factory, sensor, report(SENSOR_HOST, sensor={**RUNNING, "running": False}))
    look(session_factory, settings)
    look(session_factory, settings)  # still down: not told again

    told = messages(session_factory, "sensor.ips_down")
    assert [m.event_key for m in told] == [f"sensor:{GATEWAY_HOST}", f"sensor:{SENSOR_HOST}"]
    assert "Suricata is not running" in told[1].body and "fails closed: traffic through it stops" in told[1].body
    overview = logged_in("auditor").get("/").get_data(as_text=True)
    assert 'data-testid="ips-down-edge-ips"' in overview and 'data-testid="ips-down-gw-ips"' in overview
    assert "fails closed: traffic through it stops" in overview


def test_an_ips_sensor_that_only_watches_is_critical_and_says_its_drops_pass(session_factory, settings, synced,
                                                                             logged_in):
    sensor = enrol(session_factory, SENSOR_HOST)
    watching = {**RUNNING, "capture_mode": "AF_PACKET_DEV", "blocking": False}  # copy-mode ips missing
    ingest(session_factory, sensor, report(SENSOR_HOST, sensor=watching))
    look(session_factory, settings)
    [told] = messages(session_factory, "sensor.ips_down")
    assert told.severity == "critical" and "Suricata captures in AF_PACKET_DEV without blocking" in told.body
    assert "It only watches: what its drop rules match passes through." in told.body
    auditor = logged_in("auditor")
    overview = auditor.get("/").get_data(as_text=True)
    assert 'data-testid="ips-down-edge-ips"' in overview and "It only watches" in overview
    ingest(session_factory, sensor, report(SENSOR_HOST, sensor={**watching, "blocking": True}))
    look(session_factory, settings)
    assert 'data-testid="ips-down-edge-ips"' not in auditor.get("/").get_data(as_text=True)


@pytest.mark.sqlite_only  # the same look as above
def test_an_ids_sensor_that_stops_is_no_ips_event(session_factory, settings, synced):
    host = "dtnmt-web-01"  # not an IPS sensor of [rules] sensors
    ingest(session_factory, enrol(session_factory, host), report(host, sensor={**RUNNING, "running": False}))
    look(session_factory, settings)
    assert messages(session_factory, "sensor.ips_down") == []
