"""Webhook channel against a real HTTPS receiver (http.server over TLS, a test CA) that records what it got."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from console.notify.channels import DeliveryError, send
from console.notify.config import ChannelConfig
from tests.fixtures.notify_servers import (SUBJECT_VI, TEXT_VI, Pki, SilentServer, WebhookReceiver, free_port,
                                           sample_message)

SECRET = "khóa-bí-mật-webhook-0123456789abcdef"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def receiver(pki):
    server = WebhookReceiver(pki)
    yield server
    server.stop()


@pytest.fixture
def plain_receiver():
    server = WebhookReceiver(None)
    yield server
    server.stop()


@pytest.fixture
def secret_env(monkeypatch):
    monkeypatch.setenv("OPS_WEBHOOK_SECRET", SECRET)
    return "env:OPS_WEBHOOK_SECRET"


def channel(url, **changes) -> ChannelConfig:
    values = dict(name="hook", kind="webhook", url=url, timeout_seconds=5)
    values.update(changes)
    return ChannelConfig(**values)


def verify(secret: str, headers: dict, body: bytes, now: float, max_age: int = 300) -> bool:
    """What a receiver does (docs/notifications.md): recompute the HMAC over timestamp + "." + body."""
    timestamp = headers["X-Ops-Timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return abs(now - int(timestamp)) <= max_age and hmac.compare_digest(expected, headers["X-Ops-Signature-256"])


def test_a_signed_post_with_every_field_checks_out_as_a_receiver_checks_it(receiver, pki, secret_env):
    receipt = send(channel(receiver.url, secret=secret_env, ca_file=pki.ca_file), sample_message())
    assert receipt == "HTTP 204"
    [request] = receiver.requests
    assert request.method == "POST" and request.path == "/hooks/ops"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "ops-console"
    assert request.headers["X-Ops-Delivery"] == "4711" and request.headers["X-Ops-Event"] == "ups.on_battery"
    assert verify(SECRET, request.headers, request.body, time.time())
    assert not verify("another secret", request.headers, request.body, time.time())
    assert not verify(SECRET, request.headers, request.body + b" ", time.time())  # a changed body is caught
    data = json.loads(request.body.decode("utf-8"))
    assert data == {"delivery_id": 4711, "kind": "ups.on_battery", "severity": "critical", "subject": SUBJECT_VI,
                    "text": TEXT_VI, "link": "https://ops.example.gov.vn/ups/ups-p3",
                    "created_at": "2026-03-14T02:05:09Z", "language": "vi", "key": "ups-p3",
                    "data": {"ups": "ups-p3", "runtime_minutes": 12, "nơi": "tầng 3"}}
    assert list(data) == sorted(data)
    assert SUBJECT_VI.encode("utf-8") in request.body  # UTF-8 as is, not \u escapes


def test_the_secret_is_never_sent_only_its_hmac(receiver, pki, secret_env):
    send(channel(receiver.url, secret=secret_env, ca_file=pki.ca_file), sample_message())
    raw = receiver.requests[0].raw
    for form in (SECRET.encode("utf-8"), base64.b64encode(SECRET.encode("utf-8")), SECRET.encode("unicode_escape"),
                 "khóa-bí-mật".encode("utf-8")):
        assert form not in raw


def test_without_a_secret_there_is_no_signature(plain_receiver):
    assert send(channel(plain_receiver.url), sample_message()) == "HTTP 204"
    headers = plain_receiver.requests[0].headers
    assert "X-Ops-Signature-256" not in headers and "X-Ops-Timestamp" not in headers


def test_plain_http_works(plain_receiver, secret_env):
    plain_receiver.status = 200
    assert send(channel(plain_receiver.url, secret=secret_env), sample_message()) == "HTTP 200"
    request = plain_receiver.requests[0]
    assert verify(SECRET, request.headers, request.body, time.time())


def test_the_ca_file_verifies_the_receiver_and_other_cas_are_refused(receiver, pki):
    assert send(channel(receiver.url, ca_file=pki.ca_file), sample_message()) == "HTTP 204"
    for config in (channel(receiver.url), channel(receiver.url, ca_file=pki.other_ca_file)):
        with pytest.raises(DeliveryError) as failure:
            send(config, sample_message())
        assert str(failure.value).startswith(f"127.0.0.1:{receiver.port}: TLS certificate not accepted: ")
        assert "unable to get local issuer certificate" in str(failure.value)
    assert len(receiver.requests) == 1


def test_tls_server_name_is_the_name_checked(receiver, pki):
    assert send(channel(receiver.url, ca_file=pki.ca_file, tls_server_name="notify.test"), sample_message())
    with pytest.raises(DeliveryError, match="TLS certificate not accepted: .*mismatch"):
        send(channel(receiver.url, ca_file=pki.ca_file, tls_server_name="hooks.other.test"), sample_message())
    assert len(receiver.requests) == 1


def test_a_pinned_certificate_is_accepted_and_a_wrong_pin_refused_before_sending(receiver, pki):
    assert send(channel(receiver.url, pin_sha256=pki.pin), sample_message()) == "HTTP 204"
    with pytest.raises(DeliveryError) as failure:
        send(channel(receiver.url, pin_sha256="0" * 64), sample_message())
    assert f"has sha256 {pki.pin}, not the pinned {'0' * 64}" in str(failure.value)
    assert len(receiver.requests) == 1


def test_a_pin_with_a_ca_file_checks_both(receiver, pki):
    assert send(channel(receiver.url, pin_sha256=pki.pin, ca_file=pki.ca_file), sample_message()) == "HTTP 204"
    with pytest.raises(DeliveryError, match="TLS certificate not accepted"):
        send(channel(receiver.url, pin_sha256=pki.pin, ca_file=pki.other_ca_file), sample_message())


@pytest.mark.parametrize("status,answer,reason", [
    (500, b"database is down\n", "HTTP 500 Internal Server Error: database is down"),
    (404, b"<h1>no such hook</h1>", "HTTP 404 Not Found: <h1>no such hook</h1>"),
    (503, b"", "HTTP 503 Service Unavailable"),
])
def test_an_error_status_is_a_delivery_error_with_the_status_and_the_answer(receiver, pki, status, answer, reason):
    receiver.status, receiver.answer = status, answer
    with pytest.raises(DeliveryError) as failure:
        send(channel(receiver.url, ca_file=pki.ca_file), sample_message())
    assert str(failure.value) == reason
    assert len(receiver.requests) == 1  # it did arrive: the receiver refused it


def test_the_answer_in_a_reason_is_cut_to_200_printable_characters(receiver, pki):
    receiver.status, receiver.answer = 502, b"\x1b[31mupstream\x00 failed\r\n" + b"x" * (2 * 1024 * 1024)
    with pytest.raises(DeliveryError) as failure:
        send(channel(receiver.url, ca_file=pki.ca_file), sample_message())
    reason = str(failure.value)
    assert reason.startswith("HTTP 502 Bad Gateway: [31mupstream failed xxx")
    assert len(reason) == len("HTTP 502 Bad Gateway: ") + 200
    assert reason.isprintable()


def test_a_receiver_echoing_the_message_does_not_put_the_body_into_the_reason(receiver, pki):
    receiver.status, receiver.answer = 400, b"invalid payload: " + TEXT_VI.encode("utf-8")
    with pytest.raises(DeliveryError) as failure:
        send(channel(receiver.url, ca_file=pki.ca_file), sample_message())
    assert str(failure.value) == "HTTP 400 Bad Request: (the answer repeats the message text; not shown)"


def test_a_redirect_is_not_followed(receiver, pki):
    receiver.status, receiver.extra_headers = 302, {"Location": "https://elsewhere.test/hook"}
    with pytest.raises(DeliveryError) as failure:
        send(channel(receiver.url, ca_file=pki.ca_file), sample_message())
    assert str(failure.value) == ("HTTP 302 Found: redirects are not followed; set url to where it points "
                                  "(https://elsewhere.test/hook)")
    assert len(receiver.requests) == 1


def test_a_missing_secret_is_a_delivery_error_naming_the_reference(plain_receiver, monkeypatch):
    monkeypatch.delenv("OPS_WEBHOOK_SECRET", raising=False)
    with pytest.raises(DeliveryError, match="^credential env:OPS_WEBHOOK_SECRET is not set"):
        send(channel(plain_receiver.url, secret="env:OPS_WEBHOOK_SECRET"), sample_message())
    assert plain_receiver.requests == []


def test_nothing_listening_is_connection_refused():
    port = free_port()
    with pytest.raises(DeliveryError) as failure:
        send(channel(f"https://127.0.0.1:{port}/hook"), sample_message())
    assert str(failure.value) == (f"127.0.0.1:{port}: connection refused "
                                  "(is the server running and listening on that port?)")


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_receiver_that_never_answers_times_out_within_timeout_seconds(scheme, pki):
    server = SilentServer()
    try:
        started = time.monotonic()
        with pytest.raises(DeliveryError) as failure:
            send(channel(f"{scheme}://127.0.0.1:{server.port}/hook", timeout_seconds=1,
                         **({"ca_file": pki.ca_file} if scheme == "https" else {})), sample_message())
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    assert str(failure.value) == f"127.0.0.1:{server.port}: no answer within 1 s (timeout_seconds)"
    assert 0.9 < elapsed < 2.5


def test_credentials_in_the_url_are_refused_and_not_shown(plain_receiver):
    """ops.toml refuses such a url (test_notify_config.py); a channel built past that check is still refused."""
    url = plain_receiver.url.replace("http://", "http://ops:hunter2-geheim@")
    with pytest.raises(ValueError, match="url must not hold a user or password"):
        channel(url)
    unchecked = ChannelConfig.model_construct(**{**dict(channel(plain_receiver.url)), "url": url})
    with pytest.raises(DeliveryError) as failure:
        send(unchecked, sample_message())
    assert "holds user:password@" in str(failure.value) and "hunter2-geheim" not in str(failure.value)
    assert plain_receiver.requests == []
