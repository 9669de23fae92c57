"""Checks of the department's services (HTTP, TLS, DNS, TCP, ICMP), their outages, dependencies and maintenance.

What other areas and the web layers may call: `status.services_status`, `status.overview`,
`runner.run_due`, `report.monthly`.
"""

__all__ = ["config", "checks", "runner", "status", "uplinks"]
