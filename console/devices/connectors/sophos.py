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

from urllib.parse import urlencode
from xml.sax.saxutils import escape

from console.common.https import HttpsClient, HttpsError
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
    """One POST through the console's bounded, pinned HTTPS client (console/common/https.py)."""
    client = HttpsClient(device.address, device.effective_port, timeout=device.timeout_seconds,
                         ca_file=device.ca_file, pin_sha256=device.pin_sha256,
                         server_name=device.tls_server_name or device.address, max_answer_bytes=MAX_ANSWER_BYTES)
    with client:
        try:
            answer = client.request("POST", PATH, body, {"Content-Type": "application/x-www-form-urlencoded",
                                                          "Accept": "application/xml", "Connection": "close"})
        except HttpsError as exc:
            raise ConnectorError(f"sophos {exc}") from None
    if answer.status != 200:
        raise ConnectorError(f"sophos {client.where} answered HTTP {answer.status}")
    return answer.body
