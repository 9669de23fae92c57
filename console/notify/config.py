"""Notification channels and routing rules, as data: `[notify]`, `[[notify.channels]]`, `[[notify.rules]]` of ops.toml.

A channel is where a message goes (an SMTP server and its recipients, a
webhook URL, a syslog server); a rule says which events go to which channels
(event kind x severity x unit or information system), with a throttle and an
optional daily digest. Secrets (SMTP password, webhook HMAC key) are
references, `env:NAME` or `file:/path`, as for devices: a literal is refused.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from console.common.secrets import check_pin_sha256, check_reference
from console.notify.kinds import KINDS, SEVERITIES

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
CHANNEL_SECRETS = ("password", "secret")
DEFAULT_PORTS = {("email", "starttls"): 587, ("email", "tls"): 465, ("email", "none"): 25,
                 ("syslog", "udp"): 514, ("syslog", "tcp"): 514, ("syslog", "tls"): 6514}
EMAIL = re.compile(r"[^@\s<>]{1,64}@[^@\s<>]{1,255}")
FACILITIES = ("kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
              "ftp", "ntp", "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4",
              "local5", "local6", "local7")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_name(value: str) -> str:
    if not NAME.fullmatch(value):
        raise ValueError("use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return value


class ChannelConfig(_Strict):
    """One `[[notify.channels]]` table. Which keys are required depends on `kind`."""

    name: str
    kind: Literal["email", "webhook", "syslog"]
    # Language of the messages this channel carries. Default: "vi".
    language: Literal["vi", "en"] = "vi"
    enabled: bool = True
    timeout_seconds: float = Field(10.0, ge=0.5, le=120)
    # email and syslog: the server
    host: str = Field("", max_length=255)
    port: int = Field(0, ge=0, le=65535)  # 0: the usual port (see DEFAULT_PORTS)
    # email
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str = Field("", max_length=255)
    password: str = ""
    sender: str = ""
    recipients: list[str] = []
    # webhook
    url: str = Field("", max_length=2000)
    secret: str = ""
    # syslog
    transport: Literal["udp", "tcp", "tls"] = "udp"
    facility: str = "local0"
    app_name: str = Field("ops-console", pattern=r"^[!-~]{1,48}$")
    # TLS (email, webhook, syslog over tls): the CA that signed the server's certificate,
    # or the SHA-256 of that certificate (DER); neither: the system CAs.
    ca_file: Path | None = None
    pin_sha256: str = ""
    tls_server_name: str = ""

    _name = field_validator("name")(_check_name)

    _reference = field_validator(*CHANNEL_SECRETS)(check_reference)
    _pin = field_validator("pin_sha256")(check_pin_sha256)

    @field_validator("facility")
    @classmethod
    def _facility(cls, value: str) -> str:
        if value not in FACILITIES:
            raise ValueError(f"unknown syslog facility (use one of {', '.join(FACILITIES)})")
        return value

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if not EMAIL.fullmatch(address):
                raise ValueError(f"not an email address: {address!r}")
        return value

    @model_validator(mode="after")
    def _complete(self) -> "ChannelConfig":
        for problem in _missing(self):
            raise ValueError(problem)
        return self

    @property
    def effective_port(self) -> int:
        if self.port:
            return self.port
        return DEFAULT_PORTS.get((self.kind, self.security if self.kind == "email" else self.transport), 0)

    def target(self) -> str:
        """Where it sends, for pages and logs: never a secret (a URL's user info and query are left out)."""
        if self.kind == "webhook":
            from urllib.parse import urlsplit

            parts = urlsplit(self.url)
            return f"{parts.scheme}://{parts.hostname or ''}{':' + str(parts.port) if parts.port else ''}{parts.path}"
        if self.kind == "email":
            return f"smtp://{self.host}:{self.effective_port} ({self.security}) -> {', '.join(self.recipients)}"
        return f"syslog+{self.transport}://{self.host}:{self.effective_port}"


def _missing(channel: ChannelConfig) -> list[str]:
    if channel.kind == "email":
        if not channel.host:
            return ["an email channel needs host (the SMTP server)"]
        if not channel.sender or not EMAIL.fullmatch(channel.sender):
            return ["an email channel needs sender, an email address"]
        if not channel.recipients:
            return ["an email channel needs recipients (a list of email addresses)"]
        if channel.password and not channel.username:
            return ["password is set but username is not"]
        if channel.password and channel.security == "none":
            return ["a login needs security = \"starttls\" or \"tls\": with \"none\" the password would "
                    "cross the network in clear"]
    if channel.kind == "webhook":
        if not re.match(r"^https?://[^/\s]+", channel.url):
            return ["a webhook channel needs url, http:// or https://"]
        if "@" in channel.url.split("://", 1)[1].split("/", 1)[0]:
            return ["url must not hold a user or password; sign requests with secret (env:NAME or file:/path)"]
        if channel.url.startswith("http://") and (channel.ca_file or channel.pin_sha256):
            return ["ca_file and pin_sha256 need an https:// url"]
    if channel.kind == "syslog" and not channel.host:
        return ["a syslog channel needs host (the log server)"]
    return []


class RuleConfig(_Strict):
    """One `[[notify.rules]]` table: which events go to which channels."""

    name: str
    events: list[str] = Field(min_length=1)
    min_severity: Literal["info", "low", "medium", "high", "critical"] = "info"
    units: list[str] = []  # empty: any unit (and events of no unit)
    systems: list[str] = []  # empty: any information system
    channels: list[str] = Field(min_length=1)
    throttle_minutes: int = Field(60, ge=0, le=10080)
    digest: bool = False

    _name = field_validator("name")(_check_name)

    @field_validator("events")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        for kind in value:
            if kind != "*" and kind not in KINDS:
                raise ValueError(f"unknown event kind {kind!r} (known: {', '.join(sorted(KINDS))}, or \"*\")")
        return value

    def matches(self, kind: str, severity: str, unit: str | None, system: str | None) -> bool:
        if "*" not in self.events and kind not in self.events:
            return False
        if SEVERITIES.index(severity) < SEVERITIES.index(self.min_severity):
            return False
        if self.units and unit not in self.units:
            return False
        return not (self.systems and system not in self.systems)


class NotifySettings(_Strict):
    # The console's address as recipients reach it, for the link in every message.
    console_url: str = Field("http://127.0.0.1:8080", pattern=r"^https?://[^\s]+$")
    # Seconds between deliveries of the outbox by `ops scheduler run`. Default: 2.
    deliver_interval_seconds: float = Field(2.0, ge=0.5, le=300)
    # Retries: the first after retry_seconds, each next one twice as late, at most
    # retry_max_seconds apart; after max_attempts the delivery is failed. Default: 30, 900, 48.
    retry_seconds: int = Field(30, ge=1, le=3600)
    retry_max_seconds: int = Field(900, ge=1, le=86400)
    max_attempts: int = Field(48, ge=1, le=1000)
    # Local time of the daily digest, for rules with digest = true. Default: "07:30".
    digest_at: str = Field("07:30", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    # An incident deadline this many hours away is announced. Default: 6.
    incident_warn_hours: int = Field(6, ge=1, le=72)
    # Antivirus signatures older than this are announced. Default: 3.
    signature_max_age_days: int = Field(3, ge=1, le=365)
    channels: list[ChannelConfig] = []
    rules: list[RuleConfig] = []

    def problems(self) -> list[tuple[str, int, str | None, str]]:
        """What ties the tables together: (table, index, key, message) for settings.py to report at its line."""
        found = []
        names = [channel.name for channel in self.channels]
        for index, name in enumerate(names):
            if name in names[:index]:
                found.append(("notify.channels", index, "name", f"channel name {name!r} is used twice"))
        for index, rule in enumerate(self.rules):
            if rule.name in [other.name for other in self.rules[:index]]:
                found.append(("notify.rules", index, "name", f"rule name {rule.name!r} is used twice"))
            for channel in rule.channels:
                if channel not in names:
                    found.append(("notify.rules", index, "channels",
                                  f"no channel named {channel!r} in [[notify.channels]]"))
        return found

    def channel(self, name: str) -> ChannelConfig | None:
        return next((channel for channel in self.channels if channel.name == name), None)
