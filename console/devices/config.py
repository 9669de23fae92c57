"""Devices that cannot run an agent, described as data: the `[[devices]]` tables of ops.toml.

A UPS with a NUT server or an SNMP card, or the Sophos firewall, is polled by
the console over the network; how to reach it (connector, address, port,
credentials, TLS pin, timeout, interval) is console configuration, like
Wazuh's agentless entries on its manager, not an Ansible host that playbooks
would try to log in to. Each device names the inventory hosts it powers or
protects, so compliance can tie its state to hosts.

Credentials are references, never values: `env:NAME` (an environment
variable of the console) or `file:/path` (a file only the console can read).
A literal secret in ops.toml is refused, and its value never appears in the
error.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from console.common import toml_lines
from console.common.secrets import check_pin_sha256, check_reference
from console.devices.kinds import KINDS

SECRET_FIELDS = ("password", "community", "auth_key", "priv_key")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
DEFAULT_PORTS = {"nut": 3493, "snmp": 161, "sophos": 4444}
# The keys of each kind's own model (console/devices/kinds/<kind>.py), told apart by `kind`.
KindOptions = Annotated[Union[tuple(kind.options for kind in KINDS.values())], Field(discriminator="kind")]


class DeviceConfig(BaseModel):
    """One `[[devices]]` table; unknown keys are refused like everywhere in ops.toml.

    The keys every device has and the connectors' keys are fields here; the keys of the device's kind
    are validated by that kind's `options` model and kept in `options` (errors name them as written,
    `devices[2].interface`, not by this nesting).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: str
    connector: Literal["nut", "snmp", "sophos"]
    address: str = Field(min_length=1, max_length=255)
    port: int = Field(0, ge=0, le=65535)  # 0: the connector's usual port
    hosts: list[str] = []
    interval_seconds: int = Field(300, ge=30, le=86400)
    timeout_seconds: float = Field(5.0, ge=0.5, le=60)
    # nut
    ups: str = "ups"
    # snmp
    snmp_version: Literal["2c", "3"] = "2c"
    community: str = ""
    auth_protocol: Literal["SHA", "SHA256", "SHA512", "MD5"] = "SHA"
    auth_key: str = ""
    priv_protocol: Literal["AES", "AES256", "DES"] = "AES"
    priv_key: str = ""
    # snmp v3 and sophos
    username: str = Field("", max_length=128)
    # sophos
    password: str = ""
    ca_file: Path | None = None
    pin_sha256: str = ""
    tls_server_name: str = ""
    # the kind's own keys
    options: KindOptions

    @model_validator(mode="before")
    @classmethod
    def _kind_keys(cls, data: Any) -> Any:
        """Keys that are not common or connector keys belong to the kind: moved into `options`."""
        if not isinstance(data, dict) or "options" in data:
            return data
        common = {key: value for key, value in data.items() if key in cls.model_fields}
        common["options"] = {"kind": data.get("kind"),
                             **{key: value for key, value in data.items() if key not in cls.model_fields}}
        return common

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"unknown device kind {value!r}; the kinds are {', '.join(KINDS)}")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.fullmatch(value):
            raise ValueError("use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        return value

    _reference = field_validator(*SECRET_FIELDS)(check_reference)
    _pin = field_validator("pin_sha256")(check_pin_sha256)

    @model_validator(mode="after")
    def _consistent(self) -> "DeviceConfig":
        connectors = KINDS[self.kind].connectors
        if self.connector not in connectors:
            raise ValueError(f"a {self.kind} is read with {' or '.join(connectors)}, not {self.connector}")
        for problem in _missing(self):
            raise ValueError(problem)
        return self

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.connector]


def _missing(device: DeviceConfig) -> list[str]:
    problems = []
    if device.connector == "snmp" and device.snmp_version == "2c" and not device.community:
        problems.append("snmp_version 2c needs community (env:NAME or file:/path)")
    if device.connector == "snmp" and device.snmp_version == "3" and not (
            device.username and device.auth_key and device.priv_key):
        problems.append("snmp_version 3 needs username, auth_key and priv_key (authPriv)")
    if device.connector == "sophos" and not (device.username and device.password):
        problems.append("the sophos connector needs username and password (env:NAME or file:/path)")
    return problems


def duplicate_name(devices: list[DeviceConfig]) -> tuple[int, str] | None:
    """(index, name) of the first device whose name an earlier one already has."""
    seen: set[str] = set()
    for index, device in enumerate(devices):
        if device.name in seen:
            return index, device.name
        seen.add(device.name)
    return None


def find_table_line(text: str, table: str, index: int, key: str | None) -> int | None:
    """Line of `key` in the index-th `[[table]]` (or of that header when key is None or absent)."""
    return toml_lines.table_line(text, table, index, key)
