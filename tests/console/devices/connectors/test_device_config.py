"""[[devices]] in ops.toml: clear file/line/field errors, credentials only by reference."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from console.common.secrets import SecretError
from console.common.secrets import resolve
from console.errors import ConfigError
from console.settings import load_settings

REPO = Path(__file__).resolve().parents[4]
UPS = '[[devices]]\nname = "ups-a"\nkind = "ups"\nconnector = "nut"\naddress = "198.18.30.5"\n'


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "ops.toml"
    path.write_text(text)
    return path


def error_of(tmp_path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text))
    return str(caught.value)


def test_the_commented_examples_in_the_shipped_ops_toml_are_valid(tmp_path):
    text = (REPO / "ops.toml").read_text()
    start = text.index("# [[devices]]")
    block = itertools.takewhile(lambda line: line.startswith("#"), text[start:].splitlines())
    examples = "\n".join(re.sub(r"^# ?", "", line) for line in block)
    settings = load_settings(write(tmp_path, examples))
    assert [(d.name, d.connector, d.effective_port) for d in settings.devices] == [
        ("ups-server-room", "nut", 3493), ("ups-land-registration", "snmp", 161), ("xg210", "sophos", 4444),
        ("uplink-vnpt", "snmp", 161), ("room-main", "snmp", 161)]


def test_unknown_key_names_file_line_and_device(tmp_path):
    path = tmp_path / "ops.toml"
    message = error_of(tmp_path, '[console]\nport = 8080\n\n' + UPS + "\n" + UPS.replace("ups-a", "ups-b") + "prot = 1\n")
    assert message == f"{path}:15: devices[1].prot: unknown key (check its spelling)"


def test_a_literal_secret_is_refused_without_showing_it(tmp_path):
    text = ('[[devices]]\nname = "xg"\nkind = "firewall"\nconnector = "sophos"\naddress = "198.18.30.1"\n'
            'username = "api"\npassword = "Hunter2-secret"\n')
    message = error_of(tmp_path, text)
    assert ":7: devices[0].password: must be a reference, env:VARIABLE or file:/absolute/path" in message
    assert "Hunter2-secret" not in message


def test_kind_and_connector_must_agree(tmp_path):
    message = error_of(tmp_path, UPS.replace('"nut"', '"sophos"'))
    assert message.endswith(":1: devices[0]: a ups is read with nut or snmp, not sophos")


def test_snmp_v3_needs_auth_and_priv(tmp_path):
    message = error_of(tmp_path, UPS.replace('"nut"', '"snmp"') + 'snmp_version = "3"\nusername = "r"\n'
                       'auth_key = "env:A"\n')
    assert "snmp_version 3 needs username, auth_key and priv_key (authPriv)" in message


def test_duplicate_names_point_at_the_second(tmp_path):
    message = error_of(tmp_path, UPS + "\n" + UPS)
    assert message.endswith(":8: devices[1].name: device name 'ups-a' is used twice")


def test_wrong_type_shows_the_value_for_non_secrets(tmp_path):
    message = error_of(tmp_path, UPS + 'timeout_seconds = "slow"\n')
    assert ":6: devices[0].timeout_seconds:" in message and "'slow'" in message


def test_ca_file_is_relative_to_ops_toml(tmp_path):
    text = ('[[devices]]\nname = "xg"\nkind = "firewall"\nconnector = "sophos"\naddress = "198.18.30.1"\n'
            'username = "api"\npassword = "file:/etc/ops/xg"\nca_file = "certs/xg-ca.pem"\n')
    settings = load_settings(write(tmp_path, text))
    assert settings.devices[0].ca_file == tmp_path / "certs" / "xg-ca.pem"


def test_secret_references_resolve_and_errors_name_only_the_reference(tmp_path):
    secret = tmp_path / "community"
    secret.write_text("public-ish\n")
    assert resolve(f"file:{secret}") == "public-ish"
    assert resolve("env:X_COMMUNITY", {"X_COMMUNITY": "c"}) == "c"
    with pytest.raises(SecretError, match="env:NOPE is not set"):
        resolve("env:NOPE", {})
    with pytest.raises(SecretError, match="cannot be read"):
        resolve(f"file:{tmp_path / 'missing'}")


def test_an_unknown_kind_is_refused_at_its_line_by_ops_config_check(tmp_path):
    """Before the registry, any kind that was not a firewall was read as a UPS."""
    from tests.console.cli.test_cli import ops

    path = write(tmp_path, f'[database]\nurl = "sqlite:///{tmp_path}/ops.db"\n\n' + UPS.replace('"ups"', '"toaster"'))
    result = ops("config", "check", config=path)
    assert result.returncode == 2, result.stdout
    assert f"{path}:6: devices[0].kind: unknown device kind 'toaster'; the kinds are ups, firewall" \
        in result.stderr.strip()


def test_a_kind_key_on_the_wrong_kind_is_an_unknown_key_at_its_line(tmp_path):
    message = error_of(tmp_path, UPS + 'interface = "eth1"\n')
    assert message.endswith(":6: devices[0].interface: unknown key (check its spelling)")
