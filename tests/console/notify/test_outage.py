"""Nothing lost, nothing twice: with the SMTP server (aiosmtpd, real SMTP over TCP) stopped for 10 minutes and started
again, every queued message arrives exactly once; and no message carries a secret.

The 10 minutes are the outbox's clock (deliver_due's `now`), stepped every 15 s as the scheduler would: every step
really connects to the stopped port and is refused. A webhook receiver takes the same events as a second channel.
"""

from __future__ import annotations

import email
from datetime import timedelta

import pytest
from sqlalchemy import select

from console.db import make_session_factory, session_scope
from console.models.base import utcnow
from console.models.notify import NotifyDelivery
from console.notify import outbox
from console.notify.events import Event, emit_all
from console.settings import load_settings
from tests.fixtures.notify_servers import Pki, SmtpServer, WebhookReceiver, free_port

SMTP_PASSWORD = "smtp-Passw0rd-never-in-a-message"
HOOK_SECRET = "hook-key-never-in-a-message"


@pytest.fixture
def outage_settings(config_file, tmp_path, monkeypatch):
    password = tmp_path / "smtp-password"
    password.write_text(SMTP_PASSWORD + "\n")
    monkeypatch.setenv("OPS_TEST_HOOK_SECRET", HOOK_SECRET)
    port, pki = free_port(), Pki(tmp_path / "pki")
    config_file.write_text(config_file.read_text() + f"""
[notify]
console_url = "https://ops.example.test"
retry_seconds = 30
retry_max_seconds = 120

[[notify.channels]]
name = "duty-mail"
kind = "email"
host = "127.0.0.1"
port = {port}
security = "starttls"
ca_file = "{pki.ca_file}"
username = "ops-mailer"
password = "file:{password}"
sender = "ops@example.test"
recipients = ["duty@example.test"]
timeout_seconds = 3

[[notify.rules]]
name = "all"
events = ["*"]
channels = ["duty-mail"]
""")
    return load_settings(config_file), port, pki


def events(count: int) -> list[Event]:
    kinds = [("ups.on_battery", {"device": "ups-{n}", "charge": 80, "runtime_minutes": "20", "hosts": "web-01"}),
             ("host.stale", {"host": "host-{n}", "last_seen": utcnow()}),
             ("job.failed", {"job_id": "{n}", "playbook": "site.yml", "actor": "alice", "state": "failed",
                             "message": "unreachable"})]
    made = []
    for n in range(count):
        kind, params = kinds[n % len(kinds)]
        made.append(Event(kind, f"thing:{n}", "high", {k: v.format(n=n) if isinstance(v, str) else v
                                                       for k, v in params.items()}, f"/things/{n}"))
    return made


def test_ten_minutes_without_the_smtp_server_lose_nothing_and_send_nothing_twice(engine, outage_settings, tmp_path):
    settings, port, pki = outage_settings
    factory = make_session_factory(engine, settings)
    server = SmtpServer(pki, security="starttls", port=port, users={"ops-mailer": SMTP_PASSWORD}).start()
    start = utcnow()
    with session_scope(factory) as session:
        emit_all(session, events(5), start)
    assert outbox.deliver_due(factory, settings, now=start).sent == 5
    server.stop()
    with session_scope(factory) as session:
        emit_all(session, [Event(e.kind, "later:" + e.key, e.severity, e.params, e.link) for e in events(25)], start)
    refused = 0
    for step in range(0, 601, 15):  # ten minutes of rounds against the stopped server
        totals = outbox.deliver_due(factory, settings, now=start + timedelta(seconds=step))
        refused += totals.failed
        assert totals.sent == 0
    assert refused >= 4  # tried at 0, 30, 90, 210, 330, 450, 570 s: one attempt a round, the rest wait
    with session_scope(factory) as session:
        waiting = list(session.scalars(select(NotifyDelivery).where(NotifyDelivery.state == "pending")))
        assert len(waiting) == 25 and all("refused" in row.last_error.lower() or row.attempts == 0 for row in waiting)
        assert any("refused" in row.last_error.lower() for row in waiting)
    server = SmtpServer(pki, security="starttls", port=port, users={"ops-mailer": SMTP_PASSWORD}).start()
    try:
        sent = 0
        for step in range(615, 1500, 15):
            sent += outbox.deliver_due(factory, settings, now=start + timedelta(seconds=step)).sent
            if sent == 25:
                break
        assert sent == 25
        messages = [email.message_from_bytes(envelope.original_content) for envelope in server.envelopes]
    finally:
        server.stop()
    ids = [message["Message-ID"] for message in messages]
    assert len(ids) == 25 and len(set(ids)) == 25  # each once
    with session_scope(factory) as session:
        assert {row.state for row in session.scalars(select(NotifyDelivery))} == {"sent"}
    raw = b"".join(envelope.original_content for envelope in server.envelopes)
    assert SMTP_PASSWORD.encode() not in raw


def test_no_message_of_any_kind_carries_a_secret(engine, config_file, tmp_path, monkeypatch):
    """Every kind rendered in both languages through a webhook with an HMAC key: the key is only in the signature."""
    from console.notify.kinds import KINDS

    monkeypatch.setenv("OPS_TEST_HOOK_SECRET", HOOK_SECRET)
    receiver = WebhookReceiver(None)
    config_file.write_text(config_file.read_text() + f"""
[[notify.channels]]
name = "hook-vi"
kind = "webhook"
url = "{receiver.url}"
secret = "env:OPS_TEST_HOOK_SECRET"

[[notify.channels]]
name = "hook-en"
kind = "webhook"
url = "{receiver.url}"
secret = "env:OPS_TEST_HOOK_SECRET"
language = "en"

[[notify.rules]]
name = "all"
events = ["*"]
channels = ["hook-vi", "hook-en"]
""")
    settings = load_settings(config_file)
    factory = make_session_factory(engine, settings)
    try:
        with session_scope(factory) as session:
            emit_all(session, [Event(kind, f"k:{kind}", "critical", {"host": "web-01", "device": "ups-1"}, "/")
                               for kind in KINDS if kind not in ("notify.test", "notify.digest")])
        count = len(KINDS) - 2
        assert outbox.deliver_due(factory, settings).sent == 2 * count
        assert len(receiver.requests) == 2 * count
        for request in receiver.requests:
            assert HOOK_SECRET.encode() not in request.raw
            assert request.headers["X-Ops-Signature-256"].startswith("sha256=")
    finally:
        receiver.stop()
