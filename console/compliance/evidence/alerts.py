"""The alert pipeline's state: alert_pipeline_status(session) from the alerts part, when installed.

The function lives in console.services.alerts_health. Its
answer is normalised per sensor to {"last_event_at", "unreviewed_high_count",
"oldest_unreviewed_high_at"}. Accepted shapes: `sensors` as a list of
{"name", "last_event_at"} or a mapping {name: time}; the unreviewed
high-severity alerts as top-level `unreviewed_high_count` /
`oldest_unreviewed_high_at`, or nested under `unreviewed_high` as
{"count", "oldest_at"}.
"""

from __future__ import annotations

import importlib

from sqlalchemy.orm import Session

from console.compliance.evidence import Evidence
from console.models.base import utcnow

MODULES = ("console.services.alerts_health",)
NOT_INSTALLED = "alert pipeline not installed"


def _status_function():
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue
            raise
        function = getattr(module, "alert_pipeline_status", None)
        if function is not None:
            return function
    return None


def load(session: Session) -> tuple[dict[str, Evidence], Evidence]:
    """(evidence by sensor name, evidence for a sensor the pipeline has not heard of)."""
    function = _status_function()
    if function is None:
        return {}, Evidence.unknown(NOT_INSTALLED)
    status = function(session)
    if not isinstance(status, dict):
        return {}, Evidence.unknown("alert pipeline gave no status")
    nested = status.get("unreviewed_high") if isinstance(status.get("unreviewed_high"), dict) else {}
    common = {
        "unreviewed_high_count": status.get("unreviewed_high_count", nested.get("count")),
        "oldest_unreviewed_high_at": _iso(status.get("oldest_unreviewed_high_at", nested.get("oldest_at"))),
    }
    now = utcnow()
    sensors = status.get("sensors") or {}
    if isinstance(sensors, list):
        sensors = {str(s.get("sensor", s.get("name"))): s.get("last_event_at") for s in sensors if isinstance(s, dict)}
    per_sensor = {name: Evidence({**common, "last_event_at": _iso(at)}, now) for name, at in sensors.items()}
    return per_sensor, Evidence({**common, "last_event_at": None}, now)


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
