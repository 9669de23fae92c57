"""Devices polled by the console's connectors: configuration into the DB, polling, evidence.

The interface other parts use (the compliance runs read device state only
through it):

- `latest_states(session) -> list[DeviceEvidence]`: the newest state of every
  configured device; a device never polled is 'unknown' with a reason.
- `poll_due(session, settings, now) -> list[PollResult]`: polls the devices
  whose interval has elapsed; the scheduler calls it every minute or so.
- `poll_all(session, settings_or_configs) -> list[PollResult]`.
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
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from console.common.time import iso
from console.devices import connectors
from console.devices.connectors.config import DeviceConfig
from console.errors import NotFound, ValidationFailed
from console.access.actor import Role
from console.inventory.hosts import active_host_names, host_units
from console.models.devices import Device, DeviceState
from console.models.base import utcnow
from console.notify import events as notify_events
from console.access import audit
from console.access.actor import Actor
from console.access.permissions import require

log = logging.getLogger(__name__)
SCHEDULER = Actor(username="system:devices", role=Role.admin, client_addr="local", via="scheduler")
MAX_STATE_BYTES = 256 * 1024
PARALLEL_POLLS = 4
RETENTION_DAYS = 90


@dataclass(frozen=True)
class DeviceEvidence:
    name: str
    kind: str  # ups, firewall
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


def poll_all(session: Session, settings_or_configs, actor: Actor = SCHEDULER) -> list[PollResult]:
    """Poll every configured device (in parallel, each bounded by its timeout); one state row each."""
    configs = _configs(settings_or_configs)
    return _poll(session, configs, actor, retention_days=_retention_days(settings_or_configs))


def poll_due(session: Session, settings, now: datetime | None = None) -> list[PollResult]:
    """Poll the devices whose interval_seconds has elapsed since their last poll (or never polled)."""
    now = now or utcnow()
    configs = _configs(settings)
    last = dict(session.execute(select(Device.name, Device.last_polled_at)).all())
    due = [c for c in configs if last.get(c.name) is None
           or now - last[c.name] >= timedelta(seconds=c.interval_seconds)]
    if not due:
        return []
    return _poll(session, due, SCHEDULER, all_configs=configs, retention_days=_retention_days(settings))


def require_configured(settings_or_configs, name: str) -> DeviceConfig:
    """The device's configuration; NotFound when ops.toml [[devices]] has no such device."""
    for config in _configs(settings_or_configs):
        if config.name == name:
            return config
    raise NotFound(f"device {name!r} is not configured in ops.toml [[devices]]")


def poll_one(session: Session, actor: Actor, settings_or_configs, name: str) -> PollResult:
    """Poll one device now (the 'poll now' task the console queues, `ops devices poll --device`)."""
    require(actor, "devices.poll")
    configs = [require_configured(settings_or_configs, name)]
    result = _poll(session, configs, actor, all_configs=_configs(settings_or_configs),
                   retention_days=_retention_days(settings_or_configs))[0]
    audit.record(session, actor, "devices.poll", "device", name, status=result.status)
    return result


def _configs(settings_or_configs) -> list[DeviceConfig]:
    return list(getattr(settings_or_configs, "devices", settings_or_configs))


def _retention_days(settings_or_configs) -> int:
    reports = getattr(settings_or_configs, "reports", None)
    return reports.retention_days if reports else RETENTION_DAYS


def _poll(session: Session, configs: list[DeviceConfig], actor: Actor, all_configs=None,
          retention_days: int = RETENTION_DAYS) -> list[PollResult]:
    """Sync the configuration (host names unchecked: a typo must not stop polling), read, store."""
    _sync(session, actor, all_configs if all_configs is not None else configs)
    rows = {row.name: row for row in session.scalars(select(Device))}
    with ThreadPoolExecutor(max_workers=PARALLEL_POLLS) as pool:
        readings = list(pool.map(_read, configs))
    results = []
    for config, (status, reason, fields) in zip(configs, readings):
        now = utcnow()
        session.add(DeviceState(device_id=rows[config.name].id, collected_at=now, status=status, reason=reason,
                                state=fields))
        rows[config.name].last_polled_at = now
        results.append(PollResult(config.name, status, reason, now))
    session.flush()
    _announce(session, configs, readings)
    purge_states(session, retention_days)
    return results


def _announce(session: Session, configs: list[DeviceConfig], readings: list[tuple]) -> None:
    """A UPS going on battery, on low battery or back on line, a firewall no longer answering: told once, when it starts
    (console/notify), in this poll's transaction."""
    units = host_units(session)
    events = []
    for config, (status, reason, fields) in zip(configs, readings):
        unit = next((units[host] for host in config.hosts if units.get(host)), None)
        base = {"unit": unit, "link": f"/devices/{config.name}"}
        hosts = ", ".join(config.hosts) or "-"
        if config.kind == "firewall":
            down = status != "ok"
            if notify_events.changed(session, f"firewall.unreachable:{config.name}", down) and down:
                events.append(notify_events.Event("firewall.unreachable", f"device:{config.name}", "high",
                                                  {"device": config.name, "reason": reason or "?"}, **base))
            continue
        if status != "ok":
            continue  # unknown says nothing about the power
        flags = set(fields.get("status_flags") or [])
        params = {"device": config.name, "hosts": hosts, "charge": fields.get("battery_charge_percent", "?"),
                  "runtime_minutes": _minutes(fields.get("battery_runtime_seconds"))}
        on_battery, low = bool(flags & {"OB", "LB"}), "LB" in flags
        if notify_events.changed(session, f"ups.on_battery:{config.name}", on_battery):
            kind, severity = ("ups.on_battery", "high") if on_battery else ("ups.online", "info")
            events.append(notify_events.Event(kind, f"device:{config.name}", severity, params, **base))
        if notify_events.changed(session, f"ups.low_battery:{config.name}", low) and low:
            events.append(notify_events.Event("ups.low_battery", f"device:{config.name}", "critical", params, **base))
    if events:
        notify_events.emit_all(session, events)


def _minutes(seconds) -> str:
    return f"{seconds / 60:.0f}" if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) else "?"


def _read(config: DeviceConfig) -> tuple[str, str | None, dict]:
    try:
        fields = connectors.read(config)
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
    """Each UPS on line, on battery or low battery (with runtime left) and each firewall reachable or not.

    The devices ops.toml configures (`configured_states`, as the Devices page lists them), or with no
    configs the stored ones (`latest_states`); a handful of rows. A UPS or firewall whose last poll
    failed or that was never polled is 'unknown' / not reachable, with the reason.
    """
    ups, firewalls = [], []
    for item in (latest_states(session) if configs is None else configured_states(session, configs)):
        if item.kind == "ups":
            flags = set(item.fields.get("status_flags") or []) if item.status == "ok" else set()
            state = ("unknown" if item.status != "ok" else "low_battery" if "LB" in flags
                     else "on_battery" if "OB" in flags else "on_line")
            ups.append({"name": item.name, "state": state, "reason": item.reason,
                        "runtime_seconds": item.fields.get("battery_runtime_seconds") if item.status == "ok" else None,
                        "charge_percent": item.fields.get("battery_charge_percent") if item.status == "ok" else None,
                        "collected_at": item.collected_at})
        else:
            firewalls.append({"name": item.name, "reachable": item.status == "ok", "reason": item.reason,
                              "collected_at": item.collected_at})
    return {"ups": ups, "firewalls": firewalls}
