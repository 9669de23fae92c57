"""Compliance's clock: the nightly run at [compliance] run_at, with its reports (console/common/schedule.py).

The nightly run of a day is claimed as a task under a unique key (`compliance.nightly:<date>`, console.tasks),
so that several console nodes sharing one PostgreSQL database run it once, on the node that claimed it first,
and it shows on the task pages like a "Run now". The DB run lock still keeps a scheduled run and a manual one
apart.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from console.access.actor import Actor
from console.common.schedule import Job, daily_at, scheduled
from console.compliance import reports
from console.compliance import runs as compliance_runs
from console.compliance.catalog import configured_catalog
from console.db import make_engine, make_session_factory, session_scope
from console.tasks import work as tasks

if TYPE_CHECKING:  # annotations only: settings assembles the areas' config sections, above them
    from console.settings import Settings

log = logging.getLogger("ops.scheduler")


def nightly_compliance(settings: Settings) -> int | None:
    """One run with its reports, now (`ops scheduler run --once`); the run id, or None when another run held the lock."""
    factory = make_session_factory(make_engine(settings.database_url), settings)
    catalog = configured_catalog(settings)
    try:
        outcome = compliance_runs.execute(factory, Actor.scheduler(), catalog, trigger="schedule",
                                          lock_minutes=settings.compliance.lock_minutes)
    except compliance_runs.RunLocked as exc:
        log.warning("nightly compliance run skipped: %s", exc)
        return None
    with session_scope(factory) as session:
        reports.write_reports(session, outcome.run_id, catalog, settings.compliance.report_dir,
                              settings.console.timezone, settings.compliance.report_formats)
    log.info("compliance run %s: %s", outcome.run_id, outcome.counts)
    return outcome.run_id


def nightly_key(day: date) -> str:
    return f"compliance.nightly:{day.isoformat()}"


def scheduled_compliance(settings: Settings, day: date | None = None) -> int | None:
    """The nightly run of `day` (default: today in the console's zone), once across every node sharing the database.

    Returns the run id; None when another node (or an earlier trigger) has that day's run, or the run failed
    (another run held the lock: the task is on record, failed, with the reason).
    """
    day = day or datetime.now(ZoneInfo(settings.console.timezone)).date()
    task = tasks.run_once(settings, Actor.scheduler(), "compliance.run", {"trigger": "schedule", "reports": True},
                          nightly_key(day))
    if task is None:
        log.info("nightly compliance run of %s: already claimed by another node", day)
        return None
    if task.state.value != "done":
        log.warning("nightly compliance run of %s failed: %s", day, task.error)
        return None
    log.info("compliance run %s (task %s): %s", task.result["run_id"], task.id, task.result["counts"])
    return task.result["run_id"]


@scheduled("compliance-nightly")
def _nightly(settings: Settings, factory) -> Job:
    return Job(scheduled_compliance, daily_at(settings.compliance.run_at, settings.console.timezone), (settings,),
               misfire_grace_time=3600)
