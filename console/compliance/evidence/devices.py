"""Device state from the connectors (NUT, SNMP UPS-MIB, Sophos XML API) of console.devices.service.

Each configured device is one target. `latest_states` gives its newest
reading in the agent's field names (UPS) or the connector's (Sophos); a
device that could not be read, or was never polled, is evidence "unknown"
with the connector's reason, never a pass.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from console.compliance.evidence import Evidence, Target
from console.inventory.hosts import host_units
from console.devices import service as devices


def load(session: Session) -> tuple[list[Target], dict[str, Evidence]]:
    """(device targets, evidence by device name)."""
    states = devices.latest_states(session)
    units = host_units(session)
    targets, evidence = [], {}
    for state in states:
        unit = next((units[name] for name in state.host_names if name in units), "")
        targets.append(Target(name=state.name, kind="device", unit=unit, device_kind=state.kind))
        if state.status == "ok" and state.collected_at is not None:
            evidence[state.name] = Evidence(dict(state.fields), state.collected_at)
        else:
            evidence[state.name] = Evidence.unknown(f"device {state.name}: {state.reason or 'no reading'}")
    return targets, evidence
