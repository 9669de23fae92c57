"""Agent reports: the latest report of each host, read in batches (never the history).

The report JSON is the one schema in probes/report.py; `collected_at` is the
agent's time of collection, which is what the evidence age is measured from.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.compliance.conditions import as_datetime
from console.compliance.evidence import Evidence
from console.models import HostReport

NO_REPORT = "no report from this host's agent yet"


def latest(session: Session, host_ids: list[int]) -> dict[int, Evidence]:
    """{host_id: Evidence} for every id given; hosts without a report are unknown."""
    newest = (select(HostReport.host_id, func.max(HostReport.collected_at).label("at"))
              .where(HostReport.host_id.in_(host_ids)).group_by(HostReport.host_id).subquery())
    query = (select(HostReport.host_id, HostReport.collected_at, HostReport.payload)
             .join(newest, (HostReport.host_id == newest.c.host_id) & (HostReport.collected_at == newest.c.at)))
    found = {host_id: Evidence(payload, collected_at) for host_id, collected_at, payload in session.execute(query)}
    return {host_id: found.get(host_id) or Evidence.unknown(NO_REPORT) for host_id in host_ids}


def collected(payload: dict):
    """The agent's own collection time from a payload (used by tests and the bench)."""
    return as_datetime(payload.get("collected_at"))
