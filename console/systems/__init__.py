"""Information systems: the inventory's `ops_system` definitions (`reader`: names, owner unit, security level,
framework, approval date, checked with file, line and field), their rows kept in step with the inventory and
read (`service`), and the admin's edit written back to group_vars (`edit`).

An area of its own below compliance (issue 33): the inventory's sync writes the systems as a part compliance
registers (console/compliance/tasks.py), and the alerts, notifications, incidents and the rule manager's
preview find each host's system here. Assessing a system against its framework's requirements and the
evidence a person attaches stay in compliance (`compliance.system_assessment`, `compliance.manual_evidence`),
which passes the levels each requirement file covers (`reader.Coverage`).

`__all__` lists what other areas may use (each module's own `__all__` says which names).
"""

__all__ = ["reader", "service"]
