"""`ops inventory`: the Ansible inventory as the console's asset list."""

from __future__ import annotations

import click

from console.access.actor import Actor
from console.inventory.reader import read_inventory
from console.inventory.sync import sync_inventory


def register(main: click.Group) -> None:
    main.add_command(inventory)


@click.group()
def inventory() -> None:
    """Check the inventory and sync it into the console's host list."""


@inventory.command("check")
@click.pass_obj
def check(ctx) -> None:
    """Read inventory/ and report hosts, units and roles, or the first error with file and line."""
    conf = ctx.settings.inventory
    parsed = read_inventory(conf.path, conf.unit_group, conf.role_group)
    units = sorted({h.unit for h in parsed.hosts.values() if h.unit})
    roles = sorted({r for h in parsed.hosts.values() for r in h.roles})
    click.echo(f"{conf.path}: {len(parsed.hosts)} hosts, {len(units)} units, {len(roles)} roles")


@inventory.command("sync")
@click.pass_obj
def sync(ctx) -> None:
    """Upsert hosts and groups: new ones added, changed ones updated, removed ones retired."""
    with ctx.session() as session:
        result = sync_inventory(session, Actor.cli(), ctx.settings.inventory)
    click.echo(f"inventory synced: {result.summary()}")
