"""`ops notify`: a test message to a real SMTP server, the log, a refusing channel (exit 1 with its reason), retry."""

from __future__ import annotations

import pytest

from tests.console.cli.test_cli import ops
from tests.fixtures.notify_servers import Pki, SmtpServer, free_port


@pytest.fixture
def smtp(tmp_path):
    server = SmtpServer(Pki(tmp_path / "pki")).start()
    yield server
    server.stop()


@pytest.fixture
def config(config_file, smtp, engine):
    config_file.write_text(config_file.read_text() + f"""
[notify]
max_attempts = 1

[[notify.channels]]
name = "duty-mail"
kind = "email"
host = "127.0.0.1"
port = {smtp.port}
security = "none"
sender = "ops@example.test"
recipients = ["duty@example.test"]

[[notify.channels]]
name = "dead-relay"
kind = "email"
host = "127.0.0.1"
port = {free_port()}
security = "none"
sender = "ops@example.test"
recipients = ["duty@example.test"]
timeout_seconds = 2
""")
    return config_file


def test_test_log_and_retry_from_the_shell(config, smtp):
    sent = ops("notify", "test", "duty-mail", config=config)
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.startswith("notification 1 sent to duty-mail: 250") and len(smtp.envelopes) == 1
    refused = ops("notify", "test", "dead-relay", config=config)
    assert refused.returncode == 1 and "refused" in refused.stderr.lower() and "notification 2" in refused.stderr
    log = ops("notify", "log", config=config).stdout.splitlines()
    assert "dead-relay" in log[1] and "failed" in log[1] and "last error:" in log[2] and "duty-mail" in log[3]
    assert len(ops("notify", "log", "--state", "sent", config=config).stdout.splitlines()) == 2  # header and one
    assert ops("notify", "retry", "--channel", "dead-relay", config=config).stdout.strip() == \
        "1 deliveries put back in the outbox"
    assert ops("notify", "purge", "--days", "1", config=config).stdout.strip() == "0 deliveries deleted"
    unknown = ops("notify", "test", "nope", config=config)
    assert unknown.returncode == 1 and "no notification channel named 'nope'" in unknown.stderr
