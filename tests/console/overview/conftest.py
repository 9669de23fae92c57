"""The overview tests' ops.toml configures four devices (two UPS, two firewalls) unless the module says DEVICES = False.

Their states are stored by tests/console/overview/helpers.devices; nothing polls them.
"""

from __future__ import annotations

import pytest

from console.settings import load_settings

DEVICES = """
[[devices]]
name = "ups-a"
kind = "ups"
connector = "nut"
address = "198.18.40.250"

[[devices]]
name = "ups-b"
kind = "ups"
connector = "snmp"
address = "198.18.40.251"
community = "env:OVERVIEW_TEST_XG_PASSWORD"

[[devices]]
name = "fw-a"
kind = "firewall"
connector = "sophos"
address = "198.18.40.1"
username = "admin"
password = "env:OVERVIEW_TEST_XG_PASSWORD"

[[devices]]
name = "fw-b"
kind = "firewall"
connector = "sophos"
address = "198.18.40.2"
username = "admin"
password = "env:OVERVIEW_TEST_XG_PASSWORD"
"""


@pytest.fixture
def settings(config_file, request, monkeypatch):
    if getattr(request.module, "DEVICES", True):
        monkeypatch.setenv("OVERVIEW_TEST_XG_PASSWORD", "not used")
        config_file.write_text(config_file.read_text() + DEVICES)
    return load_settings(config_file)
