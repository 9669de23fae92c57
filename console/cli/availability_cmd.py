"""`ops availability`: the department's services, their state now, a round of checks, the monthly report."""

from __future__ import annotations

import json

import click


def register(main: click.Group) -> None:
    main.add_command(availability)


@click.group()
def availability() -> None:
    """Checks of the services declared in ops.toml [[availability.services]]."""


@availability.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the API's shape) instead of a table.")
@click.pass_obj
def status_(ctx, as_json: bool) -> None:
    """Each service's state now; exit 1 when one is down or unreachable."""
    from console.availability import status

    with ctx.session() as session:
        services = status.services_status(session, ctx.settings)
    if as_json:
        click.echo(json.dumps(services, default=str, ensure_ascii=False, indent=2))
    else:
        click.echo(f"{'SERVICE':<24} {'STATE':<30} {'RESPONSE':>9} {'CERT DAYS':>9}  DETAIL")
        for item in services:
            state = f"unreachable: {item['parent']} down" if item["state"] == "unreachable" else item["state"]
            response = f"{item['response_ms']:.0f} ms" if item["response_ms"] is not None else "-"
            days = item["certificate_days_left"] if item["certificate_days_left"] is not None else "-"
            detail = item["detail"] if item["state"] != "up" else ""
            click.echo(f"{item['name']:<24} {state:<30} {response:>9} {days:>9}  {detail}")
    if any(item["state"] in ("down", "unreachable") for item in services):
        click.get_current_context().exit(1)


@availability.command("check")
@click.pass_obj
def check(ctx) -> None:
    """Run the checks that are due now and record them (what the scheduler does every few seconds)."""
    from console.availability import runner

    ran = runner.run_due(ctx.session_factory(), ctx.settings)
    click.echo(f"{ran} checks ran")


@availability.command("report")
@click.option("--month", required=True, callback=lambda _ctx, _param, value: _month(value),
              help="The month, YYYY-MM, in the console's time zone.")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf", "csv"]), default="html", show_default=True)
@click.option("--language", type=click.Choice(["vi", "en"]), default="vi", show_default=True,
              help="Language of the HTML or PDF report.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="The file to write.")
@click.option("--file", "file_it", is_flag=True,
              help="File every format and language in [compliance] report_dir/availability (the Reports page).")
@click.pass_obj
def report_(ctx, month, fmt: str, language: str, output: str | None, file_it: bool) -> None:
    """The month's availability per service against its SLA target, with every outage and the months before;
    maintenance left out."""
    from pathlib import Path

    from console.availability import report

    if bool(output) == file_it:
        raise click.UsageError("give either --output FILE or --file")
    with ctx.session() as session:
        figures = report.monthly(session, ctx.settings, month)
    written = (report.file_figures(figures, ctx.settings) if file_it
               else [report.write(figures, fmt, Path(output), language)])
    for item in figures["services"]:
        uptime = "-" if item["uptime_percent"] is None else f"{item['uptime_percent']:.2f} %"
        flag = "" if item["met"] else f"  below the target of {item['sla_target_percent']} %"
        click.echo(f"{item['name']:<24} {uptime:>9}  {len(item['outages'])} outages{flag}")
    for path in written:
        click.echo(f"written: {path}")


def _month(value: str):
    """A bad month is a usage error (exit 2), said as the option's."""
    from console.availability import report
    from console.errors import ValidationFailed

    try:
        return report.parse_month(value)
    except ValidationFailed as exc:
        raise click.BadParameter(exc.message) from None
