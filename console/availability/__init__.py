"""Checks of the department's services (HTTP, TLS, DNS, TCP, ICMP), their outages, dependencies and maintenance.

What other areas and the web layers may call: `status.services_status/overview/metric_families`,
`runner.run_due` (the scheduler), `report.monthly/write`, `uplinks.register` (the devices area's answer to
"is uplink X down?"). docs/availability.md describes the area.
"""

__all__ = ["config", "checks", "report", "runner", "status", "uplinks"]
