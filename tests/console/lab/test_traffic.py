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
    assert all(a["src_ip"].startswith("198.18.20.") for a in alerts)
