"""The task queue knows no area: the kinds are what the areas registered (console/wiring.py imports them)."""

from __future__ import annotations

import pytest

from console.db import session_scope
from console.models import Task, TaskState
from console.tasks import registry, work


def test_every_kind_the_console_starts_is_registered_by_its_area():
    kinds = {name: (kind.permission, kind.runner.__module__) for name, kind in registry.KINDS.items()}
    assert kinds == {
        "compliance.run": ("compliance.run", "console.compliance.tasks"),
        "devices.poll": ("devices.poll", "console.devices.tasks"),
        "rules.deploy": ("rules.manage", "console.ruleset.tasks"),
        "rules.update": ("rules.manage", "console.ruleset.tasks"),
        "rules.build": ("rules.manage", "console.ruleset.tasks"),
        "rules.bulk": ("rules.manage", "console.ruleset.tasks"),
        "alerts.false_positive": ("alerts.triage", "console.alerts.tasks"),
        "alerts.allow": ("rules.manage", "console.alerts.tasks"),
        "availability.report": ("compliance.run", "console.availability.tasks"),
    }
    with pytest.raises(ValueError, match="already registered by console.ruleset.tasks"):
        registry.register("rules.build", "view", "another build", lambda *args: {})


def test_a_task_whose_kind_nobody_registered_ends_failed_naming_it(settings, session_factory):
    with session_scope(session_factory) as db:
        task = Task(kind="nobody.registered", params={}, state=TaskState.queued, started_by="admin1", role="admin",
                    client_addr="", via="web", progress="", error="")
        db.add(task)
        db.flush()
        task_id = task.id
    try:
        ended = work.execute(settings, task_id, session_factory)
    finally:
        work.forget(settings)
    assert ended.state == TaskState.failed
    assert "no runner registered for task kind 'nobody.registered'" in ended.error
