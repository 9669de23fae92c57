"""The SNMP connector against a real snmpd serving UPS-MIB values the test sets."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from console.devices.connectors import ConnectorError
from console.devices.connectors import snmp
from console.devices.config import DeviceConfig
from tests.fixtures.snmpd import COMMUNITY, UPS, V3_AUTH, V3_PRIV, V3_USER, free_udp_port


def v2c(port: int, timeout: float = 8) -> DeviceConfig:  # snmpd runs a python3 `pass` script per object: slow on a busy machine
    return DeviceConfig(name="ups-snmp", kind="ups", connector="snmp", address="127.0.0.1", port=port,
                        community="env:TEST_UPS_COMMUNITY", timeout_seconds=timeout)


@pytest.fixture(autouse=True)
def secrets(monkeypatch):
    monkeypatch.setenv("TEST_UPS_COMMUNITY", COMMUNITY)
    monkeypatch.setenv("TEST_UPS_AUTH", V3_AUTH)
    monkeypatch.setenv("TEST_UPS_PRIV", V3_PRIV)


def test_ups_on_line_reads_as_nut_flags_with_charge_runtime_load_and_self_test(snmp_ups):
    fields = snmp.read(v2c(snmp_ups.port))
    assert fields["status_flags"] == ["OL"]
    assert fields["battery_charge_percent"] == 100.0
    assert fields["battery_runtime_seconds"] == 42 * 60
    assert fields["load_percent"] == 35.0
    assert fields["input_voltage"] == 229.0
    assert fields["test_result"] == "Done and passed"
    assert (fields["manufacturer"], fields["model"]) == ("Test Power Co", "Smart-UPS 1500")
    test_date = datetime.fromisoformat(fields["test_date"])
    assert datetime.now(timezone.utc) - timedelta(hours=1) < test_date <= datetime.now(timezone.utc)


def test_ups_on_battery_with_low_battery_and_failed_self_test(snmp_ups):
    snmp_ups.update({f"{UPS}.4.1.0": ["integer", 5], f"{UPS}.2.1.0": ["integer", 3],
                     f"{UPS}.2.4.0": ["integer", 12], f"{UPS}.2.3.0": ["integer", 3],
                     f"{UPS}.7.3.0": ["integer", 3]})
    fields = snmp.read(v2c(snmp_ups.port))
    assert fields["status_flags"] == ["OB", "LB"]
    assert fields["battery_charge_percent"] == 12.0
    assert fields["battery_runtime_seconds"] == 180.0
    assert fields["test_result"] == "Done and error"


def test_ups_on_bypass_and_objects_the_card_lacks_are_none(snmp_ups):
    snmp_ups.update({f"{UPS}.4.1.0": ["integer", 4], f"{UPS}.3.3.1.3.1": None, f"{UPS}.7.5.0": None,
                     f"{UPS}.7.3.0": ["integer", 6]})
    fields = snmp.read(v2c(snmp_ups.port))
    assert fields["status_flags"] == ["OL", "BYPASS"]
    assert fields["input_voltage"] is None
    assert fields["test_result"] == "No test initiated"
    assert "test_date" not in fields


def test_snmp_v3_auth_priv_reads_the_ups(snmp_ups):
    device = DeviceConfig(name="ups-v3", kind="ups", connector="snmp", address="127.0.0.1", port=snmp_ups.port,
                          snmp_version="3", username=V3_USER, auth_key="env:TEST_UPS_AUTH",
                          priv_key="env:TEST_UPS_PRIV", timeout_seconds=8)
    assert snmp.read(device)["status_flags"] == ["OL"]


def test_wrong_v3_passphrase_is_a_reason_not_a_crash(snmp_ups, monkeypatch):
    monkeypatch.setenv("TEST_UPS_PRIV", "not-the-priv-passphrase")
    device = DeviceConfig(name="ups-v3", kind="ups", connector="snmp", address="127.0.0.1", port=snmp_ups.port,
                          snmp_version="3", username=V3_USER, auth_key="env:TEST_UPS_AUTH",
                          priv_key="env:TEST_UPS_PRIV", timeout_seconds=2)
    with pytest.raises(ConnectorError) as caught:
        snmp.read(device)
    assert "not-the-priv-passphrase" not in str(caught.value)


def test_wrong_community_times_out_with_a_reason(snmp_ups, monkeypatch):
    monkeypatch.setenv("TEST_UPS_COMMUNITY", "guess")
    with pytest.raises(ConnectorError, match="no answer within"):
        snmp.read(v2c(snmp_ups.port, timeout=1))


def test_nobody_listening_times_out_with_a_reason():
    with pytest.raises(ConnectorError, match="no answer within 1 s"):
        snmp.read(v2c(free_udp_port(), timeout=1))


def test_an_agent_without_ups_mib_is_not_taken_for_a_ups(snmp_ups):
    snmp_ups.set_values({})
    with pytest.raises(ConnectorError, match="no UPS-MIB"):
        snmp.read(v2c(snmp_ups.port))


def test_missing_community_variable_names_the_reference_only(monkeypatch):
    monkeypatch.delenv("TEST_UPS_COMMUNITY")
    with pytest.raises(ConnectorError, match="env:TEST_UPS_COMMUNITY is not set"):
        snmp.read(v2c(161))
