"""Background tasks (Run now, Poll now, a rules deploy): what the pages and the API show while the queue works.

The queue itself (Huey, console/tasks/queue.py) carries only the task's id;
this row is the record people read: its state, its progress line, what it
produced (`result`, e.g. the compliance run id) or why it failed, and who
started it. `dedupe_key` is unique: a task that must happen once however
many nodes ask for it (the nightly compliance run of a day) claims its key.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from console.models.base import Base, UTCDateTime, utcnow


class TaskState(str, enum.Enum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"

    @property
    def finished(self) -> bool:
        return self in (TaskState.done, TaskState.failed)


TASK_STATE_ENUM = Enum(TaskState, name="task_state", native_enum=False, length=16, validate_strings=True)


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_created_at", "created_at"), Index("ix_tasks_kind_state", "kind", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # compliance.run, devices.poll, rules.deploy
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[TaskState] = mapped_column(TASK_STATE_ENUM, default=TaskState.queued)
    progress: Mapped[str] = mapped_column(String(500), default="")
    result: Mapped[dict | None] = mapped_column(JSON, default=None)
    error: Mapped[str] = mapped_column(Text, default="")
    started_by: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32), default="")
    client_addr: Mapped[str] = mapped_column(String(64), default="")
    via: Mapped[str] = mapped_column(String(16), default="web")
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True, default=None)
    worker_node: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
