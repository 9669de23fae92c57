"""The task queue: Huey, stored where the console already keeps its state.

- SQLite console database (one machine): `SqliteHuey` in `<[paths] var_dir>/tasks.db`,
  a file beside the console's, no server to run.
- PostgreSQL console database (one or several console nodes): Huey's `SqlHuey`
  (huey.contrib.sql_huey, on peewee) in that same database, so every node that
  shares the database shares the queue; a consumer takes a message with
  `SELECT ... FOR UPDATE SKIP LOCKED`, so each task runs on exactly one node.

The queue carries only a task id; the task's record (console.models.tasks) is
the truth the pages and the API read. Huey is asked to run each task once
(no retries): a failed task is on record with its reason, and people decide.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from huey import Huey, SqliteHuey
from sqlalchemy.engine import make_url

if TYPE_CHECKING:  # annotations only: settings assembles the areas' config sections, above them
    from console.settings import Settings


QUEUE_NAME = "ops-console"
_lock = threading.Lock()
_queues: dict[tuple, Huey] = {}
_executor = None  # work.execute, set by console.tasks.work when it is imported (set_executor)


def set_executor(execute) -> None:
    """The function a consumer calls with (settings, task_id): console.tasks.work registers it (no import back)."""
    global _executor
    _executor = execute


def location(settings: Settings) -> tuple[str, str]:
    """("sqlite", path) or ("postgresql", database URL): where this console's queue lives."""
    url = settings.database_url
    if url.startswith("postgresql"):
        return "postgresql", url
    return "sqlite", str(settings.paths.var_dir / "tasks.db")


def queue_for(settings: Settings) -> Huey:
    """The Huey instance for these settings, made once per process and location, with the console's task on it."""
    key = location(settings)
    with _lock:
        huey = _queues.get(key)
        if huey is None:
            huey = _queues[key] = _make(key, settings)
        return huey


def _make(key: tuple[str, str], settings: Settings) -> Huey:
    kind, where = key
    if kind == "sqlite":
        settings.paths.var_dir.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey(QUEUE_NAME, filename=where, results=False, utc=True, timeout=30)
    else:
        from huey.contrib.sql_huey import SqlHuey

        huey = SqlHuey(QUEUE_NAME, database=_peewee_database(where), results=False, utc=True)

    @huey.task(retries=0, name="ops.run_task")
    def run_task(task_id: int) -> None:
        if _executor is None:
            raise RuntimeError("no task executor: import console.tasks.work in the consumer's process")
        _executor(settings, task_id)

    huey.ops_run_task = run_task
    return huey


def _peewee_database(url: str):
    """The console's SQLAlchemy URL (postgresql+psycopg://user:pw@host:port/db?host=/socket) as a peewee database."""
    from playhouse.pool import PooledPostgresqlDatabase

    parsed = make_url(url)
    options = {key: value for key, value in parsed.query.items() if isinstance(value, str)}
    host = options.pop("host", None) or parsed.host
    connect = {k: v for k, v in {"user": parsed.username, "password": parsed.password, "host": host,
                                 "port": parsed.port}.items() if v is not None}
    # Pooled: a consumer's threads come and go; the pool keeps their connections closable (close()).
    return PooledPostgresqlDatabase(parsed.database, prefer_psycopg3=True, max_connections=16, stale_timeout=300,
                                    **connect, **options)


def enqueue(settings: Settings, task_id: int) -> None:
    queue_for(settings).ops_run_task(task_id)


def consumer(settings: Settings, workers: int = 2):
    """A Huey consumer for this console's queue: `.run()` in the foreground (signals), `.start()`/`.stop()` in a thread."""
    return queue_for(settings).create_consumer(workers=workers, worker_type="thread", periodic=False,
                                                initial_delay=0.05, backoff=1.3, max_delay=1.0,
                                                check_worker_health=True)


def put_progress(settings: Settings, task_id: int, text: str) -> None:
    queue_for(settings).put(f"progress:{task_id}", text)


def progress_of(settings: Settings, task_id: int) -> str:
    """The running task's latest progress line ('' when none yet)."""
    found = queue_for(settings).get(f"progress:{task_id}", peek=True)
    return found or ""


def close(settings: Settings) -> None:
    """Forget this location's queue and close its connections (tests; a process about to end)."""
    with _lock:
        huey = _queues.pop(location(settings), None)
    if huey is None:
        return
    database = getattr(huey.storage, "database", None)
    if database is not None and hasattr(database, "close_all"):
        database.close_all()
    else:
        huey.storage.close()
