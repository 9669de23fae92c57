"""`ops scheduler`: the long-running process that starts nightly work (compliance, device polling)."""

from __future__ import annotations

import logging

import click


def register(main: click.Group) -> None:
    main.add_command(scheduler)


@click.group()
def scheduler() -> None:
    """Run scheduled jobs: the nightly compliance run at [compliance] run_at, device polling."""


@scheduler.command("run")
@click.option("--once", is_flag=True, help="Run the nightly compliance job now, once, and exit.")
@click.pass_obj
def run(ctx, once: bool) -> None:
    """Start the scheduler in the foreground (systemd runs it as a service); Ctrl-C stops it."""
    from console.compliance.schedule import nightly_compliance
    from console.scheduler import build_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)  # not a line per outbox round
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per HTTP check: results are on the page
    # The service checks' round is tried every second and skipped while the previous one runs: not a warning a second.
    logging.getLogger("apscheduler.scheduler").addFilter(
        lambda record: not ("check_availability" in record.getMessage()
                            and "maximum number of running instances" in record.getMessage()))
    if once:
        run_id = nightly_compliance(ctx.settings)
        click.echo(f"compliance run {run_id}" if run_id else "skipped: another compliance run is in progress")
        return
    jobs = build_scheduler(ctx.settings)
    for job in jobs.get_jobs():
        click.echo(f"scheduled: {job.id} ({job.trigger})")
    try:
        jobs.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("scheduler stopped")
