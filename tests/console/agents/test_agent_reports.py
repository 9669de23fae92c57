"""Agents enrol and report to a live console over loopback; nothing lost, nothing stored twice."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from console.db import session_scope
from console.models import HostReport
from console.agents import enrolment as agent_service
from console.access.actor import Actor
from probes import signing
from probes.agent import Agent, AgentError, collect_report, enroll
from probes.collectors.health import HealthCollector
from probes.config import AgentSettings
from probes.transport import signed_headers

HOST = "dtnmt-web-01"


@pytest.fixture
def enrollment_token(session_factory, synced):
    def make(host: str = HOST, uses: int = 1) -> str:
        with session_scope(session_factory) as db:
            _row, token = agent_service.create_enrollment_token(db, Actor.cli(), host, hours=1, max_uses=uses)
        return token

    return make


def agent_settings(tmp_path, name="agent", host=HOST) -> AgentSettings:
    return AgentSettings(state_dir=tmp_path / name, host_name=host, interval_seconds=60)


def stored_reports(session_factory) -> int:
    with session_factory() as db:
        return db.scalar(select(func.count(HostReport.id)))


class Quick:
    """A cheap collector so a test can make many reports quickly."""

    name = "health"

    def collect(self):
        return HealthCollector(cpu_interval=0).collect()


def test_agent_enrolls_and_reports_over_loopback(live_server, enrollment_token, tmp_path, session_factory):
    settings = agent_settings(tmp_path)
    state = enroll(settings, live_server.url, enrollment_token())
    assert state.host == HOST
    assert oct((settings.state_dir / "agent.key").stat().st_mode & 0o777) == "0o600"
    result = Agent(settings, [Quick()]).run_once()
    assert (result.sent, result.waiting) == (1, 0)
    with session_factory() as db:
        row = db.scalars(select(HostReport)).one()
    assert row.payload["host"] == HOST and row.cpu_percent is not None


def test_enrolment_token_works_once_and_only_for_its_host(live_server, enrollment_token, tmp_path):
    token = enrollment_token()
    with pytest.raises(AgentError, match="403"):
        enroll(agent_settings(tmp_path, "other", host="dtnmt-db-01"), live_server.url, token)
    enroll(agent_settings(tmp_path), live_server.url, token)
    with pytest.raises(AgentError, match="401"):
        enroll(agent_settings(tmp_path, "again"), live_server.url, token)


def test_console_down_30s_loses_nothing_and_stores_nothing_twice(live_server, enrollment_token, tmp_path,
                                                                 session_factory):
    settings = agent_settings(tmp_path)
    enroll(settings, live_server.url, enrollment_token())
    # The agent's clock: each run is one 6 s interval later, so five runs while the console is down span 30 s
    # of collected reports without the test waiting 30 s.
    clock = [datetime.now(timezone.utc) - timedelta(seconds=36)]
    agent = Agent(settings, [Quick()], clock=lambda: clock[0])
    assert agent.run_once().sent == 1
    live_server.stop()
    for _ in range(5):
        clock[0] += timedelta(seconds=6)
        result = agent.run_once()
        assert result.sent == 0 and result.stopped_by
    assert result.waiting == 5
    live_server.start()
    clock[0] += timedelta(seconds=6)
    result = agent.run_once()
    assert (result.sent, result.waiting) == (6, 0)
    assert stored_reports(session_factory) == 7
    with session_factory() as db:
        stamps = sorted(db.scalars(select(HostReport.collected_at)))
    # the outage's reports kept their own times: 7 reports 6 s apart, 36 s in all
    assert len(set(stamps)) == 7 and (stamps[-1] - stamps[0]).total_seconds() == pytest.approx(36, abs=0.01)
    # The same report arriving again (say, after a lost answer) is acknowledged, not stored.
    with session_factory() as db:
        payload = db.scalars(select(HostReport)).first().payload
    body = json.dumps(payload).encode()
    answer = agent.conn.post("/api/v1/reports", body, signed_headers(agent.key, agent.state.agent_id, body))
    assert answer.status == 200 and answer.body["data"]["stored"] is False
    assert stored_reports(session_factory) == 7


def test_revoked_agent_is_refused_and_keeps_its_reports(live_server, enrollment_token, tmp_path, session_factory):
    settings = agent_settings(tmp_path)
    state = enroll(settings, live_server.url, enrollment_token())
    with session_scope(session_factory) as db:
        agent_service.revoke(db, Actor.cli(), state.agent_id)
    result = Agent(settings, [Quick()]).run_once()
    assert result.sent == 0 and "401" in result.stopped_by and result.waiting == 1
    assert stored_reports(session_factory) == 0


def test_retention_purge_removes_old_reports_and_audits_the_count(live_server, enrollment_token, tmp_path,
                                                                  session_factory):
    from sqlalchemy import update

    from console.models import AuditEvent
    from console.agents import host_reports as reports

    settings = agent_settings(tmp_path)
    enroll(settings, live_server.url, enrollment_token())
    agent = Agent(settings, [Quick()])
    for _ in range(3):
        agent.run_once()
    with session_scope(session_factory) as db:
        first = db.scalars(select(HostReport).order_by(HostReport.id)).first()
        db.execute(update(HostReport).where(HostReport.id == first.id)
                   .values(collected_at=datetime.now(timezone.utc) - timedelta(days=100)))
    with session_scope(session_factory) as db:
        assert reports.purge(db, Actor.cli(), 90) == 1
    assert stored_reports(session_factory) == 2
    with session_factory() as db:
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "reports.purge")).one()
    assert event.detail["removed"] == 1


def test_stale_after_three_missed_intervals(live_server, enrollment_token, tmp_path, session_factory):
    from sqlalchemy import update

    from console.models import Agent as AgentRow
    from console.agents import host_reports as reports
    from console.inventory.hosts import get_host

    settings = agent_settings(tmp_path)
    state = enroll(settings, live_server.url, enrollment_token())
    Agent(settings, [Quick()]).run_once()
    with session_scope(session_factory) as db:
        assert reports.condition(db, get_host(db, HOST)).status.value in ("ok", "warning")
        db.execute(update(AgentRow).where(AgentRow.uid == state.agent_id)
                   .values(last_seen_at=datetime.now(timezone.utc) - timedelta(seconds=181)))
    with session_factory() as db:
        assert reports.condition(db, get_host(db, HOST)).status.value == "stale"
        assert reports.condition(db, get_host(db, "dtnmt-db-01")).status.value == "never_seen"
