"""`ops db`: schema migrations."""

from __future__ import annotations

import click

from console import migrate


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


@db.command("current")
@click.pass_obj
def current(ctx) -> None:
    """Show the schema revision and whether it is the newest."""
    now, head = migrate.current_revision(ctx.engine), migrate.head_revision(ctx.engine)
    click.echo(f"revision {now or 'none'} (newest {head}){'' if now == head else ' — run ops db upgrade'}")
