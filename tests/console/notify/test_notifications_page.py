"""The Notifications page and API: admins see the channels (never a secret), rules, test and retry; every role sees the
delivery log; every change is audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from console.access.actor import Actor
from console.db import session_scope
from console.models.audit import AuditEvent
from console.models.notify import NotifyDelivery
from console.notify import outbox
from console.notify.events import Event, emit
from tests.conftest import csrf_token

CONFIG = """
[notify]
console_url = "https://ops.example.test"

[[notify.channels]]
name = "duty-mail"
kind = "email"
host = "127.0.0.1"
port = 1
username = "ops-mailer"
password = "env:OPS_TEST_SMTP_PASSWORD"
sender = "ops@example.test"
recipients = ["duty@example.test"]

[[notify.channels]]
name = "hook"
kind = "webhook"
url = "https://hooks.example.test/ops?token=abc"
secret = "env:OPS_TEST_HOOK_SECRET"

[[notify.rules]]
name = "power"
events = ["ups.on_battery"]
channels = ["duty-mail", "hook"]
"""


@pytest.fixture
def config_file(config_file):
    config_file.write_text(config_file.read_text() + CONFIG)
    return config_file


def test_admin_sees_channels_and_rules_but_no_secret(logged_in):
    client = logged_in("admin")
    page = client.get("/notifications/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="channel-duty-mail"' in html and 'data-testid="channel-hook"' in html
    assert "https://hooks.example.test/ops" in html
    assert "pass@" not in html and "token=abc" not in html and "OPS_TEST_SMTP_PASSWORD" not in html
    assert 'data-testid="rules-table"' in html and "power" in html


def test_auditor_reads_the_log_but_not_the_channels_and_cannot_send(logged_in):
    client = logged_in("auditor")
    html = client.get("/notifications/").get_data(as_text=True)
    assert 'data-testid="delivery-log"' in html and 'data-testid="channels-table"' not in html
    token = csrf_token(html)
    assert client.post("/notifications/channels/duty-mail/test", data={"csrf_token": token}).status_code == 403


def test_a_test_message_is_queued_audited_and_its_failure_shown(logged_in, session_factory, settings, monkeypatch):
    monkeypatch.setenv("OPS_TEST_SMTP_PASSWORD", "s3cret-smtp-password")
    client = logged_in("admin", "alice")
    token = csrf_token(client.get("/notifications/").get_data(as_text=True))
    response = client.post("/notifications/channels/duty-mail/test", data={"csrf_token": token})
    assert response.status_code == 302 and "/notifications/" in response.headers["Location"]
    with session_scope(session_factory) as session:
        row = session.scalar(select(NotifyDelivery))
        assert (row.kind, row.channel, row.state) == ("notify.test", "duty-mail", "pending")
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "notify.test")).actor == "alice"
    outbox.deliver_due(session_factory, settings)  # port 1: nothing listens
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-state="pending"' in html and 'data-testid="delivery-error"' in html
    assert "s3cret-smtp-password" not in html
    listing = client.get("/notifications/").get_data(as_text=True)
    assert "duty-mail" in listing and "s3cret" not in listing


def test_unknown_channel_is_404_and_retry_only_for_failed(logged_in, session_factory):
    client = logged_in("admin")
    token = csrf_token(client.get("/notifications/").get_data(as_text=True))
    assert client.post("/notifications/channels/nope/test", data={"csrf_token": token}).status_code == 404
    with session_scope(session_factory) as session:
        emit(session, Event("ups.on_battery", "device:u", "high", {"device": "u"}, "/devices/u"))
        row = session.scalar(select(NotifyDelivery))
        row.state = "failed"
        delivery_id = row.id
    assert client.post(f"/notifications/{delivery_id}/retry", data={"csrf_token": token}).status_code == 302
    with session_scope(session_factory) as session:
        assert session.get(NotifyDelivery, delivery_id).state == "pending"
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "notify.retry")) is not None


def test_api_lists_deliveries_for_every_role_and_channels_for_admins(client, make_user, session_factory):
    from console.access import tokens
    from console.models import Role

    with session_scope(session_factory) as session:
        emit(session, Event("ups.on_battery", "device:u", "high", {"device": "u"}, "/devices/u"))
    make_user("viewer", "auditor")
    make_user("root", "admin")
    with session_scope(session_factory) as session:
        viewer = tokens.create_token(session, Actor("viewer", Role.auditor), "wall", None, 30)[1]
        root = tokens.create_token(session, Actor("root", Role.admin), "ops", None, 30)[1]
    listing = client.get("/api/v1/notifications", headers={"Authorization": f"Bearer {viewer}"})
    assert listing.status_code == 200
    assert [(d["channel"], d["state"]) for d in listing.get_json()["data"]] == [("hook", "pending"),
                                                                              ("duty-mail", "pending")]
    assert client.get("/api/v1/notifications?state=lost", headers={"Authorization": f"Bearer {viewer}"}
                      ).status_code == 400
    assert client.get("/api/v1/notifications/channels", headers={"Authorization": f"Bearer {viewer}"}
                      ).status_code == 403
    channels = client.get("/api/v1/notifications/channels", headers={"Authorization": f"Bearer {root}"})
    assert [c["target"] for c in channels.get_json()["data"]][1] == "https://hooks.example.test/ops"
    queued = client.post("/api/v1/notifications/channels/hook/test", headers={"Authorization": f"Bearer {root}"})
    assert queued.status_code == 202 and queued.get_json()["data"]["kind"] == "notify.test"


def test_metrics_count_deliveries_per_channel_and_state(client, make_user, session_factory):
    from console.access import tokens
    from console.models import Role

    with session_scope(session_factory) as session:
        emit(session, Event("ups.on_battery", "device:u", "high", {"device": "u"}, "/devices/u"))
        session.scalar(select(NotifyDelivery).where(NotifyDelivery.channel == "hook")).state = "failed"
    make_user("prom", "auditor")
    with session_scope(session_factory) as session:
        token = tokens.create_token(session, Actor("prom", Role.auditor), "prometheus", None, 30)[1]
    text = client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).get_data(as_text=True)
    assert 'ops_notify_deliveries{channel="duty-mail",state="pending"} 1.0' in text
    assert 'ops_notify_deliveries{channel="hook",state="failed"} 1.0' in text
