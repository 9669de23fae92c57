"""Real data for the overview tests, stored through the parts' own services where they have one."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import update

from console.access.actor import Actor
from console.alerts.ingest import ingest_files
from console.compliance import runs as compliance_runs
from console.compliance.catalog import load_catalog
from console.db import session_scope
from console.incidents import service as incidents
from tests.console.compliance.helpers import enrol, ingest, report

IDS = "dtnmt-ids-01"
ACCEPTING = {"backend": "nftables", "input_policy": "accept", "forward_policy": "drop", "rule_count": 2,
             "open_ports": []}
DROPPING = {**ACCEPTING, "input_policy": "drop"}


def host_reports(factory) -> dict[str, int]:
    """One host ok, one with a failed collector (warning), one stale; the other active hosts never seen."""
    ok, warning, stale = IDS, "dtnmt-bak-01", "dtnmt-mail-01"
    ingest(factory, enrol(factory, ok), report(ok, firewall=ACCEPTING))
    ingest(factory, enrol(factory, warning), report(warning, errors=[{"collector": "disks", "error": "boom"}]))
    stale_agent = enrol(factory, stale)
    ingest(factory, stale_agent, report(stale))
    from console.models import Agent

    with session_scope(factory) as session:
        session.execute(update(Agent).where(Agent.id == stale_agent)
                        .values(last_seen_at=datetime.now(timezone.utc) - timedelta(hours=2)))
    return {"ok": 1, "warning": 1, "stale": 1}


def two_runs(factory) -> tuple[int, int]:
    """Two compliance runs: the IDS host's firewall accepts in the first and drops in the second."""
    first = compliance_runs.execute(factory, Actor.cli(), load_catalog()).run_id
    agent = enrol(factory, "dtnmt-dns-01")
    ingest(factory, agent, report("dtnmt-dns-01", firewall=DROPPING))
    second = compliance_runs.execute(factory, Actor.cli(), load_catalog()).run_id
    return first, second


def alerts(factory, folder: Path, severities=(1, 1, 2, 3)) -> int:
    """Alerts of these severities an hour ago, stored by the real ingest; returns how many."""
    at = datetime.now(timezone.utc) - timedelta(hours=1)
    lines = []
    for n, severity in enumerate(severities):
        lines.append(json.dumps({
            "timestamp": (at + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%S.000000+0000"),
            "flow_id": 1000 + n, "event_type": "alert", "src_ip": f"198.18.20.{10 + n}", "src_port": 40000 + n,
            "dest_ip": "198.18.20.2", "dest_port": 80, "proto": "TCP", "app_proto": "http",
            "alert": {"action": "allowed", "gid": 1, "signature_id": 9900000 + severity, "rev": 1,
                      "signature": f"OVERVIEW test severity {severity}", "category": "Test", "severity": severity}}))
    path = folder / "eve.json"
    path.write_text("\n".join(lines) + "\n")
    ingest_files(factory, [path], "sensor-a", 100, 65536)
    return len(lines)


def devices(factory, settings) -> None:
    """The configured devices synced as `ops devices list` does; ups-a on battery, ups-b never polled,
    fw-a answered, fw-b did not."""
    from sqlalchemy import select

    from console.devices import service as device_service
    from console.models import Device, DeviceState

    now = datetime.now(timezone.utc)
    with session_scope(factory) as session:
        device_service.sync_devices(session, Actor.cli(), settings.devices)
        ids = dict(session.execute(select(Device.name, Device.id)).all())
        session.add_all([
            DeviceState(device_id=ids["ups-a"], collected_at=now, status="ok",
                        state={"status_flags": ["OB"], "battery_charge_percent": 80.0,
                               "battery_runtime_seconds": 1500.0}),
            DeviceState(device_id=ids["fw-a"], collected_at=now, status="ok", state={"firmware_version": "20.0"}),
            DeviceState(device_id=ids["fw-b"], collected_at=now, status="unknown",
                        reason="sophos 198.18.40.2:4444: connection refused", state={}),
        ])


def jobs(factory) -> None:
    """One running, one queued, two failed today, one failed three days ago, one successful."""
    from console.models import Job, JobState

    now = datetime.now(timezone.utc)
    with session_scope(factory) as session:
        for state, finished in ((JobState.running, None), (JobState.queued, None), (JobState.failed, now),
                                (JobState.failed, now - timedelta(hours=2)),
                                (JobState.failed, now - timedelta(days=3)), (JobState.successful, now)):
            session.add(Job(playbook="site.yml", started_by="alice", state=state, finished_at=finished))


def rulesets(factory) -> None:
    """Version 2 active; sensor-a runs it with 3 failed rules, sensor-b still runs version 1."""
    from console.models import RuleDeployment, RulesetVersion

    now = datetime.now(timezone.utc)
    with session_scope(factory) as session:
        for number, active in ((1, False), (2, True)):
            session.add(RulesetVersion(number=number, built_by="alice", rules_total=100, rules_enabled=90 + number,
                                       rules_added=0, rules_removed=0, rules_modified=0, is_active=active,
                                       activated_at=now if active else None))
        session.add(RuleDeployment(sensor="sensor-a", version_number=2, deployed_by="alice", status="ok",
                                   rules_loaded=89, rules_failed=3))
        session.add(RuleDeployment(sensor="sensor-b", version_number=1, deployed_by="alice", status="ok",
                                   rules_loaded=91, rules_failed=0))


def open_incidents(factory) -> tuple[int, int]:
    """One incident detected 2 h ago (22 h to its notice), one 30 h ago (its notice overdue), one sent in full."""
    now = datetime.now(timezone.utc)
    with session_scope(factory) as session:
        fresh = incidents.open_incident(session, Actor.cli(), "Web portal defaced", now - timedelta(hours=2)).id
        late = incidents.open_incident(session, Actor.cli(), "Ransomware on file server", now - timedelta(hours=30)).id
        done = incidents.open_incident(session, Actor.cli(), "Old phishing wave", now - timedelta(days=5)).id
        incidents.record_sent(session, Actor.cli(), done, "first_notice", now - timedelta(days=4))
        incidents.record_sent(session, Actor.cli(), done, "full_report", now - timedelta(days=3))
    return fresh, late
