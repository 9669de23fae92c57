"""Schema migrations with Alembic, driven from Python (`ops db upgrade`).

Upgrading is idempotent: at head it does nothing. Both SQLite and
PostgreSQL run the same migration scripts.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

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
