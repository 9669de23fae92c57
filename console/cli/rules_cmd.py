"""`ops rules`: the IDS rule manager from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from console.ruleset import operations as ops
from console.ruleset import service
from console.access.actor import Actor
from rules.errors import RulesetError


def register(main: click.Group) -> None:
    main.add_command(rules)


@click.group()
def rules() -> None:
    """Sources, policy, build and validate, versions, rule tests and deploy of Suricata rules."""


def _finish(outcome: service.BuildOutcome) -> None:
    for message in outcome.messages:
        click.echo(message, err=message.startswith(("error", "warning")))
    if not outcome.ok:
        raise RulesetError("build refused; the active version stays in force")
    click.echo(f"version {outcome.version_number} built, validated and active")


@rules.command("update")
@click.option("--offline", is_flag=True, help="Use the last download of URL sources instead of fetching.")
@click.option("--reason", default="", help="A note kept with the version.")
@click.option("--allow-refused", is_flag=True,
              help="Build without the rules the parser refused (listed, and kept in the version's record).")
@click.pass_obj
def update(ctx, offline: bool, reason: str, allow_refused: bool) -> None:
    """Read the sources, apply the policy, check with suricata -T; on success a new active version.

    A rule the parser refuses (too long, a syntax error) refuses the update (exit 4) unless --allow-refused;
    lines that are not UTF-8 are left out as suricata-update leaves them out.
    """
    with ctx.session() as session:
        outcome = service.build_version(session, Actor.cli(), config=ctx.settings.rules, offline=offline,
                                        reason=reason, allow_refused=allow_refused)
    _finish(outcome)


@rules.command("versions")
@click.pass_obj
def versions_(ctx) -> None:
    """Versions, newest first, with their counts."""
    with ctx.session() as session:
        click.echo(f"{'VERSION':>7}  {'BUILT (UTC)':<16}  {'TOTAL':>6} {'ENABLED':>7} {'ADDED':>6} {'REMOVED':>7} "
                   f"{'MODIFIED':>8} {'LEFT OUT':>8}  ACTIVE")
        for row in service.list_versions(session, limit=1000):
            click.echo(f"{row.number:>7}  {row.built_at:%Y-%m-%d %H:%M}  {row.rules_total:>6} {row.rules_enabled:>7} "
                       f"{row.rules_added:>6} {row.rules_removed:>7} {row.rules_modified:>8} "
                       f"{len(row.left_out or []):>8}  {'*' if row.is_active else ''}")


@rules.command("left-out")
@click.argument("number", type=int)
@click.pass_obj
def left_out(ctx, number: int) -> None:
    """The source lines version NUMBER was built without, and why."""
    with ctx.session() as session:
        entries = list(service.get_version(session, number).left_out or [])
    for entry in entries:
        sid = f"sid {entry['sid']}" if entry.get("sid") is not None else "no sid"
        click.echo(f"{entry['kind']:<8} {entry['file']}:{entry['line']} {sid}: {entry['reason']}")
    click.echo(f"{len(entries)} lines left out of version {number}")


@rules.command("diff")
@click.argument("old", type=int)
@click.argument("new", type=int)
@click.pass_obj
def diff(ctx, old: int, new: int) -> None:
    """Per-sid changes from version OLD to version NEW."""
    with ctx.session() as session:
        changes = service.diff(session, old, new, config=ctx.settings.rules)
    for change in changes:
        click.echo(f"{change.kind:<9} {change.gid}:{change.sid:<10} {change.source:<40} {change.msg}")
    click.echo(f"{len(changes)} changes from version {old} to {new}")


@rules.command("rollback")
@click.argument("number", type=int)
@click.pass_obj
def rollback(ctx, number: int) -> None:
    """Make version NUMBER the active one again (then `ops rules deploy`)."""
    with ctx.session() as session:
        service.rollback(session, Actor.cli(), number, config=ctx.settings.rules)
    click.echo(f"version {number} is active")


@rules.command("test")
@click.option("--version", "number", type=int, default=None, help="Version to test (default: the active one).")
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write JUnit XML here.")
@click.pass_obj
def test(ctx, number: int | None, junit: Path | None) -> None:
    """Run every rule test spec through real Suricata; pass/fail per sid; exit 1 if any fails."""
    with ctx.session() as session:
        run = ops.run_tests(session, Actor.cli(), number=number, config=ctx.settings.rules, junit_path=junit)
        results = list(run.results)
    for result in results:
        mark = "PASS" if result["passed"] else "FAIL"
        click.echo(f"{mark} sid {result['sid']} {result['case']} (expect {result['expect']}, "
                   f"{result['alerts']} alerts)")
    failed = sum(1 for r in results if not r["passed"])
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        raise click.exceptions.Exit(1)


@rules.command("deploy")
@click.option("--sensor", "sensors", multiple=True, help="Sensor name (default: every sensor in [rules]).")
@click.pass_obj
def deploy(ctx, sensors: tuple[str, ...]) -> None:
    """Push the active version to the sensors and reload Suricata there (no restart)."""
    with ctx.session() as session:
        results = ops.deploy_active(session, Actor.cli(), sensors=list(sensors) or None, config=ctx.settings.rules)
    for result in results:
        click.echo(f"{result.sensor}: version {result.version}: {'ok' if result.ok else 'FAILED'}: {result.message}")
    if any(not r.ok for r in results):
        raise click.exceptions.Exit(4)


@rules.command("status")
@click.pass_obj
def status(ctx) -> None:
    """The active version and what each sensor runs."""
    with ctx.session() as session:
        state = service.ruleset_status(session, config=ctx.settings.rules)
    click.echo(f"active version: {state['active_version'] or '-'} ({state['rules_enabled']} rules enabled)")
    for sensor in state["sensors"]:
        click.echo(f"  {sensor['name']}: version {sensor['version'] or '-'}, loaded {sensor['rules_loaded']}, "
                   f"failed {sensor['rules_failed']}")


@rules.command("disable")
@click.argument("sid", type=int)
@click.option("--reason", required=True, help="Why; kept as a comment in disable.conf.")
@click.pass_obj
def disable(ctx, sid: int, reason: str) -> None:
    """Add SID to disable.conf and build a new version."""
    with ctx.session() as session:
        outcome = service.disable(session, Actor.cli(), sid=sid, reason=reason, config=ctx.settings.rules)
    _finish(outcome)


@rules.command("suppress")
@click.argument("sid", type=int)
@click.option("--track", type=click.Choice(["by_src", "by_dst"]), required=True)
@click.option("--ip", required=True, help="Address or network whose alerts of SID are suppressed.")
@click.option("--reason", required=True)
@click.pass_obj
def suppress(ctx, sid: int, track: str, ip: str, reason: str) -> None:
    """Add a suppress line to threshold.config and build a new version."""
    with ctx.session() as session:
        outcome = service.suppress(session, Actor.cli(), sid=sid, track=track, ip=ip, reason=reason,
                                   config=ctx.settings.rules)
    _finish(outcome)


@rules.group("source")
def source() -> None:
    """List, add, enable, disable and remove rule sources."""


@source.command("list")
@click.pass_obj
def source_list(ctx) -> None:
    with ctx.session() as session:
        for item in ops.list_sources(session, config=ctx.settings.rules):
            click.echo(f"{item.name:<20} {item.kind:<9} {'enabled ' if item.enabled else 'disabled'} {item.location}")


@source.command("add")
@click.argument("name")
@click.argument("location")
@click.option("--kind", type=click.Choice(["url", "file", "directory"]), required=True)
@click.pass_obj
def source_add(ctx, name: str, location: str, kind: str) -> None:
    """Add a source: a URL, a tarball/zip/.rules file (import on isolated networks) or a directory."""
    if kind != "url":
        location = str(Path(location).resolve())
    with ctx.session() as session:
        ops.change_source(session, Actor.cli(), "add", name, kind=kind, location=location, config=ctx.settings.rules)
    click.echo(f"source {name} added")


for _action in ("enable", "disable", "remove"):
    def _make(action: str):
        @source.command(action, help=f"{action.capitalize()} a source.")
        @click.argument("name")
        @click.pass_obj
        def command(ctx, name: str) -> None:
            with ctx.session() as session:
                ops.change_source(session, Actor.cli(), action, name, config=ctx.settings.rules)
            click.echo(f"source {name}: {action}d")

        return command

    _make(_action)
