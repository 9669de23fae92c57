"""The `[endpoints]` section of ops.toml: how to reach Kaspersky Security Center and what counts as covered.

An empty `address` means no KSC is configured: the endpoints area keeps what
it has and syncs nothing. The password is a reference (`env:NAME` or
`file:/path`), never the value, as for the devices. TLS is verified one of
three ways, as the Sophos connector does: `pin_sha256` (the certificate KSC
generates for itself is self-signed), `ca_file`, or the system CAs.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from console.common.secrets import check_pin_sha256, check_reference


class EndpointsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    address: str = Field("", max_length=255)
    port: int = Field(13299, ge=1, le=65535)
    username: str = Field("", max_length=128)
    password: str = ""
    internal_user: bool = True
    ca_file: Path | None = None
    pin_sha256: str = ""
    tls_server_name: str = ""
    interval_seconds: int = Field(900, ge=60, le=86400)
    timeout_seconds: float = Field(30.0, ge=1, le=300)
    max_answer_bytes: int = Field(8 * 1024 * 1024, ge=65536, le=256 * 1024 * 1024)
    chunk_size: int = Field(500, ge=1, le=10000)
    groups: dict[str, str] = {}
    bases_max_age_hours: int = Field(24, ge=1, le=24 * 365)
    stale_days: int = Field(7, ge=1, le=365)
    unmanaged_days: int = Field(30, ge=1, le=365)

    _reference = field_validator("password")(check_reference)
    _pin = field_validator("pin_sha256")(check_pin_sha256)

    @property
    def configured(self) -> bool:
        return bool(self.address)

    def unit_of(self, group: str) -> str:
        """The unit a KSC administration group maps to; "" when ops.toml maps it to none."""
        return self.groups.get(group, "")
