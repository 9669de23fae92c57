"""Routing, throttling, the digest and the retry schedule of the outbox, with the channel's send replaced by a recorder.

The channels themselves are tested against real servers (test_channel_*.py,
test_outage.py); here what matters is which messages are written, when, and
in which language.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from console.db import session_scope
from console.models.base import utcnow
from console.models.notify import NotifyDelivery
from console.notify import outbox
from console.notify.channels import DeliveryError
from console.notify.events import Event, changed, emit, emit_all
from console.settings import load_settings

CHANNELS = """
[notify]
console_url = "https://ops.example.test"
retry_seconds = 30
retry_max_seconds = 120
max_attempts = 4

[[notify.channels]]
name = "duty-mail"
kind = "email"
host = "127.0.0.1"
sender = "ops@example.test"
recipients = ["duty@example.test"]

[[notify.channels]]
name = "siem"
kind = "syslog"
host = "127.0.0.1"
language = "en"

[[notify.rules]]
name = "urgent"
events = ["ups.on_battery", "ids.alert", "host.stale"]
min_severity = "high"
channels = ["duty-mail", "siem"]
throttle_minutes = 60

[[notify.rules]]
name = "land-unit"
events = ["compliance.newly_failing"]
units = ["unit_land_registration"]
channels = ["duty-mail"]

[[notify.rules]]
name = "morning"
events = ["job.failed"]
channels = ["duty-mail"]
digest = true
"""


@pytest.fixture
def notify_settings(config_file):
    config_file.write_text(config_file.read_text() + CHANNELS)
    return load_settings(config_file)


@pytest.fixture
def factory(engine, notify_settings):
    from console.db import make_session_factory

    return make_session_factory(engine, notify_settings)


def ups_event(name="ups-1", severity="high") -> Event:
    return Event("ups.on_battery", f"device:{name}", severity,
                 {"device": name, "charge": 87, "runtime_minutes": "21", "hosts": "web-01"}, f"/devices/{name}")


def rows(factory) -> list[NotifyDelivery]:
    with session_scope(factory) as session:
        return list(session.scalars(select(NotifyDelivery).order_by(NotifyDelivery.id)))


def test_an_event_goes_to_each_channel_of_its_rule_in_the_channels_language(factory):
    with session_scope(factory) as session:
        assert emit(session, ups_event()) == 2
    mail, syslog = rows(factory)
    assert (mail.channel, mail.language, syslog.channel, syslog.language) == ("duty-mail", "vi", "siem", "en")
    assert syslog.subject == "[high] UPS ups-1 is on battery"
    assert "charge 87%" in syslog.body and "https://ops.example.test/devices/ups-1" in syslog.body
    assert mail.subject.startswith("[cao] ") and "ups-1" in mail.subject and mail.subject != syslog.subject
    assert "https://ops.example.test/devices/ups-1" in mail.body
    assert mail.state == "pending" and mail.next_attempt_at is not None


def test_severity_unit_and_kind_choose_the_rule(factory):
    with session_scope(factory) as session:
        assert emit(session, ups_event(severity="medium")) == 0  # below the rule's min_severity
        assert emit(session, Event("compliance.newly_failing", "run:2:unit:x", "low", {"count": 1}, "/compliance/",
                                   unit="unit_it_centre")) == 0
        assert emit(session, Event("compliance.newly_failing", "run:2:unit:y", "low", {"count": 1}, "/compliance/",
                                   unit="unit_land_registration")) == 1
        assert emit(session, Event("firewall.unreachable", "device:xg", "high", {}, "/devices/xg")) == 0


def test_a_repeat_inside_the_window_counts_on_the_message_that_went_out(factory):
    now = utcnow()
    with session_scope(factory) as session:
        emit(session, ups_event(), now)
        emit_all(session, [ups_event(), ups_event()], now + timedelta(minutes=5))
    assert len(rows(factory)) == 2 and {row.repeats for row in rows(factory)} == {2}
    with session_scope(factory) as session:  # after the window: a new message
        assert emit(session, ups_event(), now + timedelta(minutes=61)) == 2
    with session_scope(factory) as session:  # another UPS is another key
        assert emit(session, ups_event("ups-2"), now + timedelta(minutes=62)) == 2


def test_a_rolled_back_transaction_leaves_no_message(factory):
    with pytest.raises(RuntimeError):
        with session_scope(factory) as session:
            emit(session, ups_event())
            raise RuntimeError("the poll failed")
    assert rows(factory) == []


def test_a_state_is_announced_when_it_starts_not_while_it_lasts(factory):
    with session_scope(factory) as session:
        assert changed(session, "ups.on_battery:ups-1", False) is False
        assert changed(session, "ups.on_battery:ups-1", True) is True
        assert changed(session, "ups.on_battery:ups-1", True) is False
        assert changed(session, "ups.on_battery:ups-1", False) is True
        assert changed(session, "ups.on_battery:ups-1", True) is True


def test_failed_sends_back_off_then_give_up_and_retry_puts_them_back(factory, notify_settings):
    with session_scope(factory) as session:
        emit(session, ups_event())
    attempts = []

    def refusing(channel, message):
        attempts.append((channel.name, message.delivery_id))
        raise DeliveryError("SMTP 451 try later")

    now = utcnow() + timedelta(seconds=1)
    totals = outbox.deliver_due(factory, notify_settings, now=now, send=refusing)
    assert (totals.sent, totals.failed) == (0, 2)
    mail = rows(factory)[0]
    assert (mail.state, mail.attempts, mail.last_error) == ("pending", 1, "SMTP 451 try later")
    assert mail.next_attempt_at == now + timedelta(seconds=30)
    assert outbox.deliver_due(factory, notify_settings, now=now + timedelta(seconds=29), send=refusing).failed == 0
    for step in (30, 90, 210):  # 30 s, then 60 s, then 120 s (retry_max_seconds)
        outbox.deliver_due(factory, notify_settings, now=now + timedelta(seconds=step), send=refusing)
    assert [row.state for row in rows(factory)] == ["failed", "failed"] and rows(factory)[0].attempts == 4
    assert len(attempts) == 8
    with session_scope(factory) as session:
        from console.access.actor import Actor

        assert outbox.retry(session, Actor.cli(), channel="siem") == 1
    sent = []
    outbox.deliver_due(factory, notify_settings, send=lambda channel, message: sent.append(channel.name) or "ok")
    assert sent == ["siem"]
    assert [row.state for row in rows(factory)] == ["failed", "sent"]


def test_when_a_channel_fails_its_other_messages_wait_without_an_attempt(factory, notify_settings):
    with session_scope(factory) as session:
        emit_all(session, [ups_event(f"ups-{n}") for n in range(5)])
    tried = []

    def down(channel, message):
        tried.append(channel.name)
        raise DeliveryError("connection refused")

    outbox.deliver_due(factory, notify_settings, now=utcnow() + timedelta(seconds=1), send=down)
    assert tried == ["duty-mail", "siem"]
    assert sorted(row.attempts for row in rows(factory)) == [0] * 8 + [1, 1]


def test_the_digest_gathers_held_messages_into_one(factory, notify_settings):
    with session_scope(factory) as session:
        for job in (7, 8, 9):
            emit(session, Event("job.failed", f"job:{job}", "medium", {"job_id": job, "playbook": "site.yml",
                                                                       "actor": "bob", "state": "failed",
                                                                       "message": "web-01 unreachable"}, f"/jobs/{job}"))
    assert {row.state for row in rows(factory)} == {"held"}
    sent = []
    outbox.deliver_due(factory, notify_settings, send=lambda channel, message: sent.append(message) or "ok")
    assert sent == []
    assert outbox.send_digests(factory, notify_settings) == 1
    outbox.deliver_due(factory, notify_settings, send=lambda channel, message: sent.append(message) or "ok")
    assert len(sent) == 1
    digest = sent[0]
    assert digest.kind == "notify.digest" and "3" in digest.subject
    assert all("site.yml" in line for line in digest.text.splitlines() if line.startswith("- "))
    assert sum(line.startswith("- ") for line in digest.text.splitlines()) == 3
    assert {row.state for row in rows(factory) if row.kind == "job.failed"} == {"digested"}
    with session_scope(factory) as session:  # retention: sent and digested messages go, failed ones stay
        emit(session, ups_event())
        session.scalar(select(NotifyDelivery).where(NotifyDelivery.channel == "siem")).state = "failed"
        assert outbox.purge(session, 1, now=utcnow() + timedelta(days=2)) == 4
    assert {row.state for row in rows(factory)} == {"pending", "failed"}
