"""A real task consumer (Huey, the console's queue) for tests of pages that queue work, and a wait helper.

Import the fixture where it is used: `from tests.console.tasks.fixtures import task_worker  # noqa: F401`.
"""

from __future__ import annotations

import signal
import time

import pytest

from console.db import session_scope
from console.models import Task
from console.tasks import queue, work


def start_consumer(settings, workers: int = 2):
    """queue.consumer(...).start() in this process's threads; pytest keeps its own signal handlers."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer = queue.consumer(settings, workers=workers)
    consumer.start()
    for sig, handler in saved.items():
        signal.signal(sig, handler)
    return consumer


@pytest.fixture
def task_worker(settings, engine):
    """The consumer `ops tasks worker` runs, in threads of the test process, on the test's queue."""
    consumer = start_consumer(settings)
    yield consumer
    consumer.stop(graceful=True)
    queue.close(settings)
    work.forget(settings)


@pytest.fixture
def queue_closed(settings):
    """For a test that queues work without a consumer: the queue's connections are closed after it."""
    yield
    queue.close(settings)
    work.forget(settings)


def wait_task(session_factory, task_id: int, timeout: float = 60.0, until=lambda t: t.state.finished) -> Task:
    """The task once `until` holds (default: it ended); fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        with session_scope(session_factory) as db:
            task = db.get(Task, task_id)
            if task is not None and until(task):
                return task
        if time.monotonic() > deadline:
            raise AssertionError(f"task {task_id} still {task.state.value if task else 'missing'} after {timeout}s")
        time.sleep(0.1)


def task_id_of(location: str) -> int:
    """The task id in a redirect to /tasks/<id>."""
    assert "/tasks/" in location, location
    return int(location.rstrip("/").rsplit("/", 1)[-1])
