"""`ops fleet`: the console's side of the host agents (tokens, list, revoke, retention)."""

from __future__ import annotations

import click

from console.agents import enrolment as agents
from console.agents import host_reports as reports
from console.access.actor import Actor
from console.errors import ValidationFailed
from console.inventory.hosts import HostFilter, filtered_hosts


def register(main: click.Group) -> None:
    main.add_command(fleet)


@click.group()
def fleet() -> None:
    """Enrol, list and revoke host agents; purge old reports."""


@fleet.command("enroll-token")
@click.option("--host", default="", help="Bind the token to this inventory host (default: any host).")
@click.option("--hours", type=int, default=24, show_default=True, help="Hours the token stays valid.")
@click.option("--uses", type=int, default=1, show_default=True, help="How many hosts may enrol with it.")
@click.pass_obj
def enroll_token(ctx, host: str, hours: int, uses: int) -> None:
    """Make a one-time enrolment token and print it once."""
    with ctx.session() as session:
        row, token = agents.create_enrollment_token(session, Actor.cli(), host, hours, uses)
        expires = f"{row.expires_at:%Y-%m-%d %H:%M} UTC"
    click.echo(f"enrolment token for {host or 'any host'}, {uses} use(s), expires {expires}")
    click.echo(f"token (shown once): {token}")


@fleet.command("list")
@click.option("--unit", default="", help="Only hosts of this unit (its inventory group).")
@click.option("--role", default="", help="Only hosts of this role (a role_* inventory group).")
@click.option("--status", default="", help="active (the default), retired or all.")
@click.option("--search", "-q", "search", default="", help="Part of the name or address.")
@click.pass_obj
def list_(ctx, unit: str, role: str, status: str, search: str) -> None:
    """Every active host with its agent status and last report (narrowed as the Hosts page and the API narrow it)."""
    try:
        host_filter = HostFilter.parse({"unit": unit, "role": role, "status": status, "q": search},
                                       default_status="active")
    except ValidationFailed as exc:
        raise click.BadParameter(exc.message, param_hint="--status") from None
    with ctx.session() as session:
        click.echo(f"{'HOST':<22} {'STATUS':<11} LAST SEEN (UTC)")
        hosts = filtered_hosts(session, host_filter, limit=100000)
        states = reports.conditions(session, hosts)
        for host in hosts:
            state = states[host.id]
            seen = f"{state.last_seen_at:%Y-%m-%d %H:%M}" if state.last_seen_at else "-"
            click.echo(f"{host.name:<22} {state.status.value:<11} {seen}")


@fleet.command("revoke")
@click.argument("agent_id")
@click.pass_obj
def revoke(ctx, agent_id: str) -> None:
    """Revoke an agent; its reports are refused from now on."""
    with ctx.session() as session:
        agent = agents.revoke(session, Actor.cli(), agent_id)
        host = agent.host.name
    click.echo(f"agent {agent_id} of {host} revoked")


@fleet.command("purge")
@click.option("--older-than-days", type=int, default=None, help="Default: [reports] retention_days.")
@click.pass_obj
def purge(ctx, older_than_days: int | None) -> None:
    """Delete reports older than the retention window; the count goes to the audit log."""
    days = older_than_days or ctx.settings.reports.retention_days
    with ctx.session() as session:
        removed = reports.purge(session, Actor.cli(), days)
    click.echo(f"removed {removed} reports older than {days} days")
