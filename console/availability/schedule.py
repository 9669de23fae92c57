"""The availability area's clock (console/common/schedule.py), when [[availability.services]] are declared.

Every AVAILABILITY_TICK_SECONDS the checks that are due run in threads (console/availability/runner.py). On the
1st of each month at 00:30 the month that ended is filed (availability.report, claimed once across the nodes
under `availability.report:<month>`).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from console.access.actor import Actor
from console.availability import runner
from console.availability.report import previous_month
from console.common.schedule import Job, scheduled
from console.db import make_engine, make_session_factory
from console.tasks import work as tasks

if TYPE_CHECKING:  # annotations only: settings assembles the areas' config sections, above them
    from console.settings import Settings

log = logging.getLogger("ops.scheduler")
AVAILABILITY_TICK_SECONDS = 1  # a due check starts within about a second (bench/availability.py: p99 lateness 7 s at 5)


def check_availability(settings: Settings, factory=None) -> int:
    """The service checks that are due, run off any request (console/availability/runner.py); how many ran."""
    factory = factory or make_session_factory(make_engine(settings.database_url), settings)
    ran = runner.run_due(factory, settings)
    if ran:
        log.debug("availability: %s checks ran", ran)
    return ran


def scheduled_availability_report(settings: Settings, today: date | None = None):
    """The month that ended, filed once across the nodes (console/availability/tasks.py); the task, or None."""
    today = today or datetime.now(ZoneInfo(settings.console.timezone)).date()
    month = f"{previous_month(today.replace(day=1)):%Y-%m}"
    task = tasks.run_once(settings, Actor.scheduler(), "availability.report", {"month": month},
                          f"availability.report:{month}")
    if task is None:
        log.info("availability report of %s: already filed by another node", month)
    elif task.state.value != "done":
        log.warning("availability report of %s failed: %s", month, task.error)
    else:
        log.info("availability report of %s filed: %s", month, ", ".join(task.result["files"]))
    return task


@scheduled("availability-checks")
def _checks(settings: Settings, factory) -> Job | None:
    if not settings.availability.services:
        return None
    return Job(check_availability, "interval", (settings, factory), every={"seconds": AVAILABILITY_TICK_SECONDS})


@scheduled("availability-report")
def _report(settings: Settings, factory) -> Job | None:
    if not settings.availability.services:
        return None
    return Job(scheduled_availability_report,
               CronTrigger(day=1, hour=0, minute=30, timezone=settings.console.timezone), (settings,),
               misfire_grace_time=6 * 3600)
