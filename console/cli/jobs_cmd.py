"""`ops provision` (run a playbook here, with live output) and `ops jobs` (history, cancel, purge, worker).

`ops provision` exit codes: 0 successful, 2 a host failed, 3 a host was
unreachable, 4 cancelled, 1 the job could not run or was refused.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import click

from console.jobs.secrets import JobSecrets
from console.jobs.serialize import job_as_dict
from console.models.jobs import JobState
from console.jobs import service as jobs
from console.access.actor import Actor

ENV_NOT_FOR_ANSIBLE = ("OPS_DATABASE_URL", "OPS_SECRET_KEY")
MAX_FILE_BYTES = 64 * 1024


def register(main: click.Group) -> None:
    main.add_command(provision)
    main.add_command(jobs_group)


@click.command()
@click.argument("playbook")
@click.option("--limit", "-l", default="", help="Ansible host pattern limiting the run (refused if it names no host).")
@click.option("--tags", "-t", default="", help="Only tasks with these tags (comma-separated).")
@click.option("--check", "-C", is_flag=True, help="Check mode: report what would change, change nothing.")
@click.option("--extra-var", "-e", "extra_vars", multiple=True, metavar="NAME=VALUE", help="An extra variable.")
@click.option("--secret-var", "secret_vars", multiple=True, metavar="NAME[=VALUE]",
              help="A secret extra variable, redacted everywhere; without =VALUE it is asked for (hidden).")
@click.option("--vault-password-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="File holding the Ansible Vault password.")
@click.option("--ssh-key-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Private key to connect with (handed to ssh-agent, never stored).")
@click.pass_obj
def provision(ctx, playbook, limit, tags, check, extra_vars, secret_vars, vault_password_file, ssh_key_file):
    """Run PLAYBOOK from [jobs] playbooks_dir here, showing task and host lines as they happen.

    The run is recorded as a job like one started from the console.
    Exit code: 0 successful, 2 failed hosts, 3 unreachable hosts, 4 cancelled (Ctrl-C), 1 error.
    """
    settings = ctx.settings
    extravars = jobs.parse_extravars(list(extra_vars), "--extra-var")
    secrets = _secret_vars(secret_vars)
    request = jobs.LaunchRequest(playbook, limit, tags, check, {**extravars, **secrets}, set(secrets),
                                 _read_secret_file(vault_password_file), _read_secret_file(ssh_key_file))
    with ctx.session() as session:
        job, job_secrets = jobs.launch(session, Actor.cli(), settings, request)
    click.echo(f"job {job.id}: {playbook} on {job.host_count} host(s){' (check mode)' if check else ''}")
    _scrub_environment()
    interrupted = _catch_ctrl_c()
    ended = jobs.run(ctx.session_factory(), settings, job.id, job_secrets,
                     echo=lambda row: click.echo(row.stdout), interrupted=interrupted)
    _print_summary(ctx, ended.id)
    click.get_current_context().exit(jobs.exit_code(ended))


def _secret_vars(items) -> dict[str, str]:
    found = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            value = click.prompt(f"{name}", hide_input=True)
        found.update(jobs.parse_extravars([f"{name}={value}"], "--secret-var"))
    return found


def _read_secret_file(path: Path | None) -> str | None:
    if path is None:
        return None
    data = path.read_bytes()[:MAX_FILE_BYTES + 1]
    if len(data) > MAX_FILE_BYTES:
        raise click.BadParameter(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    return data.decode("utf-8").rstrip("\n") + ("\n" if b"PRIVATE KEY" in data else "")


def _scrub_environment() -> None:
    """ansible-playbook needs no console secrets; keep them out of its environment."""
    for name in ENV_NOT_FOR_ANSIBLE:
        os.environ.pop(name, None)


def _catch_ctrl_c():
    """SIGINT (Ctrl-C) and SIGTERM cancel the job: the run stops and the job ends `cancelled`."""
    state = {"stop": False}

    def handler(_signum, _frame):
        if not state["stop"]:
            click.echo("ops: cancelling the job…", err=True)
        state["stop"] = True

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return lambda: state["stop"]


def _print_summary(ctx, job_id: int) -> None:
    with ctx.session() as session:
        job = jobs.get_job(session, job_id)
        data = job_as_dict(job, with_hosts=True)
    counts = " ".join(f"{k}={v}" for k, v in data["counts"].items())
    click.echo(f"job {job_id} {data['state']}: {counts}")
    if data["error_message"]:
        click.echo(f"  {data['error_message']}")
    for host in data["host_results"]:
        reason = f"  {host['last_error'].splitlines()[0]}" if host["last_error"] else ""
        click.echo(f"  {host['host']:<24} {host['status']:<12}{reason}")


@click.group("jobs")
def jobs_group() -> None:
    """Playbook runs: history, output, cancel, purge."""


@jobs_group.command("list")
@click.option("--state", type=click.Choice([s.value for s in JobState]), default=None)
@click.option("--limit", "count", type=click.IntRange(1, 1000), default=30, show_default=True)
@click.pass_obj
def list_(ctx, state, count) -> None:
    """Jobs, newest first."""
    with ctx.session() as session:
        click.echo(f"{'ID':>5} {'STATE':<11} {'PLAYBOOK':<24} {'BY':<16} {'CREATED (UTC)':<16} HOSTS OK CHG FAIL UNR")
        for job in jobs.list_jobs(session, state=state, limit=count):
            click.echo(f"{job.id:>5} {job.state.value:<11} {job.playbook[:24]:<24} {job.started_by[:16]:<16} "
                       f"{job.created_at:%Y-%m-%d %H:%M} {job.host_count:>5} {job.ok_count:>2} "
                       f"{job.changed_count:>3} {job.failed_count:>4} {job.unreachable_count:>3}")


@jobs_group.command("show")
@click.argument("job_id", type=int)
@click.option("--output/--no-output", default=True, show_default=True, help="Print the stored output too.")
@click.pass_obj
def show(ctx, job_id: int, output: bool) -> None:
    """One job: its settings, output and per-host results."""
    with ctx.session() as session:
        job = jobs.get_job(session, job_id)
        click.echo(f"job {job.id}: {job.playbook} limit={job.limit or 'all'} tags={job.tags or '-'} "
                   f"check={'yes' if job.check_mode else 'no'} by {job.started_by} at {job.created_at:%Y-%m-%d %H:%M} UTC")
        if output:
            for event in jobs.events_after(session, job_id, 0, limit=1_000_000):
                click.echo(event.stdout)
    _print_summary(ctx, job_id)


@jobs_group.command("cancel")
@click.argument("job_id", type=int)
@click.pass_obj
def cancel(ctx, job_id: int) -> None:
    """Cancel a queued or running job; its worker stops ansible-playbook within a few seconds."""
    with ctx.session() as session:
        job = jobs.cancel(session, Actor.cli(), job_id)
        state = job.state.value
    click.echo(f"job {job_id}: {'cancelled' if state == 'cancelled' else 'cancel requested'}")


@jobs_group.command("purge")
@click.option("--days", type=click.IntRange(1, 3650), default=None, help="Default: [jobs] keep_days.")
@click.pass_obj
def purge(ctx, days: int | None) -> None:
    """Delete ended jobs older than --days, with their output."""
    with ctx.session() as session:
        count = jobs.purge(session, Actor.cli(), ctx.settings, days)
    click.echo(f"{count} job(s) purged")


@jobs_group.command("run-worker", hidden=True)
@click.argument("job_id", type=int)
@click.pass_obj
def run_worker(ctx, job_id: int) -> None:
    """Run a queued job (started by the console); its secrets arrive as JSON on stdin."""
    settings = ctx.settings
    secrets = JobSecrets.from_json("" if sys.stdin.isatty() else sys.stdin.read())
    _scrub_environment()
    job = jobs.run(ctx.session_factory(), settings, job_id, secrets, interrupted=_catch_ctrl_c())
    click.echo(f"job {job_id} {job.state.value}")
