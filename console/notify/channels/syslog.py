"""Syslog: one RFC 5424 message over UDP (RFC 5426), TCP (RFC 6587 octet counting) or TLS (RFC 5425).

    <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [ops@32473 kind="..." severity="..." delivery="..." link="..."] BOM MSG

PRI is facility * 8 + the syslog severity of ours (critical 2 crit, high 3 err,
medium 4 warning, low 5 notice, info 6 info); MSGID is the event kind; MSG is
"subject — text" on one line, UTF-8 after a BOM. Over UDP a message is cut to
2048 bytes (on a character boundary); over TCP and TLS it is framed as
"LEN SP MSG". Syslog has no answer: the receipt says where it went.
"""

from __future__ import annotations

import os
import socket
from datetime import timezone

from console.notify.channels import DeliveryError, Message
from console.notify.channels import tls
from console.notify.config import FACILITIES

# 32473 is the enterprise number IANA reserves for examples (RFC 5612); the
# console has no number of its own, so its SD-ID is ops@32473.
SD_ID = "ops@32473"
SEVERITY = {"critical": 2, "high": 3, "medium": 4, "low": 5, "info": 6}  # crit, err, warning, notice, info
BOM = b"\xef\xbb\xbf"
MAX_UDP_BYTES = 2048  # RFC 5426 §3.2: what any receiver should take
MAX_SD_VALUE = 1024


def pri(facility: str, severity: str) -> int:
    return FACILITIES.index(facility) * 8 + SEVERITY.get(severity, 6)  # FACILITIES is in code order (0..23)


def _ascii_field(value: str, limit: int) -> str:
    """A header field: printable US-ASCII without space (RFC 5424 PRINTUSASCII), at most `limit`, "-" if empty."""
    cleaned = "".join(ch for ch in value if "!" <= ch <= "~")[:limit]
    return cleaned or "-"


def sd_escape(value: str) -> str:
    """RFC 5424 §6.3.3: '"', '\\' and ']' in a PARAM-VALUE are escaped with a backslash."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def header(channel, message: Message) -> bytes:
    created = message.created_at.astimezone(timezone.utc).replace(tzinfo=None)
    params = {"kind": message.kind, "severity": message.severity, "delivery": str(message.delivery_id),
              "link": message.link}
    data = " ".join(f'{name}="{sd_escape(tls.printable(value)[:MAX_SD_VALUE])}"' for name, value in params.items())
    fields = [
        f"<{pri(channel.facility, message.severity)}>1",
        created.isoformat(timespec="milliseconds") + "Z",
        _ascii_field(socket.gethostname(), 255),
        _ascii_field(channel.app_name, 48),
        _ascii_field(str(os.getpid()), 128),
        _ascii_field(message.kind, 32),
        f"[{SD_ID} {data}]",
    ]
    return " ".join(fields).encode("utf-8") + b" "


def text(message: Message) -> str:
    return f"{message.subject} — {message.text}".replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def frame(channel, message: Message) -> bytes:
    """The syslog message itself (without transport framing); for UDP at most 2048 bytes."""
    head, msg = header(channel, message) + BOM, text(message).encode("utf-8")
    if channel.transport == "udp" and len(head) + len(msg) > MAX_UDP_BYTES:
        room = max(0, MAX_UDP_BYTES - len(head))
        msg = msg[:room].decode("utf-8", "ignore").encode("utf-8")  # drops a character cut in half
    return head + msg


def send(channel, message: Message) -> str:
    host, port, timeout = channel.host, channel.effective_port, channel.timeout_seconds
    where = tls.where(host, port)
    data = frame(channel, message)
    try:
        if channel.transport == "udp":
            peer = _udp(host, port, timeout, data)
        else:
            peer = _stream(channel, host, port, timeout, b"%d " % len(data) + data)
    except DeliveryError as exc:
        raise DeliveryError(tls.clip(str(exc), message.text)) from None
    except OSError as exc:
        raise DeliveryError(tls.clip(tls.network_reason(exc, where, timeout), message.text)) from None
    return f"syslog {channel.transport} {tls.where(peer[0], peer[1])}"


def _udp(host: str, port: int, timeout: float, data: bytes) -> tuple:
    family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    with socket.socket(family, kind, proto) as sock:
        sock.settimeout(timeout)
        sock.sendto(data, address)
    return address


def _stream(channel, host: str, port: int, timeout: float, data: bytes) -> tuple:
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        peer = sock.getpeername()
        if channel.transport == "tls":
            sock = tls.context(channel, host).wrap_socket(sock, server_hostname=host)
        sock.sendall(data)
        if channel.transport == "tls":
            try:
                sock = sock.unwrap()  # close_notify, so the server does not see a cut connection
            except (OSError, ValueError):
                pass
        sock.shutdown(socket.SHUT_WR)
    finally:
        sock.close()
    return peer
