"""The notifications' clock (console/common/schedule.py): the outbox sent, the estate looked at, the digests.

The outbox is sent every [notify] deliver_interval_seconds (rows are claimed, so several nodes never send one
twice). With notification rules, the estate is looked at every minute for states no single write reveals (a
host gone stale, an incident deadline: console/notify/watch.py runs the looks the areas register), and the
daily digest goes out at digest_at.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from console.common.schedule import Job, daily_at, scheduled
from console.db import make_engine, make_session_factory, session_scope
from console.notify import outbox, watch

if TYPE_CHECKING:  # annotations only: settings assembles the areas' config sections, above them
    from console.settings import Settings

log = logging.getLogger("ops.scheduler")
BATCH = 200
ROUND_SECONDS = 30


def deliver_notifications(settings: Settings, factory=None) -> None:
    """Send the outbox's due messages (console/notify/outbox.py).

    While a round finds a full batch due, the next one starts at once (for up to ROUND_SECONDS) rather than
    at the next tick: a backlog after an outage drains without idle gaps.
    """
    factory = factory or make_session_factory(make_engine(settings.database_url), settings)
    started = time.monotonic()
    while True:
        totals = outbox.deliver_due(factory, settings, limit=BATCH)
        if totals.sent or totals.failed:
            log.info("notifications: %s sent, %s failed, %s postponed", totals.sent, totals.failed,
                     totals.postponed)
        if totals.claimed < BATCH or time.monotonic() - started > ROUND_SECONDS:
            return


def watch_estate(settings: Settings, factory=None) -> None:
    """Hosts gone stale, antivirus off or old, sensors failing rules, incident deadlines (console/notify/watch.py)."""
    factory = factory or make_session_factory(make_engine(settings.database_url), settings)
    with session_scope(factory) as session:
        watch.look(session, settings)


def notification_digests(settings: Settings, factory=None) -> None:
    factory = factory or make_session_factory(make_engine(settings.database_url), settings)
    log.info("notification digests written: %s", outbox.send_digests(factory, settings))


@scheduled("notify-deliver")
def _deliver(settings: Settings, factory) -> Job:
    return Job(deliver_notifications, "interval", (settings, factory),
               every={"seconds": settings.notify.deliver_interval_seconds})


@scheduled("notify-watch")
def _watch(settings: Settings, factory) -> Job | None:
    return Job(watch_estate, "interval", (settings, factory), every={"minutes": 1}) if settings.notify.rules else None


@scheduled("notify-digest")
def _digest(settings: Settings, factory) -> Job | None:
    if not settings.notify.rules:
        return None
    return Job(notification_digests, daily_at(settings.notify.digest_at, settings.console.timezone),
               (settings, factory), misfire_grace_time=3600)
