"""`ops alerts ingest`: EVE files (plain, rotated, .gz) into the database, once.

Each file is read from where it was left: a checkpoint keyed by the hash of
its first decompressed bytes, so ingesting a file twice, or its .gz copy
after rotation, stores nothing new. One transaction per batch of lines,
checkpoint included. A last line without its newline is taken as the end of
a finished file: stored if it is a whole record, counted as truncated if not.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO, Callable

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from console.errors import OpsError
from console.alerts.store import Batch, Checkpoint, load_checkpoint, store_batch
from console.alerts.eve_parse import Problem, parse_line
from console.common.time import DEFAULT_WINDOW, TimeWindow
from probes.eve_files import LineReader, content_identity, open_eve


class IngestError(OpsError):
    """An EVE file cannot be opened or read at all (bad lines are counted, not raised)."""

    exit_code = 2


@dataclass
class IngestTotals:
    files: int = 0
    lines: int = 0
    events: int = 0
    alerts: int = 0
    problems: dict[str, int] = field(default_factory=dict)

    def add(self, batch: Batch) -> None:
        self.lines += batch.lines
        self.events += batch.events
        self.alerts += len(batch.alerts)
        for kind, (count, _detail) in batch.problems.items():
            self.problems[kind] = self.problems.get(kind, 0) + count

    def summary(self) -> str:
        problems = ", ".join(f"{count} {kind}" for kind, count in sorted(self.problems.items())) or "none"
        return f"{self.files} files, {self.lines} lines, {self.events} events ({self.alerts} alerts); problems: {problems}"


def default_sensor(configured: str) -> str:
    return configured or socket.gethostname()


def ingest_files(factory: sessionmaker[Session], paths: list[Path], sensor: str, batch_size: int,
                 max_line_bytes: int, progress: Callable[[int], None] | None = None,
                 window: TimeWindow = DEFAULT_WINDOW) -> IngestTotals:
    """Ingest each file in order; `progress(bytes)` is called as raw file bytes are consumed.

    A line stamped outside `window` is counted (time_out_of_window), not stored.
    """
    totals = IngestTotals()
    for path in paths:
        ingest_file(factory, Path(path), sensor, batch_size, max_line_bytes, totals, progress, window)
        totals.files += 1
    if totals.events >= ANALYZE_AFTER_EVENTS:
        refresh_planner_statistics(factory)
    return totals


# A bulk import this large changes the tables' shape enough that PostgreSQL's
# planner, until autovacuum gets to them (a minute or more), picks plans that
# make the inbox 100x slower (measured: sensor filter 280 ms before, 2 ms after
# ANALYZE at 1M alerts). SQLite's planner keeps no such statistics by default.
ANALYZE_AFTER_EVENTS = 50_000


def refresh_planner_statistics(factory: sessionmaker[Session]) -> None:
    """ANALYZE the alert tables on PostgreSQL after a bulk ingest (sampled: well under a second)."""
    with factory() as session:
        if session.get_bind().dialect.name != "postgresql":
            return
        session.execute(text("ANALYZE alerts, alert_groups, alert_context_events"))
        session.commit()


def ingest_file(factory, path: Path, sensor: str, batch_size: int, max_line_bytes: int, totals: IngestTotals,
                progress: Callable[[int], None] | None = None, window: TimeWindow = DEFAULT_WINDOW) -> None:
    try:
        handle = open_eve(path)
        fingerprint, length = content_identity(handle)
    except OSError as exc:
        raise IngestError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with handle:
        checkpoint = _checkpoint(factory, f"content:{fingerprint}:{length}", path, fingerprint, length)
        reader = LineReader(handle, checkpoint.offset, max_line_bytes)
        tracker = _RawProgress(handle, progress)
        try:
            checkpoint = consume(factory, reader, checkpoint, Batch(str(path), sensor, window=window), batch_size, totals,
                                 str(path), tracker)
        except (OSError, EOFError) as exc:  # a corrupt .gz stops this file, not the run
            raise IngestError(f"{path}: unreadable after byte {reader.offset}: {exc}") from None
        _finish(factory, reader, checkpoint, Batch(str(path), sensor, window=window), totals, str(path))
        tracker.done()


def _checkpoint(factory, source: str, path: Path, fingerprint: str, length: int) -> Checkpoint:
    with factory() as session:
        found = load_checkpoint(session, source)
    if found.stored:
        return found
    return Checkpoint(source, str(path), 0, 0, fingerprint, length)


def consume(factory, reader: LineReader, before: Checkpoint, batch: Batch, batch_size: int, totals: IngestTotals,
            where: str, tracker=None, base: Checkpoint | None = None) -> Checkpoint:
    """Store complete lines batch by batch; returns the stored checkpoint after the last line.

    `before` is the checkpoint as the database has it; `base` (default: the
    same) carries the identity and line number of what is being read now.
    """
    base = base or before
    line_number, end = base.line_number, reader.offset
    for line, _start, end in reader.lines():
        line_number += 1
        if line is None:
            batch.add_problem("oversize", f"{where}:{line_number}: line longer than {reader.max_line_bytes} bytes")
            batch.lines += 1
        elif line.strip():
            batch.add_line(line, f"{where}:{line_number}")
        if batch.lines >= batch_size:
            before = flush(factory, batch, before, base.moved_to(end, line_number), totals)
            batch = batch.next()
            if tracker:
                tracker.update()
    after = base.moved_to(end, line_number)
    if batch.lines or batch.problems or _differs(before, after):
        before = flush(factory, batch, before, after, totals)
    return before


def _differs(before: Checkpoint, after: Checkpoint) -> bool:
    return not before.stored or replace(before, stored=False) != replace(after, stored=False)


def flush(factory, batch: Batch, before: Checkpoint, after: Checkpoint, totals: IngestTotals) -> Checkpoint:
    with factory() as session:
        store_batch(session, batch, before, after)
        session.commit()
    totals.add(batch)
    return replace(after, stored=True)


def _finish(factory, reader: LineReader, checkpoint: Checkpoint, batch: Batch, totals: IngestTotals,
            where: str) -> None:
    """The file is complete: a last line without newline is stored if whole, else counted truncated."""
    if not reader.tail and not reader.tail_oversize:
        return
    line_number = checkpoint.line_number + 1
    if reader.tail_oversize:
        batch.lines += 1
        batch.add_problem("oversize", f"{where}:{line_number}: line longer than {reader.max_line_bytes} bytes")
    elif isinstance(parse_line(reader.tail, batch.default_sensor, batch.bounds), Problem):
        batch.lines += 1
        batch.add_problem("truncated_line", f"{where}:{line_number}: the last line is cut off")
    else:
        batch.add_line(reader.tail, f"{where}:{line_number}")
    end = reader.handle.tell()
    flush(factory, batch, checkpoint, checkpoint.moved_to(end, line_number), totals)


class _RawProgress:
    """Reports raw bytes read (compressed bytes for .gz) to a progress callback."""

    def __init__(self, handle: BinaryIO, callback):
        self.raw = getattr(handle, "fileobj", None) or handle
        self.callback, self.reported = callback, 0

    def update(self) -> None:
        if self.callback:
            position = self.raw.tell()
            self.callback(position - self.reported)
            self.reported = position

    def done(self) -> None:
        self.update()
