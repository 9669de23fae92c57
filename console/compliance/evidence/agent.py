"""Agent reports: the latest report of each host, read in batches (never the history).

The report JSON is the one schema in probes/report.py; `collected_at` is the
agent's time of collection, which is what the evidence age is measured from.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from console.compliance.conditions import as_datetime
from console.compliance.evidence import Evidence
from console.agents.host_reports import latest_payloads

NO_REPORT = "no report from this host's agent yet"


def latest(session: Session, host_ids: list[int]) -> dict[int, Evidence]:
    """{host_id: Evidence} for every id given; hosts without a report are unknown."""
    found = {host_id: Evidence(payload, collected_at)
             for host_id, (collected_at, payload) in latest_payloads(session, host_ids).items()}
    return {host_id: found.get(host_id) or Evidence.unknown(NO_REPORT) for host_id in host_ids}


def collected(payload: dict):
    """The agent's own collection time from a payload (used by tests and the bench)."""
    return as_datetime(payload.get("collected_at"))
