"""Webhook: one JSON POST per message, signed with HMAC-SHA256 when the channel has a secret.

The body is UTF-8 JSON with sorted keys. With a secret, the request carries
`X-Ops-Timestamp: <unix seconds>` and `X-Ops-Signature-256: sha256=<hex>`,
the HMAC-SHA256 of b"<timestamp>." + body under the secret; a receiver
recomputes it (docs/notifications.md) and may refuse old timestamps. The
secret itself is never sent. Any 2xx is delivered; redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timezone
from urllib.parse import urlsplit

from console.common.https import HttpsClient, HttpsError
from console.notify.channels import DeliveryError, Message
from console.notify.channels import tls

MAX_ANSWER_BYTES = 64 * 1024
USER_AGENT = "ops-console"


def body(message: Message) -> bytes:
    created = message.created_at.astimezone(timezone.utc).replace(tzinfo=None)
    return json.dumps({
        "delivery_id": message.delivery_id,
        "kind": message.kind,
        "severity": message.severity,
        "subject": message.subject,
        "text": message.text,
        "link": message.link,
        "created_at": created.isoformat(timespec="seconds") + "Z",
        "language": message.language,
        "key": message.key,
        "data": message.data,
    }, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")


def signature(secret: str, timestamp: str, payload: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + payload,
                                hashlib.sha256).hexdigest()


def headers(message: Message, payload: bytes, secret: str, now: float | None = None) -> dict:
    found = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Ops-Delivery": str(message.delivery_id),
        "X-Ops-Event": message.kind,
    }
    if secret:
        timestamp = str(int(time.time() if now is None else now))
        found["X-Ops-Timestamp"] = timestamp
        found["X-Ops-Signature-256"] = signature(secret, timestamp, payload)
    return found


def send(channel, message: Message) -> str:
    secret = tls.secret(channel.secret) if channel.secret else ""
    parts = urlsplit(channel.url)
    host, timeout = parts.hostname or "", channel.timeout_seconds
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise DeliveryError(f"webhook url has an invalid port: {channel.target()}") from None
    where = tls.where(host, port)
    if parts.username is not None:
        raise DeliveryError(f"webhook url {channel.target()} holds user:password@, which is not sent: "
                            "keep credentials out of ops.toml (sign with secret = \"env:...\" instead)")
    hidden = (secret, message.text)
    payload = body(message)
    request_headers = headers(message, payload, secret)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        context = tls.context(channel, host) if parts.scheme == "https" else None
    except DeliveryError as exc:
        raise DeliveryError(tls.clip(str(exc), *hidden)) from None
    # The console's bounded HTTPS client (console/common/https.py) with the channels' TLS rules (name and pin
    # checked in the handshake): the whole exchange within timeout_seconds, the answer's first 64 KiB kept.
    client = HttpsClient(host, port, timeout=timeout, context=context, tls=context is not None,
                         server_name=channel.tls_server_name or host, max_answer_bytes=MAX_ANSWER_BYTES,
                         truncate=True)
    try:
        response = client.request("POST", path, payload, request_headers)
    except DeliveryError as exc:  # the pin
        raise DeliveryError(tls.clip(str(exc), *hidden)) from None
    except HttpsError as exc:
        raise DeliveryError(tls.clip(tls.network_reason(exc.cause or exc, where, timeout), *hidden)) from None
    finally:
        client.close()
    answer = response.body
    status = f"HTTP {response.status}"
    if 200 <= response.status < 300:
        return status
    status += f" {response.reason}".rstrip()
    if 300 <= response.status < 400:
        location = next((value for key, value in response.headers.items() if key.lower() == "location"), "")
        raise DeliveryError(tls.clip(f"{status}: redirects are not followed; set url to where it points"
                                     f"{' (' + location[:200] + ')' if location else ''}", *hidden))
    snippet = tls.printable(answer.decode("utf-8", "replace"))[:200]
    if _echoes(snippet, message.text):
        snippet = "(the answer repeats the message text; not shown)"
    raise DeliveryError(tls.clip(f"{status}: {snippet}" if snippet else status, *hidden))


def _echoes(snippet: str, text: str, window: int = 16) -> bool:
    """Whether the server's answer quotes the message body (which a reason must not hold)."""
    flat = tls.printable(text)
    if len(flat) < window:
        return bool(flat) and flat in snippet
    return any(snippet[start:start + window] in flat for start in range(0, len(snippet) - window + 1, 4))
