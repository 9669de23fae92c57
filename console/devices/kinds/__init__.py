"""The registry of device kinds: adding a kind is one module here and one line in `KINDS`.

Each kind module holds one `KIND = DeviceKind(...)` that declares, in one place:

- `options`: a pydantic model of the kind's own keys of its `[[devices]]` table (validated with the
  table, so `ops config check` names file, line and key of a bad one);
- `connectors`: the connectors that can read it (each has its usual port in
  `console.devices.config.DEFAULT_PORTS`);
- `read(config) -> fields`: reads the device through its connector (raises ConnectorError);
- `derive(config, fields, history, now) -> fields`: what one reading alone cannot say (rates from the
  previous poll, a rate of rise over a window); `history_minutes(config)` says how far back it looks;
- `announce(session, polled, context) -> [Event]`: the notifications of this poll (told once, when a
  state turns, with `console.notify.events.changed`), in the poll's transaction;
- `summary(item) -> str`: one plain line for `ops devices list`;
- `overview_item(item) -> dict`: its line on the Overview (`overview_key` names the list);
- its templates: `devices/kinds/<name>_fields.html` (one line in a table) and `<name>_detail.html`.

Nothing here imports a connector, the database or the notifier at import time: console.settings
imports this registry to validate ops.toml.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from pydantic import BaseModel


@dataclass(frozen=True)
class Polled:
    """One device read in this poll: its config, status, reason and (derived) fields; `previous` is the
    fields of its newest stored 'ok' state before this poll (or None)."""

    config: object
    status: str
    reason: str | None
    fields: dict
    previous: dict | None = None


@dataclass(frozen=True)
class PollContext:
    """What a kind's `announce` may look at beyond its own devices: every configured device and the
    newest stored fields of those not read in this poll, and the unit (inventory) of each device."""

    configs: list
    latest_fields: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    now: datetime | None = None

    def unit_of(self, config) -> str | None:
        return next((self.units[host] for host in config.hosts if self.units.get(host)), None)

    def base(self, config) -> dict:
        return {"unit": self.unit_of(config), "link": f"/devices/{config.name}"}


def _same(config, fields, history, now):
    return fields


def _nothing(session, polled, context):
    return []


def _no_history(config) -> int:
    return 0


@dataclass(frozen=True)
class DeviceKind:
    name: str
    label: str
    connectors: tuple[str, ...]
    options: type[BaseModel]
    overview_key: str
    read: Callable[[object], dict]
    summary: Callable[[object], str]
    overview_item: Callable[[object], dict]
    announce: Callable = _nothing
    derive: Callable = _same
    history_minutes: Callable[[object], int] = _no_history


def _load() -> dict[str, DeviceKind]:
    from console.devices.kinds import firewall, room, ups, uplink

    return {module.KIND.name: module.KIND for module in (ups, firewall, uplink, room)}


KINDS: dict[str, DeviceKind] = _load()


def get(name: str) -> DeviceKind:
    """The kind named `name`; KeyError for a kind no module declares (config validation refuses it first)."""
    return KINDS[name]


def names() -> list[str]:
    return list(KINDS)
