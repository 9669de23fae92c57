"""The IDS rule manager's state, from console.ruleset.service.ruleset_status(session).

Expected shape: {"active_version", "active_since", "built_at", "rules_enabled",
"sensors": [{"name", "version", "rules_loaded", "rules_failed", "deployed_at"}]}.
Each sensor host gets the global fields plus its own entry under `sensor`
(None when the rule manager does not know the sensor).
"""

from __future__ import annotations


from sqlalchemy.orm import Session

from console.common.time import iso
from console.compliance.evidence import Evidence
from console.models.base import utcnow
from console.ruleset import service as rule_manager
from rules.errors import RulesetError

def load(session: Session) -> tuple[dict[str, Evidence], Evidence]:
    """(evidence by sensor host name, evidence for any other host); the status is read live."""
    try:
        status = rule_manager.ruleset_status(session)
    except RulesetError as exc:
        return {}, Evidence.unknown(f"rule manager: {exc}")
    if not isinstance(status, dict):
        return {}, Evidence.unknown("rule manager gave no status")
    now = utcnow()
    common = {key: iso(value) for key, value in status.items() if key != "sensors"}
    per_sensor = {}
    for sensor in status.get("sensors") or []:
        if isinstance(sensor, dict) and sensor.get("name"):
            entry = {key: iso(value) for key, value in sensor.items()}
            per_sensor[str(sensor["name"])] = Evidence({**common, "sensor": entry}, now)
    return per_sensor, Evidence({**common, "sensor": None}, now)


