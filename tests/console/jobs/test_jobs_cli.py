"""`ops provision` and `ops jobs`: live lines on the terminal, the job recorded, exit codes that say the outcome."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from console.db import session_scope
from console.models import JobState
from console.jobs import service as jobs

# Each test runs ansible-playbook (through `ops provision`): the full suite's tier, not `make check`'s.
pytestmark = pytest.mark.external

OPS = [sys.executable, "-m", "console.cli"]
REPO = Path(__file__).resolve().parents[3]
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def ops_command(config, *args) -> list[str]:
    return [*OPS, "--config", str(config), *args]


def environment() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("OPS_CONFIG", "OPS_DATABASE_URL")}
    return env


def ops(config, *args, input_text=None):
    return subprocess.run(ops_command(config, *args), capture_output=True, text=True, input=input_text,
                          env=environment(), cwd=REPO, timeout=300)


def latest_job(session_factory):
    with session_scope(session_factory) as db:
        return jobs.list_jobs(db, limit=1)[0]


def test_provision_prints_task_and_host_lines_and_exits_0(config_file, session_factory):
    result = ops(config_file, "provision", "hello.yml", "--limit", "webs")
    assert result.returncode == 0, result.stderr
    assert "TASK [Print a greeting]" in result.stdout and "changed: [web-a]" in result.stdout
    assert "successful: ok=4 changed=2 failed=0 unreachable=0" in result.stdout
    assert latest_job(session_factory).state == JobState.successful


@SQLITE_ONLY
def test_provision_exit_codes_say_failed_unreachable_and_error(config_file, session_factory):
    failed = ops(config_file, "provision", "fail_one.yml")
    assert failed.returncode == 2 and "web-b" in failed.stdout and "disk full on web-b" in failed.stdout
    unreachable = ops(config_file, "provision", "everyone.yml")
    assert unreachable.returncode == 3 and "unreachable" in unreachable.stdout
    broken = ops(config_file, "provision", "broken.yml")
    assert broken.returncode == 1 and "job" in broken.stdout and "broken.yml:8" in broken.stdout


@SQLITE_ONLY
def test_provision_refuses_a_limit_that_names_no_host_in_one_line(config_file, session_factory):
    result = ops(config_file, "provision", "hello.yml", "--limit", "typo-host")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"ops: error: limit: --limit 'typo-host' names no host of the inventory {config_file.parent / 'inventory'}"]
    unknown = ops(config_file, "provision", "nope.yml")
    assert unknown.returncode == 1 and "unknown playbook 'nope.yml'" in unknown.stderr


@SQLITE_ONLY
def test_ctrl_c_cancels_the_run_and_exits_4(config_file, session_factory):
    process = subprocess.Popen(ops_command(config_file, "provision", "very_slow.yml"), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=environment(), cwd=REPO)
    try:
        for line in process.stdout:
            if "TASK [Sleep long]" in line:
                break
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        rest, errors = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 4, errors
    assert "cancelled" in rest and "cancelling the job" in errors
    job = latest_job(session_factory)
    assert job.state == JobState.cancelled
    assert not playbook_processes(config_file.parent / "playbooks" / "very_slow.yml"), \
        "a cancelled run left ansible processes running"


def playbook_processes(playbook: Path, grace: float = 10) -> list[str]:
    """ansible-playbook processes still running this test's own PLAYBOOK once GRACE seconds have passed.

    The path is the test's own copy, so another worker's run of a playbook of the same name is not counted.
    """
    deadline = time.monotonic() + grace
    while True:
        found = []
        for process in psutil.process_iter(["cmdline"]):
            cmdline = " ".join(process.info["cmdline"] or [])
            if str(playbook) in cmdline and "ansible-playbook" in cmdline:
                found.append(f"{process.pid} {cmdline}")
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@SQLITE_ONLY
def test_jobs_list_show_cancel_and_purge(config_file, session_factory):
    assert ops(config_file, "provision", "hello.yml", "--check", "-e", "colour=blue").returncode == 0
    job = latest_job(session_factory)
    assert job.check_mode and job.extravars == {"colour": "blue"}
    listing = ops(config_file, "jobs", "list")
    assert listing.returncode == 0 and f"{job.id:>5} successful  hello.yml" in listing.stdout
    shown = ops(config_file, "jobs", "show", str(job.id))
    assert "check=yes" in shown.stdout and "PLAY RECAP" in shown.stdout and "web-b" in shown.stdout
    again = ops(config_file, "jobs", "cancel", str(job.id))
    assert again.returncode == 1 and "already ended (successful)" in again.stderr
    missing = ops(config_file, "jobs", "show", "999")
    assert missing.returncode == 1 and "no job 999" in missing.stderr
    assert ops(config_file, "jobs", "purge").stdout.strip() == "0 job(s) purged"
