"""`ops lab mailbox`: the demo's SMTP server keeps what the console's email channel sends in a Maildir."""

from __future__ import annotations

import mailbox
import os
import subprocess
import sys
import time
from email.header import decode_header, make_header
from pathlib import Path

from console.notify.channels import email
from console.notify.config import ChannelConfig
from tests.fixtures.notify_servers import SUBJECT_VI, free_port, sample_message, wait_for_port
from tests.fixtures.processes import stop

OPS = [sys.executable, "-m", "console.cli"]
REPO = Path(__file__).resolve().parents[3]


def _environment() -> dict:
    environment = dict(os.environ)
    environment.pop("OPS_CONFIG", None)
    environment.pop("OPS_DATABASE_URL", None)
    return environment


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "ops.toml"
    path.write_text(f'[console]\nsecret_key = "test-secret-key-not-for-production"\n'
                    f'[paths]\nvar_dir = "{tmp_path / "var"}"\n')
    return path


def test_a_message_from_the_email_channel_lands_in_the_maildir_with_its_subject_decoded(tmp_path):
    port, folder, output = free_port(), tmp_path / "mail", tmp_path / "mailbox.out"
    with open(output, "wb") as handle:
        process = subprocess.Popen([*OPS, "--config", str(write_config(tmp_path)), "lab", "mailbox",
                                    "--port", str(port), "--dir", str(folder)],
                                   stdout=handle, stderr=subprocess.STDOUT, cwd=REPO, env=_environment())
    try:
        wait_for_port(port, timeout=15)
        channel = ChannelConfig(name="m", kind="email", host="127.0.0.1", port=port, security="none",
                                sender="ops-console@localhost", recipients=["duty-officer@localhost"])
        receipt = email.send(channel, sample_message())
        assert receipt.startswith("250")
        deadline = time.monotonic() + 10
        while not list((folder / "new").iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)
        files = list((folder / "new").iterdir())
        assert len(files) == 1
        messages = list(mailbox.Maildir(folder, create=False))
        assert len(messages) == 1
        message = messages[0]
        assert str(make_header(decode_header(message["Subject"]))) == SUBJECT_VI
        assert message["From"] == "ops-console@localhost"
        assert message["X-Ops-Event"] == "ups.on_battery"
        body = message.get_payload(decode=True).decode(message.get_content_charset())
        assert "tầng 3" in body
    finally:
        stop(process, grace_seconds=10)
    assert process.returncode == 0
    printed = output.read_text(encoding="utf-8")
    assert f"Subject: {SUBJECT_VI}" in printed, printed
    assert "From: ops-console@localhost" in printed and "To: duty-officer@localhost" in printed


def test_it_refuses_to_listen_beyond_loopback(tmp_path):
    result = subprocess.run([*OPS, "--config", str(write_config(tmp_path)), "lab", "mailbox", "--host", "0.0.0.0",
                             "--port", str(free_port()), "--dir", str(tmp_path / "mail")],
                            capture_output=True, text=True, cwd=REPO, env=_environment(), timeout=30)
    assert result.returncode == 1
    assert result.stderr.startswith("ops: error: the demo mailbox listens on a loopback address only")
    assert not (tmp_path / "mail").exists()
