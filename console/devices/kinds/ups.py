"""The UPS kind: read over NUT's upsd or SNMP UPS-MIB (RFC 1628), announced on battery, low battery, back on line.

Its fields are the agent's UPS fields (probes.report.Ups, status flags as NUT tokens), so compliance
reads a UPS the same way whichever connector or agent read it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from console.devices.kinds import DeviceKind
from console.common.i18n import _l


class Options(BaseModel):
    """A UPS has no keys of its own: NUT's `ups` name and the SNMP credentials are the connectors' keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["ups"] = "ups"


def read(config) -> dict:
    from console.devices.connectors import nut, snmp

    return {"nut": nut.read, "snmp": snmp.read}[config.connector](config)


def state(item) -> str:
    """on_line, on_battery, low_battery, or unknown when the last poll failed."""
    flags = set(item.fields.get("status_flags") or []) if item.status == "ok" else set()
    return ("unknown" if item.status != "ok" else "low_battery" if "LB" in flags
            else "on_battery" if "OB" in flags else "on_line")


def summary(item) -> str:
    fields = item.fields
    return (f"{' '.join(fields.get('status_flags') or [])} charge {fields.get('battery_charge_percent')}% "
            f"runtime {fields.get('battery_runtime_seconds')} s load {fields.get('load_percent')}%")


def overview_item(item) -> dict:
    ok = item.status == "ok"
    return {"name": item.name, "state": state(item), "reason": item.reason,
            "runtime_seconds": item.fields.get("battery_runtime_seconds") if ok else None,
            "charge_percent": item.fields.get("battery_charge_percent") if ok else None,
            "collected_at": item.collected_at}


def announce(session, polled: list, context) -> list:
    """On battery, low battery, back on line: told once, when it starts. 'unknown' says nothing about the power."""
    from console.notify import events as notify_events

    events = []
    for reading in polled:
        config = reading.config
        if reading.status != "ok":
            continue
        flags = set(reading.fields.get("status_flags") or [])
        params = {"device": config.name, "hosts": ", ".join(config.hosts) or "-",
                  "charge": reading.fields.get("battery_charge_percent", "?"),
                  "runtime_minutes": _minutes(reading.fields.get("battery_runtime_seconds"))}
        on_battery, low = bool(flags & {"OB", "LB"}), "LB" in flags
        if notify_events.changed(session, f"ups.on_battery:{config.name}", on_battery):
            kind, severity = ("ups.on_battery", "high") if on_battery else ("ups.online", "info")
            events.append(notify_events.Event(kind, f"device:{config.name}", severity, params, **context.base(config)))
        if notify_events.changed(session, f"ups.low_battery:{config.name}", low) and low:
            events.append(notify_events.Event("ups.low_battery", f"device:{config.name}", "critical", params,
                                              **context.base(config)))
    return events


def _minutes(seconds) -> str:
    return f"{seconds / 60:.0f}" if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) else "?"


KIND = DeviceKind(name="ups", label=_l("UPS"), connectors=("nut", "snmp"), options=Options, overview_key="ups",
                  read=read, summary=summary, overview_item=overview_item, announce=announce)
