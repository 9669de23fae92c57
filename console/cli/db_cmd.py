"""`ops db`: schema migrations."""

from __future__ import annotations

import click

from console import migrate
from console.common.time import window_of


def register(main: click.Group) -> None:
    main.add_command(db)


@click.group()
def db() -> None:
    """Create and upgrade the database schema (Alembic)."""


@db.command("upgrade")
@click.pass_obj
def upgrade(ctx) -> None:
    """Bring the schema to the newest revision; does nothing when already there."""
    before, after = migrate.upgrade(ctx.engine)
    if before == after:
        click.echo(f"database already at revision {after}")
    else:
        click.echo(f"database upgraded from {before or 'empty'} to {after}")
    _report_times(ctx)


@db.command("check-times")
@click.pass_obj
def check_times(ctx) -> None:
    """Name rows stamped outside the time window (before 2000, or past [console] max_future_hours); exit 1 if any.

    Nothing is changed: delete or correct such rows yourself (they were stored before the window was enforced).
    """
    if _report_times(ctx):
        raise click.exceptions.Exit(1)
    click.echo("no stored time outside the window")


def _report_times(ctx) -> int:
    """Print each column holding times outside the window to stderr; returns how many rows in all."""
    found = migrate.times_outside_window(ctx.engine, window_of(ctx.settings.console))
    for entry in found:
        click.echo(f"warning: {entry}", err=True)
    if found:
        click.echo("warning: these rows are kept as they are; `ops db check-times` lists them again", err=True)
    return sum(entry.count for entry in found)


@db.command("current")
@click.pass_obj
def current(ctx) -> None:
    """Show the schema revision and whether it is the newest."""
    now, head = migrate.current_revision(ctx.engine), migrate.head_revision(ctx.engine)
    click.echo(f"revision {now or 'none'} (newest {head}){'' if now == head else ' — run ops db upgrade'}")
