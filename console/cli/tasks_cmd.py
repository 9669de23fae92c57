"""`ops tasks`: the consumer that runs background tasks (Run now, Poll now, rules deploy), and their records."""

from __future__ import annotations

import json
import logging

import click


def register(main: click.Group) -> None:
    main.add_command(tasks)


@click.group()
def tasks() -> None:
    """Background tasks: run the consumer, list and show tasks."""


@tasks.command("worker")
@click.option("--workers", type=click.IntRange(1, 32), default=2, show_default=True,
              help="Tasks run at the same time by this consumer (threads).")
@click.pass_obj
def worker(ctx, workers: int) -> None:
    """Run the task consumer in the foreground (systemd or `make demo` runs it); Ctrl-C stops it after its tasks."""
    from console.tasks import queue, work  # noqa: F401 (work: the consumer's executor)

    ctx.checked_engine  # refuse a database behind its migrations, as `ops console serve` does
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    kind, where = queue.location(ctx.settings)
    click.echo(f"ops tasks worker: {workers} workers, queue in {kind} "
               f"({where if kind == 'sqlite' else ctx.checked_engine.url.render_as_string(hide_password=True)})")
    queue.consumer(ctx.settings, workers=workers).run()


@tasks.command("list")
@click.option("--kind", default=None, help="Only this kind (compliance.run, devices.poll, rules.deploy).")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
@click.pass_obj
def list_(ctx, kind: str | None, limit: int, as_json: bool) -> None:
    """The newest tasks, with their state and who started them."""
    from console.tasks import service

    with ctx.session() as session:
        rows = [service.task_as_dict(t) for t in service.list_tasks(session, kind=kind, limit=limit)]
    for row in rows:
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(f"{row['id']:>6}  {row['kind']:<15} {row['state']:<8} {row['started_by']:<20} "
                       f"{row['created_at']}  {row['error'] or row['progress'] or ''}")


@tasks.command("show")
@click.argument("task_id", type=click.IntRange(1, 2**62))
@click.pass_obj
def show(ctx, task_id: int) -> None:
    """One task as JSON."""
    from console.tasks import service

    with ctx.session() as session:
        click.echo(json.dumps(service.task_as_dict(service.get_task(session, task_id)), ensure_ascii=False, indent=2))
