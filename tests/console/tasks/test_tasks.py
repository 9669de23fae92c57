"""Background tasks: Run now answers at once and the run completes in the consumer; a failed task shows why;
the nightly run triggered on two nodes sharing one PostgreSQL happens once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from console.compliance import runs as compliance_runs
from console.db import make_engine, make_session_factory, session_scope
from console.models import AuditEvent, ComplianceRun
from console.access.actor import Actor
from console.settings import load_settings
from console.tasks import service as tasks
from tests.conftest import csrf_token
from tests.console.compliance.test_console import api_token
from tests.console.tasks.fixtures import queue_closed, task_id_of, task_worker, wait_task  # noqa: F401


def test_api_run_now_answers_202_with_a_status_url_and_the_run_completes(client, session_factory, make_user, synced,
                                                                        task_worker):  # noqa: F811
    headers = api_token(make_user, session_factory, "security_officer")
    queued = client.post("/api/v1/compliance/runs", headers=headers)
    assert queued.status_code == 202, queued.get_json()
    body = queued.get_json()["data"]
    assert body["state"] in ("queued", "running", "done") and queued.headers["Location"] == body["status_url"]
    task = wait_task(session_factory, body["id"])
    status = client.get(body["status_url"], headers=headers).get_json()["data"]
    # the 27 inventory hosts and the endpoint-coverage target (no KSC configured: one unknown result)
    assert status["state"] == "done" and status["progress"] == "28/28" and status["worker_node"], status
    with session_scope(session_factory) as db:
        run = db.get(ComplianceRun, status["result"]["run_id"])
        assert run.trigger == "console" and run.actor == status["started_by"] == task.started_by
        started = db.scalars(select(AuditEvent).where(AuditEvent.action == "task.start")).one()
        assert started.object_id == str(task.id)
    auditor = api_token(make_user, session_factory, "auditor")
    assert client.post("/api/v1/compliance/runs", headers=auditor).status_code == 403
    assert client.get("/api/v1/tasks/999999", headers=auditor).status_code == 404


def test_a_run_refused_in_the_worker_shows_failed_with_its_reason(logged_in, session_factory, settings, synced,
                                                                   task_worker):  # noqa: F811
    client = logged_in("admin")
    compliance_runs.acquire_lock(session_factory, "someone-else", 5)  # taken after the task was queued
    with session_scope(session_factory) as db:
        task_id = tasks.submit(db, Actor.cli(), "compliance.run", {"trigger": "console"}).id
    task = wait_task(session_factory, task_id)
    assert task.state.value == "failed" and "another compliance run is in progress" in task.error
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'data-state="failed"' in page and "another compliance run is in progress (someone-else" in page
    assert "hx-get" not in page  # an ended task is not polled
    compliance_runs.release_lock(session_factory, "someone-else")
    refused = client.post("/compliance/runs/", data={"csrf_token": csrf_token(page)})
    assert refused.status_code == 302 and "/tasks/" in refused.headers["Location"]


def test_the_task_page_polls_while_queued(logged_in, session_factory, synced, queue_closed):  # noqa: F811
    """Without a consumer the task stays queued, and its page keeps polling its status fragment."""
    client = logged_in("security_officer")
    token = csrf_token(client.get("/compliance/runs/").get_data(as_text=True))
    ran = client.post("/compliance/runs/", data={"csrf_token": token})
    task_id = task_id_of(ran.headers["Location"])
    page = client.get(ran.headers["Location"]).get_data(as_text=True)
    assert 'data-state="queued"' in page and f'hx-get="/tasks/{task_id}/status"' in page and "<script>" not in page
    fragment = client.get(f"/tasks/{task_id}/status").get_data(as_text=True)
    assert fragment.startswith('<div id="task-status"') and "waiting for the task worker" in fragment


@pytest.mark.postgres
def test_nightly_run_triggered_on_two_nodes_sharing_postgresql_happens_once(postgres, tmp_path, synced_pg,
                                                                           request_cleanup):
    from console.scheduler import build_scheduler

    url, nodes = synced_pg, []
    for name in ("node-a", "node-b"):
        config = tmp_path / f"{name}.toml"
        config.write_text(f'[console]\nsecret_key = "test-secret-key-not-for-production"\n'
                          f'[database]\nurl = "{url}"\n[paths]\nvar_dir = "{tmp_path / name}"\n'
                          f'[compliance]\nreport_dir = "{tmp_path / name / "reports"}"\nreport_formats = ["csv"]\n')
        settings = load_settings(config)
        nodes.append(build_scheduler(settings).get_job("compliance-nightly"))
        request_cleanup.append(settings)
    outcomes: list = []
    threads = [threading.Thread(target=lambda job=job: outcomes.append(job.func(*job.args, **job.kwargs)))
               for job in nodes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    factory = make_session_factory(make_engine(url))
    with session_scope(factory) as db:
        runs = db.scalars(select(ComplianceRun)).all()
    factory.kw["bind"].dispose()
    assert len(runs) == 1 and runs[0].trigger == "schedule"
    assert sorted(outcomes, key=lambda o: o is None) == [runs[0].id, None]
    again = nodes[0].func(*nodes[0].args, **nodes[0].kwargs)  # a late trigger the same day: still once
    assert again is None


@pytest.fixture
def synced_pg(postgres):
    from console import migrate
    from console.inventory.sync import sync_inventory
    from console.settings import InventorySettings
    from tests.conftest import _repo_inventory

    url = postgres.new_database()
    engine = make_engine(url)
    migrate.upgrade(engine)
    with session_scope(make_session_factory(engine)) as db:
        sync_inventory(db, Actor.cli(), InventorySettings(path=_repo_inventory()))
    engine.dispose()
    return url


@pytest.fixture
def request_cleanup():
    from console.tasks import work

    made: list = []
    yield made
    for settings in made:
        work.forget(settings)


def test_cli_lists_and_shows_tasks(config_file, session_factory, synced, queue_closed):  # noqa: F811
    import json

    from tests.console.compliance.helpers import ops

    with session_scope(session_factory) as db:
        task_id = tasks.submit(db, Actor.cli(), "compliance.run", {"trigger": "cli"}).id
    listed = ops(config_file, "tasks", "list", "--json")
    assert listed.exit_code == 0, listed.output
    [row] = [json.loads(line) for line in listed.output.splitlines()]
    assert (row["id"], row["kind"], row["state"]) == (task_id, "compliance.run", "queued")
    shown = ops(config_file, "tasks", "show", str(task_id))
    assert shown.exit_code == 0 and json.loads(shown.output)["params"] == {"trigger": "cli"}
    assert ops(config_file, "tasks", "show", "999").exit_code != 0
