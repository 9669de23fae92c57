"""Running a queued job to its end: claim it, run the playbook, record the final state at once.

The final state, the per-host results and the release of the job's hosts are
written in one transaction, so a reader sees a job either running or ended
with every host's result and reason, never half of it. A job whose worker
died (killed, machine restarted) is ended as `error` by `reap_dead_workers`.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from console.db import session_scope
from console.notify import events as notify_events
from console.common.i18n import _l
from console.notify.messages import bilingual
from console.errors import OpsError
from console.jobs import targets
from console.jobs.events import HostTally, host_status
from console.jobs.recorder import EventRecorder
from console.jobs.redact import REDACTED, Redactor
from console.jobs.runner import RunSpec, run_playbook
from console.jobs.secrets import JobSecrets
from console.jobs.worker import node_name, worker_alive
from console.models.jobs import Job, JobEvent, JobHostLock, JobHostResult, JobState
from console.models.base import utcnow

if TYPE_CHECKING:  # annotations only: settings assembles the areas' config sections, above them
    from console.settings import Settings

QUEUE_GRACE = timedelta(minutes=2)
COUNTS = ("ok", "changed", "failed", "unreachable", "skipped")


def claim(factory: sessionmaker[Session], job_id: int) -> Job | None:
    """Mark a queued job running by this process; None when it was cancelled (or claimed) first."""
    with session_scope(factory) as session:
        claimed = session.execute(
            update(Job).where(Job.id == job_id, Job.state == JobState.queued)
            .values(state=JobState.running, started_at=utcnow(), worker_pid=os.getpid(), worker_node=node_name())
        ).rowcount
        return session.get(Job, job_id) if claimed else None


def run_claimed(factory: sessionmaker[Session], settings: Settings, job: Job, secrets: JobSecrets,
                echo=None, interrupted=lambda: False) -> None:
    conf = settings.jobs
    redactor = Redactor.for_secrets(secrets.values())
    recorder = EventRecorder(factory, job.id, redactor, conf.max_output_chars, conf.max_events, echo, interrupted)
    status, rc, error = "error", None, ""
    try:
        spec = RunSpec(job_dir=conf.private_data_dir / str(job.id),
                       playbook=targets.playbook_path(conf.playbooks_dir, job.playbook),
                       inventory=settings.inventory.path, limit=job.limit, tags=job.tags, check=job.check_mode, diff=job.diff,
                       extravars={k: v for k, v in job.extravars.items() if k not in secrets.extravars and v != REDACTED},
                       timeout_seconds=conf.timeout_minutes * 60, project_dir=conf.playbooks_dir)
        status, rc = run_playbook(spec, secrets, recorder)
    except OpsError as exc:
        error = redactor.text(str(exc))
    except Exception as exc:  # ansible-runner refused to start; the job must still end
        error = redactor.text(f"the run could not start: {exc.__class__.__name__}: {exc}")
    finish(factory, job.id, recorder, status, rc, error, conf.timeout_minutes)


def finish(factory, job_id: int, recorder: EventRecorder, status: str, rc: int | None, error: str,
           timeout_minutes: int) -> None:
    with session_scope(factory) as session:
        recorder.flush(session)
        job = session.get(Job, job_id)
        state, message = _final_state(job, recorder, status, rc, error, timeout_minutes)
        if recorder.dropped or recorder.stored >= recorder.max_events:
            session.add(JobEvent(job_id=job_id, seq=recorder.last_seq + 1, event_type="ops_output_limit",
                                 stdout=f"… {recorder.seen - recorder.stored} output events not kept "
                                        "(over [jobs] max_events)"))
        _end(session, job, state, message, rc, recorder.tally.hosts)


def _final_state(job: Job, recorder: EventRecorder, status: str, rc, error: str, timeout_minutes: int):
    if recorder.cancel_requested or status == "canceled":
        who = job.cancel_requested_by or "an interrupt (Ctrl-C or SIGTERM)"
        return JobState.cancelled, f"cancelled by {who}"
    if error:
        return JobState.error, error
    if status == "successful":
        return JobState.successful, ""
    if status == "timeout":
        return JobState.error, f"stopped after {timeout_minutes} minutes ([jobs] timeout_minutes)"
    if recorder.tally.stats_seen:
        return JobState.failed, ""
    return JobState.error, recorder.tally.error_text or f"ansible-playbook ended with return code {rc} before any play ran"


def _end(session: Session, job: Job, state: JobState, message: str, rc, tallies: dict[str, HostTally]) -> None:
    """Final per-host results, totals, state and the release of the hosts, in the caller's transaction."""
    results = {r.host: r for r in session.scalars(select(JobHostResult).where(JobHostResult.job_id == job.id))}
    for name in tallies.keys() - results.keys():
        results[name] = JobHostResult(job_id=job.id, host=name)
        session.add(results[name])
    for name, result in results.items():
        counts = tallies.get(name, HostTally())
        for attr in COUNTS:
            setattr(result, attr, getattr(counts, attr))
        result.status = host_status(counts, state.value)
        result.last_error = counts.last_error or _host_reason(result.status, message)
    for attr in COUNTS:
        setattr(job, f"{attr}_count", sum(getattr(r, attr) for r in results.values()))
    job.host_count = len(results)
    job.state, job.error_message, job.return_code, job.finished_at = state, message, rc, utcnow()
    session.execute(delete(JobHostLock).where(JobHostLock.job_id == job.id))
    if state in (JobState.failed, JobState.error):
        _announce_failure(session, job, results)


def _announce_failure(session: Session, job: Job, results: dict[str, JobHostResult]) -> None:
    """A failed job told to people (console/notify), with the hosts it failed on, in the job's last transaction."""
    failed = sorted(name for name, result in results.items() if result.status in ("failed", "unreachable"))
    message = (job.error_message or "").splitlines()[0][:300] if job.error_message else ""
    lines = [f"{name}: {results[name].status} {(results[name].last_error or '')[:200]}".strip() for name in failed]
    notify_events.emit(session, notify_events.Event(
        "job.failed", f"job:{job.id}", "medium",
        {"job_id": job.id, "playbook": job.playbook, "actor": job.started_by,
         "state": bilingual(_l("failed") if job.state == JobState.failed else _l("in error")),
         "message": message or ", ".join(failed) or "-"}, f"/jobs/{job.id}", lines=lines, at=job.finished_at))


def _host_reason(status: str, message: str) -> str:
    if status == "cancelled":
        return f"not finished: {message}"
    if status == "not_run":
        return f"not run: {message.splitlines()[0]}" if message else "no task ran on this host"
    return ""


def end_unstarted(session: Session, job: Job, state: JobState, message: str) -> None:
    """End a job no worker is running (cancelled while queued, worker gone): one transaction."""
    _end(session, job, state, message, None, {})


def reap_dead_workers(session: Session) -> list[int]:
    """End as `error` the jobs whose worker is gone, releasing their hosts; returns their ids."""
    reaped = []
    active = session.scalars(select(Job).where(Job.state.in_([JobState.queued, JobState.running])))
    for job in list(active):
        if job.state == JobState.queued and job.worker_pid is None:
            dead = utcnow() - job.created_at > QUEUE_GRACE
            reason = "no worker started the job"
        else:
            dead = not worker_alive(job.worker_pid, job.worker_node)
            reason = f"the worker process (pid {job.worker_pid}) ended without finishing the job"
        if dead:
            end_unstarted(session, job, JobState.error, reason)
            reaped.append(job.id)
    return reaped
