"""`ops token`: API bearer tokens from the console host's shell."""

from __future__ import annotations

import click

from console.models.users import Role
from console.access import tokens
from console.access.actor import Actor


def register(main: click.Group) -> None:
    main.add_command(token)


@click.group()
def token() -> None:
    """Issue, list and revoke API tokens (for scripts and Prometheus)."""


@token.command("create")
@click.option("--user", "owner", required=True, help="The user the token acts as.")
@click.option("--name", required=True, help="What the token is for, e.g. 'prometheus'.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=None,
              help="Defaults to the user's role; only an admin user's token may carry another.")
@click.option("--days", type=int, default=None, help="Days valid (default: [security] api_token_days).")
@click.pass_obj
def create(ctx, owner: str, name: str, role: str | None, days: int | None) -> None:
    """Issue a token and print it once; only its digest is stored."""
    with ctx.session() as session:
        row, secret = tokens.create_token(session, Actor.cli(), name, role, days or ctx.settings.security.api_token_days,
                                          owner=owner, max_live=ctx.settings.security.max_tokens_per_user)
        summary = f"token {row.id} ({row.name}, role {row.role.value}) for {owner}, expires {row.expires_at:%Y-%m-%d}"
    click.echo(summary)
    click.echo(f"token (shown once): {secret}")


@token.command("list")
@click.pass_obj
def list_(ctx) -> None:
    """List every user's tokens (never the tokens themselves)."""
    with ctx.session() as session:
        click.echo(f"{'ID':>4} {'OWNER':<16} {'NAME':<20} {'ROLE':<17} {'EXPIRES':<10} STATE")
        for row in tokens.list_tokens(session, Actor.cli(), everyone=True):
            state = "revoked" if row.revoked_at else "live"
            click.echo(f"{row.id:>4} {row.user.username:<16} {row.name[:20]:<20} {row.role.value:<17} "
                       f"{row.expires_at:%Y-%m-%d} {state}")


@token.command("revoke")
@click.argument("token_id", type=int)
@click.pass_obj
def revoke(ctx, token_id: int) -> None:
    """Revoke a token at once."""
    with ctx.session() as session:
        tokens.revoke_token(session, Actor.cli(), token_id)
    click.echo(f"token {token_id} revoked")
