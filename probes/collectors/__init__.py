"""Collectors: one module each, one interface, each failing on its own.

A collector has a `name` (its section in the report) and a `collect()`
returning that section as plain data (dicts, lists, str, numbers, ISO
timestamps). Every OS touch-point (paths, sockets, commands) is a
constructor parameter so tests can point it at a real service they start
or at recorded files. A collector that raises is reported as an error entry
by the agent; the other collectors and the agent go on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from probes.errors import ProbeError


class Collector(Protocol):
    name: str

    def collect(self) -> Any:
        """Return this collector's section of the report."""


def iso(moment: datetime | None) -> str | None:
    """A collector's times go into the report as ISO 8601 text (None stays None)."""
    return moment.isoformat() if moment else None


class CollectorFailed(ProbeError):
    """A collector could not read its source; the message says which and why."""
