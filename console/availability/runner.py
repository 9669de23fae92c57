"""The check runner: run the checks that are due, keep their results raw, and move the services' states on.

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
from console.models.availability import AvailabilityCheckState, AvailabilityResult
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


def prune(session: Session, settings, now: datetime) -> int:
    """Raw results older than [availability] raw_retention_days removed."""
    cutoff = now - timedelta(days=settings.availability.raw_retention_days)
    return session.execute(delete(AvailabilityResult).where(AvailabilityResult.checked_at < cutoff)).rowcount or 0
