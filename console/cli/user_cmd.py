"""`ops user`: console users from the console host's shell (acts as the local admin)."""

from __future__ import annotations

import sys

import click

from console.models.users import Role
from console.access import users
from console.access.actor import Actor

ROLES = click.Choice([r.value for r in Role])


def register(main: click.Group) -> None:
    main.add_command(user)


@click.group()
def user() -> None:
    """Add, list, disable and re-enable console users; set roles and passwords."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=ROLES, required=True, help="admin, it_staff, security_officer or auditor.")
@click.option("--display-name", default="", help="Full name shown in the console.")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin instead of generating one.")
@click.pass_obj
def add(ctx, username: str, role: str, display_name: str, password_stdin: bool) -> None:
    """Create a user. Without --password-stdin a password is generated and printed once."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with ctx.session() as session:
        created, generated = users.create_user(session, Actor.cli(), ctx.settings.security, username, role,
                                               password=password, display_name=display_name)
        name = created.username
    click.echo(f"user {name} created with role {role}")
    if generated:
        click.echo(f"password (shown once): {generated}")


@user.command("bootstrap")
@click.option("--username", default="admin", show_default=True)
@click.pass_obj
def bootstrap(ctx, username: str) -> None:
    """Create the first admin if there is none, printing its password once (used by `make demo`)."""
    with ctx.session() as session:
        if users.count_admins(session):
            click.echo("an admin exists already (ops user reset-password NAME gives a new password)")
            return
        _created, generated = users.create_user(session, Actor.cli(), ctx.settings.security, username, "admin")
    click.echo(f"first admin created: {username}")
    click.echo(f"password (shown once): {generated}")


@user.command("list")
@click.pass_obj
def list_(ctx) -> None:
    """List users with role, status and last login."""
    with ctx.session() as session:
        rows = users.list_users(session, Actor.cli())
        click.echo(f"{'USERNAME':<20} {'ROLE':<17} {'SOURCE':<7} {'STATUS':<9} LAST LOGIN (UTC)")
        for row in rows:
            status = "active" if row.is_active else "disabled"
            last = row.last_login_at.strftime("%Y-%m-%d %H:%M") if row.last_login_at else "-"
            click.echo(f"{row.username:<20} {row.role.value:<17} {row.source:<7} {status:<9} {last}")


@user.command("disable")
@click.argument("username")
@click.pass_obj
def disable(ctx, username: str) -> None:
    """Disable a user: they can no longer log in and their sessions and tokens stop working."""
    with ctx.session() as session:
        users.set_active(session, Actor.cli(), username, False)
    click.echo(f"user {username} disabled")


@user.command("enable")
@click.argument("username")
@click.pass_obj
def enable(ctx, username: str) -> None:
    """Enable a disabled user."""
    with ctx.session() as session:
        users.set_active(session, Actor.cli(), username, True)
    click.echo(f"user {username} enabled")


@user.command("set-role")
@click.argument("username")
@click.argument("role", type=ROLES)
@click.pass_obj
def set_role(ctx, username: str, role: str) -> None:
    """Change a user's role."""
    with ctx.session() as session:
        users.set_role(session, Actor.cli(), username, role)
    click.echo(f"user {username} now has role {role}")


@user.command("reset-password")
@click.argument("username")
@click.pass_obj
def reset_password(ctx, username: str) -> None:
    """Give a user a new generated password (printed once) and unlock the account."""
    with ctx.session() as session:
        password = users.reset_password(session, Actor.cli(), ctx.settings.security, username)
    click.echo(f"new password for {username} (shown once): {password}")
