"""Hostile agent requests: each refused with a clear status, counted, nothing stored."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from console.db import session_scope
from console.models import AuditEvent, HostReport
from console.agents import enrolment as agent_service
from console.access.actor import Actor
from probes import signing

HOST = "dtnmt-web-01"


@pytest.fixture
def agent(session_factory, synced):
    """An enrolled agent for HOST: (uid, private key)."""
    key = signing.new_private_key()
    with session_scope(session_factory) as db:
        _row, token = agent_service.create_enrollment_token(db, Actor.cli(), HOST)
        row = agent_service.enroll(db, token, HOST, signing.public_key_text(key), "test", "127.0.0.1")
        uid = row.uid
    return uid, key


def report(**changes) -> dict:
    body = {"report_id": str(uuid.uuid4()), "host": HOST, "agent_version": "test",
            "collected_at": datetime.now(timezone.utc).isoformat(), "interval_seconds": 60}
    body.update(changes)
    return body


def post(client, agent, body, when=None, agent_id=None):
    uid, key = agent
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    stamp = (when or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    headers = {signing.AGENT_HEADER: agent_id or uid, signing.TIMESTAMP_HEADER: stamp,
               signing.SIGNATURE_HEADER: signing.sign(key, agent_id or uid, stamp, raw)}
    return client.post("/api/v1/reports", data=raw, headers=headers, content_type="application/json")


def stored(session_factory) -> int:
    with session_factory() as db:
        return db.scalar(select(func.count(HostReport.id)))


def test_valid_report_is_stored_once(client, agent, session_factory):
    body = report(health=None, extra_field={"kept": True})
    assert post(client, agent, body).status_code == 201
    assert post(client, agent, body).status_code == 200
    with session_factory() as db:
        assert db.scalars(select(HostReport)).one().payload["extra_field"] == {"kept": True}


@pytest.mark.parametrize("body, status, field", [
    (b"{not json", 400, "body"),
    (b"[1, 2]", 422, "body"),
    (b"[" * 100 + b"]" * 100, 422, None),
    (b'{"a": "' + b"x" * (1024 * 1024) + b'"}', 413, None),
    (b"\xff\xfe garbage", 400, "body"),
    (json.dumps(report()).encode()[:-20], 400, "body"),
])
def test_garbage_oversized_and_deep_bodies_are_refused(client, agent, session_factory, body, status, field):
    response = post(client, agent, body)
    assert response.status_code == status
    assert response.json["success"] is False
    if field:
        assert response.json["errors"][0]["field"] == field
    assert stored(session_factory) == 0
    assert post(client, agent, report()).status_code == 201  # and everyone else is still served


def test_wrong_type_is_422_naming_the_field(client, agent, session_factory):
    body = report(health={"cpu_percent": "lots"})
    response = post(client, agent, body)
    assert response.status_code == 422
    assert response.json["errors"][0]["field"].startswith("health.cpu_percent")
    response = post(client, agent, report(interval_seconds="often"))
    assert response.json["errors"][0]["field"] == "interval_seconds"
    assert stored(session_factory) == 0


def test_far_future_timestamp_is_refused(client, agent, session_factory):
    future = (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()
    response = post(client, agent, report(collected_at=future))
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "collected_at"
    assert stored(session_factory) == 0


def test_replayed_old_signature_is_refused(client, agent, session_factory):
    response = post(client, agent, report(), when=datetime.now(timezone.utc) - timedelta(hours=1))
    assert response.status_code == 401 and "5 minutes" in response.json["errors"][0]["message"]
    assert stored(session_factory) == 0


def test_report_for_another_host_is_refused_and_audited(client, agent, session_factory):
    response = post(client, agent, report(host="dtnmt-db-01"))
    assert response.status_code == 403
    with session_factory() as db:
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "report")).one()
    assert event.outcome == "denied" and event.detail["reason"] == "wrong_host"
    assert stored(session_factory) == 0


def test_signature_by_another_key_or_agent_is_refused(client, agent, session_factory):
    uid, _key = agent
    stranger = (uid, signing.new_private_key())
    assert post(client, stranger, report()).status_code == 401
    assert post(client, agent, report(), agent_id=str(uuid.uuid4())).status_code == 401
    assert client.post("/api/v1/reports", json=report()).status_code == 401
    assert stored(session_factory) == 0


def test_revoked_credential_is_refused(client, agent, session_factory):
    with session_scope(session_factory) as db:
        agent_service.revoke(db, Actor.cli(), agent[0])
    response = post(client, agent, report())
    assert response.status_code == 401 and "revoked" in response.json["errors"][0]["message"]


def test_refusals_are_counted_in_metrics(client, agent, make_user, session_factory):
    post(client, agent, report(host="dtnmt-db-01"))
    post(client, agent, b"{not json")
    from console.access import tokens
    from console.models import Role

    name = make_user("prom", "auditor")
    with session_scope(session_factory) as db:
        _row, token = tokens.create_token(db, Actor(name, Role.auditor), "m", None, 1)
    body = client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).get_data(as_text=True)
    assert 'ops_agent_reports_total{outcome="rejected",reason="wrong_host"}' in body
    assert 'ops_agent_reports_total{outcome="rejected",reason="not_json"}' in body
