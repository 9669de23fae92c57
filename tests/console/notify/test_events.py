"""Each part of the console announces what it sees, in its own transaction: a UPS read from a real upsd, compliance runs,
IDS alerts through the real ingest, a failed job, a refused ruleset build, and what the minute's look finds (a host gone
stale, antivirus off or old, a sensor failing rules, incident deadlines)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from console.access.actor import Actor
from console.db import session_scope
from console.lab.ups import write_device_file
from console.models.notify import NotifyDelivery
from console.notify import watch
from tests.console.compliance.helpers import enrol, ingest, report
from tests.console.overview import helpers
from tests.fixtures.nut import DEVICE
from tests.fixtures.notify_config import syslog_rule

EVERYTHING = syslog_rule(throttle_minutes=60, console_url="https://ops.example.test")


@pytest.fixture
def config_file(config_file):
    config_file.write_text(config_file.read_text() + EVERYTHING)
    return config_file


def messages(factory, kind: str | None = None) -> list[NotifyDelivery]:
    with session_scope(factory) as session:
        query = select(NotifyDelivery).order_by(NotifyDelivery.id)
        if kind:
            query = query.where(NotifyDelivery.kind == kind)
        return list(session.scalars(query))


def test_a_ups_on_battery_low_battery_and_back_is_told_once_each(session_factory, settings, upsd):
    from console.devices import service as devices
    from console.devices.config import DeviceConfig

    device, port, _server = upsd
    config = [DeviceConfig(name="ups-room", kind="ups", connector="nut", address="127.0.0.1", port=port,
                           ups="testups", hosts=["dtnmt-web-01"], timeout_seconds=2)]

    def poll_until(flags):
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with session_scope(session_factory) as session:
                (result,) = devices.poll_all(session, config)
                state = devices.latest_states(session)[0].fields.get("status_flags")
            if state == flags:
                return
            time.sleep(0.5)
        raise AssertionError(f"upsd never reported {flags}")

    poll_until(["OL"])
    assert messages(session_factory) == []
    write_device_file(device, DEVICE.replace("ups.status: OL", "ups.status: OB DISCHRG").replace("100", "55"))
    poll_until(["OB", "DISCHRG"])
    poll_until(["OB", "DISCHRG"])  # still on battery: no second message
    write_device_file(device, DEVICE.replace("ups.status: OL", "ups.status: OB LB").replace("100", "9"))
    poll_until(["OB", "LB"])
    write_device_file(device, DEVICE)
    poll_until(["OL"])
    told = messages(session_factory)
    assert [row.kind for row in told] == ["ups.on_battery", "ups.low_battery", "ups.online"]
    assert told[0].subject == "[high] UPS ups-room is on battery"
    assert "charge 55" in told[0].body and "dtnmt-web-01" in told[0].body
    assert told[1].severity == "critical" and "charge 9" in told[1].body
    assert told[0].link == "https://ops.example.test/devices/ups-room"


def test_a_run_with_a_new_failure_is_told_with_the_difference(session_factory, synced):
    from console.compliance import runs as compliance_runs
    from console.compliance.catalog import load_catalog

    first = compliance_runs.execute(session_factory, Actor.cli(), load_catalog()).run_id
    assert [row.kind for row in messages(session_factory)] == []  # every host unknown: nothing failed
    agent = enrol(session_factory, "dtnmt-dns-01")
    ingest(session_factory, agent, report("dtnmt-dns-01", firewall=helpers.ACCEPTING))
    second = compliance_runs.execute(session_factory, Actor.cli(), load_catalog()).run_id
    failed = messages(session_factory, "compliance.run_failed")
    assert len(failed) == 1 and failed[0].link.endswith(f"/compliance/runs/{second}")
    new = messages(session_factory, "compliance.newly_failing")
    assert len(new) == 1 and new[0].unit
    assert f"Since run {first}" in new[0].body and "- FW-02" in new[0].body and "dtnmt-dns-01" in new[0].body
    assert new[0].link.endswith(f"/compliance/runs/{first}/diff/{second}")
    compliance_runs.execute(session_factory, Actor.cli(), load_catalog())  # the same failure again: not new
    assert len(messages(session_factory, "compliance.newly_failing")) == 1


def test_a_thousand_alerts_of_one_group_are_one_message(session_factory, tmp_path):
    at = datetime.now(timezone.utc) - timedelta(minutes=5)
    lines = [json.dumps({
        "timestamp": (at + timedelta(milliseconds=n)).strftime("%Y-%m-%dT%H:%M:%S.%f+0000"),
        "flow_id": n, "event_type": "alert", "src_ip": "203.0.113.7", "src_port": 40000, "dest_ip": "198.18.20.2",
        "dest_port": 22, "proto": "TCP",
        "alert": {"action": "allowed", "gid": 1, "signature_id": 2001219, "rev": 20,
                  "signature": "ET SCAN Potential SSH Scan", "category": "Attempted Information Leak",
                  "severity": 2}}) for n in range(1000)]
    lines.append(lines[0].replace('"severity": 2', '"severity": 4').replace("2001219", "2200003"))
    path = tmp_path / "eve.json"
    path.write_text("\n".join(lines) + "\n")
    from console.alerts.ingest import ingest_files

    ingest_files(session_factory, [path], "ids-01", 300, 65536)  # four batches
    told = messages(session_factory, "ids.alert")
    assert len(told) == 2  # one per group, the informational one included by this rule
    scan = next(row for row in told if "SSH Scan" in row.subject)
    assert scan.severity == "medium" and scan.repeats == 3 and "/alerts/groups/" in scan.link
    assert "from 203.0.113.7 to 198.18.20.2" in scan.body and "sid 2001219" in scan.body


def test_a_failed_job_is_told_with_its_hosts(session_factory):
    from console.jobs.execute import end_unstarted
    from console.models import Job, JobState

    with session_scope(session_factory) as session:
        job = Job(playbook="site.yml", started_by="alice", state=JobState.running)
        session.add(job)
        session.flush()
        end_unstarted(session, job, JobState.error, "the worker is gone")
    (told,) = messages(session_factory, "job.failed")
    assert told.subject.startswith("[medium] Job ") and "site.yml" in told.subject
    assert "the worker is gone" in told.body and told.link.endswith(f"/jobs/{job.id}")


def test_a_refused_ruleset_build_is_told_and_the_active_version_named(session_factory, rules_config):
    from console.ruleset import service as ruleset

    (rules_config.local_dir / "broken.rules").write_text(
        'alert tcp any any -> any any (msg:"broken"; content:"x"; nosuchkeyword; sid:9990001; rev:1;)\n')
    with session_scope(session_factory) as session:
        outcome = ruleset.build_version(session, Actor.cli(), config=rules_config, offline=True)
    assert not outcome.ok
    (told,) = messages(session_factory, "rules.build_refused")
    assert told.severity == "high" and "The sensors keep version -" in told.body


def test_the_minutes_look_tells_stale_hosts_antivirus_and_sensors_once(session_factory, settings, synced):
    from console.models import Agent

    old_signatures = (datetime.now(timezone.utc) - timedelta(days=9)).isoformat()
    av_host, stale_host, sensor_host = "dtnmt-web-01", "dtnmt-mail-01", "dtnmt-ids-01"
    ingest(session_factory, enrol(session_factory, av_host), report(av_host, antivirus=[
        {"provider": "clamav", "installed": True, "running": False, "signature_date": old_signatures}]))
    stale_agent = enrol(session_factory, stale_host)
    ingest(session_factory, stale_agent, report(stale_host))
    ingest(session_factory, enrol(session_factory, sensor_host), report(sensor_host, sensor={
        "engine": "suricata", "running": True, "rules_loaded": 40, "rules_failed": 2, "ruleset_version": "3"}))
    with session_scope(session_factory) as session:
        session.execute(update(Agent).where(Agent.id == stale_agent)
                        .values(last_seen_at=datetime.now(timezone.utc) - timedelta(hours=2)))
    for _ in range(2):  # the second look finds nothing new
        with session_scope(session_factory) as session:
            watch.look(session, settings)
    kinds = sorted((row.kind, row.event_key) for row in messages(session_factory))
    assert kinds == [("host.antivirus_off", f"host:{av_host}:clamav"),
                     ("host.signatures_old", f"host:{av_host}:clamav"),
                     ("host.stale", f"host:{stale_host}"),
                     ("sensor.rules_failed", f"sensor:{sensor_host}")]
    off = messages(session_factory, "host.antivirus_off")[0]
    assert "clamav: installed but not running" in off.body and off.unit
    assert "older than 3 days" in messages(session_factory, "host.signatures_old")[0].body


def test_incident_deadlines_near_and_overdue_are_told_once(session_factory, settings):
    fresh, late = helpers.open_incidents(session_factory)
    with session_scope(session_factory) as session:
        watch.look(session, settings, now=datetime.now(timezone.utc) + timedelta(hours=17))
        watch.look(session, settings, now=datetime.now(timezone.utc) + timedelta(hours=17, minutes=1))
    told = [(row.kind, row.event_key) for row in messages(session_factory)]
    assert sorted(told) == [("incident.deadline_near", f"incident:{fresh}:first_notice"),
                            ("incident.overdue", f"incident:{late}:first_notice")]
