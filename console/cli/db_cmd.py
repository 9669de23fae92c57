"""`ops db`: schema migrations, backup and restore."""

from __future__ import annotations

from pathlib import Path

import click

from console import migrate
from console.common.time import window_of


def register(main: click.Group) -> None:
    main.add_command(db)


@click.group()
def db() -> None:
    """Create and upgrade the database schema (Alembic); back up and restore the console."""


@db.command("upgrade")
@click.pass_obj
def upgrade(ctx) -> None:
    """Bring the schema to the newest revision; does nothing when already there.

    A migration that fails is one line naming the error and the revision the database is left at (exit 2).
    """
    before, after = migrate.upgrade_or_explain(ctx.engine)
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


@db.command("backup")
@click.option("--output", type=click.Path(path_type=Path),
              help="A folder (the file gets its usual name there) or a file name. Default: [backup] folder.")
@click.option("--keep", type=click.IntRange(1, 1000), default=None,
              help="Newest backups kept in that folder. Default: [backup] keep.")
@click.pass_obj
def backup_command(ctx, output: Path | None, keep: int | None) -> None:
    """Write one file holding the database, the secret key, ruleset versions, evidence and reports.

    Prints the file's path. Exit 2 (and no file left behind) when it cannot be written.
    """
    from console.backup import backup

    click.echo(str(backup(ctx.settings, output, keep)))


@db.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@click.pass_obj
def restore_command(ctx, path: Path) -> None:
    """Replace the database and files with a backup's; an older backup is then migrated up.

    Refuses (exit 2, nothing changed) a damaged file or one from a newer schema.
    Stop the console, the scheduler and the task worker first.
    """
    from console.backup import restore

    summary = restore(ctx.settings, path)
    upgraded = "" if summary.backup_revision == summary.revision else \
        f", upgraded from revision {summary.backup_revision or 'empty'}"
    click.echo(f"restored {summary.path} (made {summary.created_at} by Ops Console {summary.app_version}): "
               f"{summary.tables} tables, {summary.rows} rows, {summary.files} files; database at revision "
               f"{summary.revision}{upgraded}")
