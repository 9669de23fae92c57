"""Talking to the console over HTTP(S), signed, with TLS verified or pinned.

TLS: by default the system CA store verifies the console's certificate;
`ca_file` names a private CA instead; `pin_sha256` pins the console's
certificate by the SHA-256 of its DER bytes (for a self-signed console on
an isolated network), in which case the pin replaces CA checks.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import ssl
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

from probes import signing
from probes.errors import ProbeError

MAX_ANSWER_BYTES = 1024 * 1024


class TransportError(ProbeError):
    """The console could not be reached or answered 5xx: try again later."""


@dataclass
class Answer:
    status: int
    body: dict

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class Connection:
    console_url: str
    ca_file: str = ""
    pin_sha256: str = ""
    timeout: float = 10.0

    def post(self, path: str, payload: bytes, headers: dict | None = None) -> Answer:
        parts = urlsplit(self.console_url.rstrip("/") + path)
        conn = self._connection(parts)
        try:
            conn.connect()
            self._check_pin(conn)
            conn.request("POST", parts.path, body=payload,
                         headers={"Content-Type": "application/json", **(headers or {})})
            response = conn.getresponse()
            raw = response.read(MAX_ANSWER_BYTES)
        except (OSError, http.client.HTTPException) as exc:
            raise TransportError(f"{parts.netloc}: {exc}") from None
        finally:
            conn.close()
        if response.status >= 500:
            raise TransportError(f"{parts.netloc} answered {response.status}")
        return Answer(response.status, _json(raw))

    def _connection(self, parts) -> http.client.HTTPConnection:
        if parts.scheme == "http":
            return http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=self.timeout)
        if parts.scheme != "https":
            raise TransportError(f"unsupported console URL scheme {parts.scheme!r}")
        context = ssl.create_default_context(cafile=self.ca_file or None)
        if self.pin_sha256:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE  # the pin below is the check
        return http.client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=self.timeout, context=context)

    def _check_pin(self, conn) -> None:
        if not self.pin_sha256 or not isinstance(conn, http.client.HTTPSConnection):
            return
        der = conn.sock.getpeercert(binary_form=True)
        seen = hashlib.sha256(der).hexdigest()
        if seen != self.pin_sha256.lower().replace(":", ""):
            raise TransportError(f"console certificate sha256 {seen} does not match the pinned one")


def signed_headers(key, agent_id: str, body: bytes) -> dict:
    timestamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return {
        signing.AGENT_HEADER: agent_id,
        signing.TIMESTAMP_HEADER: timestamp,
        signing.SIGNATURE_HEADER: signing.sign(key, agent_id, timestamp, body),
    }


def _json(raw: bytes) -> dict:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {"raw": raw[:200].decode("utf-8", "replace")}
    return value if isinstance(value, dict) else {"value": value}
