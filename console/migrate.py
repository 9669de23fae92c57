"""Schema migrations with Alembic, driven from Python (`ops db upgrade`).

Upgrading is idempotent: at head it does nothing. Both SQLite and
PostgreSQL run the same migration scripts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, column, func, inspect, or_, select, table
from sqlalchemy.exc import SQLAlchemyError

from console.common.time import DEFAULT_WINDOW, TimeWindow

from console.errors import OpsError

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the schema to `revision`; returns (revision before, revision after)."""
    with engine.begin() as connection:
        before = MigrationContext.configure(connection).get_current_revision()
        command.upgrade(alembic_config(connection), revision)
        after = MigrationContext.configure(connection).get_current_revision()
    return before, after


class UpgradeFailed(OpsError):
    """A migration failed: the schema is left at the revision it names (the console refuses to serve it)."""

    exit_code = 2


def upgrade_or_explain(engine: Engine) -> tuple[str | None, str | None]:
    """`upgrade`, with a failing migration reported as UpgradeFailed: the error's first line and where the schema is.

    On PostgreSQL the failed upgrade is rolled back whole (one transaction); the message says where the schema is.
    """
    try:
        return upgrade(engine)
    except Exception as exc:  # a migration's own error, of any kind: SQL, data, code
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0][:300]
        try:
            now = current_revision(engine) or "none (empty)"
        except SQLAlchemyError:
            now = "unknown (the database could not be read)"
        raise UpgradeFailed(f"the schema upgrade to revision {head_revision(engine)} failed: "
                            f"{type(exc).__name__}: {reason}; the database is at revision {now}, which this version "
                            f"of the console refuses to serve until `ops db upgrade` succeeds (or restore a backup made by "
                            f"the previous version with that version: docs/backup.md)") from exc


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


class SchemaBehind(OpsError):
    """The database's schema is not the one this code needs: nothing may read or write it yet."""

    exit_code = 2
    http_status = 503


def require_current(engine: Engine) -> None:
    """Refuse to work on a database whose schema is not at this code's newest revision, naming it and the fix."""
    now, head = current_revision(engine), head_revision(engine)
    if now != head:
        where = engine.url.render_as_string(hide_password=True)
        raise SchemaBehind(f"database {where} is at schema revision {now or 'none (empty)'}, this console needs "
                           f"{head}: run `ops db upgrade`")


# Times that came from outside (EVE, agent reports) and are shown on pages: a row stamped outside the time
# window (console.common.time) was stored before the window was enforced. `ops db upgrade` names them.
CHECKED_TIMES = (("alerts", "event_at"), ("alert_groups", "first_seen"), ("alert_groups", "last_seen"),
                 ("alert_context_events", "event_at"), ("alert_event_counters", "last_event_at"),
                 ("host_reports", "collected_at"), ("lynis_runs", "finished_at"))


@dataclass(frozen=True)
class OutsideWindow:
    """Rows of one table whose `column` lies outside the window: how many, and the first few (id, time)."""

    table: str
    column: str
    count: int
    examples: tuple[tuple[int, object], ...]

    def __str__(self) -> str:
        shown = ", ".join(f"id {row_id} ({at})" for row_id, at in self.examples)
        return f"{self.table}.{self.column}: {self.count} row(s) outside the window, e.g. {shown}"


def times_outside_window(engine: Engine, window: TimeWindow = DEFAULT_WINDOW,
                         examples: int = 5) -> list[OutsideWindow]:
    """Rows stamped before 2000 or past the window's future limit, per checked column; read-only.

    They are reported, never deleted: the operator decides (delete them, or correct the clock that made them).
    """
    bounds = window.bounds()
    earliest, latest = (moment.astimezone(timezone.utc).replace(tzinfo=None) for moment in (bounds.earliest,
                                                                                           bounds.latest))
    found = []
    with engine.connect() as connection:
        names = set(inspect(connection).get_table_names())
        for table_name, column_name in CHECKED_TIMES:
            if table_name not in names:
                continue
            rows = table(table_name, column("id"), column(column_name))
            moment = rows.c[column_name]
            outside = or_(moment < earliest, moment > latest)
            count = connection.scalar(select(func.count()).select_from(rows).where(outside))
            if count:
                sample = connection.execute(select(rows.c.id, moment).where(outside).order_by(rows.c.id)
                                            .limit(examples)).all()
                found.append(OutsideWindow(table_name, column_name, count, tuple((r[0], r[1]) for r in sample)))
    return found
