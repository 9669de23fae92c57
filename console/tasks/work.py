"""What a consumer runs for a task: claim it, call the area, write progress, end it done or failed with the reason.

Each state change is its own short transaction, so the pages (which poll the
task's row) see it at once; the area's work keeps its own units of work
(a compliance run is stored whole or not at all).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from console.access.actor import Actor, Role
from console.db import make_engine, make_session_factory, session_scope
from console.errors import USER_ERRORS
from console.models.base import utcnow
from console.models.tasks import Task, TaskState
from console.tasks import queue
from console.tasks.registry import kind_of
from console.tasks.service import claim_once, node_name

if TYPE_CHECKING:  # annotations only: settings assembles the areas' config sections, above them
    from console.settings import Settings

__all__ = ["execute", "factory_for", "forget", "run_once"]

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
        registered = kind_of(kind)
        if registered is None:
            raise RuntimeError(f"no runner registered for task kind {kind!r} (console/wiring.py)")
        result = registered.runner(settings, factory, actor, params, progress)
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


queue.set_executor(execute)
