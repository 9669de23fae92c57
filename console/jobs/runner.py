"""One playbook run through ansible-runner's Python API, in the job's private data dir.

`run_playbook` blocks until ansible-playbook ends and returns ansible-runner's
status and return code; a failed playbook is data, not an exception. Events go
to the recorder as they happen; the recorder's `should_cancel` is the cancel
callback. Whatever the outcome, the files that may hold secrets (ansible-
runner's env/ and artifacts/, our secrets/) are removed before it returns.

ansible-runner stops a cancelled or timed-out run by SIGKILL to ansible-playbook's
process group, but ansible-core 2.19 workers call setsid() and so survive it,
still running the task. Every process of a run carries OPS_JOB_RUN=<token> in
its environment; after the run whatever still carries it is killed.
"""

from __future__ import annotations

import json
import os
import secrets as token_source
import shlex
import shutil
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from console.jobs.recorder import EventRecorder
from console.jobs.secrets import JobSecrets, write_private

PEXPECT_POLL_SECONDS = 0.5
RUN_FILES = ("secrets", "env", "artifacts", "project", "inventory")


@dataclass
class RunSpec:
    job_dir: Path
    playbook: Path
    inventory: Path
    limit: str = ""
    tags: str = ""
    check: bool = False
    diff: bool = False
    extravars: dict = field(default_factory=dict)  # the non-secret ones
    timeout_seconds: int = 7200
    project_dir: Path | None = None  # where ansible-playbook runs (its ansible.cfg); default: the playbook's folder


def run_playbook(spec: RunSpec, secrets: JobSecrets, recorder: EventRecorder) -> tuple[str, int | None]:
    import ansible_runner

    spec.job_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    run_token = token_source.token_hex(12)
    try:
        runner = ansible_runner.run(
            private_data_dir=str(spec.job_dir),
            ident="run",
            playbook=str(spec.playbook),
            project_dir=str(spec.project_dir or spec.playbook.parent),
            inventory=str(spec.inventory),
            limit=spec.limit or None,
            tags=spec.tags or None,
            extravars=spec.extravars or None,
            cmdline=_cmdline(spec, secrets) or None,
            ssh_key=secrets.ssh_key,
            envvars=_environment(run_token),
            settings={"pexpect_timeout": PEXPECT_POLL_SECONDS, "suppress_output_file": True,
                      "job_timeout": spec.timeout_seconds},
            quiet=True,
            event_handler=recorder.on_event,
            cancel_callback=recorder.should_cancel,
        )
        return runner.status, runner.rc
    finally:
        kill_leftover_processes(run_token)
        remove_run_files(spec.job_dir)


def _cmdline(spec: RunSpec, secrets: JobSecrets) -> str:
    args = (["--check"] if spec.check else []) + (["--diff"] if spec.diff else [])
    secret_dir = spec.job_dir / "secrets"
    if secrets.extravars:
        path = write_private(secret_dir, "extravars.json", json.dumps(secrets.extravars))
        args += ["--extra-vars", f"@{path}"]
    if secrets.vault_password:
        path = write_private(secret_dir, "vault-password", secrets.vault_password + "\n")
        args += ["--vault-password-file", str(path)]
    return shlex.join(args)


def _environment(run_token: str) -> dict[str, str]:
    """Plain output for people, no retry files, this Python's ansible-playbook first on PATH, the run's token."""
    bin_dir = str(Path(sys.executable).parent)
    return {
        "OPS_JOB_RUN": run_token,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
    }


def kill_leftover_processes(run_token: str) -> int:
    """SIGKILL every process still carrying this run's token (orphaned workers); returns how many."""
    killed = 0
    for process in psutil.process_iter():
        try:
            if process.environ().get("OPS_JOB_RUN") == run_token:
                process.send_signal(signal.SIGKILL)
                killed += 1
        except (psutil.Error, OSError):
            continue
    return killed


def remove_run_files(job_dir: Path) -> None:
    """Everything ansible-runner and we wrote for the run; the output is in the database."""
    for name in RUN_FILES:
        path = job_dir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists() or path.is_symlink():
            path.unlink(missing_ok=True)
