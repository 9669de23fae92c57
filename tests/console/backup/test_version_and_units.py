"""One version number (pyproject) in `ops --version`, /healthz and the footer; the nightly backup units."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

from click.testing import CliRunner

import probes

from console.cli import main
from tests.conftest import login

REPO = Path(__file__).resolve().parents[3]
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def test_ops_version_healthz_and_footer_show_pyprojects_version(client, make_user):
    assert CliRunner().invoke(main, ["--version"]).output.strip().endswith(VERSION)
    assert probes.__version__ == VERSION  # what agents put in agent_version
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["version"] == VERSION
    make_user("alice", "admin")
    login(client, "alice")
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert f"Ops Console {VERSION}" in page


def test_nightly_backup_timer_and_service_are_shipped_hardened_and_valid():
    folder = REPO / "systemd"
    timer, service = (folder / "ops-backup.timer").read_text(), (folder / "ops-backup.service").read_text()
    assert "OnCalendar=*-*-* 01:30:00" in timer and "Persistent=true" in timer
    assert "ExecStart=/opt/ops-console/.venv/bin/ops db backup" in service
    for hardening in ("User=ops", "NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/opt/ops-console/var",
                      "PrivateTmp=yes", "UMask=0077"):
        assert hardening in service
    checked = subprocess.run(["systemd-analyze", "calendar", "*-*-* 01:30:00"], capture_output=True, text=True,
                             timeout=30)
    assert checked.returncode == 0, checked.stderr
