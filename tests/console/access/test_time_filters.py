"""A time typed without a zone means the same instant on every listing: the console's zone ([console] timezone).

Before the common time parser, the alerts page read "since 2026-11-25T08:00" in
Asia/Ho_Chi_Minh while the audit page and the audit API read it as UTC, seven
hours apart, so an officer comparing the two saw different events.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from console.access import audit
from console.access.actor import Actor
from console.db import session_scope

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def _record(session_factory, action: str) -> None:
    with session_scope(session_factory) as db:
        audit.record(db, Actor.cli(), action, "test", "1")


def _local(moment: datetime) -> str:
    return moment.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


def test_audit_page_reads_since_in_the_console_zone(logged_in, session_factory):
    client = logged_in("admin")
    _record(session_factory, "zone.check")
    since = _local(datetime.now(ZONE) - timedelta(minutes=30))  # 30 minutes ago, as a clock on the wall says it
    page = client.get("/audit/", query_string={"since": since, "action": "zone."}).get_data(as_text=True)
    assert "zone.check" in page, "an event of a minute ago is after 'since' (30 minutes ago, local time)"
    later = _local(datetime.now(ZONE) + timedelta(minutes=30))
    page = client.get("/audit/", query_string={"since": later, "action": "zone."}).get_data(as_text=True)
    assert "zone.check" not in page and "No events match." in page


def test_audit_api_and_page_agree_on_until(logged_in, session_factory, make_user):
    from console.access import tokens
    from console.models.users import Role

    client = logged_in("admin")
    _record(session_factory, "zone.until")
    name = make_user("zoneapi", "admin")
    with session_scope(session_factory) as db:
        _row, token = tokens.create_token(db, Actor(name, Role.admin), "test", None, 1)
    until = _local(datetime.now(ZONE) - timedelta(minutes=30))  # before the event, in local time
    answer = client.get("/api/v1/audit", query_string={"until": until, "action": "zone."},
                        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json["data"] == []
    page = client.get("/audit/", query_string={"until": until, "action": "zone."}).get_data(as_text=True)
    assert "zone.until" not in page


def test_a_bad_time_names_its_field(logged_in):
    client = logged_in("admin")
    for path in ("/audit/", "/alerts/"):
        response = client.get(path, query_string={"since": "yesterday"})
        assert response.status_code == 400, path
        assert "<strong>since</strong>: must be an ISO 8601 time" in response.get_data(as_text=True), path
