"""Server room temperature and humidity read over SNMP from the PyPI snmpsim serving walks.

Real walks (snmpsim-data): a Palo Alto PA-5000 (ENTITY-SENSOR-MIB, RFC 3433: entPhySensorType.12 = celsius(8),
entPhySensorScale.12 = units(9), entPhySensorPrecision.12 = 0, entPhySensorValue.12 = 23, OperStatus ok(1)) and
an Eaton 93E UPS (UPS-MIB, RFC 1628: upsBatteryTemperature.0 = 25).

No walk of an APC environmental monitor ships with snmpsim-data, so the APC probe below is written by the test,
following PowerNet-MIB's iemStatusProbesTable (1.3.6.1.4.1.318.1.1.10.2.3.2.1): iemStatusProbeName (.2,
DisplayString), iemStatusProbeStatus (.3, disconnected(1) connected(2)), iemStatusProbeCurrentTemp (.4,
INTEGER, in the units of .5), iemStatusProbeTempUnits (.5, celsius(1) fahrenheit(2)), iemStatusProbeCurrentHumid
(.6, INTEGER percent), index iemStatusProbeNumber. The generic OID sits under IANA's documentation enterprise
number 32473 (RFC 5612), in tenths of a degree.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from console.devices import service as devices
from console.devices.connectors import ConnectorError
from console.devices.config import DeviceConfig
from console.devices.kinds import room
from console.errors import ConfigError
from console.models.base import utcnow
from console.models.notify import NotifyDelivery
from console.settings import load_settings
from tests.fixtures.snmpsim import real_walk
from tests.fixtures.notify_config import syslog_rule

APC = "1.3.6.1.4.1.318.1.1.10.2.3.2.1"
GENERIC = "1.3.6.1.4.1.32473.1.1.0"
NOTIFY = syslog_rule()


def apc_walk(temperature: int, humidity: int = 45, units: int = 1, status: int = 2) -> list[str]:
    return ["1.3.6.1.2.1.1.3.0|67|123456", "1.3.6.1.2.1.1.5.0|4|apc-em-room-a",
            f"{APC}.1.1|2|1", f"{APC}.2.1|4|Server room A", f"{APC}.3.1|2|{status}", f"{APC}.4.1|2|{temperature}",
            f"{APC}.5.1|2|{units}", f"{APC}.6.1|2|{humidity}", f"{GENERIC}|2|{temperature * 10 + 5}"]


def room_config(sim, community: str, **options) -> DeviceConfig:
    options.setdefault("temperature", {"source": "apc_probe", "index": 1})
    return DeviceConfig(name=f"room-{community}", kind="room", connector="snmp", address="127.0.0.1", port=sim.port,
                        community=f"env:ROOM_{community.upper()}", timeout_seconds=6, **options)


@pytest.fixture(autouse=True)
def communities(monkeypatch):
    for community in ("apc", "paloalto", "eaton"):
        monkeypatch.setenv(f"ROOM_{community.upper()}", community)


@pytest.fixture
def sim(snmpsim_room):
    snmpsim_room.write("apc", apc_walk(22))
    snmpsim_room.write("paloalto", real_walk("network/firewall/paloalto-pa-5000.snmprec.bz2"))
    snmpsim_room.write("eaton", real_walk("UPS/eaton-93e-80.snmprec.bz2"))
    return snmpsim_room.start("apc")


@pytest.fixture
def config_file(config_file):
    config_file.write_text(config_file.read_text() + NOTIFY)
    return config_file


def test_each_source_reads_a_temperature(sim):
    apc = room.read(room_config(sim, "apc", humidity={"source": "apc_probe", "index": 1}))
    assert (apc["temperature_c"], apc["humidity_percent"], apc["temperature_source"]) == (22.0, 45.0, "APC probe 1")
    generic = room.read(room_config(sim, "apc", temperature={"source": "oid", "oid": GENERIC, "scale": 0.1}))
    assert generic["temperature_c"] == 22.5
    assert room.read(room_config(sim, "paloalto", temperature={"source": "entity_sensor", "index": 12}))[
        "temperature_c"] == 23.0
    assert room.read(room_config(sim, "eaton", temperature={"source": "ups_battery"}))["temperature_c"] == 25.0


def test_a_fahrenheit_probe_is_converted_and_a_disconnected_one_is_a_reason(sim):
    sim.write("apc", apc_walk(77, units=2))
    assert room.read(room_config(sim, "apc"))["temperature_c"] == 25.0
    sim.write("apc", apc_walk(22, status=1))
    with pytest.raises(ConnectorError, match="APC probe 1 is disconnected"):
        room.read(room_config(sim, "apc"))


def test_an_entity_sensor_that_is_not_a_thermometer_is_refused(sim):
    """entPhySensorType.2 of the PA-5000 is rpm(10): a fan, not the room's temperature."""
    with pytest.raises(ConnectorError, match="entity sensor 2 is of entPhySensorType 10, not 8"):
        room.read(room_config(sim, "paloalto", temperature={"source": "entity_sensor", "index": 2}))


def test_a_failing_air_conditioner_warns_on_the_rise_then_on_the_threshold_then_back(session, sim):
    config = [room_config(sim, "apc", humidity={"source": "apc_probe", "index": 1})]
    t0 = utcnow()

    def poll_at(minutes: int, temperature: int, humidity: int = 45) -> dict:
        sim.write("apc", apc_walk(temperature, humidity))
        (result,) = devices.poll_all(session, config, now=t0 + timedelta(minutes=minutes))
        assert result.status == "ok", result.reason
        return devices.latest_states(session)[0].fields

    assert poll_at(0, 22)["temperature_state"] == "ok"
    assert poll_at(4, 23)["rising"] is False
    warned = poll_at(8, 25)
    assert (warned["rising"], warned["rise_c"], warned["temperature_state"]) == (True, 3.0, "ok")
    hot = poll_at(14, 28)
    assert hot["temperature_state"] == "high"
    poll_at(16, 28, humidity=85)
    assert poll_at(40, 22)["temperature_state"] == "ok"
    told = [(row.kind, row.subject) for row in session.scalars(select(NotifyDelivery).order_by(NotifyDelivery.id))]
    assert told == [
        ("room.temperature_rising", "[high] Server room room-apc is heating up: +3.0 °C in 10 minutes"),
        ("room.temperature_out_of_range", "[critical] Server room room-apc: 28.0 °C"),
        ("room.humidity_out_of_range", "[high] Server room room-apc: humidity 85.0 %"),
        ("room.in_range", "[informational] Server room room-apc is back within its range")]
    line = devices.overview(session, config)["rooms"][0]
    assert (line["state"], line["temperature_c"], line["humidity_percent"]) == ("ok", 22.0, 45.0)


def test_the_rise_counts_only_readings_inside_the_window():
    t0 = utcnow()
    history = [(t0, {"temperature_c": 20.0}), (t0 + timedelta(minutes=6), {"temperature_c": 21.5})]
    assert room.rise(history, 22.5, t0 + timedelta(minutes=9), 10) == 2.5
    assert room.rise(history, 22.5, t0 + timedelta(minutes=12), 10) == 1.0
    assert room.rise([], 30.0, t0, 10) == 0.0


@pytest.mark.parametrize("keys, where, message", [
    ('temperature = {source = "oid", oid = "1.3.6.1.4.1.x.1"}\n', "devices[0].temperature",
     "not a numeric OID under 1.3.6.1"),
    ('temperature = {source = "netbotz"}\n', "devices[0].temperature", "Input should be 'apc_probe'"),
    ('temperature = {source = "apc_probe"}\ntemperature_max = 10\n', "devices[0]",
     "temperature_min must be below temperature_max"),
])
def test_bad_room_tables_name_file_line_and_key(tmp_path, keys, where, message):
    path = tmp_path / "ops.toml"
    path.write_text('[[devices]]\nname = "room-a"\nkind = "room"\nconnector = "snmp"\naddress = "198.18.40.5"\n'
                    'community = "env:X"\n' + keys)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    text = str(caught.value)
    assert f"{where}:" in text and message in text, text
    line = int(text.split(f"{path}:")[1].split(":")[0])
    assert line in (1, 7), text
