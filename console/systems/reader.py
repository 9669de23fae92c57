"""Reading the information systems out of an already-read Ansible inventory.

A system is an inventory group whose own variables hold `ops_system`
(usually in group_vars/system_*.yml): its names, owner unit, security level
1-5, framework (legacy-85 or current-331) and the date its level was
approved. A pure function of the inventory: it touches no database. It
refuses, naming the file, line and field, a system with a missing or unknown
field, a level its framework's requirement file does not cover, an owner that
is no unit, a host in two systems with different owners and, once any system
is defined, a host that is in none: the level is what the assessment judges
by, so a host must never be assessed against no level or two.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from console.errors import InventoryError
from console.inventory.reader import Inventory

__all__ = ["FRAMEWORKS", "LEVELS", "Coverage", "SystemDef", "read_systems"]

# The frameworks a system may be assessed against and the security levels (compliance's requirement files,
# console/compliance/frameworks/, say which levels each covers).
FRAMEWORKS = ("legacy-85", "current-331")
LEVELS = (1, 2, 3, 4, 5)
# For each framework with a requirement file, the levels it covers (compliance.requirements.covered_levels).
Coverage = Mapping[str, Collection[int]]

VARIABLE = "ops_system"
FIELDS = ("name_vi", "name_en", "owner_unit", "level", "framework", "approved_on")


@dataclass
class SystemDef:
    key: str
    name_vi: str
    name_en: str
    owner_unit: str
    level: int
    framework: str
    approved_on: date | None
    hosts: list[str] = field(default_factory=list)
    source: Path | None = None


def read_systems(inventory: Inventory, path: Path, coverage: Coverage) -> list[SystemDef]:
    """The systems the inventory defines, validated; [] when it defines none."""
    path = Path(path)
    base = path if path.is_dir() else path.parent
    units = {name for name, group in inventory.groups.items() if group.kind == "unit"}
    systems = []
    for name in sorted(inventory.groups):
        value = inventory.groups[name].variables.get(VARIABLE)
        if value is None:
            continue
        source = vars_file(base, name) or path
        systems.append(_system(name, value, source, units, coverage))
        systems[-1].hosts = sorted(h for h, host in inventory.hosts.items() if name in host.groups)
    if systems:
        _check_membership(inventory, systems, path)
    return systems


def vars_file(base: Path, group: str) -> Path | None:
    """The group_vars file a system's ops_system is read from (the file the console writes back)."""
    for suffix in (".yml", ".yaml"):
        candidate = base / "group_vars" / f"{group}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _system(name: str, value, source: Path, units: set[str], coverage: Coverage) -> SystemDef:
    problem = check_fields(value, units, coverage)
    if problem:
        key, message = problem
        where = f"{VARIABLE}.{key}" if key else VARIABLE
        raise InventoryError(source, f"system {name!r}: {where}: {message}", field_line(source, key))
    return SystemDef(key=name, name_vi=value["name_vi"], name_en=value["name_en"], owner_unit=value["owner_unit"],
                     level=value["level"], framework=value["framework"], approved_on=parse_date(value.get("approved_on")),
                     source=source)


def check_fields(value, units: set[str], coverage: Coverage) -> tuple[str | None, str] | None:
    """(field, what is wrong) for the first problem of an ops_system value, or None; shared with the console's edit."""
    if not isinstance(value, dict):
        return None, "expected a mapping with " + ", ".join(FIELDS)
    for key in value:
        if key not in FIELDS:
            return key, f"unknown field (use {', '.join(FIELDS)})"
    for key in FIELDS[:5]:
        if value.get(key) in (None, ""):
            return key, "missing"
    for key in ("name_vi", "name_en"):
        if not isinstance(value[key], str) or len(value[key]) > 200:
            return key, "must be text of at most 200 characters"
    level = value["level"]
    if isinstance(level, bool) or not isinstance(level, int) or level not in LEVELS:
        return "level", f"unknown level {level!r} (levels are 1 to 5)"
    framework = value["framework"]
    if framework not in FRAMEWORKS:
        return "framework", f"unknown framework {framework!r} (use {' or '.join(FRAMEWORKS)})"
    if framework in coverage and level not in coverage[framework]:
        covered = ", ".join(map(str, coverage[framework]))
        return "level", f"level {level} is not covered by the {framework} requirement file (levels {covered})"
    if value["owner_unit"] not in units:
        return "owner_unit", f"{value['owner_unit']!r} is not a unit of the inventory"
    try:
        parse_date(value.get("approved_on"))
    except ValueError:
        return "approved_on", f"{value.get('approved_on')!r} is not a date (YYYY-MM-DD)"
    return None


def parse_date(text) -> date | None:
    """A date from YAML (read as an ISO string by the inventory reader) or a form; ValueError if it is none."""
    if text in (None, ""):
        return None
    if isinstance(text, date):
        return text
    return date.fromisoformat(str(text))


def _check_membership(inventory: Inventory, systems: list[SystemDef], path: Path) -> None:
    owners: dict[str, SystemDef] = {}
    for system in systems:
        for host in system.hosts:
            first = owners.setdefault(host, system)
            if first.owner_unit != system.owner_unit:
                raise InventoryError(system.source, f"host {host!r} is in systems {first.key!r} (owner "
                                     f"{first.owner_unit}) and {system.key!r} (owner {system.owner_unit}); a host "
                                     "in two systems must have one owner unit", field_line(system.source, "owner_unit"))
    for host in sorted(set(inventory.hosts) - set(owners)):
        source, line = _host_line(path, host)
        raise InventoryError(source, f"host {host!r} is in no information system; add it to a group with "
                             f"{VARIABLE} (a child of 'systems')", line)


def field_line(source: Path, key: str | None) -> int | None:
    """Line of ops_system (or of one of its fields) in a vars file, for error messages."""
    try:
        root = yaml.compose(source.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return None
    if not isinstance(root, yaml.MappingNode):
        return None
    for key_node, value in root.value:
        if key_node.value == VARIABLE:
            if key and isinstance(value, yaml.MappingNode):
                for sub_key, _sub in value.value:
                    if sub_key.value == key:
                        return sub_key.start_mark.line + 1
            return key_node.start_mark.line + 1
    return None


def _host_line(path: Path, host: str) -> tuple[Path, int | None]:
    files = sorted(path.glob("*.y*ml")) if path.is_dir() else [path]
    pattern = re.compile(rf"^\s*{re.escape(host)}\s*:")
    for source in files:
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.match(line):
                return source, number
    return path, None
