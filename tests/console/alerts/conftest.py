"""Fixtures for the alert tests: EVE written by a real Suricata over scapy-made traffic."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from console.db import make_session_factory
from console.settings import AlertsSettings
from console.lab.traffic import make_traffic, run_suricata


@pytest.fixture(scope="session")
def suricata_eve(tmp_path_factory) -> Path:
    """eve.json of Suricata 7 over two rounds of HTTP, DNS and TCP flows that fire three rules."""
    folder = tmp_path_factory.mktemp("suricata")
    return run_suricata(make_traffic(folder / "traffic.pcap"), folder)


@pytest.fixture
def eve_copy(suricata_eve, tmp_path) -> Path:
    target = tmp_path / "eve.json"
    shutil.copyfile(suricata_eve, target)
    return target


@pytest.fixture
def factory(engine):
    return make_session_factory(engine)


def alert_lines(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().splitlines() if json.loads(line)["event_type"] == "alert"]


def renumbered(lines: list[bytes], copy: int) -> list[bytes]:
    """The same records again as new events: flow ids and timestamps moved so nothing collides."""
    out = []
    for line in lines:
        record = json.loads(line)
        if "flow_id" in record:
            record["flow_id"] = record["flow_id"] + copy * 1_000_000_007
        record["timestamp"] = record["timestamp"].replace("2026-01-01", f"2026-01-{1 + copy % 28:02d}")
        out.append(json.dumps(record).encode())
    return out


def alerts_settings(files: list[Path], **overrides) -> AlertsSettings:
    return AlertsSettings(eve_files=files, batch_size=overrides.pop("batch_size", 50),
                          poll_interval_seconds=0.05, max_line_bytes=overrides.pop("max_line_bytes", 65536),
                          **overrides)
