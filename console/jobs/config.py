"""`[jobs]` of ops.toml: where playbooks and ansible-runner's folders are, and the limits of a job's output
(console/jobs); console/settings.py assembles the sections."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JobsSettings(_Section):
    playbooks_dir: Path = Path("playbooks")
    private_data_dir: Path = Path("var/jobs")
    max_output_chars: int = Field(8192, ge=256, le=1048576)
    max_events: int = Field(20000, ge=100, le=1000000)
    keep_days: int = Field(180, ge=1, le=3650)
    timeout_minutes: int = Field(120, ge=1, le=1440)
