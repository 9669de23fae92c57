"""Running compliance: every control for every target it applies to, stored as one run.

`execute` takes a session factory rather than a session because it needs
three units of work: the run lock is taken and released in transactions of
its own (so that another process sees it at once), while the run and all its
results are written in ONE transaction between them: a run is stored whole
or not at all. Targets are streamed in batches of BATCH hosts with their
latest reports only, and results are inserted per batch, so memory depends
on the batch size, not on the estate's history.
"""

from __future__ import annotations

import os
import socket
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterator

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from console.compliance.catalog import SEVERITY_RANK, Catalog, LoadedControl
from console.compliance.engine import applies, evaluate
from console.compliance.evidence import Evidence, Target
from console.compliance.evidence import agent, alerts, devices, endpoints, rules, services
from console.compliance.announce import announce_run
from console.db import session_scope
from console.errors import Conflict
from console.inventory.hosts import active_hosts
from console.models.compliance import ComplianceLock, ComplianceResult, ComplianceRun
from console.models.base import utcnow
from console.access import audit
from console.compliance import system_assessment
from console.access.actor import Actor
from console.compliance.waivers import active_waivers
from console.access.permissions import require
from console.vulns.queries import record_day as record_vulns_day

__all__ = ["host_targets"]

BATCH = 500
LOCK_NAME = "run"
TRIGGERS = ("cli", "console", "schedule")
Progress = Callable[[int, int], None]


class RunLocked(Conflict):
    """Another compliance run holds the lock; this one did not start."""

    exit_code = 2


@dataclass
class RunOutcome:
    run_id: int
    counts: dict
    summary: dict

    def failed_at_or_above(self, severity: str, strict: bool = False) -> int:
        """How many results at or above `severity` failed (and, with strict, were unknown)."""
        wanted = ("fail", "unknown") if strict else ("fail",)
        floor = SEVERITY_RANK[severity]
        by_severity = self.summary.get("severity", {})
        return sum(by_severity.get(level, {}).get(result, 0) for level, rank in SEVERITY_RANK.items()
                   if rank >= floor for result in wanted)


def execute(factory: sessionmaker[Session], actor: Actor, catalog: Catalog, trigger: str = "cli",
            progress: Progress | None = None, lock_minutes: int = 120, now: datetime | None = None) -> RunOutcome:
    """Evaluate the catalog now; raises RunLocked if a run is already in progress."""
    require(actor, "compliance.run")
    if trigger not in TRIGGERS:
        raise ValueError(f"trigger must be one of {TRIGGERS}")
    holder = f"{actor.username}@{socket.gethostname()}:{os.getpid()}"[:128]
    acquire_lock(factory, holder, lock_minutes)
    try:
        with session_scope(factory) as session:
            return _run(session, actor, catalog, trigger, progress, now or utcnow())
    finally:
        release_lock(factory, holder)


def acquire_lock(factory: sessionmaker[Session], holder: str, minutes: int) -> None:
    """Take the run lock; a lock older than `minutes` (its run crashed) is taken over."""
    now = utcnow()
    with session_scope(factory) as session:
        # Read first: on SQLite a writer would wait for a running run's transaction to end.
        current = session.get(ComplianceLock, LOCK_NAME)
        if current is not None and current.expires_at > now:
            raise RunLocked(f"another compliance run is in progress ({current.holder}, since "
                            f"{current.acquired_at:%Y-%m-%d %H:%M:%S} UTC)")
    try:
        with session_scope(factory) as session:
            session.execute(delete(ComplianceLock).where(ComplianceLock.name == LOCK_NAME,
                                                         ComplianceLock.expires_at <= now))
            session.add(ComplianceLock(name=LOCK_NAME, holder=holder, acquired_at=now,
                                       expires_at=now + timedelta(minutes=minutes)))
    except IntegrityError:
        raise RunLocked("another compliance run started at the same moment") from None


def release_lock(factory: sessionmaker[Session], holder: str) -> None:
    with session_scope(factory) as session:
        session.execute(delete(ComplianceLock).where(ComplianceLock.name == LOCK_NAME, ComplianceLock.holder == holder))


def running(session: Session) -> ComplianceLock | None:
    """The lock of the run in progress, if any (for the console's run list)."""
    lock = session.get(ComplianceLock, LOCK_NAME)
    return lock if lock is not None and lock.expires_at > utcnow() else None


def _run(session: Session, actor: Actor, catalog: Catalog, trigger: str, progress, now: datetime) -> RunOutcome:
    run = ComplianceRun(trigger=trigger, actor=actor.username[:64], state="done", started_at=now,
                        catalog_digest=catalog.digest, counts={}, summary={})
    session.add(run)
    session.flush()
    tally = Tally()
    inserter = ResultInserter(session)
    for rows in results(session, catalog, now, progress):
        for row in rows:
            row["run_id"] = run.id
            tally.add(row)
        if rows:
            inserter(rows)
    system_assessment.assess_run(session, run.id, now)
    record_vulns_day(session, now)  # a point of the reports' vulnerability trend on each day a run is made
    run.finished_at, run.counts, run.summary = utcnow(), tally.counts(), tally.summary()
    announce_run(session, run, {control.id: {"vi": control.spec.title.vi, "en": control.spec.title.en}
                                for control in catalog.controls})
    audit.record(session, actor, "compliance.run", "compliance_run", str(run.id), trigger=trigger,
                 counts=run.counts, catalog=catalog.digest)
    return RunOutcome(run.id, run.counts, run.summary)


def results(session: Session, catalog: Catalog, now: datetime, progress: Progress | None = None) -> Iterator[list[dict]]:
    """Result rows in batches: hosts first (BATCH at a time), then devices, endpoints and services."""
    host_controls = [c for c in catalog.controls if c.spec.applies_to.devices is None]
    device_controls = [c for c in catalog.controls if c.spec.applies_to.devices is not None]
    sources = {c.spec.evidence.source for c in catalog.controls}
    waivers = active_waivers(session, now)
    pick = _Sources(session, sources)
    hosts = host_targets(session)
    device_list, device_evidence = devices.load(session) if device_controls else ([], {})
    if "endpoints" in sources:
        endpoint_list, endpoint_found = endpoints.load(session)
        device_list, device_evidence = device_list + endpoint_list, {**device_evidence, **endpoint_found}
    if "availability" in sources:
        service_list, service_found = services.load(session, now)
        device_list, device_evidence = device_list + service_list, {**device_evidence, **service_found}
    total = len(hosts) + len(device_list)
    for start in range(0, len(hosts), BATCH):
        batch = hosts[start:start + BATCH]
        reports = agent.latest(session, [t.host_id for t in batch]) if "agent_report" in sources else {}
        snapshots: dict = {}
        yield [evaluate(control, target, pick(control, target, reports), now, waivers.get((control.id, target.name)),
                        snapshots) for target in batch for control in host_controls if applies(control, target)]
        if progress:
            progress(start + len(batch), total)
    missing = Evidence.unknown("no reading from this device")
    yield [evaluate(control, target, device_evidence.get(target.name, missing), now, waivers.get((control.id, target.name)))
           for target in device_list for control in device_controls if applies(control, target)]
    if progress:
        progress(total, total)


class ResultInserter:
    """Inserts result rows with one executemany per batch, converting each shared value once.

    The statement is compiled once for the session's dialect; the column
    types' own bind processors do the conversions (JSON text, UTC times), but
    a snapshot or a time shared by many rows of a host is converted only once.
    The ORM and Core paths convert every row again and cost several times more
    at 400,000 results.
    """

    def __init__(self, session: Session):
        self.connection = session.connection()
        dialect = self.connection.dialect
        table = ComplianceResult.__table__
        self.compiled = insert(table).compile(dialect=dialect, column_keys=list(RESULT_COLUMNS))
        self.sql = str(self.compiled)
        self.keys = list(self.compiled.positiontup) if self.compiled.positional else None
        self.to_json = table.c.evidence.type._cached_bind_processor(dialect)
        self.to_time = table.c.evidence_at.type._cached_bind_processor(dialect)

    def __call__(self, rows: list[dict]) -> None:
        json_of, time_of = {}, {}
        converted = []
        for row in rows:
            row = dict(row)
            evidence = row["evidence"]
            text = json_of.get(id(evidence))
            if text is None:
                text = json_of[id(evidence)] = self.to_json(evidence) if self.to_json else evidence
            row["evidence"] = text
            if row["reason"] is not None and self.to_json:
                row["reason"] = self.to_json(row["reason"])
            moment = row["evidence_at"]
            if moment is not None and self.to_time:
                stored = time_of.get(moment)
                if stored is None:
                    stored = time_of[moment] = self.to_time(moment)
                row["evidence_at"] = stored
            converted.append(tuple(row[key] for key in self.keys) if self.keys else row)
        self.connection.exec_driver_sql(self.sql, converted)


RESULT_COLUMNS = ("run_id", "control_id", "target", "target_kind", "unit", "category", "severity", "result", "why",
                  "reason", "evidence", "evidence_at", "waiver_id")


class _Sources:
    """Evidence for (control, target), loading the rule manager and alert pipeline once per run."""

    def __init__(self, session: Session, sources: set[str]):
        self.rules = rules.load(session) if "rule_manager" in sources else ({}, None)
        self.alerts = alerts.load(session) if "alert_pipeline" in sources else ({}, None)

    def __call__(self, control: LoadedControl, target: Target, reports: dict) -> Evidence:
        source = control.spec.evidence.source
        if source == "agent_report":
            return reports[target.host_id]
        per_sensor, other = self.rules if source == "rule_manager" else self.alerts
        return per_sensor.get(target.name, other)


def host_targets(session: Session, only: list[str] | None = None) -> list[Target]:
    """Every active host (or those named in `only`) with its groups and variables, ordered by name."""
    return [Target(name=host.name, kind="host", unit=host.unit, host_id=host.id, variables=host.variables,
                   groups=host.groups | set(host.roles) | ({host.unit} if host.unit else set()))
            for host in active_hosts(session, only)]


class Tally:
    """Counts per result, and per category, unit, severity and control, built while rows stream by."""

    DIMENSIONS = ("category", "unit", "severity", "control_id")

    def __init__(self):
        self.total = Counter()
        self.by = {dimension: defaultdict(Counter) for dimension in self.DIMENSIONS}

    def add(self, row: dict) -> None:
        result = row["result"]
        self.total[result] += 1
        for dimension, table in self.by.items():
            table[row[dimension]][result] += 1

    def counts(self) -> dict:
        counts = {key: self.total.get(key, 0) for key in ("pass", "fail", "unknown", "waived")}
        return {**counts, "total": sum(counts.values()), "score": score(counts)}

    def summary(self) -> dict:
        names = {"control_id": "control"}
        return {names.get(dimension, dimension): {key: {**dict(counter), "score": score(counter)}
                                                  for key, counter in sorted(table.items())}
                for dimension, table in self.by.items()}


def score(counts) -> float | None:
    """Percent passing among results that count (waived ones are set aside); None when nothing counts."""
    judged = sum(counts.get(key, 0) for key in ("pass", "fail", "unknown"))
    return round(100.0 * counts.get("pass", 0) / judged, 1) if judged else None
