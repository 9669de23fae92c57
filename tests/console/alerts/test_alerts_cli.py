"""`ops alerts ingest / purge / problems` as an operator runs them, and the status compliance reads."""

from __future__ import annotations

import gzip
import shutil
from datetime import datetime, timezone

import subprocess
import sys

from sqlalchemy import select

from console.models import AuditEvent
from console.alerts import triage as alerts_triage
from console.alerts.health import alert_pipeline_status
from console.alerts.ingest import ingest_files
from console.alerts.query import list_groups, parse_filter
from tests.console.alerts.conftest import alert_lines


def ops(config_file, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "console.cli", "-c", str(config_file), *args], capture_output=True,
                          text=True, timeout=120)


def test_ingest_command_reads_plain_and_gz_files_with_progress(config_file, engine, suricata_eve, tmp_path):
    gz = tmp_path / "eve.json.1.gz"
    with open(suricata_eve, "rb") as source, gzip.open(gz, "wb") as target:
        shutil.copyfileobj(source, target)
    plain = tmp_path / "other.json"
    plain.write_bytes(b"garbage\n")
    result = ops(config_file, "alerts", "ingest", str(gz), str(plain))
    assert result.returncode == 0, result.stderr
    assert "ingesting" in result.stderr  # the bar itself is drawn on a terminal only
    assert "2 files" in result.stdout and f"({len(alert_lines(suricata_eve))} alerts)" in result.stdout
    assert "problems: 1 bad_json" in result.stdout
    problems = ops(config_file, "alerts", "problems")
    assert f"{plain}\tbad_json\t1\t{plain}:1: not JSON" in problems.stdout


def test_ingest_of_a_missing_file_names_it_and_fails(config_file, engine, tmp_path):
    result = ops(config_file, "alerts", "ingest", str(tmp_path / "none.json"))
    assert result.returncode == 2 and "none.json" in result.stderr


def test_purge_command_uses_the_configured_days_and_audits(config_file, suricata_eve, factory):
    ingest_files(factory, [suricata_eve], "s", 500, 65536)
    result = ops(config_file, "alerts", "purge")
    assert result.returncode == 0, result.stderr
    assert "removed 14 alerts and 7 groups older than 180 days, 74 context events older than 30 days" in result.stdout
    with factory() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "alerts.purge")).one()
    assert event.detail["context_days"] == 30 and event.actor.startswith("cli:")


def test_pipeline_status_gives_last_event_per_sensor_and_unreviewed_high(factory, suricata_eve, session, admin_actor):
    assert alert_pipeline_status(session) == {"sensors": [], "oldest_unreviewed_high_at": None,
                                              "unreviewed_high_count": 0}
    ingest_files(factory, [suricata_eve], "sensor-a", 500, 65536)
    status = alert_pipeline_status(session)
    assert status["sensors"] == [{"sensor": "sensor-a",
                                  "last_event_at": datetime(2026, 1, 1, 0, 1, 30, 7000, tzinfo=timezone.utc)}]
    assert status["unreviewed_high_count"] == 4  # three web attack sources and the backdoor: severity 1
    assert status["oldest_unreviewed_high_at"] == datetime(2026, 1, 1, 0, 0, 0, 6000, tzinfo=timezone.utc)
    ids = [row.id for row in list_groups(session, parse_filter({"severity": "1"}))[0]]
    alerts_triage.set_status(session, admin_actor, ids, "acknowledged")
    assert alert_pipeline_status(session)["unreviewed_high_count"] == 0
