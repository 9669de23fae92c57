"""What only `ops config check` asks of [[availability.services]]: that each service's unit and information system
is a group of the inventory. The console does not need the inventory to run the checks, so loading ops.toml
(console/settings.py) does not read it; this module does, for the check alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.availability.config import table_line
from console.common.toml_lines import default_config_path
from console.errors import ConfigError
from console.inventory.reader import read_inventory

if TYPE_CHECKING:  # annotations only: settings assembles the areas' config sections, above them
    from console.settings import Settings

__all__ = ["check_availability_groups"]


def check_availability_groups(settings: Settings) -> None:
    """`ops config check`: each service's unit and information system is a group of the inventory (ConfigError at
    its line if not). Only the check reads the inventory for this; the console does not need it to run checks."""
    services = settings.availability.services
    if not any(service.unit or service.system for service in services):
        return
    groups = set(read_inventory(settings.inventory.path, settings.inventory.unit_group,
                                settings.inventory.role_group).groups)
    path = settings.source or default_config_path()
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    for index, service in enumerate(services):
        for key in ("unit", "system"):
            name = getattr(service, key)
            if name and name not in groups:
                raise ConfigError(path, f"no group {name!r} in the inventory ({settings.inventory.path})",
                                  key=f"availability.services[{index}].{key}", line=table_line(text, index, None, key))
