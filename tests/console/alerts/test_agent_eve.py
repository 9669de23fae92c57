"""A sensor's agent ships its EVE log to a live console: signed, spooled, each range stored once."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from console.db import session_scope
from console.models import Alert, AuditEvent
from console.agents import enrolment as agent_service
from console.access.actor import Actor
from console.alerts.health import problem_totals
from probes.agent import Agent, enroll
from probes.config import AgentSettings
from probes.transport import Connection, signed_headers
from tests.console.alerts.conftest import alert_lines, renumbered

HOST = "dtnmt-ids-01"  # in role_ids_sensor: only a sensor may ship alerts


def _alerts(session_factory) -> int:
    with session_factory() as db:
        return db.scalar(select(func.count()).select_from(Alert))


def _agent(live_server, session_factory, tmp_path, eve, host: str = HOST):
    with session_scope(session_factory) as db:
        _row, token = agent_service.create_enrollment_token(db, Actor.cli(), host, hours=1)
    settings = AgentSettings(state_dir=tmp_path / "agent", host_name=host, suricata_eve=eve, ship_eve=True,
                             spool_max_bytes=1024 * 1024)
    enroll(settings, live_server.url, token)
    agent = Agent(settings, [])
    agent.eve.batch_bytes = 4096  # several batches from the small test file
    return agent


def test_agent_ships_every_alert_once_even_when_a_batch_is_sent_twice(live_server, session_factory, suricata_eve,
                                                                      tmp_path):
    eve = tmp_path / "eve.json"
    eve.write_bytes(suricata_eve.read_bytes())
    agent = _agent(live_server, session_factory, tmp_path, eve)
    assert agent.eve.collect() > 1
    first = agent.eve.spool.pending()[0]
    body = first.read_bytes()
    result = agent.ship_eve()
    assert result.waiting == 0 and result.sent > 1
    assert _alerts(session_factory) == len(alert_lines(suricata_eve))
    again = Connection(live_server.url).post("/api/v1/alerts/eve", body,
                                             signed_headers(agent.key, agent.state.agent_id, body))
    assert again.status == 200 and again.body["data"]["stored"] is False
    assert _alerts(session_factory) == len(alert_lines(suricata_eve))
    with session_factory() as db:
        sensors = set(db.scalars(select(Alert.sensor)))
    assert sensors == {HOST}


def test_agent_follows_rotation_and_console_counts_bad_lines(live_server, session_factory, suricata_eve, tmp_path):
    lines = suricata_eve.read_bytes().splitlines()
    eve = tmp_path / "eve.json"
    eve.write_bytes(b"\n".join(lines[:25]) + b"\n")
    agent = _agent(live_server, session_factory, tmp_path, eve)
    agent.ship_eve()
    with open(eve, "ab") as handle:
        handle.write(b"\n".join(lines[25:]) + b"\nnot json at all\n")
    eve.rename(tmp_path / "eve.json.1")
    eve.write_bytes(b"\n".join(renumbered(lines, 7)) + b"\n")
    agent.ship_eve()
    assert _alerts(session_factory) == 2 * len(alert_lines(suricata_eve))
    with session_factory() as db:
        assert problem_totals(db) == {"bad_json": 1}


def test_unsigned_or_forged_eve_batches_are_refused(live_server, session_factory, tmp_path):
    header = {"eve_batch": 1, "path": "/x", "file": {"device": 1, "inode": 2, "fingerprint": "0" * 64,
                                                     "fingerprint_bytes": 10}, "start": 0, "end": 10,
              "first_line": 1, "oversize": 0}
    body = json.dumps(header).encode() + b"\n"
    answer = Connection(live_server.url).post("/api/v1/alerts/eve", body, {})
    assert answer.status == 401
    from probes import signing

    stranger = signing.new_private_key()
    answer = Connection(live_server.url).post("/api/v1/alerts/eve", body, signed_headers(stranger, "nobody", body))
    assert answer.status == 401


def test_an_agent_on_a_host_that_is_no_sensor_may_not_ship_alerts(live_server, session_factory, suricata_eve,
                                                                   tmp_path):
    """dtnmt-web-01 is a web server (not in role_ids_sensor, not in [rules] sensors): 403, audited, nothing stored."""
    eve = tmp_path / "eve.json"
    eve.write_bytes(suricata_eve.read_bytes())
    agent = _agent(live_server, session_factory, tmp_path, eve, host="dtnmt-web-01")
    agent.eve.collect()
    result = agent.ship_eve()
    assert result.sent == 0 and "403" in result.stopped_by and "no sensor" in result.stopped_by
    assert _alerts(session_factory) == 0
    with session_factory() as db:
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "alerts.eve")).first()
    assert event.outcome == "denied" and event.detail["reason"] == "not_a_sensor"
    assert event.detail["host"] == "dtnmt-web-01"


def test_a_host_named_by_rules_sensors_counts_as_a_sensor_without_the_inventory_role():
    from types import SimpleNamespace

    import pytest

    from console.agents.enrolment import ReportRejected
    from console.alerts.agent_batches import require_sensor
    from rules.config import SensorConfig

    agent = SimpleNamespace(host=SimpleNamespace(name="dtnmt-web-01", roles=["role_web_portal"]))
    require_sensor(agent, [SensorConfig(name="edge", kind="ansible", host="dtnmt-web-01")])
    require_sensor(agent, [SensorConfig(name="dtnmt-web-01")])  # a local sensor named like the host
    with pytest.raises(ReportRejected) as refused:
        require_sensor(agent, [SensorConfig(name="edge", kind="ansible", host="dtnmt-ids-01")])
    assert refused.value.http_status == 403 and refused.value.reason == "not_a_sensor"
