"""Two console nodes on one throwaway PostgreSQL: two app instances and two `ops tasks worker` processes.

Work queued on one node runs once, on whichever consumer takes it, and both nodes
see it; a playbook job launched on one node is seen and cancelled from the other
(jobs live in the database).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from console import create_app, migrate
from console.access import tokens
from console.access.actor import Actor
from console.db import make_engine, make_session_factory, session_scope
from console.inventory.sync import sync_inventory
from console.models import ComplianceRun, Role
from console.settings import load_settings
from console.tasks import queue, work
from tests.conftest import login
from tests.console.tasks.fixtures import task_id_of, wait_task
from tests.fixtures.processes import stop
from tests.console.jobs.conftest import PLAYBOOKS

pytestmark = pytest.mark.postgres

INVENTORY = """
all:
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  children:
    webs:
      hosts:
        web-a: {ansible_connection: local}
        web-b: {ansible_connection: local}
"""
VERY_SLOW = PLAYBOOKS["very_slow.yml"]  # the jobs tests' playbook that runs until cancelled


class Node:
    def __init__(self, name: str, config: Path):
        self.name, self.config = name, config
        self.settings = load_settings(config)
        self.app = create_app(self.settings)
        self.app.config["TESTING"] = True
        self.client = self.app.test_client()
        log = open(config.parent / f"{name}-worker.log", "wb")
        self.worker = subprocess.Popen([sys.executable, "-m", "console.cli", "--config", str(config), "tasks", "worker"],
                                       stdout=log, stderr=subprocess.STDOUT, cwd=config.parent)
        log.close()

    def close(self) -> None:
        stop(self.worker)
        queue.close(self.settings)
        work.forget(self.settings)
        self.app.extensions["ops"].engine.dispose()


@pytest.fixture
def nodes(postgres, tmp_path):
    url = postgres.new_database()
    engine = make_engine(url)
    migrate.upgrade(engine)
    (tmp_path / "inventory").mkdir()
    (tmp_path / "inventory" / "hosts.yml").write_text(INVENTORY)
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "playbooks" / "very_slow.yml").write_text(VERY_SLOW.lstrip())
    made = []
    for name in ("node-a", "node-b"):
        config = tmp_path / f"{name}.toml"
        config.write_text(
            f'[console]\nsecret_key = "test-secret-key-not-for-production"\ndefault_locale = "en"\n'
            f'[database]\nurl = "{url}"\n[paths]\nvar_dir = "{tmp_path / name / "var"}"\n'
            f'[inventory]\npath = "{tmp_path / "inventory"}"\n'
            f'[jobs]\nplaybooks_dir = "{tmp_path / "playbooks"}"\n'
            f'private_data_dir = "{tmp_path / name / "var" / "jobs"}"\n')
    settings = load_settings(tmp_path / "node-a.toml")
    factory = make_session_factory(engine, settings)
    with session_scope(factory) as db:
        sync_inventory(db, Actor.cli(), settings.inventory)
        from console.access import users

        for username, role in (("officer1", Role.security_officer), ("staff1", Role.it_staff)):
            users.create_user(db, Actor.cli(), settings.security, username, role, password="correct horse battery staple")
        _row, token = tokens.create_token(db, Actor("staff1", Role.it_staff), "two nodes", None, 30)
    try:
        for name in ("node-a", "node-b"):
            made.append(Node(name, tmp_path / f"{name}.toml"))
        yield made, factory, {"Authorization": f"Bearer {token}"}
    finally:
        for node in made:
            node.close()
        engine.dispose()


def test_run_now_on_one_node_runs_once_in_a_consumer_and_both_nodes_show_it(nodes):
    (a, b), factory, _headers = nodes
    login(a.client, "officer1")
    login(b.client, "officer1")
    page = a.client.get("/compliance/runs/").get_data(as_text=True)
    from tests.conftest import csrf_token

    ran = a.client.post("/compliance/runs/", data={"csrf_token": csrf_token(page)})
    assert ran.status_code == 302
    task = wait_task(factory, task_id_of(ran.headers["Location"]), timeout=60)
    assert task.state.value == "done", task.error
    assert task.worker_node.rsplit(":", 1)[1] in {str(a.worker.pid), str(b.worker.pid)}  # a consumer process ran it
    seen = b.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'data-state="done"' in seen and f'/compliance/runs/{task.result["run_id"]}' in seen
    with session_scope(factory) as db:
        assert [r.id for r in db.scalars(select(ComplianceRun))] == [task.result["run_id"]]


def test_a_job_launched_on_one_node_is_seen_and_cancelled_from_the_other(nodes):
    (a, b), factory, headers = nodes
    launched = a.client.post("/api/v1/jobs", headers=headers, json={"playbook": "very_slow.yml"})
    assert launched.status_code == 201, launched.get_json()
    job_id = launched.get_json()["data"]["id"]
    deadline = time.monotonic() + 60
    while b.client.get(f"/api/v1/jobs/{job_id}", headers=headers).get_json()["data"]["state"] != "running":
        assert time.monotonic() < deadline, "the job did not start"
        time.sleep(0.2)
    listed = b.client.get("/api/v1/jobs", headers=headers).get_json()["data"]
    assert [j["id"] for j in listed] == [job_id]
    assert b.client.post(f"/api/v1/jobs/{job_id}/cancel", headers=headers).status_code == 200
    deadline = time.monotonic() + 60
    while (job := b.client.get(f"/api/v1/jobs/{job_id}", headers=headers).get_json()["data"])["state"] == "running":
        assert time.monotonic() < deadline, "the job was not cancelled"
        time.sleep(0.2)
    assert job["state"] == "cancelled"
