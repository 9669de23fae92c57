"""`[vulns]` of ops.toml: which releases of the tracker data to keep and when the data is too old.

    [vulns]
    releases = ["bullseye", "bookworm", "trixie"]  # the tracker's release names the estate runs
    max_age_days = 7                               # older data is flagged on every page, announced once
    fix_overdue_days = 30                          # the control: a high-urgency fix left uninstalled this long
    fix_playbook = "remediate/upgrade-packages.yml"  # a CVE's Fix with Ansible, under [jobs] playbooks_dir
    fix_needs_approval = true                      # a second person approves a CVE fix before Apply
    fix_verify_minutes = 90                        # wait this long for the agents' package lists after Apply
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

RELEASE = re.compile(r"[a-z][a-z0-9-]{1,31}")


class VulnsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    releases: tuple[str, ...] = ("bullseye", "bookworm", "trixie")
    max_age_days: int = Field(7, ge=1, le=365)
    fix_overdue_days: int = Field(30, ge=1, le=365)
    fix_playbook: str = Field("remediate/upgrade-packages.yml", min_length=1, max_length=255)
    fix_needs_approval: bool = True
    fix_verify_minutes: int = Field(90, ge=1, le=7 * 24 * 60)

    @field_validator("releases")
    @classmethod
    def _names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not RELEASE.fullmatch(name):
                raise ValueError(f"{name!r} is not a Debian release name (bookworm, trixie, ...)")
        if not value:
            raise ValueError("name at least one release")
        return value
