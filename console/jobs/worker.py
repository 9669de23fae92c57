"""Starting a job's worker process, detached from whoever asked for it.

The console never runs a playbook inside a web request: it inserts the queued
job, commits, and starts `ops jobs run-worker JOB_ID` in its own session
(process group), so a gunicorn worker restart does not stop the run. The
job's secrets go to the worker on its stdin, never through a file or argv.
A thread waits for the child so it does not linger as a zombie.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from console.jobs.secrets import JobSecrets

if TYPE_CHECKING:  # annotations only: settings assembles the areas' config sections, above them
    from console.settings import Settings

SCRUBBED_ENV = ("OPS_SECRET_KEY",)


def spawn_worker(settings: Settings, job_id: int, secrets: JobSecrets) -> int:
    """Start the worker for a queued job; returns its pid. The job row must be committed."""
    job_dir = settings.jobs.private_data_dir / str(job_id)
    job_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    command = [sys.executable, "-m", "console.cli"]
    if settings.source:
        command += ["--config", str(settings.source)]
    command += ["jobs", "run-worker", str(job_id)]
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    log = open(job_dir / "worker.log", "ab")
    try:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True, close_fds=True, env=env, cwd=_cwd(settings))
    finally:
        log.close()
    try:
        process.stdin.write(secrets.to_json().encode())
        process.stdin.close()
    except BrokenPipeError:
        pass  # the worker died at once; its log says why, and the job is ended as error when reaped
    threading.Thread(target=process.wait, name=f"job-{job_id}-reaper", daemon=True).start()
    return process.pid


def _cwd(settings: Settings) -> str:
    return str(Path(settings.source).parent) if settings.source else os.getcwd()


def worker_alive(pid: int | None, node: str) -> bool:
    """Whether a job's worker still runs (only answerable on the node that started it)."""
    if pid is None or node != node_name():
        return True
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def node_name() -> str:
    return os.uname().nodename
