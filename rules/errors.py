"""The rule manager's error type: every message names file, line and sid where known."""

from __future__ import annotations

from console.errors import OpsError


class RulesetError(OpsError):
    """A source, policy file, rule or build is not usable; nothing was changed."""

    exit_code = 4
    http_status = 422

    def __init__(self, message: str, path=None, line: int | None = None, sid: int | None = None,
                 details: list[str] | None = None):
        self.path, self.line, self.sid, self.message = path, line, sid, message
        self.details = list(details or [])
        super().__init__(where(path, line, sid) + message)


def where(path=None, line: int | None = None, sid: int | None = None) -> str:
    """'file:line: sid N: ' (the parts that are known), for messages."""
    text = ""
    if path is not None:
        text = f"{path}:{line}: " if line else f"{path}: "
    if sid is not None:
        text += f"sid {sid}: "
    return text
