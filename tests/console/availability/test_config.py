"""`ops config check` on [availability]: services, their checks and dependencies as data; bad input is refused with
the file, the exact line and the key, exit 2, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.settings import load_settings
from tests.console.cli.test_cli import ops

GOOD = """
[availability]
failures_before_down = 2

[[availability.services]]
name = "dns"
unit = "unit_it_centre"
system = "system_internal_network"

[[availability.services.checks]]
name = "zone"
kind = "dns"
server = "198.18.0.53"
record = "portal.example.test"
expect = ["198.18.0.80"]

[[availability.services]]
name = "portal"
label = "Cổng thông tin"
depends_on = ["dns"]
sla_target_percent = 99.5

[[availability.services.checks]]
name = "home"
kind = "http"
url = "https://portal.example.test/"
expect_text = "Dịch vụ công"

[[availability.services.checks]]
name = "cert"
kind = "tls"
host = "portal.example.test"
failures_before_down = 5
"""


INVENTORY = Path(__file__).resolve().parents[3] / "inventory"


def write(tmp_path, text: str):
    path = tmp_path / "ops.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/ops.db"\n[inventory]\npath = "{INVENTORY}"\n' + text)
    return path


def line_of(path, needle: str, occurrence: int = 1) -> int:
    lines = [number for number, line in enumerate(path.read_text().splitlines(), start=1) if line.strip() == needle]
    return lines[occurrence - 1]


def test_a_good_declaration_loads_with_its_checks_dependencies_and_thresholds(tmp_path):
    path = write(tmp_path, GOOD)
    result = ops("config", "check", config=path)
    assert result.returncode == 0, result.stderr
    settings = load_settings(path).availability
    portal = settings.service("portal")
    assert [check.kind for check in portal.checks] == ["http", "tls"]
    assert portal.service_dependencies() == ["dns"] and settings.dependents("dns") == ["portal"]
    assert [settings.threshold(check) for check in portal.checks] == [2, 5]
    assert settings.service("dns").system == "system_internal_network"


@pytest.mark.parametrize("old, new, needle, where, message", [
    ('kind = "http"', 'kind = "gopher"', 'kind = "gopher"', "availability.services[1].checks[0].kind",
     "Input should be 'http', 'tls', 'dns', 'tcp' or 'icmp'"),
    ('url = "https://portal.example.test/"', 'url = "https://admin:s3cret@portal.example.test/"',
     'url = "https://admin:s3cret@portal.example.test/"', "availability.services[1].checks[0].url",
     "url must not hold a user or password"),
    ('failures_before_down = 5', 'interval_seconds = -60', 'interval_seconds = -60',
     "availability.services[1].checks[1].interval_seconds", "greater than or equal to 10"),
    ('depends_on = ["dns"]', 'depends_on = ["dsn"]', 'depends_on = ["dsn"]', "availability.services[1].depends_on",
     "depends on 'dsn', which is no service"),
    ('name = "dns"\nunit', 'name = "dns"\ndepends_on = ["portal"]\nunit', 'depends_on = ["portal"]',
     "availability.services[0].depends_on", "dependency cycle: dns -> portal -> dns"),
    ('expect = ["198.18.0.80"]\n', '', '[[availability.services.checks]]', "availability.services[0].checks[0]",
     "a dns check needs expect"),
    ('name = "cert"', 'name = "home"', 'name = "home"', "availability.services[1].checks[1].name",
     "check name 'home' is used twice"),
    ('system = "system_internal_network"', 'system = "system_intranet"', 'system = "system_intranet"',
     "availability.services[0].system", "no group 'system_intranet' in the inventory"),
])
def test_bad_availability_input_names_file_line_and_key_exit_2(tmp_path, old, new, needle, where, message):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    result = ops("config", "check", config=path)
    assert result.returncode == 2, result.stdout
    occurrence = 2 if needle == 'name = "home"' else 1
    assert f"{path}:{line_of(path, needle, occurrence)}: {where}: " in result.stderr, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr and "s3cret" not in result.stderr


def test_a_maintenance_window_naming_no_service_is_refused_at_its_line(tmp_path):
    path = write(tmp_path, GOOD + '\n[[availability.maintenance]]\nservices = ["portl"]\n'
                                  'starts = 2026-12-06T22:00:00\nends = 2026-12-06T23:00:00\n')
    result = ops("config", "check", config=path)
    assert result.returncode == 2
    number = line_of(path, 'services = ["portl"]')
    assert f"{path}:{number}: availability.maintenance[0].services: no service named 'portl'" in result.stderr


def test_a_dependency_on_an_uplink_no_device_is_named_is_refused_at_its_line(tmp_path, monkeypatch):
    """Uplink names are the [[devices]] of kind uplink (availability.config.configured_uplinks); here it knows isp-b."""
    from console.availability import config as availability_config
    from console.errors import ConfigError

    monkeypatch.setattr(availability_config, "configured_uplinks", lambda settings: {"isp-b"})
    path = write(tmp_path, GOOD.replace('depends_on = ["dns"]', 'depends_on = ["dns", "uplink:isp-a"]'))
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    number = line_of(path, 'depends_on = ["dns", "uplink:isp-a"]')
    assert str(caught.value) == (f"{path}:{number}: "
                                 "availability.services[1].depends_on: depends on uplink 'isp-a', which no uplink "
                                 "device is named")
    ok = write(tmp_path, GOOD.replace('depends_on = ["dns"]', 'depends_on = ["dns", "uplink:isp-b"]'))
    assert load_settings(ok).availability.service("portal").uplink_dependencies() == ["isp-b"]
