"""`ops lab traffic`: the demo's IDS alerts, from scapy traffic ending now read by a real Suricata offline."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.console.cli.test_cli import ops


def test_traffic_of_the_last_minutes_fires_the_three_lab_rules(tmp_path):
    result = ops("lab", "traffic", "--dir", str(tmp_path / "eve"))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in Path(result.stdout.strip()).read_text().splitlines()]
    alerts = [r for r in records if r["event_type"] == "alert"]
    assert {a["alert"]["signature_id"] for a in alerts} == {9905001, 9905002, 9905003}
    newest = max(datetime.strptime(a["timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z") for a in alerts)
    assert datetime.now(timezone.utc) - newest < timedelta(minutes=5)
    assert all(a["src_ip"].startswith("198.18.200.") for a in alerts)


def test_a_live_round_fires_the_departments_rules_and_names_an_unmanaged_laptop(tmp_path):
    """The frames `ops lab traffic --live` sends, read by Suricata with rules/local and the lab sensor's HOME_NET."""
    import subprocess

    from scapy.all import wrpcap

    from console.lab import live_traffic

    frames = live_traffic.build_round("198.19.7.250", "198.19.7.240", "198.19.7.1")
    wrpcap(str(tmp_path / "round.pcap"), frames)
    rules = Path(__file__).resolve().parents[3] / "rules" / "local" / "department.rules"
    done = subprocess.run(["suricata", "-c", "/etc/suricata/suricata.yaml", "-r", str(tmp_path / "round.pcap"),
                           "-S", str(rules), "-l", str(tmp_path), "-k", "none", "--runmode", "single",
                           "--set", "vars.address-groups.HOME_NET=[198.19.7.0/24]",
                           "--set", "outputs.1.eve-log.enabled=yes", "--set", "unix-command.enabled=no"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    records = [json.loads(line) for line in (tmp_path / "eve.json").read_text().splitlines()]
    fired = {r["alert"]["signature_id"] for r in records if r["event_type"] == "alert"}
    assert fired == set(live_traffic.SIDS.values())
    leases = [r["dhcp"] for r in records if r["event_type"] == "dhcp" and r["dhcp"].get("assigned_ip") != "0.0.0.0"]
    assert leases and leases[0]["assigned_ip"] == "198.19.7.240"
    assert all(r["src_ip"].startswith(("198.18.", "198.19.")) or r["src_ip"] == "0.0.0.0" for r in records
               if "src_ip" in r)


def test_live_traffic_to_a_lab_that_is_not_up_is_refused_with_its_name(tmp_path):
    result = ops("lab", "traffic", "--live", "no-such-lab")
    assert result.returncode == 2
    assert "lab 'no-such-lab' is not up" in result.stderr
