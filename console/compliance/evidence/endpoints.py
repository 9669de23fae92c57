"""Endpoint protection as Kaspersky Security Center reports it, and the coverage figure (console.endpoints).

Targets (kind "device", like the connectors' devices, so a run evaluates them after the hosts):

- `endpoint-coverage` (device_kind "endpoint_coverage"): the figure of console.endpoints.coverage,
  percent protected of every device known to exist, with `missing`, the names and addresses of
  those not covered (inventory servers KSC does not manage, endpoints with protection off, old
  bases or not seen, unmanaged addresses the IDS saw);
- `endpoint:<name>` (device_kind "endpoint") for every endpoint KSC reports: `rtp_running`,
  `rtp_state`, `bases_at`, `last_visible_at`, `state`.

The evidence is as of the last KSC sync that read the whole estate; with no such sync every
target is unknown with the reason (the last failed sync's, if any), never a pass.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from console.common.time import iso
from console.compliance.evidence import Evidence, Target
from console.endpoints import coverage, service

COVERAGE_TARGET = "endpoint-coverage"


def load(session: Session, settings=None) -> tuple[list[Target], dict[str, Evidence]]:
    """(endpoint targets, evidence by target name)."""
    rows = service.present_endpoints(session)
    targets = [Target(name=COVERAGE_TARGET, kind="device", device_kind="endpoint_coverage")]
    targets += [Target(name=f"endpoint:{row.name}", kind="device", unit=row.unit, device_kind="endpoint")
                for row in rows]
    synced = service.last_ok_sync(session)
    if synced is None:
        last = service.last_sync(session)
        reason = (f"no complete KSC sync yet (last attempt: {last.reason})" if last is not None and last.reason
                  else "no complete KSC sync yet")
        return targets, {target.name: Evidence.unknown(reason) for target in targets}
    evidence = {COVERAGE_TARGET: Evidence(coverage_snapshot(coverage.coverage(session, settings)), synced.finished_at)}
    for row in rows:
        evidence[f"endpoint:{row.name}"] = Evidence(endpoint_snapshot(row), synced.finished_at)
    return targets, evidence


def coverage_snapshot(figure: dict) -> dict:
    missing = figure["missing"]
    names = [f"{item['name']} (no KSC)" for item in missing["servers_without_ksc"]]
    for key, label in (("protection_off", "protection off"), ("bases_old", "old bases"), ("not_seen", "not seen")):
        names += [f"{item['name']} ({label})" for item in missing[key]]
    names += [f"{item['address']} (unmanaged)" for item in missing["unmanaged"]]
    return {"percent": figure["percent"], "protected": figure["protected"], "exist": figure["exist"],
            "endpoints": figure["endpoints"], "servers_without_ksc": figure["servers_without_ksc"],
            "unmanaged": figure["unmanaged"], "missing": names}


def endpoint_snapshot(row) -> dict:
    return {"rtp_running": row.rtp_state in service.RTP_RUNNING, "rtp_state": row.rtp_state,
            "bases_at": iso(row.bases_at), "last_visible_at": iso(row.last_visible_at), "state": row.state,
            "address": row.address, "host_name": row.host_name}
