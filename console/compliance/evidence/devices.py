"""Device state from the connectors (NUT, SNMP UPS-MIB, Sophos XML API) of console.services.devices.

That module is built by another part; it is imported when a run starts. It
gives `latest_states(session) -> list[DeviceEvidence]` (name, kind 'ups' |
'firewall', connector, host_names, collected_at, status 'ok' | 'unknown',
reason, fields). Absent, every device control is unknown with the reason
"device connectors not installed".
"""

from __future__ import annotations

import importlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.compliance.evidence import Evidence, Target
from console.models import Host

NOT_INSTALLED = "device connectors not installed"


def load(session: Session) -> tuple[list[Target], dict[str, Evidence], str | None]:
    """(device targets, evidence by device name, reason when connectors are missing)."""
    try:
        module = importlib.import_module("console.services.devices")
        states = module.latest_states(session)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("console.services.devices"):
            return [], {}, NOT_INSTALLED
        raise
    except AttributeError:
        return [], {}, NOT_INSTALLED
    units = dict(session.execute(select(Host.name, Host.unit)).all())
    targets, evidence = [], {}
    for state in states:
        unit = next((units[name] for name in state.host_names if name in units), "")
        targets.append(Target(name=state.name, kind="device", unit=unit, device_kind=state.kind))
        if state.status == "ok" and state.collected_at is not None:
            evidence[state.name] = Evidence(dict(state.fields), state.collected_at)
        else:
            evidence[state.name] = Evidence.unknown(f"device {state.name}: {state.reason or 'no reading'}")
    return targets, evidence, None
