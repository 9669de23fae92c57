"""The console's scheduler process (`ops scheduler run`): the nightly compliance run, device polling, notifications.

APScheduler's BlockingScheduler with one cron job at [compliance] run_at in
the console's time zone (coalesced, one instance at a time), and, when the
device connectors are installed (console.devices.service.poll_due exists),
a job every minute that lets them poll the devices that are due. The DB run
lock still keeps a scheduled run and a manual one apart.

Several console nodes may each run a scheduler on one shared PostgreSQL
database: the nightly run of a day is claimed as a task under a unique key
(`compliance.nightly:<date>`, console.tasks), so it happens once, on the node
that claimed it first, and shows on the task pages like a "Run now".

Notifications: the outbox is sent every [notify] deliver_interval_seconds
(rows are claimed, so several nodes never send one twice), the estate is
looked at every minute for states no single write reveals (a host gone
stale, an incident deadline), and the daily digest goes out at digest_at.

Remediations (console/remediation) are moved on every REMEDIATION_SECONDS:
a check or apply job that ended, a verification whose hosts have reported.

Service checks ([[availability.services]]): every AVAILABILITY_TICK_SECONDS the
checks that are due run in threads (console/availability/runner.py). On the 1st
of each month at 00:30 the month that ended is filed (availability.report,
claimed once across the nodes under `availability.report:<month>`).

Directory accounts ([auth.ldap] enabled) are looked up again every
recheck_minutes: who left every mapped group loses tokens and sessions.
"""

from __future__ import annotations

import importlib
import logging
import time
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from console.compliance import reports
from console.compliance.catalog import configured_catalog
from console.db import make_engine, make_session_factory, session_scope
from console.compliance import runs as compliance_runs
from console.access.actor import Actor
from console.access.directory.accounts import recheck_all
from console.notify import outbox, watch
from console.tasks import work as tasks

if TYPE_CHECKING:  # annotations only: settings assembles the areas' config sections, above them
    from console.settings import Settings

log = logging.getLogger("ops.scheduler")


def scheduler_actor() -> Actor:
    base = Actor.cli()
    return Actor(username="scheduler", role=base.role, client_addr="local", via="schedule")


def nightly_compliance(settings: Settings) -> int | None:
    """One run with its reports, now (`ops scheduler run --once`); the run id, or None when another run held the lock."""
    factory = make_session_factory(make_engine(settings.database_url), settings)
    catalog = configured_catalog(settings)
    try:
        outcome = compliance_runs.execute(factory, scheduler_actor(), catalog, trigger="schedule",
                                          lock_minutes=settings.compliance.lock_minutes)
    except compliance_runs.RunLocked as exc:
        log.warning("nightly compliance run skipped: %s", exc)
        return None
    with session_scope(factory) as session:
        reports.write_reports(session, outcome.run_id, catalog, settings.compliance.report_dir,
                              settings.console.timezone, settings.compliance.report_formats)
    log.info("compliance run %s: %s", outcome.run_id, outcome.counts)
    return outcome.run_id


def scheduled_compliance(settings: Settings, day: date | None = None) -> int | None:
    """The nightly run of `day` (default: today in the console's zone), once across every node sharing the database.

    Returns the run id; None when another node (or an earlier trigger) has that day's run, or the run failed
    (another run held the lock: the task is on record, failed, with the reason).
    """
    day = day or datetime.now(ZoneInfo(settings.console.timezone)).date()
    task = tasks.run_once(settings, scheduler_actor(), "compliance.run", {"trigger": "schedule", "reports": True},
                          tasks.nightly_key(day))
    if task is None:
        log.info("nightly compliance run of %s: already claimed by another node", day)
        return None
    if task.state.value != "done":
        log.warning("nightly compliance run of %s failed: %s", day, task.error)
        return None
    log.info("compliance run %s (task %s): %s", task.result["run_id"], task.id, task.result["counts"])
    return task.result["run_id"]


def device_poller():
    """console.devices.service.poll_due when the connectors are installed, else None."""
    try:
        module = importlib.import_module("console.devices.service")
    except ModuleNotFoundError:
        return None
    return getattr(module, "poll_due", None)


def poll_devices(settings: Settings, poll) -> None:
    factory = make_session_factory(make_engine(settings.database_url), settings)
    with session_scope(factory) as session:
        poll(session, settings)


def sync_endpoints(settings: Settings, factory=None) -> None:
    """KSC's hosts when [endpoints] interval_seconds has passed, and the IDS's newly seen addresses (console/endpoints)."""
    from console.endpoints import coverage, service as endpoints

    factory = factory or make_session_factory(make_engine(settings.database_url), settings)
    with session_scope(factory) as session:
        result = endpoints.sync_due(session, settings)
        coverage.refresh_seen(session, settings)
    if result is not None:
        (log.info if result.status == "ok" else log.warning)("endpoints: %s", result.summary())


def scheduled_rules_update(settings: Settings, day: date | None = None):
    """The daily update of the rule sources at [rules] update_at, once across the nodes; the task, or None."""
    day = day or datetime.now(ZoneInfo(settings.console.timezone)).date()
    task = tasks.run_once(settings, scheduler_actor(), "rules.update", {}, f"rules.update:{day.isoformat()}")
    if task is None:
        log.info("rules update of %s: already claimed by another node", day)
    elif task.state.value != "done":
        log.warning("rules update of %s failed, the active version stays: %s", day, task.error)
    else:
        log.info("rules update of %s: %s", day, task.result)
    return task


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


def recheck_directory(settings: Settings, factory=None):
    """Directory accounts looked up again: who left every mapped group loses tokens and sessions (issue 20)."""
    factory = factory or make_session_factory(make_engine(settings.database_url), settings)
    with session_scope(factory) as session:
        result = recheck_all(session, settings.auth.ldap, scheduler_actor())
    log.info("directory re-check: %s", result)
    return result


REMEDIATION_SECONDS = 10
AVAILABILITY_TICK_SECONDS = 1  # a due check starts within about a second (bench/availability.py: p99 lateness 7 s at 5)


def check_availability(settings: Settings, factory=None) -> int:
    """The service checks that are due, run off any request (console/availability/runner.py); how many ran."""
    from console.availability import runner

    factory = factory or make_session_factory(make_engine(settings.database_url), settings)
    ran = runner.run_due(factory, settings)
    if ran:
        log.debug("availability: %s checks ran", ran)
    return ran


def scheduled_availability_report(settings: Settings, today: date | None = None):
    """The month that ended, filed once across the nodes (console/availability/tasks.py); the task, or None."""
    from console.availability.report import previous_month

    today = today or datetime.now(ZoneInfo(settings.console.timezone)).date()
    month = f"{previous_month(today.replace(day=1)):%Y-%m}"
    task = tasks.run_once(settings, scheduler_actor(), "availability.report", {"month": month},
                          f"availability.report:{month}")
    if task is None:
        log.info("availability report of %s: already filed by another node", month)
    elif task.state.value != "done":
        log.warning("availability report of %s failed: %s", month, task.error)
    else:
        log.info("availability report of %s filed: %s", month, ", ".join(task.result["files"]))
    return task


def advance_remediations(settings: Settings, factory=None, catalog=None) -> int:
    """Remediations moved on: ended check and apply jobs, verifications once the agents have reported (issue 19)."""
    from console.remediation import service as remediation

    factory = factory or make_session_factory(make_engine(settings.database_url), settings)
    moved = remediation.advance(factory, settings, catalog or configured_catalog(settings))
    if moved:
        log.info("remediations: %s moved on", moved)
    return moved


def build_scheduler(settings: Settings) -> BlockingScheduler:
    hour, minute = (int(part) for part in settings.compliance.run_at.split(":"))
    scheduler = BlockingScheduler(timezone=settings.console.timezone)
    scheduler.add_job(scheduled_compliance, CronTrigger(hour=hour, minute=minute, timezone=settings.console.timezone),
                      args=[settings], id="compliance-nightly", max_instances=1, coalesce=True,
                      misfire_grace_time=3600)
    if settings.rules.update_at:
        hour, minute = (int(part) for part in settings.rules.update_at.split(":"))
        scheduler.add_job(scheduled_rules_update, CronTrigger(hour=hour, minute=minute,
                                                              timezone=settings.console.timezone),
                          args=[settings], id="rules-update", max_instances=1, coalesce=True, misfire_grace_time=3600)
    factory = make_session_factory(make_engine(settings.database_url), settings)
    scheduler.add_job(deliver_notifications, "interval", seconds=settings.notify.deliver_interval_seconds,
                      args=[settings, factory], id="notify-deliver", max_instances=1, coalesce=True)
    if settings.notify.rules:
        scheduler.add_job(watch_estate, "interval", minutes=1, args=[settings, factory], id="notify-watch",
                          max_instances=1, coalesce=True)
        hour, minute = (int(part) for part in settings.notify.digest_at.split(":"))
        scheduler.add_job(notification_digests, CronTrigger(hour=hour, minute=minute,
                                                            timezone=settings.console.timezone),
                          args=[settings, factory], id="notify-digest", max_instances=1, coalesce=True,
                          misfire_grace_time=3600)
    scheduler.add_job(advance_remediations, "interval", seconds=REMEDIATION_SECONDS,
                      args=[settings, factory, configured_catalog(settings)], id="remediation-advance",
                      max_instances=1, coalesce=True)
    if settings.auth.ldap.enabled:
        scheduler.add_job(recheck_directory, "interval", minutes=settings.auth.ldap.recheck_minutes,
                          args=[settings, factory], id="directory-recheck", max_instances=1, coalesce=True)
    if settings.endpoints.configured:
        scheduler.add_job(sync_endpoints, "interval", minutes=1, args=[settings, factory], id="endpoints-sync",
                          max_instances=1, coalesce=True)
    if settings.availability.services:
        scheduler.add_job(check_availability, "interval", seconds=AVAILABILITY_TICK_SECONDS, args=[settings, factory],
                          id="availability-checks", max_instances=1, coalesce=True)
        scheduler.add_job(scheduled_availability_report, CronTrigger(day=1, hour=0, minute=30,
                                                                     timezone=settings.console.timezone),
                          args=[settings], id="availability-report", max_instances=1, coalesce=True,
                          misfire_grace_time=6 * 3600)
    poll = device_poller()
    if poll is not None:
        scheduler.add_job(poll_devices, "interval", minutes=1, args=[settings, poll], id="devices-poll",
                          max_instances=1, coalesce=True)
    return scheduler
