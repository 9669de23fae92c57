"""`ops auth ldap test USERNAME`: what the directory says about a user, and the role it would give; stores nothing."""

from __future__ import annotations

import sys

import click

from console.access.directory.accounts import lookup
from console.errors import ConfigError


def register(main: click.Group) -> None:
    main.add_command(auth)


@click.group()
def auth() -> None:
    """Sign-in settings: the department's directory ([auth.ldap])."""


@auth.group()
def ldap() -> None:
    """LDAP / Active Directory sign-in."""


@ldap.command("test")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the user's password from stdin (one line).")
@click.option("--no-password", is_flag=True, help="Only look the user up; do not check a password.")
@click.pass_obj
def test(ctx, username: str, password_stdin: bool, no_password: bool) -> None:
    """Find USERNAME as the service account, list its groups and the console role they give.

    With a password (prompted for, or --password-stdin) it also binds as the user to check it.
    Nothing is written to the console's database. Exit 0 when the user could sign in, 1 when not.
    """
    config = ctx.settings.auth.ldap
    if not config.enabled:
        raise ConfigError(ctx.settings.source, "enabled = false: set up [auth.ldap] first", key="auth.ldap.enabled")
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif not no_password:
        password = click.prompt("password (empty: do not check)", hide_input=True, default="", show_default=False)
    result = lookup(config, username, password or None)
    if result.user is None:
        click.echo(f"{username}: not found under {config.user_base} with {config.user_filter}")
        sys.exit(1)
    click.echo(f"dn: {result.user.dn}")
    click.echo(f"display name: {result.user.display_name or '-'}")
    click.echo(f"disabled in the directory: {'yes' if result.user.disabled else 'no'}")
    click.echo(f"groups ({config.group_mode}):")
    for group in result.user.groups:
        click.echo(f"  {group}")
    click.echo(f"mapped groups: {', '.join(result.matched) if result.matched else '-'}")
    click.echo(f"role: {result.role.value if result.role else '- (in no mapped group: sign-in refused)'}")
    if result.password_ok is not None:
        click.echo(f"password: {'ok' if result.password_ok else 'refused by the directory'}")
    click.echo("nothing was stored")
    if result.user.disabled or result.role is None or result.password_ok is False:
        sys.exit(1)
