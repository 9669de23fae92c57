"""The check runner: run the checks that are due, keep their results raw, and move the services' states on.

Raw results are kept [availability] raw_retention_days, then rolled up per
check and hour (runs, failures, degraded, response times) so a year of
1-minute checks stays small.

`run_due` is what the console's scheduler calls every few seconds (never a
web request): it reads which checks are due in one short transaction, runs
them in threads outside any transaction (each bounded by its own timeout),
then writes the results, the states, the outages and the announcements in
one transaction (`record`). `now` is a parameter so tests move the clock
instead of sleeping.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from console.availability import states
from console.availability.checks import CheckResult, run_check
from console.db import session_scope
from console.models.availability import AvailabilityCheckState, AvailabilityHourly, AvailabilityResult
from console.models.base import utcnow

log = logging.getLogger("ops.availability")


def due_checks(session: Session, settings, now: datetime) -> list[tuple]:
    """(service, check) pairs of ops.toml whose next run is due at `now` (or that never ran)."""
    rows = {(row.service, row.check_name): row.next_due_at
            for row in session.execute(select(AvailabilityCheckState.service, AvailabilityCheckState.check_name,
                                              AvailabilityCheckState.next_due_at))}
    return [(service, check) for service in settings.availability.services for check in service.checks
            if rows.get((service.name, check.name)) is None or rows[(service.name, check.name)] <= now]


def run_due(factory, settings, now: datetime | None = None, runner=run_check) -> int:
    """Run every due check and record what came back; returns how many ran."""
    now = now or utcnow()
    with session_scope(factory) as session:
        due = due_checks(session, settings, now)
    if not due:
        return 0
    workers = min(settings.availability.parallel_checks, len(due))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="availability") as pool:
        results = list(pool.map(lambda pair: runner(pair[1], settings.availability), due))
    with session_scope(factory) as session:
        record(session, settings, [(service.name, check, result) for (service, check), result in zip(due, results)],
               now)
    return len(due)


def record(session: Session, settings, results: list[tuple[str, object, CheckResult]], now: datetime) -> None:
    """Store `results` (service name, CheckConfig, CheckResult) as of `now` and move every service's state on."""
    for service, check, result in results:
        session.add(AvailabilityResult(service=service, check_name=check.name, kind=check.kind, checked_at=now,
                                       outcome=result.outcome, response_ms=result.response_ms,
                                       detail=result.detail, facts=result.facts))
        state = session.get(AvailabilityCheckState, (service, check.name))
        if state is None:
            state = AvailabilityCheckState(service=service, check_name=check.name, kind=check.kind,
                                           consecutive_failures=0, facts={})
            session.add(state)
        state.kind = check.kind
        state.consecutive_failures = state.consecutive_failures + 1 if result.outcome == "fail" else 0
        state.last_outcome, state.last_detail = result.outcome, result.detail
        state.last_response_ms, state.last_checked_at = result.response_ms, now
        state.next_due_at = now + timedelta(seconds=check.interval_seconds)
        state.facts = result.facts
        if check.kind == "tls":
            states.certificate_events(session, settings, service, check, state, now)
    session.flush()
    states.evaluate(session, settings, now)
    prune(session, settings, now)


ROLLUP_BATCH = 5000


def prune(session: Session, settings, now: datetime, batch: int = ROLLUP_BATCH) -> int:
    """Raw results older than [availability] raw_retention_days rolled up per check and hour, then removed.

    At most `batch` rows a round, oldest first, so a year of backlog drains over rounds in short transactions.
    Returns how many raw rows went.
    """
    cutoff = now - timedelta(days=settings.availability.raw_retention_days)
    rows = session.execute(
        select(AvailabilityResult.id, AvailabilityResult.service, AvailabilityResult.check_name,
               AvailabilityResult.checked_at, AvailabilityResult.outcome, AvailabilityResult.response_ms)
        .where(AvailabilityResult.checked_at < cutoff).order_by(AvailabilityResult.checked_at).limit(batch)).all()
    if not rows:
        return 0
    hours: dict[tuple, AvailabilityHourly] = {}
    for _id, service, check_name, checked_at, outcome, response_ms in rows:
        key = (service, check_name, checked_at.replace(minute=0, second=0, microsecond=0))
        hourly = hours.get(key) or session.get(AvailabilityHourly, key)
        if hourly is None:
            hourly = AvailabilityHourly(service=key[0], check_name=key[1], hour=key[2], runs=0, failures=0,
                                        degraded=0, response_ms_sum=0.0, response_ms_count=0)
            session.add(hourly)
        hours[key] = hourly
        hourly.runs += 1
        hourly.failures += outcome == "fail"
        hourly.degraded += outcome == "degraded"
        if response_ms is not None:
            hourly.response_ms_sum += response_ms
            hourly.response_ms_count += 1
            hourly.response_ms_max = max(hourly.response_ms_max or 0.0, response_ms)
    session.flush()
    ids = [row[0] for row in rows]
    for start in range(0, len(ids), 500):
        session.execute(delete(AvailabilityResult).where(AvailabilityResult.id.in_(ids[start:start + 500])))
    return len(ids)
