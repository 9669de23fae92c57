"""`ops notify`: test a channel, read the delivery log, send what is due, retry what failed (docs/notifications.md)."""

from __future__ import annotations

import click

from console.access.actor import Actor
from console.notify import outbox


def register(main: click.Group) -> None:
    main.add_command(notify)


@click.group()
def notify() -> None:
    """Notifications: the [[notify.channels]] and [[notify.rules]] of ops.toml, and the outbox."""


@notify.command("channels")
@click.pass_obj
def channels(ctx) -> None:
    """Each channel with where it sends, its last delivery and its last error."""
    with ctx.session() as session:
        status = outbox.channel_status(session, ctx.settings)
    if not status:
        click.echo("no [[notify.channels]] in ops.toml (docs/notifications.md)")
    for item in status:
        last = f"{item['last_sent_at']:%Y-%m-%d %H:%M:%S} UTC" if item["last_sent_at"] else "never"
        click.echo(f"{item['name']:<20} {item['kind']:<8} {item['target']}  last sent: {last}"
                   + (f"  last error: {item['last_error']}" if item["last_error"] else ""))


@notify.command("test")
@click.argument("channel")
@click.pass_obj
def test(ctx, channel: str) -> None:
    """Send a test message to CHANNEL now, through the outbox; exit 1 if the channel refuses it."""
    with ctx.session() as session:
        row = outbox.queue_test(session, Actor.cli(), ctx.settings, channel)
        delivery_id = row.id
    totals = outbox.deliver_due(ctx.session_factory(), ctx.settings, only_id=delivery_id)
    with ctx.session() as session:
        row = outbox.get_delivery(session, delivery_id)
    if row.state == "sent":
        click.echo(f"notification {delivery_id} sent to {channel}: {row.receipt}")
        return
    click.echo(f"notification {delivery_id} to {channel} failed: {row.last_error or totals.errors.get(channel, '?')} "
               f"(it stays in the outbox and is retried; `ops notify log`)", err=True)
    click.get_current_context().exit(1)


@notify.command("log")
@click.option("--channel", default=None, help="Only this channel.")
@click.option("--state", type=click.Choice(["pending", "sending", "sent", "failed", "held", "digested"]), default=None)
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@click.pass_obj
def log(ctx, channel: str | None, state: str | None, limit: int) -> None:
    """The newest deliveries: id, time (UTC), channel, state, attempts, subject, and the last error."""
    with ctx.session() as session:
        rows = outbox.log_page(session, outbox.LogFilter(channel=channel, state=state), limit=limit)
    click.echo(f"{'ID':>7} {'CREATED (UTC)':<19} {'CHANNEL':<16} {'STATE':<9} {'TRIES':>5} SUBJECT")
    for row in rows:
        click.echo(f"{row.id:>7} {row.created_at:%Y-%m-%d %H:%M:%S} {row.channel:<16} {row.state:<9} "
                   f"{row.attempts:>5} {row.subject}")
        if row.last_error and row.state != "sent":
            click.echo(f"{'':>8}last error: {row.last_error}")


@notify.command("deliver")
@click.pass_obj
def deliver(ctx) -> None:
    """Send what is due now, once (the scheduler does this every [notify] deliver_interval_seconds)."""
    totals = outbox.deliver_due(ctx.session_factory(), ctx.settings)
    click.echo(f"{totals.sent} sent, {totals.failed} failed, {totals.postponed} postponed")
    for channel, reason in totals.errors.items():
        click.echo(f"{channel}: {reason}", err=True)


@notify.command("retry")
@click.option("--id", "delivery_id", type=click.IntRange(1, 2**63 - 1), default=None, help="Only this delivery.")
@click.option("--channel", default=None, help="Only this channel's failed deliveries.")
@click.pass_obj
def retry(ctx, delivery_id: int | None, channel: str | None) -> None:
    """Put failed deliveries back in the outbox, to be sent at the next round."""
    with ctx.session() as session:
        count = outbox.retry(session, Actor.cli(), delivery_id=delivery_id, channel=channel)
    click.echo(f"{count} deliveries put back in the outbox")


@notify.command("purge")
@click.option("--days", type=click.IntRange(1, 3650), default=180, show_default=True,
              help="Keep sent messages this many days.")
@click.pass_obj
def purge(ctx, days: int) -> None:
    """Delete sent and digested messages older than --days (failed ones stay until retried)."""
    with ctx.session() as session:
        count = outbox.purge(session, days)
    click.echo(f"{count} deliveries deleted")
