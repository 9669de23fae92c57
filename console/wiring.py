"""Where the areas' registrations are made, once per process: the web app, the CLI and the task worker call it.

The task queue (console/tasks) knows no area; each area registers the kinds of background work it runs
(`<area>/tasks.py`, console.tasks.registry.register). The scheduler (console/scheduler.py) knows none either:
each area registers the jobs it runs on a clock (`<area>/schedule.py`, console.common.schedule.scheduled). The notifications' minute look (console/notify/watch.py)
runs the looks the areas register at their conditions (`agents/conditions.py`, `incidents/conditions.py`,
`ruleset/conditions.py`). This module sits above the areas, beside the web layers, and only imports those
registrations.
"""

from __future__ import annotations

__all__ = ["register_areas"]


def register_areas() -> None:
    """Import each area's registrations (idempotent: a module runs once per process). The hosts' look first: its
    messages come before the other areas' in a look's batch."""
    import console.agents.conditions  # noqa: F401
    import console.access.directory.schedule  # noqa: F401
    import console.alerts.tasks  # noqa: F401
    import console.availability.schedule  # noqa: F401
    import console.availability.tasks  # noqa: F401
    import console.compliance.schedule  # noqa: F401
    import console.compliance.tasks  # noqa: F401
    import console.devices.schedule  # noqa: F401
    import console.devices.tasks  # noqa: F401
    import console.endpoints.schedule  # noqa: F401
    import console.incidents.conditions  # noqa: F401
    import console.notify.schedule  # noqa: F401
    import console.remediation.schedule  # noqa: F401
    import console.ruleset.conditions  # noqa: F401
    import console.ruleset.schedule  # noqa: F401
    import console.ruleset.tasks  # noqa: F401
    import console.vulns.staleness  # noqa: F401
