"""`ops lab`: test hosts as network namespaces with their own sshd, for the playbooks."""

from __future__ import annotations

import click

from console import lab
from console.access.actor import Actor

NAME_OPTION = click.option("--name", default=lab.DEFAULT_NAME, show_default=True,
                           help="Lab name: several labs can be up at once.")


def register(main: click.Group) -> None:
    main.add_command(lab_group)


@click.group("lab")
def lab_group() -> None:
    """Bring up, inspect and remove a lab of SSH hosts (needs root)."""


@lab_group.command("up")
@click.argument("count", type=click.IntRange(1, 100))
@NAME_OPTION
@click.option("--console-port", type=click.IntRange(1, 65535), default=None,
              help="Port the console listens on at the lab's bridge address; sets ops_console_url.")
@click.pass_obj
def up(ctx, count: int, name: str, console_port: int | None) -> None:
    """Make COUNT hosts (lab-host-01...) and write an Ansible inventory for them."""
    settings = ctx.settings
    state = lab.up(settings.paths.var_dir, count, name, settings.inventory.path, console_port)
    click.echo(f"lab {name}: {len(state.hosts)} hosts on {state.bridge} ({state.gateway}/24)")
    for host in state.hosts:
        click.echo(f"  {host.name}  {host.address}  netns {host.namespace}")
    click.echo(f"inventory: {state.inventory_file}")


@lab_group.command("down")
@NAME_OPTION
@click.pass_obj
def down(ctx, name: str) -> None:
    """Remove the lab: processes, namespaces, links and files, also what a crash left."""
    removed = lab.down(ctx.settings.paths.var_dir, name)
    click.echo(f"lab {name}: removed {len(removed)} items" if removed else f"lab {name}: nothing to remove")


@lab_group.command("status")
@NAME_OPTION
@click.pass_obj
def status(ctx, name: str) -> None:
    """Show the lab's hosts, whether each namespace exists and each sshd answers."""
    state, rows = lab.status(ctx.settings.paths.var_dir, name)
    if state is None:
        others = lab.labs(ctx.settings.paths.var_dir)
        click.echo(f"lab {name}: not up" + (f" (labs up: {', '.join(others)})" if others else ""))
        return
    click.echo(f"lab {name}: {state.status}, {len(rows)} hosts on {state.bridge} ({state.gateway}/24)")
    for row in rows:
        click.echo(f"  {row.name}  {row.address}  namespace {'yes' if row.namespace_present else 'MISSING'}"
                   f"  sshd {'answers' if row.sshd_answers else 'DOWN'}")
    click.echo(f"inventory: {state.inventory_file}")


@lab_group.command("sync-inventory")
@NAME_OPTION
@click.pass_obj
def sync_inventory_command(ctx, name: str) -> None:
    """Make the estate's hosts plus the lab's hosts the console's asset list.

    A later plain `ops inventory sync` retires the lab's hosts again.
    """
    from console.lab.errors import LabError
    from console.inventory.sync import sync_inventory

    settings = ctx.settings
    state = lab.load(settings.paths.var_dir, name)
    if state is None:
        raise LabError(f"lab {name!r} is not up")
    merged = lab.merged_with_estate(state, settings.inventory.path, settings.paths.var_dir / "lab" /
                                    f"{name}-with-estate")
    conf = settings.inventory.model_copy(update={"path": merged})
    with ctx.session() as session:
        result = sync_inventory(session, Actor.cli(), conf)
    click.echo(f"inventory synced with lab {name}: {result.summary()}")
