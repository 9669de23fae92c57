"""The alert pipeline's state, from console.alerts.health.alert_pipeline_status(session).

Per sensor: when its newest event arrived, and across the inbox how many
high-severity groups are still unreviewed and since when. A sensor the
pipeline has never heard from gets `last_event_at` None, which the "EVE
arriving" control reads as unknown, never as a pass.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from console.common.time import iso
from console.compliance.evidence import Evidence
from console.models.base import utcnow
from console.alerts import health as alerts_health


def load(session: Session) -> tuple[dict[str, Evidence], Evidence]:
    """(evidence by sensor name, evidence for a sensor the pipeline has not heard of)."""
    status = alerts_health.alert_pipeline_status(session)
    common = {
        "unreviewed_high_count": status["unreviewed_high_count"],
        "oldest_unreviewed_high_at": iso(status["oldest_unreviewed_high_at"]),
    }
    now = utcnow()
    per_sensor = {entry["sensor"]: Evidence({**common, "last_event_at": iso(entry["last_event_at"])}, now)
                  for entry in status["sensors"]}
    return per_sensor, Evidence({**common, "last_event_at": None}, now)


