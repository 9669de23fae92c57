"""What a consumer runs for a task: claim it, call the area, write progress, end it done or failed with the reason.

Each state change is its own short transaction, so the pages (which poll the
task's row) see it at once; the area's work keeps its own units of work
(a compliance run is stored whole or not at all).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict
from datetime import date

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from console.access.actor import Actor, Role
from console.db import make_engine, make_session_factory, session_scope
from console.errors import USER_ERRORS
from console.models.base import utcnow
from console.models.tasks import Task, TaskState
from console.settings import Settings
from console.tasks import queue
from console.tasks.service import claim_once, node_name

log = logging.getLogger("ops.tasks")
PROGRESS_EVERY_SECONDS = 0.5
_lock = threading.Lock()
_factories: dict[str, sessionmaker[Session]] = {}


def factory_for(settings: Settings) -> sessionmaker[Session]:
    with _lock:
        found = _factories.get(settings.database_url)
        if found is None:
            found = _factories[settings.database_url] = make_session_factory(make_engine(settings.database_url),
                                                                             settings)
        return found


def execute(settings: Settings, task_id: int, factory: sessionmaker[Session] | None = None) -> Task | None:
    """Run a queued task to its end here; returns the ended task, or None if it was not queued (already taken)."""
    factory = factory or factory_for(settings)
    with session_scope(factory) as session:
        claimed = session.execute(update(Task).where(Task.id == task_id, Task.state == TaskState.queued).values(
            state=TaskState.running, started_at=utcnow(), worker_node=node_name())).rowcount
        task = session.get(Task, task_id) if claimed else None
        if task is None:
            return None
        kind, params = task.kind, dict(task.params)
        actor = Actor(username=task.started_by, role=Role(task.role) if task.role else None,
                      client_addr=task.client_addr, via=task.via or "web")
    progress = Progress(settings, task_id)
    try:
        result = RUNNERS[kind](settings, factory, actor, params, progress)
    except USER_ERRORS as exc:
        return _end(factory, task_id, TaskState.failed, error=str(exc), progress=progress)
    except Exception as exc:  # a bug or a lost connection: on record, not a task stuck "running"
        log.exception("task %s (%s) failed", task_id, kind)
        return _end(factory, task_id, TaskState.failed, error=f"{type(exc).__name__}: {exc}", progress=progress)
    failure = result.pop("failure", None)
    if failure:
        return _end(factory, task_id, TaskState.failed, error=failure, result=result, progress=progress)
    return _end(factory, task_id, TaskState.done, result=result, progress=progress)


def _end(factory, task_id: int, state: TaskState, error: str = "", result: dict | None = None,
         progress: Progress | None = None) -> Task:
    with session_scope(factory) as session:
        task = session.get(Task, task_id)
        task.state, task.error, task.result, task.finished_at = state, error[:4000], result, utcnow()
        task.progress = progress.text if progress is not None else task.progress
        if state == TaskState.failed:
            log.warning("task %s (%s) failed: %s", task_id, task.kind, error)
        return task


class Progress:
    """The task's progress line, at most every PROGRESS_EVERY_SECONDS (and always the last one).

    While a task runs its line is kept in the queue's own key-value store (queue.put_progress), not in the
    tasks table: on SQLite a compliance run holds the database's one write transaction for its whole run,
    so a progress row could not be written until it ended. The line is copied to the task's row at the end.
    """

    def __init__(self, settings: Settings, task_id: int):
        self.settings, self.task_id, self.last, self.text = settings, task_id, 0.0, ""

    def __call__(self, text: str, final: bool = False) -> None:
        self.text = text[:500]
        now = time.monotonic()
        if not final and now - self.last < PROGRESS_EVERY_SECONDS:
            return
        self.last = now
        try:
            queue.put_progress(self.settings, self.task_id, self.text)
        except Exception:  # progress is a courtesy: its store being busy must not fail the work
            log.warning("task %s: progress not stored", self.task_id, exc_info=True)


def compliance_run(settings: Settings, factory, actor: Actor, params: dict, progress: Progress) -> dict:
    from console.compliance import reports
    from console.compliance import runs as compliance_runs
    from console.compliance.catalog import configured_catalog

    catalog = configured_catalog(settings)
    outcome = compliance_runs.execute(factory, actor, catalog, trigger=params.get("trigger", "console"),
                                      progress=lambda done, total: progress(f"{done}/{total}", final=done == total),
                                      lock_minutes=settings.compliance.lock_minutes)
    if params.get("reports"):
        with session_scope(factory) as session:
            reports.write_reports(session, outcome.run_id, catalog, settings.compliance.report_dir,
                                  settings.console.timezone, settings.compliance.report_formats)
    return {"run_id": outcome.run_id, "counts": outcome.counts}


def device_poll(settings: Settings, factory, actor: Actor, params: dict, progress: Progress) -> dict:
    from console.devices import service as devices

    with session_scope(factory) as session:
        polled = devices.poll_one(session, actor, settings, params["name"])
    return {"name": polled.name, "status": polled.status, "reason": polled.reason,
            "collected_at": polled.collected_at.isoformat()}


def rules_deploy(settings: Settings, factory, actor: Actor, params: dict, progress: Progress) -> dict:
    from console.ruleset import operations

    with session_scope(factory) as session:
        results = operations.deploy_active(session, actor, sensors=params.get("sensors"),
                                           progress=lambda text: progress(text, final=True))
    found = {"sensors": [asdict(r) for r in results]}
    failed = [f"{r.sensor}: {r.message}" for r in results if not r.ok]
    if not results:
        found["failure"] = "no sensors are configured in [rules] sensors"
    elif failed:
        found["failure"] = "; ".join(failed)
    return found


def rules_update(settings: Settings, factory, actor: Actor, params: dict, progress: Progress) -> dict:
    """The scheduled update: download the url sources, build and check; a changed ruleset is activated and deployed.

    A build that fails validation keeps the active version; the failure is the task's reason and, through
    the build's own transaction, a rules.build_refused notification.
    """
    from console.ruleset import operations
    from console.ruleset import service as ruleset

    progress("building", final=False)
    with session_scope(factory) as session:
        before = ruleset.active_version(session)
        outcome = ruleset.build_version(session, actor, reason="scheduled update", skip_unchanged=True)
    if not outcome.ok:
        return {"failure": "; ".join(line for line in outcome.messages if line.startswith("error"))[:2000]
                or "the build was refused", "messages": outcome.messages[-20:]}
    changed = before is None or outcome.version_number != before.number
    found = {"version": outcome.version_number, "changed": changed, "messages": outcome.messages[-20:]}
    if changed and settings.rules.sensors:
        with session_scope(factory) as session:
            results = operations.deploy_active(session, actor, progress=lambda text: progress(text, final=True))
        found["sensors"] = [asdict(r) for r in results]
        failed = [f"{r.sensor}: {r.message}" for r in results if not r.ok]
        if failed:
            found["failure"] = "; ".join(failed)
    return found


def alerts_allow(settings: Settings, factory, actor: Actor, params: dict, progress: Progress) -> dict:
    """One click from a blocked alert: a pass rule built, validated and deployed to the IPS sensors."""
    from console.alerts import allow

    return allow.allow_and_deploy(factory, actor, int(params["group"]), params.get("scope", "source"),
                                  params.get("network", ""), progress=lambda text: progress(text, final=True))


RUNNERS = {"compliance.run": compliance_run, "devices.poll": device_poll, "rules.deploy": rules_deploy,
           "rules.update": rules_update, "alerts.allow": alerts_allow}


def nightly_key(day: date) -> str:
    return f"compliance.nightly:{day.isoformat()}"


def run_once(settings: Settings, actor: Actor, kind: str, params: dict, dedupe_key: str) -> Task | None:
    """Claim a task by its unique key and run it here; None when another node (or an earlier call) claimed it."""
    factory = factory_for(settings)
    task_id = claim_once(factory, actor, kind, params, dedupe_key)
    return None if task_id is None else execute(settings, task_id, factory)


def forget(settings: Settings) -> None:
    """Dispose of this process's engine for these settings (tests; a consumer about to end)."""
    with _lock:
        found = _factories.pop(settings.database_url, None)
    if found is not None:
        found.kw["bind"].dispose()
