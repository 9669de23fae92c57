"""The department's services and their checks, as data: `[availability]` of ops.toml.

    [[availability.services]]
    name = "portal"                       # letters, digits, . _ -
    label = "Cổng thông tin điện tử"      # shown on pages and in messages
    unit = "unit_it_centre"               # the inventory's unit group
    system = "system_land_procedures"     # the inventory's information system group
    sla_target_percent = 99.5
    depends_on = ["dns", "uplink:isp-a"]  # other services, or uplinks (devices) as "uplink:<name>"

    [[availability.services.checks]]
    name = "home"
    kind = "http"                         # http, tls, dns, tcp, icmp
    url = "https://portal.example.vn/"
    interval_seconds = 60
    failures_before_down = 3

The model validates each table on its own; `problems()` checks what ties them
together (names used twice, a dependency on nothing, a dependency cycle) and
settings.py reports each at its file line. Nothing here touches the network.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, time, timezone
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from console.common import toml_lines

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?")
KINDS = ("http", "tls", "dns", "tcp", "icmp")
RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "TXT", "PTR", "SRV", "SOA")
UPLINK_PREFIX = "uplink:"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _name(value: str) -> str:
    if not NAME.fullmatch(value):
        raise ValueError("use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return value


def _host(value: str) -> str:
    if not value:
        return value
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    if len(value) > 253 or not HOST.fullmatch(value):
        raise ValueError(f"not a host name or address: {value!r}")
    return value


class CheckConfig(_Strict):
    """One `[[availability.services.checks]]` table; which keys apply depends on `kind`."""

    name: str
    kind: Literal["http", "tls", "dns", "tcp", "icmp"]
    interval_seconds: int = Field(60, ge=10, le=86400)
    timeout_seconds: float = Field(10.0, gt=0, le=120)
    # A service is down after this many failures of this check in a row (0: [availability] failures_before_down).
    failures_before_down: int = Field(0, ge=0, le=100)
    # http
    url: str = Field("", max_length=2000)
    expect_status: list[int] = [200]
    expect_text: str = Field("", max_length=1000)
    # http (whole answer) and icmp (average round trip): slower than this is "degraded". 0: no limit.
    max_response_ms: int = Field(0, ge=0, le=600000)
    # tls, tcp, icmp, dns (the server to ask)
    host: str = Field("", max_length=253)
    port: int = Field(0, ge=0, le=65535)
    # tls: the name the certificate must carry (default: host); the CA file (default: the system's CAs);
    # the oldest protocol version accepted.
    server_name: str = Field("", max_length=253)
    ca_file: Path | None = None
    min_tls_version: Literal["TLSv1.2", "TLSv1.3"] = "TLSv1.2"
    # dns: ask `server` for `record` of `record_type`; the answer must hold every `expect` value.
    server: str = Field("", max_length=253)
    record: str = Field("", max_length=253)
    record_type: Literal["A", "AAAA", "CNAME", "MX", "NS", "TXT", "PTR", "SRV", "SOA"] = "A"
    expect: list[str] = []
    # icmp: echo requests a round, and the loss above which the check fails.
    count: int = Field(3, ge=1, le=20)
    max_loss_percent: int = Field(0, ge=0, le=100)

    _check_name = field_validator("name")(_name)
    _check_hosts = field_validator("host", "server", "server_name")(_host)

    @field_validator("expect_status")
    @classmethod
    def _statuses(cls, value: list[int]) -> list[int]:
        if not value or any(not 100 <= status <= 599 for status in value):
            raise ValueError("expect_status holds HTTP status codes, 100-599")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("url must be http:// or https:// with a host")
        if parts.username is not None or parts.password is not None:
            raise ValueError("url must not hold a user or password: the check sees what an anonymous visitor sees")
        _host(parts.hostname)
        return value

    @model_validator(mode="after")
    def _complete(self) -> "CheckConfig":
        needs = {"http": ("url",), "tls": ("host",), "dns": ("server", "record"), "tcp": ("host", "port"),
                 "icmp": ("host",)}[self.kind]
        for key in needs:
            if not getattr(self, key):
                raise ValueError(f"a {self.kind} check needs {key}")
        if self.kind == "dns" and not self.expect:
            raise ValueError("a dns check needs expect (the answers the record must resolve to)")
        return self

    @property
    def tls_port(self) -> int:
        return self.port or 443

    @property
    def dns_port(self) -> int:
        return self.port or 53

    def target(self) -> str:
        """What it checks, for pages and messages."""
        if self.kind == "http":
            return self.url
        if self.kind == "tls":
            return f"{self.host}:{self.tls_port}"
        if self.kind == "dns":
            return f"{self.record} {self.record_type} @{self.server}"
        if self.kind == "tcp":
            return f"{self.host}:{self.port}"
        return self.host


class ServiceConfig(_Strict):
    """One `[[availability.services]]` table."""

    name: str
    label: str = Field("", max_length=200)
    unit: str = Field("", pattern=r"^(unit_[a-z0-9_]{1,60})?$")
    system: str = Field("", pattern=r"^(system_[a-z0-9_]{1,60})?$")
    sla_target_percent: float = Field(99.5, ge=0, le=100)
    depends_on: list[str] = []
    checks: list[CheckConfig] = Field(min_length=1)
    # Shown on the public status page ([availability] status_page), under public_name only.
    public: bool = False
    public_name: str = Field("", max_length=120)

    _check_name = field_validator("name")(_name)

    @field_validator("depends_on")
    @classmethod
    def _dependencies(cls, value: list[str]) -> list[str]:
        for item in value:
            _name(item.removeprefix(UPLINK_PREFIX))
        return value

    @model_validator(mode="after")
    def _public_name(self) -> "ServiceConfig":
        if self.public and not self.public_name.strip():
            raise ValueError("a public service needs public_name: the status page shows that name, never the "
                             "service's own name or label")
        return self

    @property
    def title(self) -> str:
        return self.label or self.name

    def service_dependencies(self) -> list[str]:
        return [item for item in self.depends_on if not item.startswith(UPLINK_PREFIX)]

    def uplink_dependencies(self) -> list[str]:
        return [item.removeprefix(UPLINK_PREFIX) for item in self.depends_on if item.startswith(UPLINK_PREFIX)]


class MaintenanceConfig(_Strict):
    """One `[[availability.maintenance]]` table: one-off (starts, ends) or weekly (weekdays, at, minutes).

    Times without a zone are in the console's zone ([console] timezone).
    """

    services: list[str] = Field(min_length=1)  # service names, or "*" for every service
    reason: str = Field("", max_length=200)
    starts: datetime | None = None
    ends: datetime | None = None
    weekdays: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = []
    at: time | None = None
    minutes: int = Field(0, ge=0, le=1440)

    @model_validator(mode="after")
    def _one_kind(self) -> "MaintenanceConfig":
        one_off = self.starts is not None or self.ends is not None
        weekly = bool(self.weekdays) or self.at is not None or self.minutes
        if one_off == bool(weekly):
            raise ValueError("a maintenance window is either one-off (starts, ends) or weekly (weekdays, at, minutes)")
        if one_off and (self.starts is None or self.ends is None or self.ends <= self.starts):
            raise ValueError("a one-off window needs starts and ends, ends after starts")
        if weekly and (not self.weekdays or self.at is None or not self.minutes):
            raise ValueError("a weekly window needs weekdays, at (\"HH:MM\") and minutes")
        return self


class AvailabilitySettings(_Strict):
    # A check's failures in a row before its service is down, unless the check says. Default: 3.
    failures_before_down: int = Field(3, ge=1, le=100)
    # A certificate this many days or fewer from expiry is announced, once per step. Default: [30, 14, 7].
    certificate_warn_days: list[int] = [30, 14, 7]
    # Raw results are kept this many days, then rolled up per check and hour. Default: 30.
    raw_retention_days: int = Field(30, ge=1, le=3650)
    # Checks run at once by the scheduler's round (threads). Default: 16.
    parallel_checks: int = Field(16, ge=1, le=256)
    # Bytes of an HTTP answer read at most; a longer body is cut there (the text is looked for in what was read).
    max_body_bytes: int = Field(262144, ge=1024, le=16 * 1024 * 1024)
    # The public status page (/status): read-only, no sign-in, only services with public = true. Default: off.
    status_page: bool = False
    # Requests a minute one address may make to the status page (then 429). Default: 30.
    status_page_requests_per_minute: int = Field(30, ge=1, le=6000)
    services: list[ServiceConfig] = []
    maintenance: list[MaintenanceConfig] = []

    @field_validator("certificate_warn_days")
    @classmethod
    def _warn_days(cls, value: list[int]) -> list[int]:
        if any(not 1 <= day <= 365 for day in value):
            raise ValueError("certificate_warn_days holds days, 1-365")
        return sorted(set(value), reverse=True)

    def resolved(self, base: Path) -> "AvailabilitySettings":
        """CA files relative to ops.toml's folder made absolute."""
        def check(item: CheckConfig) -> CheckConfig:
            if item.ca_file and not item.ca_file.is_absolute():
                return item.model_copy(update={"ca_file": (base / item.ca_file).resolve()})
            return item

        return self.model_copy(update={"services": [
            service.model_copy(update={"checks": [check(item) for item in service.checks]})
            for service in self.services]})

    def service(self, name: str) -> ServiceConfig | None:
        return next((service for service in self.services if service.name == name), None)

    def threshold(self, check: CheckConfig) -> int:
        return check.failures_before_down or self.failures_before_down

    def problems(self, uplinks: set[str] | None = None) -> list[tuple[str, int, int | None, str, str]]:
        """(table, index, check index or None, key, message) for what ties the tables together.

        table is "services" or "maintenance".

        `uplinks`: the uplink names the devices area knows; None leaves uplink names unchecked.
        """
        found = []
        names = [service.name for service in self.services]
        for index, service in enumerate(self.services):
            if service.name in names[:index]:
                found.append(("services", index, None, "name", f"service name {service.name!r} is used twice"))
            checks = [check.name for check in service.checks]
            for check_index, check in enumerate(service.checks):
                if check.name in checks[:check_index]:
                    found.append(("services", index, check_index, "name", f"check name {check.name!r} is used twice"))
            for parent in service.service_dependencies():
                if parent not in names:
                    found.append(("services", index, None, "depends_on", f"depends on {parent!r}, which is no service "
                                  "(name a [[availability.services]] or \"uplink:<name>\")"))
                elif parent == service.name:
                    found.append(("services", index, None, "depends_on", "a service cannot depend on itself"))
            for uplink in service.uplink_dependencies():
                if uplinks is not None and uplink not in uplinks:
                    found.append(("services", index, None, "depends_on",
                                  f"depends on uplink {uplink!r}, which no uplink device is named"))
        cycle = self.cycle()
        if cycle and not found:
            index = names.index(cycle[0])
            found.append(("services", index, None, "depends_on", "dependency cycle: " + " -> ".join(cycle)))
        for index, window in enumerate(self.maintenance):
            for name in window.services:
                if name != "*" and name not in names:
                    found.append(("maintenance", index, None, "services", f"no service named {name!r}"))
        return found

    def cycle(self) -> list[str]:
        """The first dependency cycle between services, as names (first repeated at the end), or []."""
        graph = {service.name: service.service_dependencies() for service in self.services}
        state: dict[str, int] = {}

        def visit(name: str, path: list[str]) -> list[str]:
            state[name] = 1
            for parent in graph.get(name, []):
                if state.get(parent) == 1:
                    return path[path.index(parent):] + [parent] if parent in path else [name, parent]
                if parent in graph and state.get(parent) is None:
                    found = visit(parent, path + [parent])
                    if found:
                        return found
            state[name] = 2
            return []

        for name in graph:
            if state.get(name) is None:
                found = visit(name, [name])
                if found:
                    return found
        return []

    def dependents(self, name: str) -> list[str]:
        """Services that depend on `name`, directly or through others, in declaration order."""
        found: list[str] = []
        frontier = [name]
        while frontier:
            current = frontier.pop()
            for service in self.services:
                if current in service.service_dependencies() and service.name not in found:
                    found.append(service.name)
                    frontier.append(service.name)
        return [service.name for service in self.services if service.name in found]


def table_line(text: str, service: int, check: int | None, key: str | None) -> int | None:
    """Line of `key` in the service-th `[[availability.services]]` (or its check-th checks table); else the header's."""
    return toml_lines.table_line(text, "availability.services", service, key, "availability.services.checks", check)


def maintenance_line(text: str, index: int, key: str | None) -> int | None:
    return toml_lines.table_line(text, "availability.maintenance", index, key)


def configured_uplinks(settings) -> set[str] | None:
    """Names of the `[[devices]]` of kind "uplink" (console.devices.kinds): what `depends_on = ["uplink:<name>"]`
    may name."""
    return {device.name for device in getattr(settings, "devices", []) if getattr(device, "kind", "") == "uplink"}


def parse_uplink(dependency: str) -> str | None:
    """The uplink's name of an "uplink:<name>" dependency, else None."""
    return dependency.removeprefix(UPLINK_PREFIX) if dependency.startswith(UPLINK_PREFIX) else None


def as_utc(moment: datetime, zone) -> datetime:
    """A configured time in UTC; one without a zone is in `zone` (the console's)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(timezone.utc)
