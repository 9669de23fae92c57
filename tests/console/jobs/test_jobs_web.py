"""The Jobs page and /api/v1/jobs: who may run and cancel, what is audit-logged, bad input answered clearly."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from console.db import session_scope
from console.models import AuditEvent, Job
from console.jobs import service as jobs
from console.access.actor import Actor
from tests.conftest import csrf_token

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def wait_ended(session_factory, job_id: int) -> Job:
    for _ in range(600):
        with session_scope(session_factory) as db:
            job = jobs.get_job(db, job_id)
        if job.state.finished:
            return job
        time.sleep(0.2)
    raise AssertionError("job did not end")


def launch_form(client, **fields):
    token = csrf_token(client.get("/jobs/").get_data(as_text=True))
    return client.post("/jobs/launch", data={"csrf_token": token, "playbook": "hello.yml", **fields})


def test_it_staff_runs_a_playbook_from_the_jobs_page_and_it_is_audited(logged_in, session_factory):
    client = logged_in("it_staff", "nhan")
    response = launch_form(client, limit="web-a", check="y", extra_vars="colour=blue")
    assert response.status_code == 302 and "/jobs/" in response.location
    job_id = int(response.location.rstrip("/").rsplit("/", 1)[1])
    job = wait_ended(session_factory, job_id)
    assert job.state.value == "successful" and job.started_by == "nhan" and job.check_mode
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "TASK [Print a greeting]" in page and "colour=blue" in page and 'data-testid="host-status">ok<' in page
    assert "job-poller" not in page  # nothing more to fetch once it has ended
    fragment = client.get(f"/jobs/{job_id}/events?after=0").get_data(as_text=True)
    assert "PLAY RECAP" in fragment and 'hx-swap-oob="true"' in fragment and "job-poller" not in fragment
    listing = client.get("/jobs/").get_data(as_text=True)
    assert f'href="/jobs/{job_id}"' in listing and "successful" in listing
    with session_scope(session_factory) as db:
        audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "job.launch")).one()
    assert audit.actor == "nhan" and audit.object_id == str(job_id) and audit.detail["limit"] == "web-a"


@SQLITE_ONLY
@pytest.mark.parametrize("role", ["auditor", "security_officer"])
def test_auditor_and_security_officer_cannot_run_or_cancel_jobs(logged_in, session_factory, settings, role):
    with session_scope(session_factory) as db:
        queued, _s = jobs.launch(db, Actor.cli(), settings, jobs.LaunchRequest("hello.yml"))
    client = logged_in(role)
    page = client.get("/jobs/").get_data(as_text=True)
    assert 'data-testid="launch-form"' not in page
    assert launch_form(client).status_code == 403
    detail = client.get(f"/jobs/{queued.id}").get_data(as_text=True)
    assert 'data-testid="cancel-job"' not in detail
    assert client.post(f"/jobs/{queued.id}/cancel", data={"csrf_token": csrf_token(detail)}).status_code == 403
    with session_scope(session_factory) as db:
        assert [j.id for j in jobs.list_jobs(db)] == [queued.id]
        assert jobs.get_job(db, queued.id).state.value == "queued"
        denied = db.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
    assert {d.detail.get("permission") for d in denied} == {"jobs.run"}


@SQLITE_ONLY
def test_bad_limit_and_overlap_are_refused_on_the_page_with_the_reason(logged_in, session_factory, settings):
    client = logged_in("admin")
    bad = launch_form(client, limit="no-such-host")
    assert bad.status_code == 400 and "names no host of the inventory" in bad.get_data(as_text=True)
    with session_scope(session_factory) as db:
        held, _s = jobs.launch(db, Actor.cli(), settings, jobs.LaunchRequest("hello.yml"))
    refused = launch_form(client)
    assert refused.status_code == 409 and f"job #{held.id} is already running" in refused.get_data(as_text=True)
    bad_var = launch_form(client, limit="web-a", extra_vars="not a pair")
    assert bad_var.status_code == 400 and "expected name=value" in bad_var.get_data(as_text=True)
    no_csrf = client.post("/jobs/launch", data={"playbook": "hello.yml"})
    assert no_csrf.status_code == 400
    detail = client.get(f"/jobs/{held.id}").get_data(as_text=True)
    cancelled = client.post(f"/jobs/{held.id}/cancel", data={"csrf_token": csrf_token(detail)})
    assert cancelled.status_code == 302
    with session_scope(session_factory) as db:
        assert jobs.get_job(db, held.id).state.value == "cancelled"


def test_api_launch_poll_events_show_and_cancel(client, token_for, session_factory):
    staff = token_for("it_staff")
    created = client.post("/api/v1/jobs", headers=staff, json={
        "playbook": "fail_one.yml", "secret_vars": {"enrol": "s3cr3t-api-value"}, "extra_vars": {"colour": "red"}})
    assert created.status_code == 201, created.json
    job_id = created.json["data"]["id"]
    assert created.json["data"]["extravars"] == {"colour": "red", "enrol": "********"}
    seen, after, finished = [], 0, False
    for _ in range(600):
        page = client.get(f"/api/v1/jobs/{job_id}/events?after={after}", headers=staff).json
        seen += page["data"]
        after = seen[-1]["seq"] if seen else after
        if page["finished"]:
            break
        time.sleep(0.2)
    assert [e["seq"] for e in seen] == sorted({e["seq"] for e in seen})
    assert any(e["outcome"] == "failed" and e["host"] == "web-b" for e in seen)
    shown = client.get(f"/api/v1/jobs/{job_id}", headers=staff).json["data"]
    assert shown["state"] == "failed"
    assert {h["host"]: h["status"] for h in shown["host_results"]} == {"web-a": "ok", "web-b": "failed"}
    again = client.post(f"/api/v1/jobs/{job_id}/cancel", headers=staff)
    assert again.status_code == 409 and "already ended" in again.json["errors"][0]["message"]
    assert client.get("/api/v1/jobs", headers=token_for("auditor")).json["data"][0]["id"] == job_id


@SQLITE_ONLY
def test_api_refuses_auditor_and_names_the_bad_field(client, token_for):
    refused = client.post("/api/v1/jobs", headers=token_for("auditor"), json={"playbook": "hello.yml"})
    assert refused.status_code == 403
    staff = token_for("it_staff")
    unknown = client.post("/api/v1/jobs", headers=staff, json={"playbook": "nope.yml"})
    assert unknown.status_code == 400 and unknown.json["errors"][0]["field"] == "playbook"
    bad_limit = client.post("/api/v1/jobs", headers=staff, json={"playbook": "hello.yml", "limit": "zzz"})
    assert bad_limit.status_code == 400 and bad_limit.json["errors"][0]["field"] == "limit"
    bad_vars = client.post("/api/v1/jobs", headers=staff, json={"playbook": "hello.yml", "extra_vars": {"a": 1}})
    # The body is checked against the API document first, which names the value inside: extra_vars.a.
    assert bad_vars.status_code == 400 and bad_vars.json["errors"][0]["field"].startswith("extra_vars")
    assert client.get("/api/v1/jobs/999", headers=staff).status_code == 404
