"""The report schema: the one definition the agent builds and the console validates.

Sections keep fields they do not know (`extra="allow"`), so a newer agent
can report more than an older console understands without anything being
dropped; a known field with a wrong type is refused, naming the field.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Disk(_Open):
    mount: str
    device: str = ""
    fstype: str = ""
    total_bytes: int = Field(ge=0)
    used_bytes: int = Field(ge=0)
    percent: float = Field(ge=0, le=100)


class ListeningSocket(_Open):
    proto: Literal["tcp", "tcp6", "udp", "udp6"]
    address: str
    port: int = Field(ge=0, le=65535)
    pid: int | None = None
    process: str | None = None


class ServiceState(_Open):
    name: str
    running: bool


class Health(_Open):
    cpu_percent: float = Field(ge=0, le=100)
    cpu_count: int = Field(ge=1)
    load_average: list[float] = Field(min_length=3, max_length=3)
    memory_total_bytes: int = Field(ge=0)
    memory_used_percent: float = Field(ge=0, le=100)
    swap_total_bytes: int = Field(ge=0)
    swap_used_percent: float = Field(ge=0, le=100)
    disks: list[Disk] = []
    boot_time: AwareDatetime
    listening: list[ListeningSocket] = []
    services: list[ServiceState] = []
    clock_offset_seconds: float | None = None
    clock_source: str | None = None


class Antivirus(_Open):
    provider: Literal["clamav", "kesl", "defender", "wsc"]
    product: str = ""
    installed: bool
    running: bool | None = None
    realtime_protection: bool | None = None
    engine_version: str | None = None
    signature_version: str | None = None
    signature_date: AwareDatetime | None = None
    last_scan_at: AwareDatetime | None = None


class OpenPort(_Open):
    proto: str
    port: int = Field(ge=0, le=65535)
    address: str = ""
    process: str | None = None


class Firewall(_Open):
    backend: Literal["nftables", "iptables", "none"]
    input_policy: str | None = None
    forward_policy: str | None = None
    rule_count: int = Field(ge=0)
    open_ports: list[OpenPort] = []


class Ups(_Open):
    name: str
    reachable: bool
    status_flags: list[str] = []
    battery_charge_percent: float | None = None
    battery_runtime_seconds: float | None = None
    load_percent: float | None = None
    input_voltage: float | None = None
    test_result: str | None = None


class Sensor(_Open):
    engine: Literal["suricata"] = "suricata"
    running: bool
    uptime_seconds: float | None = None
    rules_loaded: int | None = None
    rules_failed: int | None = None
    ruleset_version: str | None = None
    packets: int | None = None
    drops: int | None = None
    # How Suricata captures (its command socket's capture-mode: AF_PACKET_DEV, NFQ, PCAP_DEV, ...) and whether
    # it can drop what a rule drops (NFQUEUE; af-packet with copy-mode ips on every capture interface).
    capture_mode: str | None = Field(None, max_length=32)
    blocking: bool | None = None


class Sshd(_Open):
    installed: bool
    ports: list[int] = []
    permit_root_login: str | None = Field(None, max_length=32)
    password_authentication: str | None = Field(None, max_length=32)


class LynisFinding(_Open):
    """One `warning[]` or `suggestion[]` line of a Lynis report: TEST-ID|text|details|solution."""

    test_id: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
    text: str = Field("", max_length=500)
    details: str = Field("", max_length=500)
    solution: str = Field("", max_length=500)


class Lynis(_Open):
    """The results of one Lynis run, shipped once, with the first report after it ended."""

    installed: bool
    lynis_version: str | None = Field(None, max_length=32)
    started_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None
    hardening_index: int | None = Field(None, ge=0, le=100)
    tests_performed: int | None = Field(None, ge=0)
    groups: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field([], max_length=64)  # []: all
    warnings: list[LynisFinding] = Field([], max_length=200)
    suggestions: list[LynisFinding] = Field([], max_length=200)
    dropped_findings: int = Field(0, ge=0)
    exit_code: int | None = None
    cpu_seconds: float | None = Field(None, ge=0)
    duration_seconds: float | None = Field(None, ge=0)


class PendingUpdate(_Open):
    name: str = Field(min_length=1, max_length=128)
    installed: str = Field("", max_length=64)
    candidate: str = Field(max_length=64)
    first_seen_at: AwareDatetime


class Updates(_Open):
    """Packages with an upgrade pending from a security suite, from apt's lists as of `apt_updated_at`."""

    source: Literal["apt_pkg", "apt-get"]
    checked_at: AwareDatetime
    apt_updated_at: AwareDatetime | None = None
    security_pending_count: int = Field(ge=0)
    oldest_pending_since: AwareDatetime | None = None
    age_basis: Literal["first_seen_by_agent"] = "first_seen_by_agent"
    packages: list[PendingUpdate] = Field([], max_length=200)
    dropped_packages: int = Field(0, ge=0)


class InstalledPackage(_Open):
    """One installed binary package and the source package it was built from (dpkg's status file)."""

    name: str = Field(min_length=1, max_length=128)
    version: str = Field(min_length=1, max_length=128)
    arch: str = Field("", max_length=32)
    source: str = Field(min_length=1, max_length=128)
    source_version: str = Field(min_length=1, max_length=128)


class Packages(_Open):
    """The host's installed packages: the full list when it changed (or daily), else only its digest."""

    release: str | None = Field(None, max_length=32)
    digest: str = Field(pattern=r"^[0-9a-f]{64}$")
    count: int = Field(ge=0)
    packages: list[InstalledPackage] | None = Field(None, max_length=20000)


class CollectorError(_Open):
    collector: str
    error: str


class Report(_Open):
    schema_version: Literal[1] = SCHEMA_VERSION
    report_id: UUID
    host: str = Field(min_length=1, max_length=255)
    agent_version: str = Field(max_length=32)
    collected_at: AwareDatetime
    interval_seconds: int = Field(ge=5, le=86400)
    health: Health | None = None
    antivirus: list[Antivirus] = []
    firewall: Firewall | None = None
    ups: list[Ups] = []
    sensor: Sensor | None = None
    sshd: Sshd | None = None
    lynis: Lynis | None = None
    updates: Updates | None = None
    packages: Packages | None = None
    errors: list[CollectorError] = []
