"""The database half of a backup: a consistent copy out, and a restore in, for SQLite and PostgreSQL.

SQLite: the online backup API (`sqlite3.Connection.backup`), a consistent copy
while the console runs. PostgreSQL: `pg_dump --format=custom` taken in a
snapshot exported by a REPEATABLE READ transaction that also counts the rows,
so the manifest's counts are exactly the dump's. Restoring into PostgreSQL
runs `pg_restore`'s SQL with `psql --single-transaction` after dropping and
recreating the `public` schema in that same transaction: it lands whole or
not at all. The client programs come from Debian's postgresql-client-15
([backup] pg_bin_dir). Passwords go to them in PGPASSWORD, never on a
command line.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from console.errors import OpsError

LIBPQ_QUERY_ENV = {"host": "PGHOST", "port": "PGPORT", "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT",
                   "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY", "connect_timeout": "PGCONNECT_TIMEOUT"}
TIMEOUT_SECONDS = 6 * 3600


class DatabaseCopyError(OpsError):
    exit_code = 2


def kind_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise DatabaseCopyError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (WAL content included) into `target`."""
    if not source.exists():
        raise DatabaseCopyError(f"{source}: no such database file")
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, \
            closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")


def table_counts_sqlite(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        names = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def sqlite_check(path: Path) -> None:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise DatabaseCopyError(f"the backup's SQLite database fails its integrity check: {result}")


def table_counts(engine) -> dict[str, int]:
    """Rows per table of the live database (both kinds), for tests and the restore's summary."""
    with engine.connect() as conn:
        names = sorted(inspect(conn).get_table_names())
        return {name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names}


def libpq_env(url: str) -> dict[str, str]:
    """The environment that points libpq's programs at the database of a SQLAlchemy URL."""
    parsed = make_url(url)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    for key, value in (("PGHOST", parsed.host), ("PGPORT", parsed.port), ("PGUSER", parsed.username),
                       ("PGPASSWORD", parsed.password), ("PGDATABASE", parsed.database)):
        if value:
            env[key] = str(value)
    for key, value in parsed.query.items():
        if key in LIBPQ_QUERY_ENV:
            env[LIBPQ_QUERY_ENV[key]] = value if isinstance(value, str) else value[0]
    return env


def pg_dump(url: str, target: Path, pg_bin_dir: Path) -> dict[str, int]:
    """Dump to `target` (custom format); returns the rows per table of exactly what was dumped."""
    engine = create_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            names = sorted(inspect(conn).get_table_names())
            counts = {name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names}
            _run([str(pg_bin_dir / "pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  f"--snapshot={snapshot}", f"--file={target}"], url, "pg_dump")
            conn.rollback()
    finally:
        engine.dispose()
    return counts


def pg_check_archive(archive: Path, pg_bin_dir: Path) -> None:
    """pg_restore reads the archive's table of contents: a damaged dump is refused before anything changes."""
    _run([str(pg_bin_dir / "pg_restore"), "--list", str(archive)], None, "pg_restore --list")


def pg_restore(url: str, archive: Path, staging: Path, pg_bin_dir: Path, counts: dict[str, int]) -> None:
    """Replace the database's public schema with the archive's, in one transaction.

    The transaction ends with a check of every table's rows against `counts` (the manifest's): a restore
    that did not load everything raises there and is rolled back with the rest, before anything is committed.
    """
    script = staging / "restore.sql"
    _run([str(pg_bin_dir / "pg_restore"), "--no-owner", "--no-privileges", f"--file={script}", str(archive)],
         None, "pg_restore")
    prefix = staging / "empty-schema.sql"
    prefix.write_text("DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n")
    check = staging / "check-rows.sql"
    check.write_text(_rows_check(counts))
    _run([str(pg_bin_dir / "psql"), "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
          f"--file={prefix}", f"--file={script}", f"--file={check}"], url, "psql")


def _rows_check(counts: dict[str, int]) -> str:
    """A DO block raising unless each table of `counts` exists in public with exactly that many rows."""
    lines = ["DO $check$", "DECLARE found bigint;", "BEGIN"]
    for table, expected in sorted(counts.items()):
        name = '"public"."' + table.replace('"', '""') + '"'
        literal = table.replace("'", "''")
        lines += [f"  SELECT count(*) INTO found FROM {name};",
                  f"  IF found <> {int(expected)} THEN",
                  f"    RAISE EXCEPTION 'table {literal.replace('%', '%%')}: % rows restored, the backup holds "
                  f"{int(expected)}', found;",
                  "  END IF;"]
    lines += ["END", "$check$;", ""]
    return "\n".join(lines)


def _run(command: list[str], url: str | None, name: str) -> None:
    env = libpq_env(url) if url else None
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    except FileNotFoundError:
        raise DatabaseCopyError(f"{command[0]} not found: install Debian's postgresql-client-15 or set "
                                f"[backup] pg_bin_dir") from None
    except subprocess.TimeoutExpired:
        raise DatabaseCopyError(f"{name} took longer than {TIMEOUT_SECONDS} s and was stopped") from None
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        raise DatabaseCopyError(f"{name} failed (exit {result.returncode}): {lines[-1] if lines else 'no message'}")
