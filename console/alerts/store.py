"""Storing a batch of parsed EVE lines in one transaction: rows, group upserts, counters, checkpoint.

The fast path: alerts and context events go in with one executemany each
(SQLAlchemy Core), groups, counters and problems are aggregated in Python
first and upserted once per key per batch. The checkpoint moves in the same
transaction, and only if nobody moved it meanwhile (two followers on one
file, or one agent batch sent twice at once): `CheckpointMoved` then, and
the caller rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from operator import itemgetter
from datetime import datetime

from sqlalchemy import and_, bindparam, case, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from console.errors import Conflict
from console.models.alerts import Alert, AlertGroup, ContextEvent, EventCounter, IngestCheckpoint, IngestProblem
from console.alerts.announce import announce_groups
from console.models.base import utcnow
from console.alerts.eve_parse import Parsed, Problem, address_key, parse_line
from console.common.time import DEFAULT_WINDOW, TimeBounds, TimeWindow

__all__ = ["addresses_seen"]

MAX_DETAIL = 1000


class CheckpointMoved(Conflict):
    """Another reader stored these lines first; nothing of this batch was kept."""


@dataclass(frozen=True)
class Checkpoint:
    source: str
    path: str = ""
    device: int = 0
    inode: int = 0
    fingerprint: str = ""
    fingerprint_bytes: int = 0
    offset: int = 0
    line_number: int = 0
    stored: bool = False  # a row exists in the database

    def moved_to(self, offset: int, line_number: int) -> "Checkpoint":
        return replace(self, offset=offset, line_number=line_number)


@dataclass
class Batch:
    """Lines of one source being collected for one transaction."""

    problem_source: str
    default_sensor: str
    alerts: list[dict] = field(default_factory=list)
    context: list[dict] = field(default_factory=list)
    groups: dict[str, dict] = field(default_factory=dict)
    group_sensors: dict[str, str] = field(default_factory=dict)
    counters: dict[tuple[str, str], list] = field(default_factory=dict)
    problems: dict[str, list] = field(default_factory=dict)
    lines: int = 0
    # The time window the batch's timestamps must fall in ([console] max_future_hours), fixed as the batch starts.
    window: TimeWindow = DEFAULT_WINDOW
    bounds: TimeBounds = field(init=False)

    def __post_init__(self) -> None:
        self.bounds = self.window.bounds()

    def next(self) -> "Batch":
        """An empty batch for the same source, sensor and window."""
        return Batch(self.problem_source, self.default_sensor, window=self.window)

    def add_line(self, line: bytes, where: str) -> Problem | None:
        self.lines += 1
        parsed = parse_line(line, self.default_sensor, self.bounds)
        if isinstance(parsed, Problem):
            self.add_problem(parsed.kind, f"{where}: {parsed.detail}")
            return parsed
        for problem in parsed.problems:
            self.add_problem(problem.kind, f"{where}: {problem.detail}")
        if parsed.kind == "alert":
            self.alerts.append(parsed.row)
            self._group(parsed.row)
        elif parsed.kind == "context":
            self.context.append(parsed.row)
        else:
            self._count(parsed)
        return None

    def add_problem(self, kind: str, detail: str, count: int = 1) -> None:
        entry = self.problems.setdefault(kind, [0, ""])
        entry[0] += count
        entry[1] = detail[:MAX_DETAIL]

    @property
    def events(self) -> int:
        return len(self.alerts) + len(self.context) + sum(entry[0] for entry in self.counters.values())

    def _group(self, row: dict) -> None:
        group = self.groups.get(row["group_key"])
        if group is None:
            self.groups[row["group_key"]] = {
                "group_key": row["group_key"], "gid": row["gid"], "sid": row["sid"], "signature": row["signature"],
                "category": row["category"], "severity": row["severity"], "src_ip": row["src_ip"],
                "dest_ip": row["dest_ip"], "src_key": address_key(row["src_ip"]),
                "dest_key": address_key(row["dest_ip"]), "first_seen": row["event_at"], "last_seen": row["event_at"],
                "count": 1, "blocked_count": int(row["action"] == "blocked")}
            self.group_sensors[row["group_key"]] = row["sensor"]
            return
        group["count"] += 1
        group["blocked_count"] += int(row["action"] == "blocked")
        if row["event_at"] < group["first_seen"]:
            group["first_seen"] = row["event_at"]
        if row["event_at"] >= group["last_seen"]:
            group["last_seen"], group["signature"], group["severity"] = row["event_at"], row["signature"], row["severity"]

    def _count(self, parsed: Parsed) -> None:
        entry = self.counters.setdefault((parsed.sensor, parsed.event_type), [0, parsed.event_at, parsed.record])
        entry[0] += 1
        if parsed.event_at >= entry[1]:
            entry[1], entry[2] = parsed.event_at, parsed.record


def store_batch(session: Session, batch: Batch, before: Checkpoint | None = None,
                after: Checkpoint | None = None) -> None:
    """Write the batch and move the checkpoint from `before` to `after`; the caller commits."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if not postgres:
        # WAL + NORMAL: a killed process loses nothing committed; only a power cut can drop the last
        # transactions, and then their events and their checkpoint go together.
        session.connection().exec_driver_sql("PRAGMA synchronous=NORMAL")
    now = utcnow()
    if after is not None:
        _move_checkpoint(session, before, after, now)
    if batch.alerts:
        insert_rows(session, Alert.__table__, batch.alerts)
        session.execute(_group_upsert(postgres), [{**g, "updated_at": now} for g in batch.groups.values()])
        announce_groups(session, batch.groups, batch.group_sensors)
    if batch.context:
        insert_rows(session, ContextEvent.__table__, batch.context)
    if batch.counters:
        rows = [{"sensor": sensor, "event_type": kind, "count": count, "last_event_at": at, "last_record": record}
                for (sensor, kind), (count, at, record) in batch.counters.items()]
        session.execute(_counter_upsert(postgres), rows)
    if batch.problems:
        record_problems(session, batch.problem_source, batch.problems, now)


def insert_rows(session: Session, table, rows: list[dict]) -> None:
    """One executemany of rows that all have the same keys, with the columns' own bind conversions.

    The statement is compiled once per table and dialect; the rows skip
    SQLAlchemy's per-row parameter building, which is most of the cost of a
    plain `session.execute(insert(table), rows)` at this volume.
    """
    connection = session.connection()
    dialect = connection.dialect
    cache_key = (table.name, dialect.name, tuple(rows[0]))
    plan = _PLANS.get(cache_key)
    if plan is None:
        plan = _PLANS[cache_key] = _plan(table, dialect, list(rows[0]))
    sql, getter, converters, names = plan
    params = []
    for row in rows:
        values = list(getter(row))
        for index, convert in converters:
            values[index] = convert(values[index])
        params.append(tuple(values) if names is None else dict(zip(names, values)))
    connection.exec_driver_sql(sql, params)


def _plan(table, dialect, keys: list[str]):
    compiled = insert(table).values({name: bindparam(name) for name in keys}).compile(dialect=dialect)
    positional = compiled.positiontup is not None
    names = list(compiled.positiontup) if positional else list(compiled.binds)
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
    converters = [(index, process) for index, process in enumerate(processors) if process is not None]
    return compiled.string, itemgetter(*names), converters, None if positional else names


_PLANS: dict = {}


def record_problems(session: Session, source: str, problems: dict[str, list], now: datetime | None = None) -> None:
    postgres = session.get_bind().dialect.name == "postgresql"
    rows = [{"source": source[:600], "kind": kind, "count": count, "last_at": now or utcnow(), "last_detail": detail}
            for kind, (count, detail) in problems.items()]
    session.execute(_problem_upsert(postgres), rows)


def load_checkpoint(session: Session, source: str) -> Checkpoint:
    row = session.scalar(select(IngestCheckpoint).where(IngestCheckpoint.source == source))
    if row is None:
        return Checkpoint(source)
    return Checkpoint(source, row.path, row.device, row.inode, row.fingerprint, row.fingerprint_bytes, row.offset,
                      row.line_number, stored=True)


def _move_checkpoint(session: Session, before: Checkpoint | None, after: Checkpoint, now: datetime) -> None:
    values = {"path": after.path[:1024], "device": after.device, "inode": after.inode,
              "fingerprint": after.fingerprint, "fingerprint_bytes": after.fingerprint_bytes, "offset": after.offset,
              "line_number": after.line_number, "updated_at": now}
    if before is None or not before.stored:
        exists = session.scalar(select(IngestCheckpoint.id).where(IngestCheckpoint.source == after.source))
        if exists is not None:
            raise CheckpointMoved(f"{after.source}: another reader has started on this source")
        session.execute(insert(IngestCheckpoint.__table__).values(source=after.source, **values))
        return
    moved = session.execute(update(IngestCheckpoint.__table__).where(
        IngestCheckpoint.source == before.source, IngestCheckpoint.offset == before.offset,
        IngestCheckpoint.inode == before.inode, IngestCheckpoint.fingerprint == before.fingerprint).values(**values))
    if moved.rowcount != 1:
        raise CheckpointMoved(f"{after.source}: the checkpoint moved under this reader")


def _upsert(postgres: bool, model):
    return (pg_insert if postgres else sqlite_insert)(model.__table__)


def _greatest(postgres: bool, a, b):
    return func.greatest(a, b) if postgres else func.max(a, b)


def _least(postgres: bool, a, b):
    return func.least(a, b) if postgres else func.min(a, b)


def _group_upsert(postgres: bool):
    stmt = _upsert(postgres, AlertGroup)
    new = stmt.excluded
    reopen = and_(AlertGroup.status == "closed", AlertGroup.false_positive.is_(False))
    return stmt.on_conflict_do_update(index_elements=["group_key"], set_={
        "count": AlertGroup.count + new.count,
        "blocked_count": AlertGroup.blocked_count + new.blocked_count,
        "first_seen": _least(postgres, AlertGroup.first_seen, new.first_seen),
        "last_seen": _greatest(postgres, AlertGroup.last_seen, new.last_seen),
        "signature": case((new.last_seen >= AlertGroup.last_seen, new.signature), else_=AlertGroup.signature),
        "severity": case((new.last_seen >= AlertGroup.last_seen, new.severity), else_=AlertGroup.severity),
        "status": case((reopen, "new"), else_=AlertGroup.status),
        "updated_at": new.updated_at,
    })


def _counter_upsert(postgres: bool):
    stmt = _upsert(postgres, EventCounter)
    new = stmt.excluded
    later = new.last_event_at >= EventCounter.last_event_at
    return stmt.on_conflict_do_update(index_elements=["sensor", "event_type"], set_={
        "count": EventCounter.count + new.count,
        "last_event_at": _greatest(postgres, EventCounter.last_event_at, new.last_event_at),
        "last_record": case((later, new.last_record), else_=EventCounter.last_record),
    })


def _problem_upsert(postgres: bool):
    stmt = _upsert(postgres, IngestProblem)
    new = stmt.excluded
    return stmt.on_conflict_do_update(index_elements=["source", "kind"], set_={
        "count": IngestProblem.count + new.count, "last_at": new.last_at, "last_detail": new.last_detail})


# --- the addresses-seen feed (console/endpoints reads it for unmanaged devices) -------------------------------

SEEN_EVENT_TYPES = ("flow", "dhcp")


@dataclass(frozen=True)
class SeenBatch:
    """{address: (first seen, last seen, sensor, event type)} of a run of context events, and the last id read."""

    addresses: dict
    last_event_id: int
    events: int


def addresses_seen(session: Session, after_id: int = 0, limit: int = 50000) -> SeenBatch:
    """The addresses in up to `limit` flow and DHCP context events with an id above `after_id`, oldest first.

    Flow events give src_ip and dest_ip; DHCP events also the address the server assigned
    (dhcp.assigned_ip) or the client already had (dhcp.client_ip). 0.0.0.0 and broadcast are left out.
    Read-only; the caller keeps `last_event_id` to go on from there.
    """
    rows = session.execute(
        select(ContextEvent.id, ContextEvent.event_at, ContextEvent.sensor, ContextEvent.event_type,
               ContextEvent.src_ip, ContextEvent.dest_ip, ContextEvent.record)
        .where(ContextEvent.id > after_id, ContextEvent.event_type.in_(SEEN_EVENT_TYPES))
        .order_by(ContextEvent.id).limit(limit)).all()
    found: dict = {}
    last = after_id
    for event_id, event_at, sensor, event_type, src_ip, dest_ip, record in rows:
        last = event_id
        for address in (src_ip, dest_ip, *(_dhcp_addresses(record) if event_type == "dhcp" else ())):
            if not address or address in ("0.0.0.0", "255.255.255.255"):
                continue
            before = found.get(address)
            if before is None:
                found[address] = (event_at, event_at, sensor, event_type)
            else:
                found[address] = (min(before[0], event_at), max(before[1], event_at), sensor, event_type)
    return SeenBatch(found, last, len(rows))


def _dhcp_addresses(record: str) -> tuple[str, ...]:
    import json

    try:
        dhcp = json.loads(record).get("dhcp") or {}
    except (ValueError, AttributeError):
        return ()
    return tuple(str(dhcp[key])[:45] for key in ("assigned_ip", "client_ip") if isinstance(dhcp, dict) and dhcp.get(key))
