"""How the alert pipeline is doing: ingest problems, last event per sensor, unreviewed high alerts.

`alert_pipeline_status` is the interface the compliance part reads.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.models.alerts import Alert, AlertGroup, AlertStatus, EventCounter, IngestProblem

__all__ = ["alert_pipeline_status"]

HIGH_SEVERITY = 1  # Suricata severity 1 is the highest


def problem_counts(session: Session) -> list[dict]:
    rows = session.scalars(select(IngestProblem).order_by(IngestProblem.source, IngestProblem.kind))
    return [{"source": row.source, "kind": row.kind, "count": row.count, "last_at": row.last_at.isoformat(),
             "last_detail": row.last_detail} for row in rows]


def problem_totals(session: Session) -> dict[str, int]:
    """Problems per kind over every source."""
    rows = session.execute(select(IngestProblem.kind, func.sum(IngestProblem.count)).group_by(IngestProblem.kind))
    return {kind: int(count) for kind, count in rows}


def event_counters(session: Session) -> list[dict]:
    rows = session.scalars(select(EventCounter).order_by(EventCounter.sensor, EventCounter.event_type))
    return [{"sensor": row.sensor, "event_type": row.event_type, "count": row.count,
             "last_event_at": row.last_event_at.isoformat()} for row in rows]


def alert_pipeline_status(session: Session) -> dict:
    """For compliance evidence:

    {"sensors": [{"sensor": str, "last_event_at": datetime}],   # newest alert per sensor, by name
     "oldest_unreviewed_high_at": datetime | None,             # first_seen of the oldest new severity-1 group
     "unreviewed_high_count": int}                             # severity-1 groups still new
    Datetimes are timezone-aware UTC.
    """
    sensors = session.execute(select(Alert.sensor, func.max(Alert.event_at)).group_by(Alert.sensor)
                              .order_by(Alert.sensor)).all()
    unreviewed = (AlertGroup.status == AlertStatus.new.value) & (AlertGroup.severity <= HIGH_SEVERITY)
    count, oldest = session.execute(select(func.count(), func.min(AlertGroup.first_seen)).where(unreviewed)).one()
    return {
        "sensors": [{"sensor": name, "last_event_at": _aware(at)} for name, at in sensors],
        "oldest_unreviewed_high_at": _aware(oldest) if oldest is not None else None,
        "unreviewed_high_count": int(count),
    }


def _aware(value: datetime) -> datetime:
    """min()/max() keep the column type, so these are aware already; naive ones are taken as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def metric_families(session: Session):
    """Prometheus families read at scrape time (the follower runs in its own process)."""
    from prometheus_client.core import CounterMetricFamily

    problems = CounterMetricFamily("ops_alert_ingest_problems", "EVE lines not stored, by kind", labels=["kind"])
    for kind, count in sorted(problem_totals(session).items()):
        problems.add_metric([kind], count)
    yield problems
    events = CounterMetricFamily("ops_alert_counted_events", "anomaly and stats EVE events", labels=["event_type"])
    totals: dict[str, int] = {}
    for row in event_counters(session):
        totals[row["event_type"]] = totals.get(row["event_type"], 0) + row["count"]
    for kind, count in sorted(totals.items()):
        events.add_metric([kind], count)
    yield events


def overview(session: Session, hours: int = 168, now: datetime | None = None) -> dict:
    """Alert groups not yet reviewed (status new) by severity, and alerts per hour over the last `hours`.

    One aggregate over the groups by (status, severity); the hours are one statement of `hours`
    range counts on the event_at index (each counted inside the index, no row read, no per-row
    time formatting), which stays a few milliseconds with a million alerts in the table.
    """
    from datetime import timedelta

    unreviewed = {int(severity): int(n) for severity, n in session.execute(
        select(AlertGroup.severity, func.count()).where(AlertGroup.status == AlertStatus.new.value)
        .group_by(AlertGroup.severity).order_by(AlertGroup.severity))}
    now = now or datetime.now(timezone.utc)
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    starts = [end - timedelta(hours=hours - n) for n in range(hours)]
    bounds = {f"h{n}": at for n, at in enumerate(starts + [end])}
    counts = dict(session.execute(_hourly_counts(hours), bounds).all())
    values = [int(counts.get(n, 0)) for n in range(hours)]
    blocked = session.scalar(select(func.count()).select_from(Alert).where(
        Alert.event_at >= starts[0], Alert.event_at < end, Alert.action == "blocked"))
    return {"unreviewed": unreviewed, "unreviewed_total": sum(unreviewed.values()),
            "per_hour": {"labels": [at.isoformat() for at in starts], "values": values},
            "total_in_window": sum(values), "blocked_in_window": int(blocked or 0), "window_days": hours // 24}


_HOURLY: dict[int, object] = {}


def _hourly_counts(hours: int):
    """The statement of `overview`'s range counts, built once per process (its bounds are parameters)."""
    if hours not in _HOURLY:
        from sqlalchemy import bindparam, literal_column, union_all

        kind = Alert.__table__.c.event_at.type
        _HOURLY[hours] = union_all(*[
            select(literal_column(str(n)).label("n"), func.count().label("c")).select_from(Alert)
            .where(Alert.event_at >= bindparam(f"h{n}", type_=kind), Alert.event_at < bindparam(f"h{n + 1}", type_=kind))
            for n in range(hours)])
    return _HOURLY[hours]
