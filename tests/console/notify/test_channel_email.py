"""Email channel against a real SMTP server (aiosmtpd on 127.0.0.1): plain, STARTTLS, implicit TLS, login."""

from __future__ import annotations

import email
import email.policy
import email.utils
import time

import pytest

from console.notify.channels import DeliveryError, send
from console.notify.channels.email import build
from console.notify.config import ChannelConfig
from tests.fixtures.notify_servers import (SUBJECT_VI, TEXT_VI, Pki, SilentServer, SmtpServer, free_port,
                                           sample_message)

PASSWORD = "Mật-khẩu đúng 42!"
SENDER, RECIPIENTS = "ops-console@example.gov.vn", ["soc@example.gov.vn", "truc.ca@example.gov.vn"]
MESSAGE_ID = "<ops-4711.1773453909@ops.example.gov.vn>"  # 2026-03-14T02:05:09Z, the link's host


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def smtp(pki):
    servers = []

    def start(security="none", users=None, mechanisms=("LOGIN", "PLAIN"), smtputf8=False):
        server = SmtpServer(pki, security=security, users=users, mechanisms=mechanisms, smtputf8=smtputf8).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "smtp-password"
    path.write_text(PASSWORD + "\n")
    return path


def channel(port, **changes) -> ChannelConfig:
    values = dict(name="mail", kind="email", host="127.0.0.1", port=port, security="none", sender=SENDER,
                  recipients=RECIPIENTS, timeout_seconds=5)
    values.update(changes)
    return ChannelConfig(**values)


def received(server, index=0) -> email.message.EmailMessage:
    return email.message_from_bytes(server.envelopes[index].original_content, policy=email.policy.default)


def test_plain_smtp_delivers_the_message_with_its_headers_and_vietnamese_text_intact(smtp):
    server = smtp("none")
    receipt = send(channel(server.port), sample_message())
    assert receipt == "250 2.0.0 Ok: queued as T1"
    envelope = server.envelopes[0]
    assert envelope.mail_from == SENDER and envelope.rcpt_tos == RECIPIENTS
    mail = received(server)
    assert mail["Subject"] == SUBJECT_VI
    assert mail.get_content().replace("\r\n", "\n").rstrip("\n") == TEXT_VI  # MIME canonical text: CRLF
    assert mail.get_content_type() == "text/plain" and mail.get_content_charset() == "utf-8"
    assert mail["From"] == SENDER and mail["To"] == ", ".join(RECIPIENTS)
    assert mail["Message-ID"] == MESSAGE_ID
    assert mail["X-Ops-Event"] == "ups.on_battery" and mail["X-Ops-Severity"] == "critical"
    assert abs(email.utils.parsedate_to_datetime(mail["Date"]).timestamp() - time.time()) < 60
    assert max(len(line) for line in envelope.original_content.splitlines()) <= 78  # 7-bit, folded: any MTA


def test_the_message_id_is_the_same_for_a_repeated_delivery_and_differs_between_deliveries(smtp):
    server = smtp("none")
    send(channel(server.port), sample_message())
    send(channel(server.port), sample_message())
    send(channel(server.port), sample_message(delivery_id=4712))
    ids = [received(server, index)["Message-ID"] for index in range(3)]
    assert ids[0] == ids[1] == MESSAGE_ID
    assert ids[2] == "<ops-4712.1773453909@ops.example.gov.vn>"


def test_starttls_verified_by_the_channels_ca_file(smtp, pki):
    server = smtp("starttls")  # the server refuses MAIL before STARTTLS
    assert send(channel(server.port, security="starttls", ca_file=pki.ca_file), sample_message()).startswith("250 ")
    assert received(server)["Subject"] == SUBJECT_VI


def test_starttls_without_the_ca_is_refused_before_anything_is_sent(smtp, pki):
    server = smtp("starttls")
    with pytest.raises(DeliveryError) as failure:
        send(channel(server.port, security="starttls"), sample_message())
    assert "TLS certificate not accepted" in str(failure.value)
    assert "certificate verify failed" in str(failure.value) or "unable to get local issuer" in str(failure.value)
    with pytest.raises(DeliveryError, match="TLS certificate not accepted"):
        send(channel(server.port, security="starttls", ca_file=pki.other_ca_file), sample_message())
    assert server.envelopes == []


def test_tls_server_name_is_the_name_checked(smtp, pki):
    server = smtp("starttls")
    send(channel(server.port, security="starttls", ca_file=pki.ca_file, tls_server_name="notify.test"),
         sample_message())
    with pytest.raises(DeliveryError, match="TLS certificate not accepted.*(mismatch|match)"):
        send(channel(server.port, security="starttls", ca_file=pki.ca_file, tls_server_name="mail.other.test"),
             sample_message())
    assert len(server.envelopes) == 1


def test_implicit_tls_with_a_pinned_certificate(smtp, pki):
    server = smtp("tls")
    pin = ":".join(pki.pin[i:i + 2] for i in range(0, 64, 2)).upper()  # as openssl prints it
    assert send(channel(server.port, security="tls", pin_sha256=pin), sample_message()).startswith("250 ")
    assert received(server)["Message-ID"] == MESSAGE_ID


def test_implicit_tls_with_a_wrong_pin_is_refused_with_both_fingerprints(smtp, pki):
    server = smtp("tls")
    with pytest.raises(DeliveryError) as failure:
        send(channel(server.port, security="tls", pin_sha256="ab" * 32), sample_message())
    reason = str(failure.value)
    assert f"has sha256 {pki.pin}, not the pinned {'ab' * 32}" in reason
    assert server.envelopes == []


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
def test_login_with_the_password_from_a_file_reference(smtp, pki, password_file, mechanism):
    server = smtp("starttls", users={"ops-mailer": PASSWORD}, mechanisms=(mechanism,))
    config = channel(server.port, security="starttls", ca_file=pki.ca_file, username="ops-mailer",
                     password=f"file:{password_file}")
    assert send(config, sample_message()).startswith("250 ")
    assert server.authenticator.seen == [(mechanism, "ops-mailer", True)]
    assert received(server)["Subject"] == SUBJECT_VI


def test_a_wrong_password_names_the_servers_535_and_the_user_but_not_the_password(smtp, pki, tmp_path):
    server = smtp("starttls", users={"ops-mailer": "something else"})
    (tmp_path / "wrong").write_text(PASSWORD)
    config = channel(server.port, security="starttls", ca_file=pki.ca_file, username="ops-mailer",
                     password=f"file:{tmp_path / 'wrong'}")
    with pytest.raises(DeliveryError) as failure:
        send(config, sample_message())
    reason = str(failure.value)
    assert reason.startswith("SMTP 535 5.7.8 ")
    assert "(login refused for user ops-mailer)" in reason
    assert PASSWORD not in reason and TEXT_VI.splitlines()[0] not in reason
    assert len(reason) <= 500
    assert server.envelopes == []


def test_an_unreadable_password_reference_is_a_delivery_error_naming_the_reference(smtp, pki, tmp_path, monkeypatch):
    server = smtp("starttls", users={"ops-mailer": PASSWORD})
    monkeypatch.delenv("OPS_SMTP_PASSWORD", raising=False)
    with pytest.raises(DeliveryError, match="credential env:OPS_SMTP_PASSWORD is not set"):
        send(channel(server.port, security="starttls", ca_file=pki.ca_file, username="ops-mailer",
                     password="env:OPS_SMTP_PASSWORD"), sample_message())
    with pytest.raises(DeliveryError, match=f"credential file:{tmp_path}/missing cannot be read"):
        send(channel(server.port, security="starttls", ca_file=pki.ca_file, username="ops-mailer",
                     password=f"file:{tmp_path}/missing"), sample_message())


def test_a_refused_recipient_is_named_with_its_code(smtp):
    server = smtp("none")
    receipt = send(channel(server.port, recipients=["nobody@example.gov.vn", "soc@example.gov.vn"]), sample_message())
    assert receipt.startswith("250 2.0.0 Ok: queued as T1; refused: nobody@example.gov.vn: 550 5.1.1 ")
    assert server.envelopes[0].rcpt_tos == ["soc@example.gov.vn"]
    with pytest.raises(DeliveryError) as failure:
        send(channel(server.port, recipients=["nobody@example.gov.vn"]), sample_message())
    assert str(failure.value).startswith("SMTP recipients refused by 127.0.0.1:")
    assert "nobody@example.gov.vn: 550 5.1.1 <nobody@example.gov.vn>: Recipient address rejected" in str(failure.value)
    assert len(server.envelopes) == 1


def test_a_vietnamese_address_goes_by_smtputf8_and_is_refused_by_a_server_without_it(smtp):
    address = "trực.ca@ubnd.example.vn"
    server = smtp("none", smtputf8=True)
    assert send(channel(server.port, recipients=[address]), sample_message()).startswith("250 ")
    assert server.envelopes[0].rcpt_tos == [address] and "SMTPUTF8" in server.envelopes[0].mail_options
    assert received(server)["To"] == address
    plain = smtp("none")
    with pytest.raises(DeliveryError, match="does not offer SMTPUTF8, needed for an address that is not ASCII"):
        send(channel(plain.port, recipients=[address]), sample_message())


def test_a_stopped_server_is_connection_refused():
    port = free_port()
    started = time.monotonic()
    with pytest.raises(DeliveryError) as failure:
        send(channel(port), sample_message())
    assert str(failure.value) == (f"127.0.0.1:{port}: connection refused "
                                  "(is the server running and listening on that port?)")
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("security", ["none", "tls", "starttls"])
def test_a_server_that_never_answers_times_out_within_timeout_seconds(security, pki):
    server = SilentServer()
    try:
        started = time.monotonic()
        with pytest.raises(DeliveryError) as failure:
            send(channel(server.port, security=security, timeout_seconds=1, ca_file=pki.ca_file), sample_message())
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    assert str(failure.value) == f"127.0.0.1:{server.port}: no answer within 1 s (timeout_seconds)"
    assert 0.9 < elapsed < 2.5



WORDS = ("Nghiêm trọng: Dịch vụ Hệ thống một cửa điện tử của Sở Tài nguyên và Môi trường không truy cập được từ "
         "02:00, chứng chỉ TLS của cổng thông tin sắp hết hạn sau 5 ngày").split(" ")


def test_a_vietnamese_subject_reaches_the_reader_with_every_space():
    """Runs of 4, 7 and 11 words of a Vietnamese sentence as subjects: Python 3.11's folder dropped the space between
    two encoded words in some ("Dịch vụ Hệ thống mộtcửa điện")."""
    lost = []
    channel_config = channel(25)
    for start, end in ((start, start + length) for length in (4, 7, 11) for start in range(len(WORDS) - length + 1)):
        subject = "[Ops Console] " + " ".join(WORDS[start:end])
        raw = build(channel_config, sample_message(subject=subject)).as_bytes()
        assert raw.isascii() and max(len(line) for line in raw.splitlines()) <= 78
        if (seen := email.message_from_bytes(raw, policy=email.policy.default)["Subject"]) != subject:
            lost.append(seen)
    assert lost == []
