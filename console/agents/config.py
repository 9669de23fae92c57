"""`[reports]` of ops.toml: how long the agents' reports are kept (console/agents/host_reports.py);
console/settings.py assembles the sections."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReportsSettings(_Section):
    retention_days: int = Field(90, ge=1, le=3650)
