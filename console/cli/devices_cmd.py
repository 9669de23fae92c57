"""`ops devices`: the devices the console polls itself (console/devices/kinds: UPS, firewall, uplink, room)."""

from __future__ import annotations

import click

from console.devices import service as devices
from console.access.actor import Actor


def register(main: click.Group) -> None:
    main.add_command(devices_group)


@click.group("devices")
def devices_group() -> None:
    """List and poll the [[devices]] of ops.toml (no agent on them)."""


@devices_group.command("list")
@click.option("--kind", default=None, help="Only this kind (ups, firewall, uplink, room).")
@click.pass_obj
def list_(ctx, kind: str | None) -> None:
    """Every configured device with its last state (uplinks: status, traffic, errors; rooms: temperature, humidity)."""
    kind = devices.parse_kind(kind)
    with ctx.session() as session:
        devices.sync_devices(session, Actor.cli(), ctx.settings.devices)
        states = [item for item in devices.latest_states(session) if kind in (None, item.kind)]
    click.echo(f"{'DEVICE':<20} {'KIND':<9} {'VIA':<7} {'STATUS':<8} {'LAST STATE (UTC)':<17} DETAIL")
    for item in states:
        when = f"{item.collected_at:%Y-%m-%d %H:%M}" if item.collected_at else "-"
        click.echo(f"{item.name:<20} {item.kind:<9} {item.connector:<7} {item.status:<8} {when:<17} {_detail(item)}")


@devices_group.command("poll")
@click.option("--device", "name", default=None, help="Poll only this device (default: all).")
@click.pass_obj
def poll(ctx, name: str | None) -> None:
    """Poll now and store one state per device; exit 1 if any device is unknown."""
    with ctx.session() as session:
        if name:
            results = [devices.poll_one(session, ctx.settings, name, Actor.cli())]
        else:
            devices.sync_devices(session, Actor.cli(), ctx.settings.devices)
            results = devices.poll_all(session, ctx.settings, Actor.cli())
    for result in results:
        click.echo(f"{result.name}: {result.status}" + (f" ({result.reason})" if result.reason else ""))
    if any(result.status != "ok" for result in results):
        click.get_current_context().exit(1)


def _detail(item) -> str:
    return devices.summary(item)
