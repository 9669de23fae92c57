"""Background tasks: long work (Run now, Poll now, a rules deploy) leaves the request.

`service` records a task (the row people read) and queues it; `queue` is the
Huey instance for these settings (SQLite file under [paths] var_dir, or the
console's PostgreSQL database when that is where the console keeps its data);
`work` is what a consumer (`ops tasks worker`) runs: it calls the kind's runner, which the area
registered (`registry`). Other areas use `registry` to register their kinds and `work.run_once` to run a
task claimed once across the nodes (their scheduled jobs, console/common/schedule.py).
"""

__all__ = ["registry", "work"]
