"""`ops incidents`: escalate an alert or a finding, see what is overdue, write the notice, record it sent."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import click

from console.common.time import DEFAULT_WINDOW, TimeWindow, check_time, window_of
from console.errors import ValidationFailed
from console.incidents import service as incidents
from console.access.actor import Actor


def register(main: click.Group) -> None:
    main.add_command(incidents_group)


@click.group("incidents")
def incidents_group() -> None:
    """Incidents and their 24 h / 72 h notices (NĐ 331/2026 Điều 31.2.d)."""


def _when(text: str | None, name: str, window: TimeWindow = DEFAULT_WINDOW) -> datetime | None:
    """The time of an option, inside the console's time window (console.common.time); ValidationFailed if not."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
        at = value.astimezone(timezone.utc)
    except ValueError:
        raise ValidationFailed(name, "an ISO 8601 time with its zone, e.g. 2026-11-20T15:30+07:00") from None
    except OverflowError:
        raise ValidationFailed(name, window.bounds().refusal()) from None
    check_time(at, name, window)
    return value


@incidents_group.command("open")
@click.option("--from-alert", "alert_id", type=int, default=None, help="Escalate this IDS alert.")
@click.option("--from-result", "result_id", type=int, default=None, help="Escalate this compliance result.")
@click.option("--title", default=None, help="Title (with --detected-at, for an incident reported by a person).")
@click.option("--detected-at", "detected_at", default=None, help="When it was detected (ISO 8601 with zone).")
@click.option("--system", "system_key", default="", help="The information system it hit.")
@click.option("--description", default="")
@click.option("--serious/--not-serious", default=True, show_default=True,
              help="Serious incidents have the 24 h / 72 h deadlines.")
@click.pass_obj
def open_command(ctx, alert_id, result_id, title, detected_at, system_key, description, serious) -> None:
    """Open an incident (audit-logged); prints its id and deadlines."""
    with ctx.session() as session:
        if alert_id is not None:
            incident = incidents.escalate_alert(session, Actor.cli(), alert_id, serious)
        elif result_id is not None:
            incident = incidents.escalate_finding(session, Actor.cli(), result_id, serious)
        else:
            incident = incidents.open_incident(session, Actor.cli(), title or "", _when(detected_at, "--detected-at", window_of(ctx.settings.console)),
                                               serious, description, system_key)
        data = incidents.incident_as_dict(incident)
    click.echo(f"incident {data['id']}: {data['title']} (detected {data['detected_at']})")
    for deadline in data["deadlines"]:
        click.echo(f"  {deadline['kind']:<13} due {deadline['due']}")


@incidents_group.command("list")
@click.option("--overdue", is_flag=True, help="Only serious incidents with a notice past its deadline.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def list_command(ctx, overdue: bool, as_json: bool) -> None:
    """Incidents, newest first, with each deadline and whether it is overdue."""
    with ctx.session() as session:
        rows = [incidents.incident_as_dict(row) for row in incidents.list_incidents(session, overdue_only=overdue)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        states = ", ".join(f"{d['kind']} {'OVERDUE' if d['overdue'] else 'sent' if d['done_at'] else 'due'} "
                           f"{d['due'][:16]}" for d in row["deadlines"]) or "not serious"
        click.echo(f"{row['id']:>5}  {row['detected_at'][:16]}  {row['system'] or '-':<26} {row['title'][:50]:<50}  {states}")


@incidents_group.command("notice")
@click.argument("incident_id", type=int)
@click.option("--full", is_flag=True, help="The full report instead of the first notice.")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
@click.pass_obj
def notice_command(ctx, incident_id: int, full: bool, lang: str) -> None:
    """Print the notice text written from the incident's data."""
    with ctx.session() as session:
        incident = incidents.get(session, incident_id)
        text = incidents.notice_text(session, incident, "full_report" if full else "first_notice", lang,
                                     ctx.settings.console.timezone)
    click.echo(text, nl=False)


@incidents_group.command("sent")
@click.argument("incident_id", type=int)
@click.option("--full", is_flag=True, help="The full report was sent (default: the first notice).")
@click.option("--at", "sent_at", default=None, help="When (ISO 8601 with zone; default now).")
@click.pass_obj
def sent_command(ctx, incident_id: int, full: bool, sent_at) -> None:
    """Record that the first notice (or, with --full, the full report) was sent."""
    kind = "full_report" if full else "first_notice"
    with ctx.session() as session:
        incident = incidents.record_sent(session, Actor.cli(), incident_id, kind, _when(sent_at, "--at", window_of(ctx.settings.console)))
        done = getattr(incident, f"{kind}_at")
    click.echo(f"incident {incident_id}: {kind} sent at {done.isoformat()}")
