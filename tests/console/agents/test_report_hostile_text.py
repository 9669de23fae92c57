"""Issue 29, defects 4 and 8: agent reports range-checked and their text storable, names shown isolated.

Every test runs on SQLite and PostgreSQL (the db_url fixture): PostgreSQL's text type cannot hold NUL, so a
check missing at the edge shows there as a 500.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from console.agents import enrolment as agent_service
from console.access.actor import Actor
from console.db import session_scope
from console.models import Agent, AuditEvent, HostReport
from probes import signing
from tests.console.agents.test_report_bad_input import agent, post, report, stored  # noqa: F401 (fixture)
from tests.console.agents.test_host_warnings_i18n import SECTIONS
from tests.console.compliance.helpers import enrol, ingest
from tests.console.compliance.helpers import report as full_report

RLO = "\u202e"


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+00:00", "1970-01-01T00:00:00+00:00",
                                    "1999-12-31T23:59:59+00:00"])
def test_a_report_collected_before_2000_is_refused_naming_collected_at(client, agent, session_factory, moment):
    response = post(client, agent, report(collected_at=moment))
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "collected_at" and "2000-01-01" in response.json["errors"][0]["message"]
    assert stored(session_factory) == 0


def test_a_time_inside_a_section_is_checked_too(client, agent, session_factory):
    health = {**SECTIONS["health"], "boot_time": "9999-12-31T23:59:59-12:00"}
    response = post(client, agent, report(health=health))
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "health.boot_time"
    assert stored(session_factory) == 0


@pytest.mark.parametrize("changes, field", [
    ({"health": {**SECTIONS["health"], "services": [{"name": "cron\u0000", "running": True}]}},
     "health.services[0].name"),
    ({"agent_version": "1.0\u0000"}, "agent_version"),
    ({"extra": {"nested": ["ok", "\ud800"]}}, "extra.nested[1]"),
    ({"extra": {"k\u0000ey": 1}}, "extra (a key)"),
])
def test_nul_and_lone_surrogates_in_a_report_are_refused_naming_the_field(client, agent, session_factory, changes,
                                                                         field):
    raw = json.dumps(report(**changes)).encode()  # json.dumps writes \\u0000 and \\ud800 escapes
    response = post(client, agent, raw)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.json["errors"][0]["field"] == field
    assert stored(session_factory) == 0
    assert post(client, agent, report()).status_code == 201


def test_an_agent_version_too_long_is_an_error_naming_it_not_a_cut(client, session_factory, synced):
    with session_scope(session_factory) as db:
        _row, token = agent_service.create_enrollment_token(db, Actor.cli(), "dtnmt-web-01")
    body = {"token": token, "host": "dtnmt-web-01", "public_key": signing.public_key_text(signing.new_private_key()),
            "agent_version": "v" * 10_000}
    response = client.post("/api/v1/agents/enroll", json=body)
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "agent_version"
    with session_factory() as db:
        assert db.scalar(select(func.count()).select_from(Agent)) == 0
    response = post(client, _enrolled(session_factory), report(agent_version="v" * 10_000))
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "agent_version"


def _enrolled(session_factory):
    key = signing.new_private_key()
    with session_scope(session_factory) as db:
        _row, token = agent_service.create_enrollment_token(db, Actor.cli(), "dtnmt-web-01")
        uid = agent_service.enroll(db, token, "dtnmt-web-01", signing.public_key_text(key), "test", "127.0.0.1").uid
    return uid, key


def test_a_right_to_left_override_in_a_service_name_stays_inside_its_isolate(logged_in, session_factory, synced):
    health = {**SECTIONS["health"], "services": [{"name": f"evil{RLO}exe.txt", "running": False}]}
    errors = [{"collector": f"col{RLO}lector", "error": "boom"}]
    ingest(session_factory, enrol(session_factory, "dtnmt-av-01"),
           full_report("dtnmt-av-01", health=health, errors=errors))
    client = logged_in("auditor")
    page = client.get("/hosts/dtnmt-av-01").get_data(as_text=True)
    assert f"service <bdi>evil{RLO}exe.txt</bdi> is not running" in page
    assert f"collector <bdi>col{RLO}lector</bdi> failed" in page
    listing = client.get("/hosts/").get_data(as_text=True)
    assert f"service \u2068evil{RLO}exe.txt\u2069 is not running" in listing


def test_a_report_at_the_edge_of_the_window_is_stored(client, agent, session_factory):
    assert post(client, agent, report(collected_at=datetime(2000, 1, 1, tzinfo=timezone.utc).isoformat())).status_code == 201
    with session_factory() as db:
        assert db.scalars(select(HostReport.collected_at)).one().year == 2000
        assert not db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.outcome == "denied"))
