"""`ops vulns`: import Debian's security tracker data, list CVEs by hosts affected, one host's, one CVE's hosts."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import click

FILTER_OPTIONS = (
    click.option("--fixable", type=click.Choice(["yes", "no"]), help="Only CVEs with (yes) or without (no) a fix."),
    click.option("--urgency", help="Debian's urgency: high, medium, low, not yet assigned, unimportant, end-of-life."),
    click.option("--unit", help="Only hosts of this unit (inventory group)."),
    click.option("--system", help="Only hosts of this information system (inventory group)."),
    click.option("--package", help="Only this source package."),
    click.option("--state", help="fixable, open, no_dsa, postponed, ignored, end_of_life, undetermined."),
    click.option("--json", "as_json", is_flag=True, help="Print JSON (the API's shape)."),
)


def _filters(function):
    for option in reversed(FILTER_OPTIONS):
        function = option(function)
    return function


def register(main: click.Group) -> None:
    main.add_command(vulns)


@click.group()
def vulns() -> None:
    """Known vulnerabilities per host, from Debian's security tracker data."""


@vulns.command("import")
@click.argument("source")
@click.option("--date", "date_text", help="The data's date (YYYY-MM-DD), when the file's own time is not it.")
@click.pass_obj
def import_(ctx, source: str, date_text: str | None) -> None:
    """Import SOURCE: the tracker's JSON (plain, .gz or .xz), a file or an http(s) URL. Exit 4 when it is unusable."""
    from console.access.actor import Actor
    from console.vulns import tracker

    date = _date(date_text) if date_text else None
    with ctx.session() as session:
        result = tracker.import_data(session, Actor.cli(), source, ctx.settings.vulns.releases, date)
    click.echo(f"imported {result.packages} source packages, {result.entries} entries for "
               f"{', '.join(ctx.settings.vulns.releases)}; data of {result.data_date:%Y-%m-%d}; "
               f"{result.changes} changes")
    if result.skipped:
        click.echo(f"left out {len(result.skipped)} entries with an identifier of an unknown kind, e.g. "
                   f"{', '.join(result.skipped[:3])}")


def _date(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--date") from None


def _status_line(status) -> str:
    if not status.imported:
        return "no vulnerability data imported yet: ops vulns import FILE"
    stale = f"; OLDER THAN {status.max_age_days} DAYS" if status.stale else ""
    return f"data of {status.data_date:%Y-%m-%d} ({status.age_days} days old){stale}"


@vulns.command("list")
@_filters
@click.pass_obj
def list_(ctx, as_json: bool, **options) -> None:
    """CVEs by the number of hosts they affect."""
    from console.vulns import queries

    filters = queries.Filters.parse(options)
    with ctx.session() as session:
        status = queries.data_status(session, ctx.settings.vulns.max_age_days)
        rows = queries.estate(session, filters)
    if as_json:
        click.echo(json.dumps({"data": status.as_dict(), "cves": [row.as_dict() for row in rows]}, indent=2))
        return
    click.echo(_status_line(status))
    click.echo(f"{'CVE':<18} {'HOSTS':>5} {'FIXABLE':>7} {'URGENCY':<17} {'STATE':<22} PACKAGES")
    for row in rows:
        click.echo(f"{row.cve:<18} {row.hosts:>5} {row.fixable_hosts:>7} {row.urgency:<17} {row.states:<22} "
                   f"{row.packages}")


@vulns.command("host")
@click.argument("host")
@_filters
@click.pass_obj
def host_(ctx, host: str, as_json: bool, **options) -> None:
    """The CVEs affecting HOST's installed packages."""
    from console.inventory.hosts import get_host
    from console.vulns import queries

    filters = queries.Filters.parse(options)
    with ctx.session() as session:
        row = get_host(session, host)
        status = queries.data_status(session, ctx.settings.vulns.max_age_days)
        summary = queries.host_summary(session, row.id)
        found = queries.host_findings(session, row.id, filters)
    if as_json:
        click.echo(json.dumps({"data": status.as_dict(), "host": host,
                               "packages": summary.as_dict() if summary else None,
                               "findings": [f.as_dict() for f in found]}, indent=2))
        return
    click.echo(_status_line(status))
    if summary is None:
        click.echo(f"{host}: no package list from its agent yet")
        return
    click.echo(f"{host}: {summary.release}, {summary.package_count} packages, listed {summary.listed_at:%Y-%m-%d %H:%M}")
    click.echo(f"{'CVE':<18} {'PACKAGE':<20} {'INSTALLED':<28} {'STATE':<12} {'FIXED IN':<28} URGENCY")
    for f in found:
        state = "waived" if f.waiver else f.state
        click.echo(f"{f.cve:<18} {f.source:<20} {f.installed:<28} {state:<12} {f.fixed_version or '-':<28} {f.urgency}")


@vulns.command("cve")
@click.argument("cve")
@_filters
@click.pass_obj
def cve_(ctx, cve: str, as_json: bool, **options) -> None:
    """The hosts CVE affects."""
    from console.vulns import queries

    filters = queries.Filters.parse(options)
    cve = cve.strip().upper()
    with ctx.session() as session:
        status = queries.data_status(session, ctx.settings.vulns.max_age_days)
        detail = queries.cve_detail(session, cve)
        hosts = queries.cve_hosts(session, cve, filters)
    if as_json:
        click.echo(json.dumps({"data": status.as_dict(), "cve": cve,
                               "description": detail.description if detail else None,
                               "hosts": [h.as_dict() for h in hosts]}, indent=2))
        return
    click.echo(_status_line(status))
    click.echo(f"{cve}: {detail.description if detail else 'not in the imported data'}")
    for h in hosts:
        state = "waived" if h.finding.waiver else h.finding.state
        click.echo(f"{h.host:<28} {h.finding.source:<20} {h.finding.installed:<28} {state:<12} "
                   f"{h.finding.fixed_version or '-'}")
