"""`[alerts]` of ops.toml: the EVE files followed, batch and line limits, retention, the internal networks,
the chart's and exports' bounds (console/alerts); console/settings.py assembles the sections."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlertsSettings(_Section):
    eve_files: list[Path] = []
    sensor_name: str = Field("", max_length=255)
    batch_size: int = Field(20000, ge=1, le=100000)
    poll_interval_seconds: float = Field(1.0, ge=0.05, le=60)
    max_line_bytes: int = Field(1048576, ge=4096, le=64 * 1024 * 1024)
    alert_retention_days: int = Field(180, ge=1, le=3650)
    context_retention_days: int = Field(30, ge=1, le=3650)
    internal_networks: list[str] = []
    chart_max_buckets: int = Field(500, ge=100, le=10000)
    export_max_rows: int = Field(50000, ge=100, le=1000000)

    @field_validator("internal_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"not an address or network: {item!r} (use CIDR such as 10.20.0.0/16)") from None
        return value
