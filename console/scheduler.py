"""The console's scheduler process (`ops scheduler run`): APScheduler running the jobs the areas register.

Each area says what it runs on a clock in its `schedule.py` (console/common/schedule.py): the nightly
compliance run (compliance), the daily rules update (ruleset), the outbox, the estate's minute look and the
digests (notify), remediations moved on (remediation), the directory re-check (access.directory), the KSC
sync (endpoints), the service checks and the monthly report (availability), device polling (devices).
console/wiring.py imports those registrations; this module knows no area. Every job runs one instance at a
time, coalesced, in the console's time zone.

Several console nodes may each run a scheduler on one shared PostgreSQL database: the jobs that must happen
once (the nightly run of a day, the month's report) are claimed as tasks under a unique key (console.tasks),
and the outbox's rows are claimed, so several nodes never send one twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from apscheduler.schedulers.blocking import BlockingScheduler

from console.common.schedule import PLANNERS, planned_jobs
from console.db import make_engine, make_session_factory

if TYPE_CHECKING:  # annotations only: settings assembles the areas' config sections, above them
    from console.settings import Settings


def build_scheduler(settings: Settings) -> BlockingScheduler:
    """A scheduler holding every registered job these settings turn on (console.wiring.register_areas first)."""
    if not PLANNERS:
        raise RuntimeError("no scheduled job is registered: call console.wiring.register_areas() first")
    scheduler = BlockingScheduler(timezone=settings.console.timezone)
    factory = make_session_factory(make_engine(settings.database_url), settings)
    for job_id, job in planned_jobs(settings, factory):
        options = {} if job.misfire_grace_time is None else {"misfire_grace_time": job.misfire_grace_time}
        scheduler.add_job(job.func, job.trigger, args=list(job.args), id=job_id, max_instances=1, coalesce=True,
                          **job.every, **options)
    return scheduler
