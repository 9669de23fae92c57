"""The scheduler's jobs, registered by the areas that own them, as console/tasks/registry.py holds the task kinds.

An area registers each piece of work it runs on a clock in its `schedule.py` with `@scheduled("<job id>")`: a
function of the settings and a session factory that returns the job (what to call, with which arguments, on
which trigger), or None when the settings turn the job off. `ops scheduler run` (console/scheduler.py) adds
every job the registrations return to APScheduler, one instance at a time, coalesced. The scheduler knows no
area; console/wiring.py imports the areas' registrations once per process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apscheduler.triggers.cron import CronTrigger

__all__ = ["Job", "PLANNERS", "daily_at", "planned_jobs", "scheduled"]


@dataclass(frozen=True)
class Job:
    """What APScheduler runs: `func(*args)` on `trigger` ("interval" with `every`, e.g. {"minutes": 1}, or a
    trigger object); `misfire_grace_time` in seconds, None for APScheduler's default."""

    func: Callable[..., Any]
    trigger: Any
    args: tuple = ()
    every: dict[str, float] = field(default_factory=dict)
    misfire_grace_time: int | None = None


# planner(settings, session_factory) -> Job | None (None: the settings turn the job off)
Planner = Callable[[Any, Any], "Job | None"]
PLANNERS: dict[str, Planner] = {}


def scheduled(job_id: str) -> Callable[[Planner], Planner]:
    """Register the decorated planner as the job `job_id` (once: a second planner for one id is an error)."""

    def register(planner: Planner) -> Planner:
        found = PLANNERS.get(job_id)
        if found is not None and found is not planner:
            raise ValueError(f"scheduled job {job_id!r} is already registered by {found.__module__}")
        PLANNERS[job_id] = planner
        return planner

    return register


def planned_jobs(settings, factory) -> list[tuple[str, Job]]:
    """The jobs the registrations return for these settings, by id (in the order of registration)."""
    jobs = ((job_id, planner(settings, factory)) for job_id, planner in PLANNERS.items())
    return [(job_id, job) for job_id, job in jobs if job is not None]


def daily_at(hhmm: str, timezone: str) -> CronTrigger:
    """A cron trigger at "HH:MM" every day in `timezone` (the settings have checked the format)."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    return CronTrigger(hour=hour, minute=minute, timezone=timezone)
