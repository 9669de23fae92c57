"""The Sophos Firewall (XG/SFOS) over its XML API, read-only.

One HTTPS POST to /webconsole/APIController with the form field `reqxml`
(as Sophos's API help describes it): Login plus Get of Zone, FirewallRule and
IPSPolicy. Only `<Get>` is ever sent. The password travels in the POST body,
never in a URL (which proxies and the appliance would log), and never in a
reason or a log line.

TLS is always verified, one of three ways, never silently skipped:
`pin_sha256` (the SHA-256 of the appliance certificate's DER bytes, for the
self-signed certificate an XG ships with), `ca_file` (a private CA, with the
name checked against `tls_server_name` or the address), or the system CA
store. A pin mismatch stops before the login is sent.

The whole exchange is bounded: `timeout_seconds` from connect to the last
byte, and at most MAX_ANSWER_BYTES of answer.
"""

from __future__ import annotations

import hashlib
import http.client
import socket
import ssl
import time
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from console.devices.connectors import ConnectorError, credential
from console.devices.connectors.sophos_xml import ENTITIES, parse_answer

PATH = "/webconsole/APIController"
MAX_ANSWER_BYTES = 8 * 1024 * 1024


def read(device) -> dict:
    body = urlencode({"reqxml": request_xml(device.username, credential(device.password))}).encode()
    raw = _post(device, body)
    return parse_answer(raw)


def request_xml(username: str, password: str) -> str:
    gets = "".join(f"<{entity}></{entity}>" for entity in ENTITIES)
    return (f"<Request><Login><Username>{escape(username)}</Username><Password>{escape(password)}</Password>"
            f"</Login><Get>{gets}</Get></Request>")


def _post(device, body: bytes) -> bytes:
    where = f"{device.address}:{device.effective_port}"
    deadline = time.monotonic() + device.timeout_seconds
    conn = _Connection(device.address, device.effective_port, timeout=device.timeout_seconds,
                       tls=_tls_context(device), server_name=device.tls_server_name or device.address,
                       deadline=deadline)
    try:
        conn.connect()
        _check_pin(conn, device, where)
        conn.request("POST", PATH, body=body, headers={"Content-Type": "application/x-www-form-urlencoded",
                                                       "Accept": "application/xml"})
        sock = conn.sock  # http.client lets go of it once the answer says "Connection: close"
        _remaining(sock, deadline)
        response = conn.getresponse()
        if response.status != 200:
            raise ConnectorError(f"sophos {where} answered HTTP {response.status}")
        return _read_bounded(sock, response, deadline, where)
    except ssl.SSLCertVerificationError as exc:
        raise ConnectorError(f"sophos {where}: certificate not trusted ({exc.verify_message})") from None
    except (TimeoutError, socket.timeout):
        raise ConnectorError(f"sophos {where}: no complete answer within {device.timeout_seconds:g} s") from None
    except (OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise ConnectorError(f"sophos {where}: {reason}") from None
    finally:
        conn.close()


class _Connection(http.client.HTTPSConnection):
    """HTTPS whose certificate name is checked against `server_name` (the address unless configured)."""

    def __init__(self, host: str, port: int, timeout: float, tls: ssl.SSLContext, server_name: str,
                 deadline: float):
        super().__init__(host, port, timeout=timeout, context=tls)
        self.tls, self.server_name, self.deadline = tls, server_name, deadline

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        _remaining(self.sock, self.deadline)  # the TLS handshake gets what is left, not a fresh timeout
        self.sock = self.tls.wrap_socket(self.sock, server_hostname=self.server_name)


def _tls_context(device) -> ssl.SSLContext:
    if device.pin_sha256:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the pin, checked before anything is sent, is the verification
        return context
    return ssl.create_default_context(cafile=str(device.ca_file) if device.ca_file else None)


def _check_pin(conn: http.client.HTTPSConnection, device, where: str) -> None:
    if not device.pin_sha256:
        return
    seen = hashlib.sha256(conn.sock.getpeercert(binary_form=True) or b"").hexdigest()
    if seen != device.pin_sha256:
        raise ConnectorError(f"sophos {where}: certificate sha256 {seen} does not match the pinned one")


def _remaining(sock, deadline: float) -> None:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    sock.settimeout(left)


def _read_bounded(sock, response, deadline: float, where: str) -> bytes:
    chunks, size = [], 0
    while True:
        _remaining(sock, deadline)
        chunk = response.read1(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise ConnectorError(f"sophos {where}: answer larger than {MAX_ANSWER_BYTES // 1048576} MiB")
        chunks.append(chunk)
