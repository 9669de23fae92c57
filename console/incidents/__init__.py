"""Incidents: escalated alerts, findings and reports with their 24 h / 72 h deadlines (NĐ 331/2026 Điều 31.2.d).

Other areas may call `service.open_incident`, `service.list_incidents` and `service.deadlines`.
The models in `console.models.incidents` are this area's own; alerts, findings and
systems are read through their own areas.
"""

__all__ = ["service"]
