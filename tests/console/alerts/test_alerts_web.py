"""The alert pages, exports, JSON API and /metrics, as a signed-in user sees them."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from console.models import AlertGroup, AuditEvent
from console.alerts.ingest import ingest_files
from console.alerts.retention import purge
from tests.conftest import csrf_token


@pytest.fixture
def stored(factory, suricata_eve, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"not json\n")
    ingest_files(factory, [suricata_eve, bad], "sensor-a", 500, 65536)
    with factory() as session:
        return {g.sid: g.id for g in session.scalars(select(AlertGroup).order_by(AlertGroup.src_ip.desc()))}


def test_inbox_lists_groups_with_filters_and_shows_ingest_problems(logged_in, stored):
    client = logged_in("auditor")
    page = client.get("/alerts/").get_data(as_text=True)
    assert page.count('data-testid="group-row"') == 7 and "OPS test backdoor greeting" in page
    assert "bad_json" in page and "stats" in page
    filtered = client.get("/alerts/?ip=198.18.200.44").get_data(as_text=True)
    assert filtered.count('data-testid="group-row"') == 1
    assert client.get("/alerts/?ip=nonsense").status_code == 400
    assert client.get("/alerts/?status=escalated").get_data(as_text=True).count('data-testid="group-row"') == 0


def test_group_page_shows_events_with_their_flow_context(logged_in, stored):
    page = logged_in("auditor").get(f"/alerts/groups/{stored[9905001]}").get_data(as_text=True)
    assert page.count('data-testid="event"') == 2 and 'data-testid="context-http"' in page
    assert "/ops-test-attack?id=1" in page


def test_officer_triages_from_the_group_page_and_auditor_cannot(logged_in, stored, client, session):
    officer = logged_in("security_officer")
    group_id = stored[9905003]
    page = officer.get(f"/alerts/groups/{group_id}").get_data(as_text=True)
    response = officer.post(f"/alerts/groups/{group_id}/status",
                            data={"status": "escalated", "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    officer.post(f"/alerts/groups/{group_id}/false-positive",
                 data={"kind": "suppress", "track": "by_dst", "csrf_token": csrf_token(page)})
    page = officer.get(f"/alerts/groups/{group_id}").get_data(as_text=True)
    assert "suppress gen_id 1, sig_id 9905003, track by_dst, ip 198.18.200.44" in page
    assert session.scalar(select(AlertGroup.status).where(AlertGroup.id == group_id)) == "escalated"
    actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(group_id))))
    assert actions == {"alerts.status", "alerts.false_positive.propose"}
    officer.post("/logout", data={"csrf_token": csrf_token(page)})
    auditor = logged_in("auditor")
    page = auditor.get(f"/alerts/groups/{group_id}").get_data(as_text=True)
    assert 'data-testid="status-closed"' not in page
    denied = auditor.post(f"/alerts/groups/{group_id}/status", data={"status": "closed", "csrf_token": csrf_token(page)})
    assert denied.status_code == 403


def test_bulk_acknowledge_from_the_inbox(logged_in, stored, session):
    client = logged_in("admin")
    page = client.get("/alerts/").get_data(as_text=True)
    ids = [stored[9905001], stored[9905002]]
    response = client.post("/alerts/bulk", data={"group": [str(i) for i in ids], "action": "acknowledged",
                                                 "csrf_token": csrf_token(page), "next": "/alerts/?status=new"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/alerts/?status=new")
    assert set(session.scalars(select(AlertGroup.status).where(AlertGroup.id.in_(ids)))) == {"acknowledged"}


def test_csv_and_json_exports_follow_the_filter(logged_in, stored):
    client = logged_in("auditor")
    rows = list(csv.DictReader(io.StringIO(client.get("/alerts/export.csv?sid=9905002").get_data(as_text=True))))
    assert len(rows) == 3 and {r["dest_ip"] for r in rows} == {"198.18.200.53"}
    data = json.loads(client.get("/alerts/export.json?status=all").get_data(as_text=True))
    assert len(data) == 7 and {"src", "dest", "count", "fp"} <= set(data[0])


def test_chart_json_has_a_series_per_severity(logged_in, stored):
    # times without a zone are the console's (Asia/Ho_Chi_Minh, UTC+7): 07:00 there is 00:00 UTC
    data = logged_in("auditor").get("/alerts/chart.json?since=2026-01-01T07:00&until=2026-01-01T13:00").get_json()
    assert set(data["series"]) == {"1", "3"} and sum(data["series"]["1"]) == 8


def test_api_lists_groups_and_changes_status(client, stored, session_factory, make_user):
    from console.access import tokens
    from console.access.actor import Actor
    from console.db import session_scope

    make_user("api-officer", "security_officer")
    with session_scope(session_factory) as db:
        from console.access.users import get_user

        user = get_user(db, "api-officer")
        _row, token = tokens.create_token(db, Actor(user.username, user.role, user_id=user.id), "test", None, 1)
    headers = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/v1/alerts/groups?limit=3", headers=headers).get_json()
    assert len(listed["data"]) == 3 and listed["next"]
    group_id = stored[9905001]
    changed = client.post("/api/v1/alerts/groups/status", json={"groups": [group_id], "status": "acknowledged"},
                          headers=headers)
    assert changed.status_code == 200 and changed.get_json()["data"] == [{"id": group_id, "status": "acknowledged"}]
    detail = client.get(f"/api/v1/alerts/groups/{group_id}", headers=headers).get_json()["data"]
    assert detail["status"] == "acknowledged" and detail["events"][0]["context"]
    bad = client.post("/api/v1/alerts/groups/status", json={"groups": [group_id], "status": "new"}, headers=headers)
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "status"


def test_metrics_export_ingest_problem_counters(client, stored, app):
    from console.web.metrics import EstateCollector

    with app.app_context():
        from console.web.runtime import db

        families = {f.name: f for f in EstateCollector(db()).collect()}
    samples = {s.labels["kind"]: s.value for s in families["ops_alert_ingest_problems"].samples}
    assert samples == {"bad_json": 1.0}


def test_purge_removes_old_alerts_groups_and_context_and_audits_it(session, stored, admin_actor):
    removed = purge(session, admin_actor, alert_days=1, context_days=1)
    session.commit()
    assert (removed.alerts, removed.groups, removed.context_events) == (14, 7, 74)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "alerts.purge")).one()
    assert event.detail["alerts"] == 14
