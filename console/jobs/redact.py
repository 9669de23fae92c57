"""Keeping secret values out of everything a job stores.

A job's secrets (extravars marked secret, a vault password, an SSH key, a
become password) are known before it runs, so every string that is about to
be stored passes through `Redactor.text`: each secret value, and the forms
Ansible may print it in (JSON-escaped, one line of a multi-line key), is
replaced by REDACTED. Values that merely look secret by their variable name
are secret too (`looks_secret`), so a forgotten mark does not leak a password.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

REDACTED = "********"
SECRET_NAME = re.compile(r"pass(word|wd|phrase)?|secret|token|(^|_)key($|_)|vault|credential",
                         re.IGNORECASE)
MIN_LINE = 8  # lines of a multi-line secret shorter than this are too common to redact alone


def looks_secret(name: str) -> bool:
    """A variable whose name says it holds a secret (become_password, enrolment_token, ...)."""
    return bool(SECRET_NAME.search(name))


@dataclass
class Redactor:
    values: list[str] = field(default_factory=list)

    @classmethod
    def for_secrets(cls, secrets: list[str]) -> "Redactor":
        forms: set[str] = set()
        for secret in secrets:
            if not secret:
                continue
            forms.add(secret)
            forms.add(json.dumps(secret)[1:-1])
            forms.add(repr(secret)[1:-1])
            lines = [line.strip() for line in secret.splitlines()]
            forms.update(line for line in lines if len(line) >= MIN_LINE)
        # Longest first, so a secret containing another is replaced whole.
        return cls(sorted((f for f in forms if f), key=len, reverse=True))

    def text(self, value: str) -> str:
        for secret in self.values:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value

    def data(self, value):
        """Redact every string inside JSON-like data (dict keys included)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return value


def bounded(text: str, limit: int) -> str:
    """At most `limit` characters, with a marker saying how much was cut."""
    if len(text) <= limit:
        return text
    cut = len(text) - limit
    return f"{text[:limit]}\n… [{cut} more characters not kept]"


def stored_extravars(extravars: dict, secret_names: set[str]) -> dict:
    """What the jobs table keeps of the extravars: names always, secret values never."""
    return {name: REDACTED if name in secret_names else value for name, value in extravars.items()}
