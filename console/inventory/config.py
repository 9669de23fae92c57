"""`[inventory]` of ops.toml: where the Ansible inventory is and its unit and role groups
(console/inventory/sync.py); console/settings.py assembles the sections."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InventorySettings(_Section):
    path: Path = Path("inventory")
    unit_group: str = "units"
    role_group: str = "roles"
