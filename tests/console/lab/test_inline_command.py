"""`ops lab inline`, as `make demo` runs it: the sensor added to the console's configuration, the attacker's rounds.

- `with_sensor` adds the inline sensor to [rules] sensors and its EVE to [alerts] eve_files of the shipped ops.toml,
  comments kept, and the console reads it back; it refuses a configuration that already follows EVE files or
  writes the sensors over several lines, rather than write something the console would misread.
- The command itself (real Suricata inline in namespaces, needs root): it writes that configuration beside the
  current one, and the attacker's round says what came back for the watched path and the front page.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from console.lab.errors import LabError
from console.lab.inline import ATTACK_PATH, with_sensor
from console.settings import load_settings

ROOT = Path(__file__).resolve().parents[3]
ENTRY = {"name": "lab-inline", "kind": "local", "mode": "ips", "rules_file": "/srv/inline/suricata.rules",
         "threshold_file": "/srv/inline/threshold.config", "socket": "/srv/inline/suricata.socket",
         "version_file": "/srv/inline/version"}


def test_the_shipped_configuration_with_the_inline_sensor_reads_back(tmp_path):
    shipped = (ROOT / "ops.toml").read_text()
    written = tmp_path / "ops.toml"
    written.write_text(with_sensor(shipped, ENTRY, Path("/srv/inline/log/eve.json")))

    settings = load_settings(written)
    sensors = {sensor.name: sensor for sensor in settings.rules.sensors}
    assert set(sensors) == {"lab-sensor", "lab-inline"}  # the shipped sensor stays
    assert (sensors["lab-inline"].kind, sensors["lab-inline"].mode) == ("local", "ips")
    assert str(sensors["lab-inline"].rules_file) == "/srv/inline/suricata.rules"
    assert [str(p) for p in settings.alerts.eve_files] == ["/srv/inline/log/eve.json"]
    assert settings.alerts.sensor_name == "lab-inline"
    # every other line as shipped: only the three keys changed
    changed = [line for line in written.read_text().splitlines() if line not in shipped.splitlines()]
    assert [line.split(" =")[0] for line in changed] == ["eve_files", "sensor_name", "sensors"]
    # written again (the demo's next start): one entry, not two
    again = with_sensor(written.read_text(), ENTRY, Path("/srv/inline/log/eve.json"))
    assert again.count('{name = "lab-inline"') == 1


def test_a_configuration_it_cannot_rewrite_safely_is_refused():
    with pytest.raises(LabError, match="already follows EVE files"):
        with_sensor('[alerts]\neve_files = ["/var/log/suricata/eve.json"]\n', ENTRY, Path("/e.json"))
    with pytest.raises(LabError, match=r"\[rules\] sensors spans several lines"):
        with_sensor('[rules]\nsensors = [\n  {name = "ids-01", kind = "local"},\n]\n', ENTRY, Path("/e.json"))


@pytest.mark.external  # Suricata 7 inline in network namespaces (console/lab/inline.py), Python's http.server
def test_the_command_writes_the_configuration_and_the_attacker_reports_each_answer(tmp_path):
    config = tmp_path / "ops.toml"
    config.write_text((ROOT / "ops.toml").read_text())
    done = subprocess.run(
        [sys.executable, "-m", "console.cli", "--config", str(config), "lab", "inline", "--dir", str(tmp_path / "s"),
         "--attack-every", "60", "--for", "4", "--write-config", str(tmp_path / "ops.demo.toml")],
        capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr + done.stdout
    # no rules yet: the watched path reaches the web server (404: http.server has no such file), so does /
    assert f"attacker GET {ATTACK_PATH}: answered 404" in done.stdout, done.stdout
    assert "attacker GET /: answered 200" in done.stdout
    assert "inline sensor stopped" in done.stdout
    demo = load_settings(tmp_path / "ops.demo.toml")
    inline = next(sensor for sensor in demo.rules.sensors if sensor.name == "lab-inline")
    assert inline.mode == "ips" and str(inline.rules_file) == str(tmp_path / "s" / "suricata.rules")
    assert [str(p) for p in demo.alerts.eve_files] == [str(tmp_path / "s" / "log" / "eve.json")]
