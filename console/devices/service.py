"""Devices polled by the console's connectors: configuration into the DB, polling, evidence.

The interface other parts use (the compliance runs read device state only
through it):

- `latest_states(session) -> list[DeviceEvidence]`: the newest state of every
  configured device; a device never polled is 'unknown' with a reason.
- `poll_due(session, settings, now) -> list[PollResult]`: polls the devices
  whose interval has elapsed; the scheduler calls it every minute or so.
- `poll_all(session, settings, actor) -> list[PollResult]`, `poll_one(session, settings, name, actor)`:
  every device, or one now; `settings` is the console's Settings or a list of DeviceConfig (tests).
- `sync_devices(session, actor, configs)`: ops.toml's [[devices]] into the DB.

Polling never raises for a device: a timeout, garbage, a refused login or a
connector bug stores an 'unknown' state with the reason, and the other
devices are polled all the same. The caller commits.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Union

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from console.common.time import iso
from console.devices import connectors, kinds
from console.devices.kinds import PollContext, Polled
from console.devices.config import DeviceConfig
from console.errors import NotFound, ValidationFailed
from console.access.actor import Role
from console.inventory.hosts import active_host_names, host_units
from console.models.devices import Device, DeviceState
from console.models.base import utcnow
from console.notify import events as notify_events
from console.access import audit
from console.access.actor import Actor
from console.access.permissions import require

if TYPE_CHECKING:
    from console.settings import Settings

# The console's settings (their [[devices]] and [reports] retention), or the device tables alone (tests, tools).
DeviceSettings = Union["Settings", Sequence[DeviceConfig]]

__all__ = ["latest_states", "uplink_down"]

log = logging.getLogger(__name__)
SCHEDULER = Actor(username="system:devices", role=Role.admin, client_addr="local", via="scheduler")
MAX_STATE_BYTES = 256 * 1024
PARALLEL_POLLS = 4
RETENTION_DAYS = 90


@dataclass(frozen=True)
class DeviceEvidence:
    name: str
    kind: str  # a name of console.devices.kinds.KINDS
    connector: str  # nut, snmp, sophos
    host_names: tuple[str, ...]
    collected_at: datetime | None
    status: str  # ok, unknown
    reason: str | None
    fields: dict


@dataclass(frozen=True)
class PollResult:
    name: str
    status: str
    reason: str | None
    collected_at: datetime


@dataclass
class DeviceSyncResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
                f"{len(self.unchanged)} unchanged")

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def sync_devices(session: Session, actor: Actor, configs: list[DeviceConfig]) -> DeviceSyncResult:
    """Configured devices into the DB; a device no longer configured is kept, marked not present."""
    require(actor, "devices.poll")
    _check_hosts(session, configs)
    return _sync(session, actor, configs)


def _sync(session: Session, actor: Actor, configs: list[DeviceConfig]) -> DeviceSyncResult:
    rows = {row.name: row for row in session.scalars(select(Device))}
    result = DeviceSyncResult()
    for config in configs:
        _upsert(session, rows.get(config.name), config, result)
    wanted = {config.name for config in configs}
    for name, row in sorted(rows.items()):
        if name not in wanted and row.present:
            row.present, row.updated_at = False, utcnow()
            result.removed.append(name)
    session.flush()
    if result.changed:
        audit.record(session, actor, "devices.sync", "devices", "", added=result.added, updated=result.updated,
                     removed=result.removed)
    return result


def _check_hosts(session: Session, configs: list[DeviceConfig]) -> None:
    known = active_host_names(session)
    if not known:
        return  # inventory not synced yet: nothing to check against
    for config in configs:
        unknown = sorted(set(config.hosts) - known)
        if unknown:
            raise ValidationFailed(f"devices[{config.name}].hosts", f"not active inventory hosts: {', '.join(unknown)}")


def _upsert(session: Session, row: Device | None, config: DeviceConfig, result: DeviceSyncResult) -> None:
    wanted = {"kind": config.kind, "connector": config.connector, "address": config.address,
              "port": config.effective_port, "host_names": list(config.hosts),
              "interval_seconds": config.interval_seconds, "present": True}
    if row is None:
        session.add(Device(name=config.name, **wanted))
        result.added.append(config.name)
    elif any(getattr(row, key) != value for key, value in wanted.items()):
        for key, value in wanted.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
        result.updated.append(config.name)
    else:
        result.unchanged.append(config.name)


def poll_all(session: Session, settings: DeviceSettings, actor: Actor = SCHEDULER,
             now: datetime | None = None) -> list[PollResult]:
    """Poll every configured device (in parallel, each bounded by its timeout); one state row each.

    `now` is the poll's time (default: the clock); rates and rises are computed against it."""
    configs = _configs(settings)
    return _poll(session, configs, actor, retention_days=_retention_days(settings), now=now)


def poll_due(session: Session, settings: DeviceSettings, now: datetime | None = None) -> list[PollResult]:
    """Poll the devices whose interval_seconds has elapsed since their last poll (or never polled)."""
    clock = now
    now = now or utcnow()
    configs = _configs(settings)
    last = dict(session.execute(select(Device.name, Device.last_polled_at)).all())
    due = [c for c in configs if last.get(c.name) is None
           or now - last[c.name] >= timedelta(seconds=c.interval_seconds)]
    if not due:
        return []
    return _poll(session, due, SCHEDULER, all_configs=configs, retention_days=_retention_days(settings), now=clock)


def require_configured(settings: DeviceSettings, name: str) -> DeviceConfig:
    """The device's configuration; NotFound when ops.toml [[devices]] has no such device."""
    for config in _configs(settings):
        if config.name == name:
            return config
    raise NotFound(f"device {name!r} is not configured in ops.toml [[devices]]")


def poll_one(session: Session, settings: DeviceSettings, name: str, actor: Actor,
             now: datetime | None = None) -> PollResult:
    """Poll one device now (the 'poll now' task the console queues, `ops devices poll --device`)."""
    require(actor, "devices.poll")
    configs = [require_configured(settings, name)]
    result = _poll(session, configs, actor, all_configs=_configs(settings),
                   retention_days=_retention_days(settings), now=now)[0]
    audit.record(session, actor, "devices.poll", "device", name, status=result.status)
    return result


def _configs(settings: DeviceSettings) -> list[DeviceConfig]:
    return list(getattr(settings, "devices", settings))


def _retention_days(settings: DeviceSettings) -> int:
    reports = getattr(settings, "reports", None)
    return reports.retention_days if reports else RETENTION_DAYS


def _poll(session: Session, configs: list[DeviceConfig], actor: Actor, all_configs=None,
          retention_days: int = RETENTION_DAYS, now: datetime | None = None) -> list[PollResult]:
    """Sync the configuration (host names unchecked: a typo must not stop polling), read, derive, announce, store."""
    every = all_configs if all_configs is not None else configs
    _sync(session, actor, every)
    rows = {row.name: row for row in session.scalars(select(Device))}
    with ThreadPoolExecutor(max_workers=PARALLEL_POLLS) as pool:
        readings = list(pool.map(_read, configs))
    clock = now or utcnow()
    polled = [_derived(session, rows[config.name], config, reading, clock) for config, reading in zip(configs, readings)]
    _announce(session, polled, every, clock)
    results = []
    for item in polled:
        collected_at = now or utcnow()
        session.add(DeviceState(device_id=rows[item.config.name].id, collected_at=collected_at, status=item.status,
                                reason=item.reason, state=item.fields))
        rows[item.config.name].last_polled_at = collected_at
        results.append(PollResult(item.config.name, item.status, item.reason, collected_at))
    session.flush()
    purge_states(session, retention_days, now=now)
    return results


def _derived(session: Session, device: Device, config: DeviceConfig, reading: tuple, now: datetime) -> Polled:
    """The reading with what its kind derives from the device's earlier states (rates, rises)."""
    status, reason, fields = reading
    kind = kinds.get(config.kind)
    minutes = max(kind.history_minutes(config), 0)
    history = _ok_history(session, device, now - timedelta(minutes=minutes)) if minutes else []
    previous = _ok_history(session, device, None, limit=1)
    previous_fields = previous[-1][1] if previous else None
    if status == "ok":
        try:
            fields = json.loads(json.dumps(kind.derive(config, dict(fields), history, now), default=str))
        except Exception:  # a kind's bug must not stop the other devices
            log.exception("device kind %s failed to derive the state of %s", config.kind, config.name)
            status, reason, fields = "unknown", "state error: cannot derive the device's state", {}
    return Polled(config, status, reason, fields, previous_fields)


def _ok_history(session: Session, device: Device, since: datetime | None, limit: int = 500) -> list[tuple]:
    """(collected_at, fields) of the device's 'ok' states since `since`, oldest first."""
    query = select(DeviceState.collected_at, DeviceState.state).where(DeviceState.device_id == device.id,
                                                                     DeviceState.status == "ok")
    if since is not None:
        query = query.where(DeviceState.collected_at >= since)
    rows = session.execute(query.order_by(DeviceState.id.desc()).limit(limit)).all()
    return [(when, dict(state or {})) for when, state in reversed(rows)]


def _announce(session: Session, polled: list[Polled], configs: list[DeviceConfig], now: datetime) -> None:
    """Each kind tells what turned in this poll (console/notify), in this poll's transaction."""
    read_now = {item.config.name for item in polled}
    latest = {item.name: item.fields for item in latest_states(session)
              if item.name not in read_now and item.status == "ok"}
    context = PollContext(configs=configs, latest_fields=latest, units=host_units(session), now=now)
    events = []
    for kind in kinds.KINDS.values():
        mine = [item for item in polled if item.config.kind == kind.name]
        if not mine:
            continue
        try:
            events += kind.announce(session, mine, context)
        except Exception:  # a kind's bug must not stop the states of this poll from being stored
            log.exception("device kind %s failed to announce this poll", kind.name)
    if events:
        notify_events.emit_all(session, events)


def _read(config: DeviceConfig) -> tuple[str, str | None, dict]:
    try:
        fields = kinds.get(config.kind).read(config)
    except connectors.ConnectorError as exc:
        return "unknown", str(exc)[:500], {}
    except Exception as exc:  # a connector bug must not stop the other devices
        log.exception("connector %s failed on device %s", config.connector, config.name)
        return "unknown", f"connector error: {type(exc).__name__}"[:500], {}
    if len(json.dumps(fields, default=str)) > MAX_STATE_BYTES:
        return "unknown", f"the device's state is larger than {MAX_STATE_BYTES // 1024} KiB", {}
    return "ok", None, json.loads(json.dumps(fields, default=str))


def purge_states(session: Session, older_than_days: int, now: datetime | None = None) -> int:
    """Delete states older than the window; the newest state of each device always stays."""
    cutoff = (now or utcnow()) - timedelta(days=older_than_days)
    newest = select(func.max(DeviceState.id)).group_by(DeviceState.device_id)
    result = session.execute(delete(DeviceState).where(DeviceState.collected_at < cutoff,
                                                       DeviceState.id.not_in(newest)))
    return result.rowcount or 0


def latest_states(session: Session) -> list[DeviceEvidence]:
    """The newest state of every configured (present) device, by name."""
    newest = (select(DeviceState.device_id, func.max(DeviceState.id).label("state_id"))
              .group_by(DeviceState.device_id).subquery())
    rows = session.execute(
        select(Device, DeviceState).where(Device.present.is_(True))
        .outerjoin(newest, newest.c.device_id == Device.id)
        .outerjoin(DeviceState, DeviceState.id == newest.c.state_id).order_by(Device.name)).all()
    return [evidence(device, state) for device, state in rows]


def uplink_down(session: Session, name: str) -> bool | None:
    """Whether the uplink device `name` is down by its newest poll: True (its interface is not up), False (up), or
    None (no such uplink, never polled, or the last poll could not read the router: not known to be down)."""
    newest = session.execute(
        select(DeviceState).join(Device, Device.id == DeviceState.device_id)
        .where(Device.name == name, Device.kind == "uplink", Device.present.is_(True))
        .order_by(DeviceState.id.desc()).limit(1)).scalar_one_or_none()
    if newest is None or newest.status != "ok":
        return None
    return (newest.state or {}).get("oper_status") != "up"


def configured_states(session: Session, configs: list[DeviceConfig]) -> list[DeviceEvidence]:
    """latest_states for the devices ops.toml configures now, also those not yet in the DB (read-only)."""
    stored = {item.name: item for item in latest_states(session)}
    return [stored.get(c.name) or DeviceEvidence(c.name, c.kind, c.connector, tuple(c.hosts), None, "unknown",
                                                   "never polled", {}) for c in configs]


def evidence(device: Device, state: DeviceState | None) -> DeviceEvidence:
    if state is None:
        return DeviceEvidence(device.name, device.kind, device.connector, tuple(device.host_names), None,
                              "unknown", "never polled", {})
    return DeviceEvidence(device.name, device.kind, device.connector, tuple(device.host_names), state.collected_at,
                          state.status, state.reason, dict(state.state or {}))


def get_device(session: Session, name: str) -> Device:
    device = session.scalar(select(Device).where(Device.name == name))
    if device is None:
        raise NotFound(f"no device named {name!r}")
    return device


def recent_states(session: Session, device: Device, limit: int = 50) -> list[DeviceState]:
    query = (select(DeviceState).where(DeviceState.device_id == device.id)
             .order_by(DeviceState.id.desc()).limit(limit))
    return list(session.scalars(query))


def evidence_as_dict(item: DeviceEvidence) -> dict:
    return {"name": item.name, "kind": item.kind, "connector": item.connector, "host_names": list(item.host_names),
            "collected_at": iso(item.collected_at), "status": item.status,
            "reason": item.reason, "fields": item.fields}


def overview(session: Session, configs: list[DeviceConfig] | None = None) -> dict:
    """One list per kind (its `overview_key`: ups, firewalls, uplinks, rooms), each item the kind's Overview line.

    The devices ops.toml configures (`configured_states`, as the Devices page lists them), or with no
    configs the stored ones (`latest_states`); a handful of rows. A device whose last poll failed or
    that was never polled is 'unknown' / not reachable, with the reason.
    """
    lines: dict[str, list] = {kind.overview_key: [] for kind in kinds.KINDS.values()}
    for item in (latest_states(session) if configs is None else configured_states(session, configs)):
        kind = kinds.KINDS.get(item.kind)
        if kind is not None:  # a kind no module declares any more: its stored rows are not shown
            lines[kind.overview_key].append(kind.overview_item(item))
    return lines


def parse_kind(value: str | None) -> str | None:
    """A device kind filter from user input: empty is None (all), a kind no module declares a ValidationFailed."""
    value = (value or "").strip()
    if value and value not in kinds.KINDS:
        raise ValidationFailed("kind", f"must be one of {', '.join(kinds.KINDS)}")
    return value or None


def kinds_shown() -> list[dict]:
    """The kinds in the order pages show them: name, overview_key and label (a message id to translate)."""
    return [{"name": kind.name, "overview_key": kind.overview_key, "label": kind.label}
            for kind in kinds.KINDS.values()]


def summary(item: DeviceEvidence) -> str:
    """One plain line of the device's state (`ops devices list`): its kind's summary, or the reason."""
    if item.status != "ok":
        return item.reason or ""
    kind = kinds.KINDS.get(item.kind)
    return kind.summary(item) if kind else ""
