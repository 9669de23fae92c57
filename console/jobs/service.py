"""Jobs: launch a playbook run, run it, cancel it, read its history and output.

What callers (views, API, CLI, other parts) can rely on:
- `launch` validates everything before a job exists: unknown playbook, a
  --limit that names no inventory host, hosts held by another queued or
  running job (refused with Conflict naming that job; we refuse rather than
  queue, so nobody's run starts later than they think). It adds the queued
  job, its hosts' locks and audit record in the caller's transaction and
  returns the secrets to hand to the run; the caller commits.
- `start` is launch + commit + a detached worker process (web and API).
- `run` is the worker's body (also `ops provision` in the foreground).
- Secret values never reach the database: extravars marked secret (or whose
  name looks secret) are stored as REDACTED and redacted from all output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from console.db import session_scope
from console.common.paging import get_or_404
from console.errors import Conflict, ValidationFailed
from console.jobs import execute, targets
from console.jobs.redact import looks_secret, stored_extravars
from console.jobs.runner import remove_run_files
from console.jobs.secrets import JobSecrets
from console.jobs.worker import spawn_worker
from console.models.jobs import Job, JobEvent, JobHostLock, JobHostResult, JobState
from console.models.base import utcnow
from console.access import audit
from console.access.actor import Actor
from console.access.permissions import require

if TYPE_CHECKING:  # annotations only: settings assembles the areas' config sections, above them
    from console.settings import Settings

__all__ = ["cancel", "changed_output", "get_job", "hand_over", "JobState", "launch", "LaunchRequest", "run"]

MAX_EXTRAVARS = 100
MAX_VALUE_CHARS = 16384


@dataclass
class LaunchRequest:
    playbook: str
    limit: str = ""
    tags: str = ""
    check: bool = False
    extravars: dict[str, str] = field(default_factory=dict)
    secret_names: set[str] = field(default_factory=set)  # extravars to treat as secret (name-based ones added)
    vault_password: str | None = None
    ssh_key: str | None = None
    diff: bool = False  # show what each file task changes (remediation check jobs)


def parse_extravars(pairs: list[str], field_name: str = "extra_vars") -> dict[str, str]:
    """`name=value` items (CLI options, form lines) into a dict; names must be variable names."""
    found = {}
    for pair in pairs:
        if not pair.strip():
            continue
        name, sep, value = pair.partition("=")
        found[_var_name(field_name, name.strip(), sep)] = value
    return found


def _var_name(field_name: str, name: str, sep: str = "=") -> str:
    if not sep or not name.isidentifier():
        raise ValidationFailed(field_name, f"{name!r}: expected name=value with a variable name")
    return name


def launch(session: Session, actor: Actor, settings: Settings, request: LaunchRequest,
           permission: str = "jobs.run") -> tuple[Job, JobSecrets]:
    """Queue a job. `permission` is what the actor needs: jobs.run, or the right of a part that
    runs one fixed playbook for its own work (rules.manage for a ruleset deploy)."""
    require(actor, permission)
    conf = settings.jobs
    playbook = targets.playbook_path(conf.playbooks_dir, request.playbook)
    limit = targets.check_pattern("limit", request.limit)
    tags = targets.check_pattern("tags", request.tags)
    extravars = _checked_extravars(request.extravars)
    secret_names = {n for n in extravars if n in request.secret_names or looks_secret(n)}
    hosts = targets.target_hosts(settings.inventory.path, playbook, limit)
    execute.reap_dead_workers(session)
    _refuse_overlap(session, hosts)
    job = Job(playbook=request.playbook, limit=limit, tags=tags, check_mode=request.check, diff=request.diff,
              extravars=stored_extravars(extravars, secret_names), started_by=actor.username,
              host_count=len(hosts), state=JobState.queued)
    session.add(job)
    session.flush()
    session.add_all([JobHostLock(host=h, job_id=job.id) for h in hosts])
    session.add_all([JobHostResult(job_id=job.id, host=h) for h in hosts])
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("another job took some of these hosts at the same moment; try again") from None
    audit.record(session, actor, "job.launch", "job", job.id, playbook=job.playbook, limit=limit, tags=tags,
                 check_mode=request.check, diff=request.diff, hosts=len(hosts), extravar_names=sorted(extravars),
                 redacted_vars=sorted(secret_names))
    secrets = JobSecrets({n: extravars[n] for n in secret_names}, request.vault_password or None,
                         request.ssh_key or None)
    return job, secrets


def _checked_extravars(extravars: dict) -> dict[str, str]:
    if len(extravars) > MAX_EXTRAVARS:
        raise ValidationFailed("extra_vars", f"at most {MAX_EXTRAVARS} variables")
    for name, value in extravars.items():
        _var_name("extra_vars", str(name))
        if not isinstance(value, str) or len(value) > MAX_VALUE_CHARS:
            raise ValidationFailed("extra_vars", f"{name}: the value must be text of at most {MAX_VALUE_CHARS} characters")
    return dict(extravars)


def _refuse_overlap(session: Session, hosts: list[str]) -> None:
    held = session.execute(select(JobHostLock.host, JobHostLock.job_id).where(JobHostLock.host.in_(hosts))).all()
    if held:
        job_ids = sorted({job_id for _h, job_id in held})
        names = ", ".join(sorted(h for h, _j in held)[:10]) + (" …" if len(held) > 10 else "")
        jobs = ", ".join(f"#{i}" for i in job_ids)
        raise Conflict(f"job {jobs} is already running on {len(held)} of these hosts ({names}); "
                       "wait for it to end or cancel it")


def start(factory: sessionmaker[Session], actor: Actor, settings: Settings, request: LaunchRequest) -> Job:
    """Launch, commit, and hand the job to a detached worker process (what the console and API do)."""
    with session_scope(factory) as session:
        job, secrets = launch(session, actor, settings, request)
    hand_over(factory, settings, job.id, secrets)
    return job


def hand_over(factory: sessionmaker[Session], settings: Settings, job_id: int, secrets: JobSecrets) -> None:
    """Give a launched and committed job to a detached worker; a worker that cannot start ends the job in error."""
    try:
        pid = spawn_worker(settings, job_id, secrets)
    except OSError as exc:
        with session_scope(factory) as session:
            execute.end_unstarted(session, session.get(Job, job_id), JobState.error,
                                  f"the worker could not be started: {exc.strerror}")
        raise
    with session_scope(factory) as session:
        session.execute(update(Job).where(Job.id == job_id, Job.worker_pid.is_(None)).values(worker_pid=pid))


def changed_output(session: Session, job_id: int, limit: int = 500) -> dict[str, list[JobEvent]]:
    """Per host, the stored events of tasks that changed (or would change, in check mode), with their diffs."""
    wanted = or_(JobEvent.outcome.in_(("changed", "failed", "unreachable")), JobEvent.event_type == "runner_on_file_diff")
    query = select(JobEvent).where(JobEvent.job_id == job_id, wanted).order_by(JobEvent.seq).limit(limit)
    found: dict[str, list[JobEvent]] = {}
    for event in session.scalars(query):
        found.setdefault(event.host, []).append(event)
    return found


def run(factory: sessionmaker[Session], settings: Settings, job_id: int, secrets: JobSecrets,
        echo=None, interrupted=lambda: False) -> Job:
    """Run a queued job to its end in this process; returns the ended job (or as it was, if not queued)."""
    job = execute.claim(factory, job_id)
    if job is not None:
        execute.run_claimed(factory, settings, job, secrets, echo, interrupted)
    with session_scope(factory) as session:
        return get_job(session, job_id)


def cancel(session: Session, actor: Actor, job_id: int) -> Job:
    """A queued job ends cancelled at once; a running one is flagged and its worker stops it."""
    require(actor, "jobs.run")
    job = get_job(session, job_id)
    if job.state.finished:
        raise Conflict(f"job {job_id} has already ended ({job.state.value})")
    if job.cancel_requested_at is None:
        job.cancel_requested_at, job.cancel_requested_by = utcnow(), actor.username
    session.flush()
    cancelled_queued = session.execute(
        update(Job).where(Job.id == job_id, Job.state == JobState.queued).values(state=JobState.cancelled)
    ).rowcount
    if cancelled_queued:
        session.refresh(job)
        execute.end_unstarted(session, job, JobState.cancelled, f"cancelled by {actor.username} before it started")
    audit.record(session, actor, "job.cancel", "job", job_id, playbook=job.playbook)
    return job


STATES = tuple(state.value for state in JobState)


def parse_state(value: str | None) -> str | None:
    """A job state filter from user input: empty is None (all), an unknown state a ValidationFailed."""
    value = (value or "").strip()
    if value and value not in STATES:
        raise ValidationFailed("state", f"must be one of {', '.join(STATES)}")
    return value or None


def list_jobs(session: Session, state: str | None = None, before_id: int | None = None, limit: int = 50) -> list[Job]:
    """Newest first, keyset-paginated by id."""
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if state:
        query = query.where(Job.state == JobState(state))
    if before_id:
        query = query.where(Job.id < before_id)
    return list(session.scalars(query))


def get_job(session: Session, job_id: int) -> Job:
    job = get_or_404(session, Job, job_id, f"no job {job_id}")
    return job


def events_after(session: Session, job_id: int, after_seq: int = 0, limit: int = 500) -> list[JobEvent]:
    """Stored output events with seq > after_seq, in order: poll with the last seq seen."""
    get_job(session, job_id)
    query = (select(JobEvent).where(JobEvent.job_id == job_id, JobEvent.seq > after_seq)
             .order_by(JobEvent.seq).limit(limit))
    return list(session.scalars(query))


def purge(session: Session, actor: Actor, settings: Settings, days: int | None = None) -> int:
    """Delete ended jobs older than `days` ([jobs] keep_days) with their output and folders."""
    require(actor, "jobs.run")
    days = days or settings.jobs.keep_days
    cutoff = utcnow() - timedelta(days=days)
    ended = [s for s in JobState if s.finished]
    ids = list(session.scalars(select(Job.id).where(Job.state.in_(ended), Job.finished_at < cutoff)))
    for table in (JobEvent, JobHostResult, JobHostLock):
        session.execute(delete(table).where(table.job_id.in_(ids)))
    session.execute(delete(Job).where(Job.id.in_(ids)))
    audit.record(session, actor, "job.purge", "job", "", deleted=len(ids), older_than_days=days)
    for job_id in ids:
        _remove_job_dir(settings, job_id)
    return len(ids)


def _remove_job_dir(settings: Settings, job_id: int) -> None:
    job_dir = settings.jobs.private_data_dir / str(job_id)
    remove_run_files(job_dir)
    (job_dir / "worker.log").unlink(missing_ok=True)
    if job_dir.is_dir() and not any(job_dir.iterdir()):
        job_dir.rmdir()


def exit_code(job: Job) -> int:
    """`ops provision`'s exit code: 0 successful, 2 failed hosts, 3 unreachable hosts, 4 cancelled, 1 error."""
    if job.state == JobState.successful:
        return 0
    if job.state == JobState.cancelled:
        return 4
    if job.state == JobState.failed:
        return 3 if job.unreachable_count else 2
    return 1


def overview(session: Session, hours: int = 24, now=None) -> dict:
    """Jobs queued and running now, and jobs failed (a host failed) or in error (could not run) that
    finished in the last `hours`: one aggregate query."""
    from sqlalchemy import case, func

    since = (now or utcnow()) - timedelta(hours=hours)
    recent = Job.finished_at >= since
    row = session.execute(select(
        func.count(case((Job.state == JobState.running, 1))), func.count(case((Job.state == JobState.queued, 1))),
        func.count(case(((Job.state == JobState.failed) & recent, 1))),
        func.count(case(((Job.state == JobState.error) & recent, 1))))
        .where(Job.state.in_([JobState.running, JobState.queued, JobState.failed, JobState.error]))).one()
    return {"running": row[0], "queued": row[1], "failed": row[2], "error": row[3], "hours": hours}
