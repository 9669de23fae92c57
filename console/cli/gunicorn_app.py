"""Gunicorn as a library (its documented custom-application pattern).

Gunicorn 25+ opens a control socket (for `gunicornc`) at one path per user,
$HOME/.gunicorn/gunicorn.ctl by default: a second console on the machine (the
demo's lab console, a second node) removed the first one's. Each console's
socket is in its own var/ instead (`control_socket_path`).
"""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

from console.common.limits import MAX_REQUEST_LINE_BYTES
from console.settings import Settings

CONTROL_SOCKET = "gunicorn.ctl"


def control_socket_path(settings: Settings):
    """Where this console's gunicorn control socket is: <[paths] var_dir>/gunicorn.ctl."""
    return settings.paths.var_dir / CONTROL_SOCKET


def _child_exit(_server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


class ConsoleServer(BaseApplication):
    def __init__(self, settings: Settings, bind: str, workers: int):
        self.settings, self.bind, self.workers = settings, bind, workers
        super().__init__()

    def load_config(self) -> None:
        self.cfg.set("bind", self.bind)
        self.cfg.set("workers", self.workers)
        self.cfg.set("threads", self.settings.console.threads)
        self.cfg.set("worker_class", "gthread")
        self.cfg.set("accesslog", "-")
        self.cfg.set("timeout", 120)
        self.cfg.set("control_socket", str(control_socket_path(self.settings)))
        self.cfg.set("limit_request_line", MAX_REQUEST_LINE_BYTES)  # the API document's 414 states it
        if self.workers > 1:
            self.cfg.set("child_exit", _child_exit)

    def load(self):
        from console import create_app

        return create_app(self.settings)
