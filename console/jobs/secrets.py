"""A job's secrets: held in memory, handed to the worker on its stdin, written only for ansible.

They are never stored in the database. The worker gets them through a pipe
(`to_json`/`from_json`); the run writes the few files ansible-playbook must
read (extravars file, vault password file) with mode 0600 in a 0700 folder
of the job's private data dir, and removes them when the run ends.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from console.errors import ValidationFailed

MAX_SECRET_BYTES = 64 * 1024


@dataclass
class JobSecrets:
    extravars: dict[str, str] = field(default_factory=dict)  # secret extravars: name -> value
    vault_password: str | None = None
    ssh_key: str | None = None  # a private key, given to ssh-agent by ansible-runner

    def values(self) -> list[str]:
        found = [v for v in self.extravars.values() if v]
        found += [v for v in (self.vault_password, self.ssh_key) if v]
        return found

    def to_json(self) -> str:
        return json.dumps({"extravars": self.extravars, "vault_password": self.vault_password,
                           "ssh_key": self.ssh_key})

    @classmethod
    def from_json(cls, text: str) -> "JobSecrets":
        if not text.strip():
            return cls()
        if len(text.encode()) > MAX_SECRET_BYTES:
            raise ValidationFailed("secrets", f"more than {MAX_SECRET_BYTES} bytes of secrets")
        data = json.loads(text)
        extravars = {str(k): str(v) for k, v in (data.get("extravars") or {}).items()}
        return cls(extravars, data.get("vault_password") or None, data.get("ssh_key") or None)


def write_private(folder: Path, name: str, content: str) -> Path:
    """A file only this user can read, in a folder only this user can enter."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
    return path
