"""Agent reports: the latest report of each host, read in batches (never the history).

The report JSON is the one schema in probes/report.py; `collected_at` is the
agent's time of collection, which is what the evidence age is measured from.

Lynis and the security-updates check are not in every report (a Lynis run
ends once a day, an updates check once an hour): their latest results, kept
by the agents area, replace the `lynis` and `updates` sections of the
snapshot, with the run's own time (`lynis.finished_at`, `updates.checked_at`)
for the controls to judge their age, the Lynis warnings without those waived
for the host (`lynis.warning_ids`), and the hardening index threshold of
ops.toml (`lynis.hardening_threshold`). `vulns` is the host's known-vulnerability figures
(console/vulns/queries.control_evidence), None before its agent's first package list.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from console.agents.hardening import evidence as hardening_evidence
from console.agents.host_reports import latest_payloads
from console.compliance.conditions import as_datetime
from console.compliance.evidence import Evidence
from console.models.base import utcnow
from console.vulns.queries import control_evidence as vulns_evidence

__all__ = ["latest"]

NO_REPORT = "no report from this host's agent yet"
DEFAULT_HARDENING_THRESHOLD = 55


def latest(session: Session, host_ids: list[int]) -> dict[int, Evidence]:
    """{host_id: Evidence} for every id given; hosts without a report are unknown."""
    payloads = latest_payloads(session, host_ids)
    hardening = hardening_evidence(session, list(payloads), utcnow())
    vulns = vulns_evidence(session, list(payloads), utcnow())
    threshold = hardening_threshold(session)
    found = {}
    for host_id, (collected_at, payload) in payloads.items():
        extra = hardening.get(host_id, {})
        snapshot = {**payload, "lynis": None, "updates": None, **extra, "vulns": vulns.get(host_id)}
        if snapshot["lynis"] is not None:
            snapshot["lynis"] = {**snapshot["lynis"], "hardening_threshold": threshold}
        found[host_id] = Evidence(snapshot, collected_at)
    return {host_id: found.get(host_id) or Evidence.unknown(NO_REPORT) for host_id in host_ids}


def hardening_threshold(session: Session) -> int:
    """[compliance] hardening_index_min of the session's settings (the default without settings)."""
    settings = session.info.get("ops_settings")
    compliance = getattr(settings, "compliance", None)
    return getattr(compliance, "hardening_index_min", DEFAULT_HARDENING_THRESHOLD)


def collected(payload: dict):
    """The agent's own collection time from a payload (used by tests and the bench)."""
    return as_datetime(payload.get("collected_at"))
