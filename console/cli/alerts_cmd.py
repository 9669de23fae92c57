"""`ops alerts`: ingest EVE files, follow live ones, purge old alerts, show ingest problems."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

import click

from console.alerts import retention as alerts_retention
from console.access.actor import Actor
from console.alerts.follow import Follower
from console.alerts.health import problem_counts
from console.alerts.ingest import default_sensor, ingest_files
from console.common.text import check_text
from console.common.time import window_of


def register(main: click.Group) -> None:
    main.add_command(alerts)


@click.group()
def alerts() -> None:
    """Suricata EVE ingest, the follower, retention."""


@alerts.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sensor", default="", help="Sensor name for records without a host field.")
@click.pass_obj
def ingest(ctx, paths: tuple[Path, ...], sensor: str) -> None:
    """Store EVE files (plain, rotated or .gz); a file already ingested adds nothing."""
    settings = ctx.settings.alerts
    factory = ctx.session_factory()
    total = sum(_raw_size(path) for path in paths)
    with click.progressbar(length=total, label="ingesting", file=sys.stderr) as bar:
        totals = ingest_files(factory, list(paths), default_sensor(check_text(sensor, "--sensor", 255)
                                                                   or settings.sensor_name),
                              settings.batch_size, settings.max_line_bytes, progress=bar.update,
                              window=window_of(ctx.settings.console))
    click.echo(totals.summary())


def _raw_size(path: Path) -> int:
    return path.stat().st_size


@alerts.command("follow")
@click.option("--exit-when-idle", is_flag=True, help="Stop once every file has been read to its end.")
@click.pass_obj
def follow(ctx, exit_when_idle: bool) -> None:
    """Tail the eve_files of [alerts] with a checkpoint per file (SIGTERM stops it cleanly)."""
    settings = ctx.settings.alerts
    if not settings.eve_files:
        raise click.UsageError("no [alerts] eve_files in the settings file")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    follower = Follower(ctx.session_factory(), settings, default_sensor(settings.sensor_name),
                        window_of(ctx.settings.console))
    click.echo(f"following {', '.join(str(p) for p in settings.eve_files)}", err=True)
    try:
        totals = follower.run(lambda: bool(stopping), exit_when_idle=exit_when_idle)
    except KeyboardInterrupt:
        totals = follower.totals
    click.echo(totals.summary())


@alerts.command("purge")
@click.option("--alert-days", type=int, default=None, help="Default: [alerts] alert_retention_days.")
@click.option("--context-days", type=int, default=None, help="Default: [alerts] context_retention_days.")
@click.pass_obj
def purge(ctx, alert_days: int | None, context_days: int | None) -> None:
    """Delete alerts, groups and context events older than the retention windows (audit-logged)."""
    settings = ctx.settings.alerts
    alert_days = alert_days or settings.alert_retention_days
    context_days = context_days or settings.context_retention_days
    with ctx.session() as session:
        removed = alerts_retention.purge(session, Actor.cli(), alert_days, context_days)
    click.echo(f"removed {removed.alerts} alerts and {removed.groups} groups older than {alert_days} days, "
               f"{removed.context_events} context events older than {context_days} days")


@alerts.command("problems")
@click.pass_obj
def problems(ctx) -> None:
    """Lines that could not be stored, per source and kind, with the last one described."""
    with ctx.session() as session:
        rows = problem_counts(session)
    if not rows:
        click.echo("no ingest problems")
    for row in rows:
        click.echo(f"{row['source']}\t{row['kind']}\t{row['count']}\t{row['last_detail']}")
