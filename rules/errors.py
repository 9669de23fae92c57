"""The rule manager's error types: every message names file, line and sid where known.

rules/ is a library: it never imports the console package. RulesError is its own
base; the console reports it like its own errors (console.errors.USER_ERRORS:
the CLI prints one line and exits with `exit_code`, the web error handler
answers with `http_status`).
"""

from __future__ import annotations


class RulesError(Exception):
    """Base of every error the rule manager raises for a user to act on."""

    exit_code = 4
    http_status = 422


class RulesetError(RulesError):
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
