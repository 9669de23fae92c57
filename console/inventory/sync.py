"""Making the Ansible inventory the console's asset list.

The inventory is read completely before anything is written, so a broken
inventory changes nothing. Hosts that left the inventory are marked retired,
never deleted: their reports, alerts and compliance history keep pointing at
them, and a host that comes back is active again with the same history. An
inventory without a single host is refused rather than retiring every host.
Variables whose names say they hold a secret (passwords, tokens) are stored
as REDACTED: any role that may view hosts sees them, and the console never
needs them.

Parts of the inventory that an area above this one keeps (the information systems: compliance registers them
with `register_part`, console/compliance/tasks.py) are read and checked with the hosts, before the first
write, and written after them in the same transaction; the sync imports no area above it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from console.errors import InventoryError
from console.models.inventory import Host, HostStatus, InventoryGroup
from console.models.base import utcnow
from console.access import audit
from console.access.actor import Actor
from console.inventory.reader import Inventory, InventoryHost, read_inventory
from console.access.permissions import require
from console.inventory.config import InventorySettings

REDACTED = "********"
SECRET_NAME = re.compile(r"password|passwd|passphrase|secret|token|_pass$", re.IGNORECASE)


@dataclass(frozen=True)
class InventoryPart:
    """A part of the inventory an area above keeps: `read(inventory, path)` checks it and raises InventoryError (or
    a subclass) before anything is written; `write(session, what_read)` stores it and says what changed."""

    name: str
    read: Callable[[Inventory, Path], Any]
    write: Callable[[Session, Any], dict]


_PARTS: dict[str, InventoryPart] = {}


def register_part(name: str, read: Callable[[Inventory, Path], Any], write: Callable[[Session, Any], dict]) -> None:
    """Sync `name` with every inventory sync from now on (the areas register at start: console.wiring)."""
    _PARTS[name] = InventoryPart(name, read, write)


@dataclass
class SyncResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    revived: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    groups: int = 0
    systems: dict = field(default_factory=dict)

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.retired)} retired, "
                f"{len(self.revived)} back in service, {len(self.unchanged)} unchanged; {self.groups} groups"
                + (f"; information systems: {len(self.systems['added'])} added, {len(self.systems['updated'])} "
                   f"updated, {len(self.systems['removed'])} removed" if self.systems else ""))

    def as_dict(self) -> dict:
        return asdict(self)

    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "updated": len(self.updated), "retired": len(self.retired),
                "revived": len(self.revived), "unchanged": len(self.unchanged), "groups": self.groups}


def sync_inventory(session: Session, actor: Actor, settings: InventorySettings) -> SyncResult:
    """Upsert groups, hosts and information systems from inventory/; the caller commits.

    Everything is read and validated (systems included) before the first write,
    so a broken inventory changes nothing.
    """
    require(actor, "inventory.sync")
    inventory = read_inventory(settings.path, settings.unit_group, settings.role_group)
    if not inventory.hosts:
        raise InventoryError(settings.path, "the inventory lists no host; refusing to retire every host")
    parts = [(part, part.read(inventory, settings.path)) for part in _PARTS.values()]
    groups = _sync_groups(session, inventory)
    result = SyncResult(groups=len(inventory.groups))
    existing = {host.name: host for host in session.scalars(select(Host).options(selectinload(Host.groups)))}
    for name, parsed in inventory.hosts.items():
        _upsert_host(session, existing.get(name), parsed, groups, result)
    for name, host in sorted(existing.items()):
        if name not in inventory.hosts and host.status == HostStatus.active:
            host.status, host.retired_at, host.updated_at = HostStatus.retired, utcnow(), utcnow()
            result.retired.append(name)
    session.flush()
    for part, read in parts:
        changed = part.write(session, read)
        if part.name == "systems":
            result.systems = changed
    audit.record(session, actor, "inventory.sync", "inventory", str(settings.path.name),
                 counts=result.counts(), added=result.added, updated=result.updated, retired=result.retired,
                 revived=result.revived, systems=result.systems)
    return result


def _sync_groups(session: Session, inventory: Inventory) -> dict[str, InventoryGroup]:
    rows = {group.name: group for group in session.scalars(select(InventoryGroup))}
    for name, parsed in inventory.groups.items():
        row = rows.get(name)
        if row is None:
            row = rows[name] = InventoryGroup(name=name)
            session.add(row)
        row.parent_names, row.kind = sorted(parsed.parents), parsed.kind
        row.variables, row.present = _redacted(parsed.variables), True
    for name, row in rows.items():
        if name not in inventory.groups:
            row.present = False
    session.flush()
    return rows


def _upsert_host(session: Session, host: Host | None, parsed: InventoryHost, groups, result: SyncResult) -> None:
    wanted = {
        "address": parsed.address,
        "unit": parsed.unit,
        "roles": parsed.roles,
        "variables": _redacted(parsed.variables),
    }
    group_rows = [groups[name] for name in parsed.groups]
    if host is None:
        session.add(Host(name=parsed.name, status=HostStatus.active, groups=group_rows, **wanted))
        result.added.append(parsed.name)
        return
    revived = host.status == HostStatus.retired
    changed = any(getattr(host, key) != value for key, value in wanted.items())
    changed |= sorted(g.name for g in host.groups) != parsed.groups
    if revived:
        host.status, host.retired_at = HostStatus.active, None
        result.revived.append(parsed.name)
    if changed:
        for key, value in wanted.items():
            setattr(host, key, value)
        host.groups = group_rows
        if not revived:
            result.updated.append(parsed.name)
    if changed or revived:
        host.updated_at = utcnow()
    else:
        result.unchanged.append(parsed.name)


def _redacted(variables: dict) -> dict:
    return {key: REDACTED if SECRET_NAME.search(key) else value for key, value in variables.items()}
