"""Delivering one rendered message to one channel: email (SMTP), webhook (HTTPS POST, HMAC-signed), syslog (RFC 5424).

`send(channel, message)` returns a short receipt for the delivery log, or
raises DeliveryError with a reason a user can act on (the server's answer,
a TLS failure, a timeout). The reason never holds a secret: not the SMTP
password, not the webhook key. Every failure is retried by the outbox
(console/notify/outbox.py), so a channel never retries by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from console.errors import OpsError


class DeliveryError(OpsError):
    """The channel did not take the message; str() is the reason shown in the delivery log."""

    http_status = 502


@dataclass(frozen=True)
class Message:
    delivery_id: int  # the outbox row: Message-ID / X-Ops-Delivery, so a receiver can drop a repeat
    kind: str  # event kind, e.g. "ups.on_battery" (console/notify/kinds.py)
    severity: str  # info, low, medium, high, critical
    subject: str  # one line, in the channel's language
    text: str  # plain text, in the channel's language; ends with the link
    link: str  # absolute URL of the console page about the event
    created_at: datetime  # when the event happened (UTC, aware)
    language: str = "vi"
    key: str = ""  # what the event is about (host, device, alert group...)
    data: dict = field(default_factory=dict)  # the event's parameters, facts only


def send(channel, message: Message) -> str:
    """Deliver `message` through `channel` (a ChannelConfig); the receipt, or DeliveryError."""
    from console.notify.channels import email, syslog, webhook

    senders = {"email": email.send, "webhook": webhook.send, "syslog": syslog.send}
    return senders[channel.kind](channel, message)
