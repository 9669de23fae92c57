"""The Sophos connector against the replay double of the XML API (tests/fixtures/sophos_api.py)."""

from __future__ import annotations

import pytest

from console.devices.connectors import ConnectorError
from console.devices.connectors import sophos
from console.devices.config import DeviceConfig
from tests.fixtures.sophos_api import PASSWORD, USERNAME


@pytest.fixture(autouse=True)
def password(monkeypatch):
    monkeypatch.setenv("TEST_XG_PASSWORD", PASSWORD)


def xg(replay, **tls) -> DeviceConfig:
    tls = tls or {"pin_sha256": replay.pin}
    return DeviceConfig(name="xg210", kind="firewall", connector="sophos", address="127.0.0.1", port=replay.port,
                        username=USERNAME, password="env:TEST_XG_PASSWORD", timeout_seconds=2, **tls)


def test_reads_firmware_admin_services_per_zone_rules_and_ips_policies(sophos_api):
    fields = sophos.read(xg(sophos_api))
    assert fields["firmware_version"] == "1905.1"
    assert fields["admin_services"] == {"LAN": ["HTTPS", "SSH"], "WAN": [], "DMZ": []}
    assert fields["zone_services"]["WAN"]["VPNServices"] == ["IPsec", "SSLVPN"]
    assert fields["zone_services"]["LAN"]["OtherServices"] == ["UserPortal", "SNMP"]
    rules = {rule["name"]: rule for rule in fields["firewall_rules"]}
    assert rules["LAN to WAN web"] == {"name": "LAN to WAN web", "enabled": True, "policy_type": "Network",
                                       "action": "Accept", "source_zones": ["LAN"], "destination_zones": ["WAN"],
                                       "ips_policy": "lantowan_general"}
    assert rules["WAN to DMZ portal"]["ips_policy"] is None
    assert rules["[example] Traffic to Internal Zones"]["enabled"] is False
    assert rules["[example] Traffic to Internal Zones"]["destination_zones"] == ["LAN", "DMZ", "VPN"]
    assert fields["ips_policies"] == ["generalpolicy", "lantowan_general", "dmzpolicy"]


def test_only_reads_are_sent_and_the_login_is_in_every_request(sophos_api):
    sophos.read(xg(sophos_api))
    assert sophos_api.requests == [{"gets": ["Zone", "FirewallRule", "IPSPolicy"], "writes": [], "login_ok": True}]


def test_https_admin_open_on_wan_shows_in_admin_services(sophos_api):
    sophos_api.records["Zone"] = sophos_api.records["Zone"].replace(
        "<HTTPS>Disable</HTTPS>\n      <SSH>Disable</SSH>", "<HTTPS>Enable</HTTPS>\n      <SSH>Disable</SSH>", 1)
    assert sophos.read(xg(sophos_api))["admin_services"]["WAN"] == ["HTTPS"]


def test_no_ips_policies_is_an_empty_list(sophos_api):
    sophos_api.records["IPSPolicy"] = "<IPSPolicy><Status>No. of records Zero.</Status></IPSPolicy>"
    assert sophos.read(xg(sophos_api))["ips_policies"] == []


def test_wrong_password_is_a_login_failure_that_does_not_show_the_password(sophos_api, monkeypatch):
    monkeypatch.setenv("TEST_XG_PASSWORD", "wrong-password-123")
    with pytest.raises(ConnectorError, match="refused the login: Authentication Failure") as caught:
        sophos.read(xg(sophos_api))
    assert "wrong-password-123" not in str(caught.value)


@pytest.mark.parametrize("mode, reason", [
    ("garbage", "not XML"), ("bomb", "not XML"), ("error500", "HTTP 500"), ("endless", "larger than|within"),
])
def test_hostile_answers_are_reasons(sophos_api, mode, reason):
    sophos_api.mode = mode
    with pytest.raises(ConnectorError, match=reason):
        sophos.read(xg(sophos_api))


def test_a_hanging_firewall_is_cut_off_at_the_timeout(sophos_api):
    sophos_api.mode = "hang"
    with pytest.raises(ConnectorError, match="no complete answer within 2 s"):
        sophos.read(xg(sophos_api))


def test_certificate_verified_by_the_pinned_ca_file(sophos_api):
    fields = sophos.read(xg(sophos_api, ca_file=sophos_api.cert_file))
    assert fields["firmware_version"] == "1905.1"


def test_unknown_certificate_is_refused_before_the_login_is_sent(sophos_api):
    with pytest.raises(ConnectorError, match="certificate not trusted"):
        sophos.read(xg(sophos_api, tls_server_name="127.0.0.1"))
    with pytest.raises(ConnectorError, match="does not match the pinned one"):
        sophos.read(xg(sophos_api, pin_sha256="00" * 32))
    assert sophos_api.requests == []


def test_certificate_name_is_checked_against_tls_server_name(sophos_api):
    with pytest.raises(ConnectorError, match="certificate not trusted"):
        sophos.read(xg(sophos_api, ca_file=sophos_api.cert_file, tls_server_name="xg210.example.test"))
