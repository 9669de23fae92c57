"""A full disk under var/ (a 4 MiB tmpfs of the test's own, holding var/ and the SQLite database).

A backup fails with a clear error and leaves no partial file; an agent's report
and `ops alerts ingest` are refused with a clear error (503 / exit 2) while
what was acknowledged before stays; once there is room again the agent's spool
and the ingest checkpoint deliver the rest, each record once.
"""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from console import create_app
from console.models import Alert, HostReport
from probes.agent import Agent, enroll
from probes.config import AgentSettings
from tests.conftest import LiveServer
from tests.console.alerts.conftest import alert_lines
from tests.console.backup.conftest import HOST, Quick, console_config, ops, prepared_console



@pytest.fixture
def small_disk(tmp_path):
    """A private 4 MiB tmpfs mounted on a folder of this test (no other test sees it), unmounted afterwards."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", str(mount_point)], check=True,
                   timeout=30)
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=True, timeout=30)


def fill(disk: Path) -> Path:
    """Write a file until the disk is full; returns it (delete it to make room)."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for block in (65536, 4096, 512):
            try:
                while True:
                    os.write(fd, b"\0" * block)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def count(factory, column) -> int:
    with factory() as db:
        return db.scalar(select(func.count(column)))


def test_full_disk_refuses_backup_and_ingest_clearly_and_loses_nothing_acknowledged(small_disk, tmp_path,
                                                                                  suricata_eve):
    var = small_disk / "var"
    config = console_config(tmp_path / "ops.toml", f"sqlite:///{var / 'ops.db'}", var)
    settings, engine, factory, token = prepared_console(config)
    app = create_app(settings)
    server = LiveServer(app).start()
    try:
        agent_conf = AgentSettings(state_dir=tmp_path / "agent", host_name=HOST)  # the agent's own disk
        enroll(agent_conf, server.url, token)
        agent = Agent(agent_conf, [Quick()])
        assert agent.run_once().sent == 1
        eve = tmp_path / "eve.json"
        eve.write_bytes(suricata_eve.read_bytes())

        filler = fill(small_disk)
        result = ops(config, "db", "backup")
        assert result.exit_code == 2, result.output
        assert "No space left on device" in result.output and "nothing was kept" in result.output
        assert "Traceback" not in result.output
        backups = settings.backup.folder
        assert not backups.exists() or list(backups.iterdir()) == [], "a partial backup was left behind"

        refused = agent.run_once()
        assert refused.sent == 0 and refused.waiting == 1 and "503" in str(refused.stopped_by)
        answer = server.app.test_client().get("/healthz")
        assert answer.status_code in (200, 503)  # reading may still work; writing does not
        ingest = ops(config, "alerts", "ingest", str(eve))
        assert ingest.exit_code == 2 and "the database refused the work" in ingest.output, ingest.output
        assert "Traceback" not in ingest.output
        assert count(factory, HostReport.id) == 1  # acknowledged before the disk filled: still there

        filler.unlink()
        delivered = agent.run_once()
        assert (delivered.sent, delivered.waiting) == (2, 0)
        assert count(factory, HostReport.id) == 3
        assert ops(config, "alerts", "ingest", str(eve)).exit_code == 0
        assert count(factory, Alert.id) == len(alert_lines(suricata_eve))
        assert ops(config, "db", "backup").exit_code == 0
    finally:
        server.stop()
        app.extensions["ops"].engine.dispose()
        engine.dispose()
