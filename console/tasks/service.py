"""Task records: submit (checked, audit-logged, queued once committed), read, and the status a consumer writes.

`submit` takes the caller's session and adds the task's row; the task is put
on the queue only after that session commits (a SQLAlchemy after_commit hook),
so a consumer never looks for a task that is not there yet, and a request that
is rolled back queues nothing. The caller commits, as everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import socket
from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from console.access import audit
from console.access.actor import Actor
from console.access.permissions import require
from console.common.time import iso
from console.db import session_scope
from console.errors import NotFound, ValidationFailed
from console.models.base import utcnow
from console.models.tasks import Task, TaskState
from console.tasks import queue
from console.tasks.registry import KINDS

if TYPE_CHECKING:  # annotations only: settings assembles the areas' config sections, above them
    from console.settings import Settings

__all__ = ["KINDS", "Task", "TaskState", "submit", "claim_once", "get_task", "list_tasks", "task_as_dict"]

_PENDING = "ops_tasks_pending"


def submit(session: Session, actor: Actor, kind: str, params: dict | None = None,
           settings: Settings | None = None) -> Task:
    """Record a task for `actor` (who must hold the kind's permission) and queue it when the session commits."""
    task = _new(session, actor, kind, params)
    audit.record(session, actor, "task.start", "task", str(task.id), kind=kind, params=_for_audit(task.params))
    settings = settings or session.info.get("ops_settings")
    if settings is None:
        raise ValueError("tasks.submit needs the console's settings (session.info['ops_settings'])")
    _queue_after_commit(session, settings, task.id)
    return task


def _for_audit(params: dict, most: int = 100) -> dict:
    """The task's parameters for its audit record: a long list (a bulk edit's 50,000 sids) as its first `most`
    items and its length (the task's own row keeps it whole)."""
    return {key: value[:most] + [f"... {len(value)} in all"] if isinstance(value, list) and len(value) > most
            else value for key, value in params.items()}


def claim_once(factory: sessionmaker[Session], actor: Actor, kind: str, params: dict, dedupe_key: str) -> int | None:
    """Record a task under a unique key in its own transaction; None when another node (or an earlier call) has it.

    The caller runs the claimed task itself (`work.execute`): the nightly run is already out of any request.
    """
    try:
        with session_scope(factory) as session:
            task = _new(session, actor, kind, params, dedupe_key=dedupe_key)
            audit.record(session, actor, "task.start", "task", str(task.id), kind=kind, params=task.params,
                         dedupe_key=dedupe_key)
            return task.id
    except IntegrityError:
        return None


def _new(session: Session, actor: Actor, kind: str, params: dict | None, dedupe_key: str | None = None) -> Task:
    if kind not in KINDS:
        raise ValidationFailed("kind", f"must be one of {', '.join(sorted(KINDS))}")
    require(actor, KINDS[kind].permission)
    task = Task(kind=kind, params=dict(params or {}), state=TaskState.queued, started_by=actor.username[:64],
                role=actor.role.value if actor.role is not None else "", client_addr=(actor.client_addr or "")[:64],
                via=(actor.via or "")[:16], dedupe_key=dedupe_key, progress="", error="")
    session.add(task)
    session.flush()
    return task


def _queue_after_commit(session: Session, settings: Settings, task_id: int) -> None:
    pending = session.info.setdefault(_PENDING, [])
    if not pending and not session.info.get(_PENDING + "_hooked"):
        event.listen(session, "after_commit", _send_pending)
        event.listen(session, "after_rollback", _drop_pending)
        session.info[_PENDING + "_hooked"] = True
    pending.append((settings, task_id))


def _send_pending(session: Session) -> None:
    pending, session.info[_PENDING] = session.info.get(_PENDING, []), []
    for settings, task_id in pending:
        try:
            queue.enqueue(settings, task_id)
        except Exception as exc:  # the queue's store is unreachable: say so on the task rather than leave it queued
            _fail_unqueued(session, task_id, f"could not be queued: {exc}")


def _drop_pending(session: Session) -> None:
    session.info[_PENDING] = []


def _fail_unqueued(session: Session, task_id: int, reason: str) -> None:
    factory = sessionmaker(bind=session.get_bind())
    with session_scope(factory) as other:
        other.execute(update(Task).where(Task.id == task_id, Task.state == TaskState.queued)
                      .values(state=TaskState.failed, error=reason[:4000], finished_at=utcnow()))


def get_task(session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    return task


def list_tasks(session: Session, kind: str | None = None, limit: int = 50) -> list[Task]:
    query = select(Task).order_by(Task.id.desc()).limit(limit)
    if kind:
        query = query.where(Task.kind == kind)
    return list(session.scalars(query))


def progress(task: Task, settings: Settings | None = None) -> str:
    """The task's progress line: live from the queue's store while it runs, from its row once it ended."""
    if task.state == TaskState.running and settings is not None:
        try:
            return queue.progress_of(settings, task.id) or task.progress
        except Exception:
            return task.progress
    return task.progress


def task_as_dict(task: Task, settings: Settings | None = None) -> dict:
    return {"id": task.id, "kind": task.kind, "state": task.state.value, "params": task.params,
            "progress": progress(task, settings), "result": task.result, "error": task.error or None,
            "started_by": task.started_by, "worker_node": task.worker_node or None,
            "created_at": iso(task.created_at), "started_at": iso(task.started_at),
            "finished_at": iso(task.finished_at)}


def node_name() -> str:
    import os

    return f"{socket.gethostname()}:{os.getpid()}"[:255]
