"""Syslog channel against Debian's rsyslogd (its own instance, config and ports): UDP, TCP and TLS, RFC 5424."""

from __future__ import annotations

import itertools
import os
import re
import socket
import time

import pytest

from console.notify.channels import DeliveryError, send
from console.notify.channels.syslog import frame
from console.notify.config import ChannelConfig
from tests.fixtures.notify_servers import (SUBJECT_VI, TEXT_VI, Pki, Rsyslog, SilentServer, free_port,
                                           sample_message)

DELIVERIES = itertools.count(9000)
MSG_VI = f"{SUBJECT_VI} — {TEXT_VI}".replace("\n", " ")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def rsyslog(tmp_path_factory, pki):
    server = Rsyslog(tmp_path_factory.mktemp("rsyslog"), pki).start()
    yield server
    server.stop()


def channel(rsyslog, transport, **changes) -> ChannelConfig:
    port = {"udp": rsyslog.udp_port, "tcp": rsyslog.tcp_port, "tls": rsyslog.tls_port}[transport]
    values = dict(name="siem", kind="syslog", host="127.0.0.1", port=port, transport=transport, facility="local3",
                  app_name="ops-console-test", timeout_seconds=5)
    if transport == "tls":
        values["ca_file"] = rsyslog.pki.ca_file
    values.update(changes)
    return ChannelConfig(**values)


def fields(line: str) -> dict:
    names = ("pri", "timestamp", "hostname", "app_name", "procid", "msgid", "sd", "msg")
    return dict(zip(names, line.split("|", len(names) - 1)))


def deliver(rsyslog, config, **changes) -> tuple[str, dict]:
    message = sample_message(delivery_id=next(DELIVERIES), **changes)
    receipt = send(config, message)
    return receipt, fields(rsyslog.wait_for(f'delivery="{message.delivery_id}"'))


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
def test_each_transport_delivers_an_rfc5424_message_rsyslog_parses_field_by_field(rsyslog, transport):
    config = channel(rsyslog, transport)
    receipt, got = deliver(rsyslog, config)
    assert receipt == f"syslog {transport} 127.0.0.1:{config.port}"
    assert got["pri"] == str(19 * 8 + 2)  # local3, critical -> crit
    assert got["timestamp"] == "2026-03-14T02:05:09.000Z"
    assert got["hostname"] == socket.gethostname()
    assert got["app_name"] == "ops-console-test"
    assert got["procid"] == str(os.getpid())
    assert got["msgid"] == "ups.on_battery"
    delivery = re.search(r'delivery="(\d+)"', got["sd"]).group(1)
    assert got["sd"] == (f'[ops@32473 kind="ups.on_battery" severity="critical" delivery="{delivery}" '
                         'link="https://ops.example.gov.vn/ups/ups-p3"]')
    assert got["msg"] == "\ufeff" + MSG_VI  # the BOM says UTF-8; the Vietnamese text is intact, on one line


@pytest.mark.parametrize("severity,code", [("critical", 2), ("high", 3), ("medium", 4), ("low", 5), ("info", 6)])
def test_our_severities_map_to_syslog_severities(rsyslog, severity, code):
    _receipt, got = deliver(rsyslog, channel(rsyslog, "udp", facility="auth"), severity=severity)
    assert got["pri"] == str(4 * 8 + code)
    assert f'severity="{severity}"' in got["sd"]


def test_structured_data_values_are_escaped_so_the_message_parses(rsyslog):
    link = 'https://ops.example.gov.vn/search?q=a]b"c\\d'
    _receipt, got = deliver(rsyslog, channel(rsyslog, "tcp"), link=link)
    assert got["sd"].endswith(r' link="https://ops.example.gov.vn/search?q=a\]b\"c\\d"]')
    assert got["msg"] == "\ufeff" + MSG_VI  # the SD ended where it should: the message is whole


def test_udp_cuts_a_long_message_to_2048_bytes_on_a_character_boundary_and_tcp_does_not(rsyslog):
    long_text = "Cảnh báo điện áp thấp ở tủ rack số 7. " * 120  # about 5 KB of UTF-8
    config = channel(rsyslog, "udp")
    datagram = frame(config, sample_message(text=long_text))
    assert 2040 < len(datagram) <= 2048
    datagram.decode("utf-8")  # whole characters only
    _receipt, got = deliver(rsyslog, config, text=long_text)
    assert "\ufffd" not in got["msg"]
    assert len(got["msg"]) > 1000 and (SUBJECT_VI + " — " + long_text).startswith(got["msg"].lstrip("\ufeff"))
    _receipt, whole = deliver(rsyslog, channel(rsyslog, "tcp"), text=long_text)
    assert whole["msg"] == "\ufeff" + SUBJECT_VI + " — " + long_text


def test_tls_pinned_certificate_and_wrong_pin(rsyslog, pki):
    _receipt, got = deliver(rsyslog, channel(rsyslog, "tls", ca_file=None, pin_sha256=pki.pin))
    assert got["msgid"] == "ups.on_battery"
    with pytest.raises(DeliveryError) as failure:
        send(channel(rsyslog, "tls", ca_file=None, pin_sha256="cd" * 32), sample_message(delivery_id=8999))
    assert f"has sha256 {pki.pin}, not the pinned {'cd' * 32}" in str(failure.value)


def test_tls_with_an_unknown_ca_is_refused(rsyslog, pki):
    for changes in ({"ca_file": None}, {"ca_file": pki.other_ca_file}):
        with pytest.raises(DeliveryError) as failure:
            send(channel(rsyslog, "tls", **changes), sample_message(delivery_id=8998))
        assert str(failure.value).startswith(f"127.0.0.1:{rsyslog.tls_port}: TLS certificate not accepted: ")
    time.sleep(0.3)
    assert not any('delivery="899' in line for line in rsyslog.lines())


def test_nothing_listening_is_connection_refused():
    port = free_port()
    config = ChannelConfig(name="siem", kind="syslog", host="127.0.0.1", port=port, transport="tcp")
    with pytest.raises(DeliveryError) as failure:
        send(config, sample_message())
    assert str(failure.value) == (f"127.0.0.1:{port}: connection refused "
                                  "(is the server running and listening on that port?)")


def test_a_tls_server_that_never_answers_times_out_within_timeout_seconds(pki):
    server = SilentServer()
    config = ChannelConfig(name="siem", kind="syslog", host="127.0.0.1", port=server.port, transport="tls",
                           ca_file=pki.ca_file, timeout_seconds=1)
    try:
        started = time.monotonic()
        with pytest.raises(DeliveryError) as failure:
            send(config, sample_message())
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    assert str(failure.value) == f"127.0.0.1:{server.port}: no answer within 1 s (timeout_seconds)"
    assert 0.9 < elapsed < 2.5


def test_the_frame_header_is_rfc5424_with_a_bom_before_the_message():
    config = ChannelConfig(name="siem", kind="syslog", host="127.0.0.1", facility="local0", app_name="ops")
    data = frame(config, sample_message(kind="x" * 40, severity="medium"))
    head, _, rest = data.partition(b"\xef\xbb\xbf")
    assert re.fullmatch(rb'<132>1 2026-03-14T02:05:09\.000Z \S+ ops \d+ x{32} \[ops@32473 [^\]]+\] ', head)
    assert rest.decode("utf-8") == MSG_VI
