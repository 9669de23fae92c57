"""The firewall kind: the Sophos Firewall XML API (zones' admin services, rules, IPS policies); announced when
the console can no longer read it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from console.devices.kinds import DeviceKind
from console.common.i18n import _l


class Options(BaseModel):
    """No keys of its own: username, password and the TLS pin are the sophos connector's keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["firewall"] = "firewall"


def read(config) -> dict:
    from console.devices.connectors import sophos

    return sophos.read(config)


def summary(item) -> str:
    fields = item.fields
    wan = ", ".join((fields.get("admin_services") or {}).get("WAN", [])) or "none"
    return f"firmware {fields.get('firmware_version')} rules {len(fields.get('firewall_rules') or [])} admin on WAN: {wan}"


def overview_item(item) -> dict:
    return {"name": item.name, "reachable": item.status == "ok", "reason": item.reason,
            "collected_at": item.collected_at}


def announce(session, polled: list, context) -> list:
    from console.notify import events as notify_events

    events = []
    for reading in polled:
        name, down = reading.config.name, reading.status != "ok"
        if notify_events.changed(session, f"firewall.unreachable:{name}", down) and down:
            events.append(notify_events.Event("firewall.unreachable", f"device:{name}", "high",
                                              {"device": name, "reason": reading.reason or "?"},
                                              **context.base(reading.config)))
    return events


KIND = DeviceKind(name="firewall", label=_l("Firewall"), connectors=("sophos",), options=Options,
                  overview_key="firewalls", read=read, summary=summary, overview_item=overview_item,
                  announce=announce)
