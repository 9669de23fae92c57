"""An admin sends a test message from the Notifications page in Debian's chromium: the scheduler's sender delivers it
to a real SMTP server, the page follows it to "Sent"; a channel whose server is down shows its error; an auditor sees
the delivery log and no channel."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect

from console.db import make_session_factory
from console.notify.schedule import deliver_notifications
from console.settings import load_settings
from tests.e2e.test_browser import log_in, page  # noqa: F401  (fixture)
from tests.fixtures.notify_servers import Pki, SmtpServer, free_port

pytestmark = pytest.mark.browser


@pytest.fixture
def smtp(tmp_path):
    server = SmtpServer(Pki(tmp_path / "pki")).start()
    yield server
    server.stop()


@pytest.fixture
def settings(config_file, smtp):
    config_file.write_text(config_file.read_text() + f"""
[notify]
deliver_interval_seconds = 0.5
retry_seconds = 60

[[notify.channels]]
name = "duty-mail"
kind = "email"
host = "127.0.0.1"
port = {smtp.port}
security = "none"
sender = "ops@example.test"
recipients = ["duty@example.test"]
language = "en"

[[notify.channels]]
name = "old-relay"
kind = "email"
host = "127.0.0.1"
port = {free_port()}
security = "none"
sender = "ops@example.test"
recipients = ["duty@example.test"]
timeout_seconds = 2

[[notify.rules]]
name = "power"
events = ["ups.on_battery", "ups.low_battery"]
min_severity = "high"
channels = ["duty-mail"]
""")
    return load_settings(config_file)


@pytest.fixture
def sender(engine, settings):
    """The scheduler's outbox job, every half second, as `ops scheduler run` runs it."""
    factory, stop = make_session_factory(engine, settings), threading.Event()

    def loop():
        while not stop.wait(0.5):
            deliver_notifications(settings, factory)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(10)


def test_admin_sends_test_messages_and_reads_the_log(page, live_server, make_user, smtp, sender):  # noqa: F811
    make_user("hoa", "admin")
    log_in(page, live_server.url, "hoa")
    page.goto(f"{live_server.url}/notifications/")
    channel = page.get_by_test_id("channel-duty-mail")
    expect(channel).to_contain_text("smtp://127.0.0.1")
    expect(channel).to_contain_text("never")
    expect(page.get_by_test_id("rules-table")).to_contain_text("UPS on battery")
    channel.get_by_test_id("test-duty-mail").click()
    expect(page.get_by_test_id("delivery-state")).to_have_text("Sent", timeout=20_000)
    expect(page.get_by_test_id("delivery-receipt")).to_contain_text("250")
    expect(page.get_by_test_id("delivery-body")).to_contain_text("hoa sent this test message")
    assert len(smtp.envelopes) == 1 and b"Ops Console test message to duty-mail" in smtp.envelopes[0].original_content
    page.goto(f"{live_server.url}/notifications/")
    expect(page.get_by_test_id("channel-duty-mail")).not_to_contain_text("never")
    page.get_by_test_id("channel-old-relay").get_by_test_id("test-old-relay").click()
    expect(page.get_by_test_id("delivery-error")).to_contain_text("refused", timeout=20_000)
    expect(page.get_by_test_id("delivery-state")).to_have_text("Waiting to be sent")
    page.goto(f"{live_server.url}/notifications/")
    expect(page.get_by_test_id("channel-old-relay").get_by_test_id("channel-error")).to_contain_text("refused")
    log = page.get_by_test_id("delivery-log")
    expect(log.get_by_role("row")).to_have_count(3)  # header and the two test messages
    page.get_by_label("Channel").select_option("duty-mail")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("delivery-log").get_by_role("row")).to_have_count(2)


def test_an_auditor_reads_the_log_without_the_channels(page, live_server, make_user):  # noqa: F811
    make_user("kiem", "auditor")
    log_in(page, live_server.url, "kiem")
    page.goto(f"{live_server.url}/notifications/")
    expect(page.get_by_test_id("delivery-log")).to_be_visible()
    expect(page.get_by_test_id("channels-table")).to_have_count(0)
