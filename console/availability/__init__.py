"""Checks of the department's services (HTTP, TLS, DNS, TCP, ICMP), their outages, dependencies and maintenance.

What other areas and the web layers may call: `status.services_status/overview/metric_families`,
`runner.run_due` (the scheduler), `report.monthly/write/file_month/filed`, `report.standing` (the month so far
against the SLA target, for the compliance controls on services: console/compliance/evidence/services.py), the
task kind availability.report (`tasks.py`). A service that depends on an uplink asks the devices
area's newest poll (`uplinks.uplink_down` -> `devices.service.uplink_down`). docs/availability.md describes the area.
"""

__all__ = ["config", "checks", "report", "runner", "status", "tasks", "uplinks"]
