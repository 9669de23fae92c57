"""Writing a running job's events into the database as they happen.

ansible-runner calls `on_event` and `should_cancel` from the one thread that
reads ansible-playbook's output, so the recorder needs no locks. Events are
buffered and written in one short transaction per batch: at most BATCH_EVENTS
events, or whatever arrived within BATCH_SECONDS (`should_cancel` runs about
twice a second and flushes too, so a quiet run still shows its latest line).
Per-host counts are folded in as events arrive and written with each batch.
"""

from __future__ import annotations

import time
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from console.db import session_scope
from console.jobs.events import EventRow, RunTally, event_row, tally
from console.jobs.redact import Redactor
from console.models.jobs import Job, JobEvent, JobHostResult

BATCH_EVENTS = 50
BATCH_SECONDS = 0.3
CANCEL_POLL_SECONDS = 1.0


class EventRecorder:
    def __init__(self, factory: sessionmaker[Session], job_id: int, redactor: Redactor, max_chars: int,
                 max_events: int, echo: Callable[[EventRow], None] | None = None,
                 interrupted: Callable[[], bool] = lambda: False):
        self.factory, self.job_id, self.redactor = factory, job_id, redactor
        self.max_chars, self.max_events = max_chars, max_events
        self.echo, self.interrupted = echo, interrupted
        self.tally = RunTally()
        self.pending: list[EventRow] = []
        self.stored = self.seen = self.last_seq = 0
        self.last_flush = time.monotonic()
        self.last_cancel_poll = 0.0
        self.cancel_requested = False

    def on_event(self, event: dict) -> bool:
        """ansible-runner's event_handler; returning False keeps the raw event off the disk."""
        row = event_row(event, self.redactor, self.max_chars)
        tally(self.tally, event, self.redactor)
        self.last_seq = max(self.last_seq, row.seq)
        if not row.stdout.strip():
            return False  # nothing to read (runner_on_start and the like): it counts in the tallies only
        self.seen += 1
        if self.stored + len(self.pending) < self.max_events:
            self.pending.append(row)
        if self.echo:
            self.echo(row)
        if len(self.pending) >= BATCH_EVENTS or time.monotonic() - self.last_flush >= BATCH_SECONDS:
            self.flush()
        return False

    def should_cancel(self) -> bool:
        """ansible-runner's cancel_callback: the DB flag (console, API, other shell) or Ctrl-C here."""
        if self.pending:
            self.flush()
        if self.interrupted():
            self.cancel_requested = True
        elif time.monotonic() - self.last_cancel_poll >= CANCEL_POLL_SECONDS:
            self.last_cancel_poll = time.monotonic()
            with session_scope(self.factory) as session:
                requested = session.scalar(select(Job.cancel_requested_at).where(Job.id == self.job_id))
            self.cancel_requested = self.cancel_requested or requested is not None
        return self.cancel_requested

    def flush(self, session: Session | None = None) -> None:
        """Write pending events and the running per-host counts (in the caller's session if given)."""
        if session is None:
            with session_scope(self.factory) as own:
                self._write(own)
        else:
            self._write(session)
        self.last_flush = time.monotonic()

    def _write(self, session: Session) -> None:
        for row in self.pending:
            session.add(JobEvent(job_id=self.job_id, seq=row.seq, event_type=row.event_type, host=row.host,
                                 task=row.task, outcome=row.outcome, stdout=row.stdout, created_at=row.created_at))
        self.stored += len(self.pending)
        self.pending = []
        results = {r.host: r for r in session.scalars(select(JobHostResult).where(JobHostResult.job_id == self.job_id))}
        for name, counts in self.tally.hosts.items():
            result = results.get(name) or JobHostResult(job_id=self.job_id, host=name)
            session.add(result)
            for attr in ("ok", "changed", "failed", "unreachable", "skipped"):
                setattr(result, attr, getattr(counts, attr))
            result.last_error = counts.last_error or result.last_error or ""
        job = session.get(Job, self.job_id)
        job.event_count = self.seen

    @property
    def dropped(self) -> int:
        return self.seen - self.stored - len(self.pending)
