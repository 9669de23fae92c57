"""Who is acting: carried into every service call that changes state."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from console.models.users import Role  # other areas take Role from here

__all__ = ["Actor", "Role"]


@dataclass(frozen=True)
class Actor:
    username: str
    role: Role | None
    client_addr: str = ""
    user_id: int | None = None
    via: str = "web"  # web, api or cli

    @classmethod
    def cli(cls) -> "Actor":
        """The local operator: whoever runs `ops` on the console host has its files."""
        try:
            who = getpass.getuser()
        except (KeyError, OSError):
            who = "unknown"
        return cls(username=f"cli:{who}", role=Role.admin, client_addr="local", via="cli")

    @classmethod
    def scheduler(cls) -> "Actor":
        """`ops scheduler run`: the jobs the areas schedule (console/common/schedule.py) act as this local admin."""
        return cls(username="scheduler", role=Role.admin, client_addr="local", via="schedule")

    @classmethod
    def anonymous(cls, client_addr: str = "") -> "Actor":
        return cls(username="-", role=None, client_addr=client_addr)
