"""Blocked or allowed: EVE's alert.action on the inbox, the group page, the API, the exports and the Overview.

The EVE is a real Suricata's (the alerts' session fixture); one of its alerts comes again as an inline
sensor writes it ("action": "blocked", as tests/console/lab/test_inline_ips.py shows Suricata 7 does),
stamped an hour ago so the Overview's 7 days count it.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from console.alerts.ingest import ingest_files
from console.alerts.query import AlertFilter, list_groups, parse_filter
from console.errors import ValidationFailed
from console.models import Alert, AlertGroup
from tests.console.alerts.conftest import alert_lines

BLOCKED_SID = 9905001


@pytest.fixture
def stored(factory, suricata_eve, tmp_path):
    record = json.loads(next(line for line in alert_lines(suricata_eve)
                             if json.loads(line)["alert"]["signature_id"] == BLOCKED_SID))
    record["alert"]["action"] = "blocked"
    record["src_ip"] = "198.18.201.9"  # another source: a group of its own
    record["timestamp"] = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    inline = tmp_path / "inline-eve.json"
    inline.write_text(json.dumps(record) + "\n")
    ingest_files(factory, [suricata_eve], "ids-mirror", 500, 65536)
    ingest_files(factory, [inline], "ips-inline", 500, 65536)
    with factory() as session:
        return session.scalar(select(AlertGroup.id).where(AlertGroup.src_ip == "198.18.201.9"))


def test_the_filter_splits_blocked_groups_from_allowed_ones(stored, session):
    blocked, _ = list_groups(session, AlertFilter(status=None, action="blocked"))
    allowed, _ = list_groups(session, AlertFilter(status=None, action="allowed"))
    everything, _ = list_groups(session, AlertFilter(status=None))
    assert [g.id for g in blocked] == [stored]
    assert {g.id for g in allowed} == {g.id for g in everything} - {stored}
    assert session.scalars(select(Alert.action).where(Alert.sensor == "ips-inline")).all() == ["blocked"]
    assert set(session.scalars(select(Alert.action).where(Alert.sensor == "ids-mirror"))) == {"allowed"}


def test_an_action_other_than_blocked_or_allowed_is_refused_naming_the_field():
    with pytest.raises(ValidationFailed) as refused:
        parse_filter({"action": "dropped"})
    assert refused.value.field == "action"


def bearer(session_factory, make_user, role: str = "auditor", username: str = "api-auditor") -> dict:
    """An Authorization header with a new API token of a new user of `role`."""
    from console.access import tokens
    from console.access.actor import Actor
    from console.access.users import get_user
    from console.db import session_scope

    make_user(username, role)
    with session_scope(session_factory) as db:
        user = get_user(db, username)
        _row, token = tokens.create_token(db, Actor(user.username, user.role, user_id=user.id), "test", None, 1)
    return {"Authorization": f"Bearer {token}"}


def test_inbox_group_page_api_exports_and_overview_show_blocked(logged_in, stored, session_factory, make_user):
    headers = bearer(session_factory, make_user)
    client = logged_in("auditor")
    inbox = client.get("/alerts/?status=all&action=blocked").get_data(as_text=True)
    assert inbox.count('data-testid="group-row"') == 1 and 'data-testid="action-blocked"' in inbox
    assert client.get("/alerts/?action=dropped").status_code == 400
    group = client.get(f"/alerts/groups/{stored}").get_data(as_text=True)
    assert 'data-testid="action-blocked"' in group and "ips-inline · Blocked" in group
    api = client.get("/api/v1/alerts/groups?status=all&action=blocked", headers=headers).get_json()
    assert [(g["id"], g["action"], g["blocked_count"]) for g in api["data"]] == [(stored, "blocked", 1)]
    detail = client.get(f"/api/v1/alerts/groups/{stored}", headers=headers).get_json()["data"]
    assert [e["action"] for e in detail["events"]] == ["blocked"]
    rows = list(csv.DictReader(io.StringIO(client.get("/alerts/export.csv?status=all&action=allowed").get_data(as_text=True))))
    assert rows and {row["action"] for row in rows} == {"allowed"}
    overview = client.get("/").get_data(as_text=True)
    assert 'data-testid="alerts-blocked"' in overview
    assert "Attacks blocked by the inline sensors in 7 days: 1" in overview
    assert client.get("/api/v1/overview", headers=headers).get_json()["data"]["alerts"]["blocked_in_window"] == 1


@pytest.mark.sqlite_only  # the page and its form; the task's own queries run on the inline path's console
def test_allow_from_the_blocked_group_queues_one_task_for_officers_only(logged_in, stored, session_factory):
    from console.models import Task
    from tests.conftest import csrf_token

    officer = logged_in("security_officer")
    page = officer.get(f"/alerts/groups/{stored}").get_data(as_text=True)
    assert 'data-testid="allow"' in page
    token = csrf_token(page)
    assert officer.post(f"/alerts/groups/{stored}/allow", data={"csrf_token": token, "scope": "everywhere"}
                        ).status_code == 400
    assert officer.post(f"/alerts/groups/{stored}/allow", data={"csrf_token": token, "scope": "source",
                                                                 "network": "10.0.0.0/8"}).status_code == 400

    sent = officer.post(f"/alerts/groups/{stored}/allow", data={"csrf_token": token, "scope": "source",
                                                                "network": "198.18.201.0/24"})

    assert sent.status_code == 302 and "/tasks/" in sent.headers["Location"]
    with session_factory() as db:
        [task] = db.scalars(select(Task).where(Task.kind == "alerts.allow")).all()
        assert task.params == {"group": stored, "scope": "source", "network": "198.18.201.0/24"}
    officer.post("/logout", data={"csrf_token": token})
    auditor = logged_in("auditor")
    page = auditor.get(f"/alerts/groups/{stored}").get_data(as_text=True)
    assert 'data-testid="allow"' not in page
    assert auditor.post(f"/alerts/groups/{stored}/allow", data={"csrf_token": csrf_token(page), "scope": "source"}
                        ).status_code == 403
