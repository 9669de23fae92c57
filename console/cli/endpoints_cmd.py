"""`ops endpoints`: the hosts Kaspersky Security Center manages, their coverage, and the unmanaged devices."""

from __future__ import annotations

import click

from console.access.actor import Actor
from console.endpoints import coverage, service


def register(main: click.Group) -> None:
    main.add_command(endpoints_group)


@click.group("endpoints")
def endpoints_group() -> None:
    """Endpoints from Kaspersky Security Center ([endpoints] of ops.toml) and antivirus coverage."""


@endpoints_group.command("list")
@click.option("--unit", default="", help="Only this unit (its inventory group name).")
@click.option("--state", type=click.Choice(service.STATES), default=None, help="Only endpoints in this state.")
@click.option("--product", default="", help="Only this protection product version (KLHST_WKS_RTP_AV_VERSION).")
@click.option("--limit", type=click.IntRange(1, 500), default=100, show_default=True)
@click.pass_obj
def list_(ctx, unit: str, state: str | None, product: str, limit: int) -> None:
    """The endpoints of the last sync, by name, with their protection state."""
    wanted = service.parse_filter({"unit": unit, "state": state or "", "product": product, "limit": str(limit)})
    with ctx.session() as session:
        rows = service.list_endpoints(session, wanted)
        last = service.last_sync(session)
    if last is not None:
        click.echo(f"last sync {last.started_at:%Y-%m-%d %H:%M} UTC: {last.status}"
                   + (f" ({last.reason})" if last.reason else f", {last.host_count} hosts"))
    click.echo(f"{'ENDPOINT':<28} {'ADDRESS':<15} {'UNIT':<26} {'STATE':<15} {'BASES (UTC)':<17} INVENTORY HOST")
    for row in rows:
        bases = f"{row.bases_at:%Y-%m-%d %H:%M}" if row.bases_at else "-"
        click.echo(f"{row.name:<28} {row.address:<15} {row.unit or '-':<26} {row.state:<15} {bases:<17} "
                   f"{row.host_name or '-'}")


@endpoints_group.command("sync")
@click.pass_obj
def sync(ctx) -> None:
    """Read every host from KSC now and store them in one transaction; exit 1 if KSC could not be read."""
    with ctx.session() as session:
        result = service.sync(session, ctx.settings, Actor.cli())
        read = coverage.refresh_seen(session, ctx.settings)
        figure = coverage.overview(session, ctx.settings) if result.status == "ok" else None
    click.echo(f"endpoints: {result.summary()}")
    click.echo(f"addresses seen by the IDS: {read} new flow/DHCP events read")
    if figure is not None:
        click.echo(_figure_line(figure))
    if result.status != "ok":
        click.get_current_context().exit(1)


@endpoints_group.command("unmanaged")
@click.pass_obj
def unmanaged(ctx) -> None:
    """Internal addresses the IDS saw (flow, DHCP) that are neither in the inventory nor in KSC."""
    with ctx.session() as session:
        coverage.refresh_seen(session, ctx.settings)
        rows = coverage.unmanaged(session, ctx.settings)
        figure = coverage.overview(session, ctx.settings)
    click.echo(f"{'ADDRESS':<40} {'FIRST SEEN (UTC)':<17} {'LAST SEEN (UTC)':<17} {'SENSOR':<16} EVENT")
    for row in rows:
        click.echo(f"{row.address:<40} {row.first_seen_at:%Y-%m-%d %H:%M} {row.last_seen_at:%Y-%m-%d %H:%M} "
                   f"{row.sensor[:16]:<16} {row.event_type}")
    click.echo(f"{len(rows)} unmanaged addresses seen within {ctx.settings.endpoints.unmanaged_days} days")
    click.echo(_figure_line(figure))


def _figure_line(figure: dict) -> str:
    percent = "-" if figure["percent"] is None else f"{figure['percent']:g} %"
    counts = figure["counts"]
    return (f"coverage: {figure['protected']} of {figure['exist']} protected ({percent}); "
            f"{figure['servers_without_ksc']} inventory servers not in KSC, {figure['unmanaged']} unmanaged, "
            f"{counts['protection_off']} protection off, {counts['bases_old']} old bases, "
            f"{counts['not_seen']} not seen")
