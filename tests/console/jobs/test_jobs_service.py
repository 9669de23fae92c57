"""Jobs through ansible-runner: outcomes per host, bad input, cancel, overlapping jobs, purge."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from console.db import session_scope
from console.errors import Conflict, ValidationFailed
from console.models import AuditEvent, Role, Job, JobEvent, JobHostLock, JobHostResult, JobState
from console.models.base import utcnow
from console.jobs import service as jobs
from console.access.actor import Actor
from tests.console.jobs.test_jobs_cli import playbook_processes

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def wait_for(check, seconds: float = 90):
    """Poll until check() returns something true; fail after `seconds` (a hang guard, not a timing claim)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


def host_results(session_factory, job_id):
    with session_scope(session_factory) as db:
        rows = db.scalars(select(JobHostResult).where(JobHostResult.job_id == job_id))
        return {r.host: (r.status, r.ok, r.changed, r.failed, r.unreachable, r.last_error) for r in rows}


def output(session_factory, job_id) -> str:
    with session_scope(session_factory) as db:
        return "\n".join(e.stdout for e in jobs.events_after(db, job_id, 0, limit=10000))


def job_state(session_factory, job_id):
    with session_scope(session_factory) as db:
        return jobs.get_job(db, job_id)


def test_successful_run_keeps_output_and_per_host_counts(run_now, session_factory):
    job = run_now("hello.yml")
    assert job.state == JobState.successful and job.return_code == 0
    assert (job.host_count, job.ok_count, job.changed_count, job.failed_count) == (2, 4, 2, 0)
    results = host_results(session_factory, job.id)
    assert {h: r[:4] for h, r in results.items()} == {"web-a": ("changed", 2, 1, 0), "web-b": ("changed", 2, 1, 0)}
    text = output(session_factory, job.id)
    assert "TASK [Print a greeting]" in text and '"msg": "hello from web-b"' in text and "PLAY RECAP" in text
    with session_scope(session_factory) as db:
        seqs = [e.seq for e in jobs.events_after(db, job.id, 0)]
        later = jobs.events_after(db, job.id, seqs[2])
    assert seqs == sorted(seqs) and [e.seq for e in later] == seqs[3:]
    with session_scope(session_factory) as db:
        assert db.scalars(select(JobHostLock)).all() == []  # hosts released


@SQLITE_ONLY
def test_failing_task_fails_the_job_and_names_host_and_reason(run_now, session_factory):
    job = run_now("fail_one.yml")
    assert job.state == JobState.failed and jobs.exit_code(job) == 2
    results = host_results(session_factory, job.id)
    assert results["web-a"][0] == "ok"
    status, *_counts, reason = results["web-b"]
    assert status == "failed" and "Check the disk" in reason and "disk full on web-b" in reason


@SQLITE_ONLY
def test_unreachable_host_is_shown_unreachable_with_the_reason(run_now, session_factory, far_address):
    job = run_now("everyone.yml")
    assert job.state == JobState.failed and jobs.exit_code(job) == 3
    results = host_results(session_factory, job.id)
    assert results["web-a"][0] == "ok" and results["web-b"][0] == "ok"
    status, *_counts, reason = results["far-1"]
    assert status == "unreachable" and far_address in reason and "Connection refused" in reason


@SQLITE_ONLY
def test_syntax_error_ends_in_error_naming_file_and_line(run_now, session_factory):
    job = run_now("broken.yml")
    assert job.state == JobState.error and jobs.exit_code(job) == 1
    assert "YAML parsing failed" in job.error_message and "broken.yml:8" in job.error_message
    results = host_results(session_factory, job.id)
    assert set(results) == {"web-a", "web-b", "far-1"}  # an unreadable playbook holds every limited host
    assert all(r[0] == "not_run" and "YAML parsing failed" in r[5] for r in results.values())


@SQLITE_ONLY
def test_limit_naming_no_host_is_refused_before_any_job_exists(run_now, session_factory):
    with pytest.raises(ValidationFailed) as refused:
        run_now("hello.yml", limit="nosuch-*")
    assert refused.value.field == "limit" and "'nosuch-*'" in str(refused.value)
    with pytest.raises(ValidationFailed, match="both the playbook's hosts and --limit"):
        run_now("hello.yml", limit="far-1")  # a real host, but not one the playbook runs on
    with session_scope(session_factory) as db:
        assert db.scalars(select(Job)).all() == []


@SQLITE_ONLY
def test_unknown_playbook_is_refused_listing_the_choices(run_now):
    with pytest.raises(ValidationFailed) as refused:
        run_now("../../etc/passwd")
    assert refused.value.field == "playbook" and "hello.yml" in str(refused.value)


def test_cancel_mid_run_ends_cancelled_with_nothing_half_recorded(session_factory, settings, jobs_files):
    job = jobs.start(session_factory, Actor.cli(), settings, jobs.LaunchRequest("very_slow.yml"))
    wait_for(lambda: "Sleep long" in output(session_factory, job.id))
    with session_scope(session_factory) as db:
        jobs.cancel(db, Actor("nhan", Role.it_staff), job.id)
    ended = wait_for(lambda: (j := job_state(session_factory, job.id)).state.finished and j)
    assert ended.state == JobState.cancelled and jobs.exit_code(ended) == 4
    assert ended.finished_at and ended.error_message == "cancelled by nhan"
    status, *_counts, reason = host_results(session_factory, job.id)["web-a"]
    assert status == "cancelled" and "not finished" in reason
    with session_scope(session_factory) as db:
        assert db.scalars(select(JobHostLock)).all() == []
        actions = [a.action for a in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-2:] == ["job.launch", "job.cancel"]
    assert not playbook_processes(jobs_files[1] / "very_slow.yml"), "a cancelled job left ansible processes running"


@SQLITE_ONLY
def test_cancel_of_a_queued_job_ends_it_at_once_and_frees_its_hosts(session_factory, settings):
    with session_scope(session_factory) as db:
        job, _secrets = jobs.launch(db, Actor.cli(), settings, jobs.LaunchRequest("hello.yml"))
    with session_scope(session_factory) as db:
        cancelled = jobs.cancel(db, Actor.cli(), job.id)
        assert cancelled.state == JobState.cancelled
    assert jobs.run(session_factory, settings, job.id, _secrets).state == JobState.cancelled  # the worker does nothing
    assert {r[0] for r in host_results(session_factory, job.id).values()} == {"cancelled"}
    with session_scope(session_factory) as db:
        with pytest.raises(Conflict, match="already ended"):
            jobs.cancel(db, Actor.cli(), job.id)
        assert db.scalars(select(JobHostLock)).all() == []


@SQLITE_ONLY
def test_second_job_on_overlapping_hosts_is_refused_naming_the_first(session_factory, settings):
    first = jobs.start(session_factory, Actor.cli(), settings, jobs.LaunchRequest("very_slow.yml"))
    try:
        with session_scope(session_factory) as db:
            with pytest.raises(Conflict) as refused:
                jobs.launch(db, Actor.cli(), settings, jobs.LaunchRequest("hello.yml"))
        assert f"job #{first.id}" in str(refused.value) and "web-a" in str(refused.value)
        with session_scope(session_factory) as db:
            other, _s = jobs.launch(db, Actor.cli(), settings, jobs.LaunchRequest("hello.yml", limit="web-b"))
        assert jobs.run(session_factory, settings, other.id, _s).state == JobState.successful
    finally:
        with session_scope(session_factory) as db:
            jobs.cancel(db, Actor.cli(), first.id)
    wait_for(lambda: job_state(session_factory, first.id).state.finished)


@SQLITE_ONLY
def test_a_job_whose_worker_died_ends_in_error_and_frees_its_hosts(session_factory, settings):
    with session_scope(session_factory) as db:
        job, _secrets = jobs.launch(db, Actor.cli(), settings, jobs.LaunchRequest("hello.yml"))
        db.execute(update(Job).where(Job.id == job.id).values(state=JobState.running, worker_pid=2**22 + 7,
                                                              worker_node=os.uname().nodename))
    with session_scope(session_factory) as db:
        again, _s = jobs.launch(db, Actor.cli(), settings, jobs.LaunchRequest("hello.yml"))
    dead = job_state(session_factory, job.id)
    assert dead.state == JobState.error and "ended without finishing" in dead.error_message
    assert again.id != job.id


@SQLITE_ONLY
def test_purge_deletes_only_old_ended_jobs(run_now, session_factory, settings):
    old, recent = run_now("hello.yml"), run_now("hello.yml", limit="web-a")
    with session_scope(session_factory) as db:
        db.execute(update(Job).where(Job.id == old.id).values(finished_at=utcnow() - timedelta(days=400)))
    with session_scope(session_factory) as db:
        assert jobs.purge(db, Actor.cli(), settings, days=30) == 1
    with session_scope(session_factory) as db:
        assert [j.id for j in jobs.list_jobs(db)] == [recent.id]
        assert db.scalars(select(JobEvent).where(JobEvent.job_id == old.id)).all() == []
        assert db.scalars(select(AuditEvent).where(AuditEvent.action == "job.purge")).one().detail["deleted"] == 1
