"""Secrets given to a job never appear in the database, the job's folder, its logs or the terminal."""

from __future__ import annotations

import subprocess
import time

import pytest
from sqlalchemy import select, text

from console.db import session_scope
from console.jobs.redact import REDACTED
from console.models import AuditEvent, Base, JobState
from console.jobs import service as jobs
from console.access.actor import Actor
from tests.console.jobs.test_jobs_cli import ops

# The jobs run ansible-playbook: the full suite's tier, not `make check`'s.
pytestmark = pytest.mark.external

ENROL_CODE = "enrol-7Qx9-unique-secret-value"
DB_PASSWORD = "pw-Zt4-never-in-a-log"
VAULT_PASSWORD = "vault-Kp2-correct-horse"


@pytest.fixture
def ssh_key(tmp_path) -> str:
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "jobs-test", "-f", str(key)],
                   check=True, timeout=30)
    text_key = key.read_text()
    key.unlink()
    key.with_suffix(".pub").unlink()
    return text_key


def secret_forms(ssh_key: str) -> list[str]:
    body = [line for line in ssh_key.splitlines() if "PRIVATE KEY" not in line]
    return [ENROL_CODE, DB_PASSWORD, VAULT_PASSWORD, *body]


def database_text(session_factory) -> str:
    with session_scope(session_factory) as db:
        return "\n".join(str(tuple(row)) for table in Base.metadata.sorted_tables
                         for row in db.execute(select(table)))


def files_text(folder) -> str:
    return "\n".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


def wait_finished(session_factory, job_id):
    for _ in range(600):
        with session_scope(session_factory) as db:
            job = jobs.get_job(db, job_id)
        if job.state.finished:
            return job
        time.sleep(0.2)
    raise AssertionError("job did not end")


def test_secret_extravars_vault_password_and_ssh_key_are_never_stored(session_factory, settings, ssh_key):
    request = jobs.LaunchRequest("secret.yml", extravars={"enrol_code": ENROL_CODE, "db_password": DB_PASSWORD,
                                                          "colour": "blue"},
                                 secret_names={"enrol_code"}, vault_password=VAULT_PASSWORD, ssh_key=ssh_key)
    job = jobs.start(session_factory, Actor.cli(), settings, request)
    ended = wait_finished(session_factory, job.id)
    assert ended.state == JobState.failed  # the playbook's last task fails on purpose, quoting the secret
    assert ended.extravars == {"enrol_code": REDACTED, "db_password": REDACTED, "colour": "blue"}
    with session_scope(session_factory) as db:
        shown = "\n".join(e.stdout for e in jobs.events_after(db, job.id, 0))
        launch = db.scalars(select(AuditEvent).where(AuditEvent.action == "job.launch")).one()
    assert f"token is {REDACTED} and password is {REDACTED}" in shown  # the values reached Ansible, not us
    assert launch.detail["redacted_vars"] == ["db_password", "enrol_code"]
    stored = database_text(session_factory)
    folder = files_text(settings.paths.var_dir)
    for secret in secret_forms(ssh_key):
        assert secret not in stored and secret not in folder
    job_dir = settings.jobs.private_data_dir / str(job.id)
    assert [p.name for p in job_dir.iterdir()] == ["worker.log"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_provision_secret_var_is_redacted_on_the_terminal_too(config_file, session_factory, settings):
    result = ops(config_file, "provision", "secret.yml", "--secret-var", "enrol_code",
                 "-e", f"db_password={DB_PASSWORD}", input_text=f"{ENROL_CODE}\n")
    assert result.returncode == 2, result.stderr
    assert f"token is {REDACTED}" in result.stdout and f"refused {REDACTED}" in result.stdout
    for secret in (ENROL_CODE, DB_PASSWORD):
        assert secret not in result.stdout + result.stderr
        assert secret not in database_text(session_factory)
        assert secret not in files_text(settings.paths.var_dir)
