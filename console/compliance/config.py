"""`[compliance]` of ops.toml: the controls, the nightly run, where and how reports are filed, what fails
a run (console/compliance); console/settings.py assembles the sections."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ComplianceSettings(_Section):
    controls_dir: Path | None = None
    run_at: str = Field("02:30", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    report_dir: Path = Path("var/compliance-reports")
    report_formats: list[Literal["html", "pdf", "csv", "json", "junit"]] = ["html", "pdf", "csv", "json", "junit"]
    fail_on: Literal["low", "medium", "high", "critical"] = "high"
    lock_minutes: int = Field(120, ge=5, le=1440)
    hardening_index_min: int = Field(55, ge=0, le=100)
    remediation_verify_minutes: int = Field(15, ge=1, le=1440)

    @field_validator("controls_dir", mode="before")
    @classmethod
    def _built_in(cls, value):
        return None if value in ("", None) else value
