"""Pending security updates read from this machine's real apt lists, by python-apt and by apt's simulation.

The CI machine is a Debian 12 whose lists (bookworm, -updates, -security)
hold upgrades it has not installed, so both ways find real pending security
updates; they must agree. The "Inst" lines below are recorded from
`apt-get -s dist-upgrade` on it (apt 2.6.1).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone

import pytest

from probes.collectors.updates import SEEN_FILE, UpdatesCollector, parse_simulation
from probes.report import Updates

SYSTEM_PYTHON = "/usr/bin/python3"
RECORDED = """\
Inst base-files [12.4+deb12u11] (12.4+deb12u15 Debian:12.15/oldstable [amd64])
Inst libgcrypt20-dev [1.10.1-3] (1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64]) []
Inst liblzma-dev [5.4.1-1] (5.4.1-1+deb12u2 Debian-Security:12/oldstable-security [amd64]) []
Conf base-files (12.4+deb12u15 Debian:12.15/oldstable [amd64])
Inst linux-image-new (6.1.0-99 Debian:12.15/oldstable [amd64])
"""


def test_simulated_upgrade_lines_give_packages_and_which_come_from_a_security_suite():
    found = parse_simulation(RECORDED)
    assert [(p["name"], p["security"]) for p in found] == [
        ("base-files", False), ("libgcrypt20-dev", True), ("liblzma-dev", True), ("linux-image-new", False)]
    assert found[1]["installed"] == "1.10.1-3" and found[1]["candidate"] == "1.10.1-3+deb12u1"
    assert found[3]["installed"] == ""


@pytest.mark.external  # apt-get simulates an upgrade of this machine: the full suite's tier
def test_apt_get_simulation_on_this_machine_gives_a_valid_section(tmp_path):
    section = UpdatesCollector(tmp_path, python=sys.executable).collect()
    Updates.model_validate(section)
    assert section["source"] == "apt-get"  # the test venv has no python-apt
    assert section["security_pending_count"] == len(section["packages"]) + section["dropped_packages"]
    assert section["apt_updated_at"] is not None and section["age_basis"] == "first_seen_by_agent"


@pytest.mark.external  # apt-get and python-apt on this machine's packages
def test_python_apt_and_the_simulation_agree(tmp_path):
    by_api = UpdatesCollector(tmp_path / "a", python=SYSTEM_PYTHON).collect()
    by_simulation = UpdatesCollector(tmp_path / "b", python=sys.executable).collect()
    assert by_api["source"] == "apt_pkg"
    assert by_api["security_pending_count"] == by_simulation["security_pending_count"]
    assert {p["name"] for p in by_api["packages"]} == {p["name"] for p in by_simulation["packages"]}


def recorded_apt_get(folder) -> str:
    """An apt-get that answers the simulation recorded above: the same pending updates on any machine."""
    script = folder / "apt-get"
    script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{RECORDED}EOF\n")
    script.chmod(0o755)
    return str(script)


def test_first_seen_is_kept_across_checks_and_forgotten_once_installed(tmp_path):
    now = [0.0]
    collector = UpdatesCollector(tmp_path, interval_minutes=60, python=sys.executable,
                                 apt_get=recorded_apt_get(tmp_path), clock=lambda: now[0])
    first = collector.collect()
    assert first["security_pending_count"] == 2  # libgcrypt20-dev and liblzma-dev, from -security
    assert collector.collect() is None  # not due for an hour
    seen = json.loads((tmp_path / SEEN_FILE).read_text())
    name = first["packages"][0]["name"]
    seen[name] = "2026-01-01T00:00:00+00:00"
    seen["no-longer-pending"] = "2025-01-01T00:00:00+00:00"
    (tmp_path / SEEN_FILE).write_text(json.dumps(seen))
    now[0] += 3600
    second = collector.collect()
    assert second["oldest_pending_since"] == "2026-01-01T00:00:00+00:00"
    assert second["packages"][0]["name"] == name
    assert "no-longer-pending" not in json.loads((tmp_path / SEEN_FILE).read_text())


def test_apt_update_time_is_the_periodic_stamp_when_there_is_one(tmp_path):
    stamp = tmp_path / "update-success-stamp"
    stamp.write_text("")
    os.utime(stamp, (1_700_000_000, 1_700_000_000))
    section = UpdatesCollector(tmp_path, python=sys.executable, stamp=stamp).collect()
    assert section["apt_updated_at"] == datetime.fromtimestamp(1_700_000_000, timezone.utc).isoformat()


def test_a_host_without_apt_reports_nothing(tmp_path):
    assert UpdatesCollector(tmp_path, apt_get=str(tmp_path / "no-apt-get")).collect() is None
