"""Background tasks: long work (Run now, Poll now, a rules deploy) leaves the request.

`service` records a task (the row people read) and queues it; `queue` is the
Huey instance for these settings (SQLite file under [paths] var_dir, or the
console's PostgreSQL database when that is where the console keeps its data);
`work` is what a consumer (`ops tasks worker`) runs: it calls the areas.
"""

__all__ = ["registry"]
