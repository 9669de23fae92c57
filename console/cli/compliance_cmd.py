"""`ops compliance`: run the controls, read runs, compare them, write reports, manage waivers.

`ops compliance run` exits 0 when nothing at or above --fail-on failed, 1 when
something did, 2 when the run could not happen (catalog invalid, another run
in progress, database unreachable).
"""

from __future__ import annotations

import sys
from datetime import datetime, time, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from sqlalchemy.exc import SQLAlchemyError

from console.compliance import reports
from console.compliance.catalog import SEVERITY_RANK, configured_catalog
from console.compliance.requirements import cached_frameworks
from console.errors import OpsError
from console.compliance import history
from console.compliance import runs as compliance_runs
from console.compliance import waivers as compliance_waivers
from console.access.actor import Actor


class CouldNotRun(OpsError):
    exit_code = 2


def register(main: click.Group) -> None:
    main.add_command(compliance)


@click.group()
def compliance() -> None:
    """Controls for firewalls, UPS, endpoints, IDS and servers: runs, history, reports, waivers."""


def catalog_of(ctx):
    return configured_catalog(ctx.settings)


@compliance.command("check")
@click.pass_obj
def check(ctx) -> None:
    """Validate the control and requirement files; the first error is shown with file and line (exit 2)."""
    catalog = catalog_of(ctx)
    click.echo(f"{len(catalog.controls)} controls valid (catalog {catalog.digest})")
    frameworks = cached_frameworks()
    click.echo("requirement files valid: " + ", ".join(f"{key} ({len(f.spec.requirements)} requirements, levels "
                                                        f"{', '.join(map(str, f.spec.levels))})"
                                                        for key, f in sorted(frameworks.items())))


@compliance.command("controls")
@click.pass_obj
def controls(ctx) -> None:
    """List the controls with category, severity, mappings and how each is fixed (an Ansible remediation, or manual)."""
    for control in catalog_of(ctx).controls:
        spec = control.spec
        maps = "; ".join(f"{k}: {', '.join(v)}" for k, v in spec.mappings.model_dump().items() if v)
        fix = spec.remediation.describe() if spec.remediation else "manual"
        click.echo(f"{spec.id:<12} {spec.category:<15} {spec.severity:<9} {spec.title.en}  [{maps}]  fix: {fix}")


@compliance.command("run")
@click.option("--fail-on", type=click.Choice(list(SEVERITY_RANK)), default=None,
              help="Exit 1 when a control of this severity or higher fails (default: [compliance] fail_on).")
@click.option("--strict", is_flag=True, help="Count unknown results like failures for the exit code.")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write reports (default: [compliance] report_dir).")
@click.option("--format", "formats", default=None,
              help="Comma-separated report formats: html,pdf,csv,json,junit; 'none' writes none.")
@click.option("--trigger", type=click.Choice(["cli", "schedule"]), default="cli", hidden=True)
@click.pass_obj
def run(ctx, fail_on, strict, report_dir, formats, trigger) -> None:
    """Evaluate every control for every host and device it applies to, store the run, write reports."""
    conf = ctx.settings.compliance
    chosen = _formats(formats, conf.report_formats)
    catalog = catalog_of(ctx)
    try:
        outcome = compliance_runs.execute(ctx.session_factory(), Actor.cli(), catalog, trigger=trigger,
                                          progress=_progress, lock_minutes=conf.lock_minutes)
    except SQLAlchemyError as exc:
        raise CouldNotRun(f"database: {str(exc).splitlines()[0][:200]}") from None
    _summary(outcome)
    if chosen:
        folder = report_dir or conf.report_dir
        with ctx.session() as session:
            written = reports.write_reports(session, outcome.run_id, catalog, folder, ctx.settings.console.timezone,
                                            chosen)
        click.echo(f"reports: {', '.join(str(p) for p in written)}")
    failed = outcome.failed_at_or_above(fail_on or conf.fail_on, strict)
    if failed:
        click.echo(f"{failed} result(s) at or above {fail_on or conf.fail_on} failed", err=True)
        ctx_exit(1)


def ctx_exit(code: int) -> None:
    click.get_current_context().exit(code)


def _formats(option: str | None, default: list[str]) -> list[str]:
    if option is None:
        return list(default)
    if option.strip() == "none":
        return []
    chosen = [f.strip() for f in option.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in reports.FORMATS]
    if unknown:
        raise click.BadParameter(f"unknown format {unknown[0]!r}; use {','.join(reports.FORMATS)}", param_hint="--format")
    return chosen


def _progress(done: int, total: int) -> None:
    if sys.stderr.isatty() or done == total:
        click.echo(f"\revaluated {done}/{total} hosts and devices", err=True, nl=done == total)


def _summary(outcome) -> None:
    counts = outcome.counts
    click.echo(f"run {outcome.run_id}: {counts['pass']} pass, {counts['fail']} fail, {counts['unknown']} unknown, "
               f"{counts['waived']} waived of {counts['total']}; score {counts['score']}%")
    for category, tally in outcome.summary.get("category", {}).items():
        click.echo(f"  {category:<15} score {tally.get('score')}%  fail {tally.get('fail', 0)}  "
                   f"unknown {tally.get('unknown', 0)}")


@compliance.command("runs")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.pass_obj
def runs(ctx, limit: int) -> None:
    """The latest runs, newest first."""
    with ctx.session() as session:
        for item in history.list_runs(session, limit=limit):
            c = item.counts or {}
            click.echo(f"{item.id:>6}  {item.started_at:%Y-%m-%d %H:%M} UTC  {item.trigger:<8} score {c.get('score')}%  "
                       f"fail {c.get('fail', 0)}  unknown {c.get('unknown', 0)}  waived {c.get('waived', 0)}")


@compliance.command("show")
@click.argument("run_id", type=int)
@click.option("--result", type=click.Choice(["pass", "fail", "unknown", "waived"]), default=None)
@click.option("--host", "target", default=None, help="Only this host or device.")
@click.option("--control", "control_id", default=None, help="Only this control.")
@click.pass_obj
def show(ctx, run_id: int, result, target, control_id) -> None:
    """One run's results (drill down by result, host or control)."""
    with ctx.session() as session:
        history.get_run(session, run_id)
        for row in history.iter_results(session, run_id, result=result, target=target, control_id=control_id):
            click.echo(f"{row.result:<8} {row.severity:<9} {row.control_id:<12} {row.target:<22} {row.why}")


@compliance.command("diff")
@click.argument("older", type=int)
@click.argument("newer", type=int)
@click.pass_obj
def diff(ctx, older: int, newer: int) -> None:
    """What changed between two runs: new failures, fixed, still failing."""
    with ctx.session() as session:
        result = history.diff_runs(session, older, newer)
    for title, rows in (("new failures", result.new_failures), ("fixed", result.fixed),
                        ("still failing", result.still_failing)):
        click.echo(f"{title}: {len(rows)}")
        for row in rows:
            click.echo(f"  {row['control_id']:<12} {row['target']:<22} {row.get('now', row['result'])}")


@compliance.command("report")
@click.argument("run_id", type=int)
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--format", "formats", default=None, help="Comma-separated: html,pdf,csv,json,junit.")
@click.pass_obj
def report(ctx, run_id: int, report_dir, formats) -> None:
    """Write the reports of a stored run."""
    chosen = _formats(formats, ctx.settings.compliance.report_formats)
    with ctx.session() as session:
        written = reports.write_reports(session, run_id, catalog_of(ctx), report_dir or ctx.settings.compliance.report_dir,
                                        ctx.settings.console.timezone, chosen)
    click.echo("\n".join(str(p) for p in written))


@compliance.command("waive")
@click.argument("control_id")
@click.argument("target")
@click.option("--reason", required=True, help="Why the failure is accepted (5-500 characters).")
@click.option("--until", "until", required=True, help="Last day (YYYY-MM-DD, local time) the waiver holds.")
@click.pass_obj
def waive(ctx, control_id: str, target: str, reason: str, until: str) -> None:
    """Waive a control for one host or device until a date (admin only; audit-logged)."""
    expires = end_of_day(until, ctx.settings.console.timezone)
    with ctx.session() as session:
        waiver = compliance_waivers.create(session, Actor.cli(), catalog_of(ctx), control_id, target, reason, expires)
        waiver_id = waiver.id
    click.echo(f"waiver {waiver_id}: {control_id} on {target} until {expires:%Y-%m-%d %H:%M %Z}")


def end_of_day(text: str, zone: str) -> datetime:
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--until") from None
    return datetime.combine(day, time(23, 59, 59), ZoneInfo(zone)).astimezone(timezone.utc)


@compliance.command("unwaive")
@click.argument("waiver_id", type=int)
@click.pass_obj
def unwaive(ctx, waiver_id: int) -> None:
    """Revoke a waiver (audit-logged)."""
    with ctx.session() as session:
        waiver = compliance_waivers.revoke(session, Actor.cli(), waiver_id)
        text = f"waiver {waiver.id} ({waiver.control_id} on {waiver.target}) revoked"
    click.echo(text)


@compliance.command("waivers")
@click.option("--all", "include_all", is_flag=True, help="Also expired and revoked waivers.")
@click.pass_obj
def waivers(ctx, include_all: bool) -> None:
    """Waivers in force (or all of them)."""
    with ctx.session() as session:
        for waiver in compliance_waivers.list_waivers(session, include_all):
            click.echo(f"{waiver.id:>5}  {compliance_waivers.state(waiver):<8} {waiver.control_id:<12} "
                       f"{waiver.target:<22} until {waiver.expires_at:%Y-%m-%d %H:%M} UTC  {waiver.reason}")
