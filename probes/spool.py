"""The on-disk spool: every report waits here until the console has it.

One file per report, named so that a directory listing is the send order
(`<sequence>-<report id>.json`), each written to a temp file and renamed so
a crash never leaves half a report. The spool is bounded in bytes: when a
new report does not fit, the oldest are dropped and counted (in
`state.json`), because a host that cannot reach its console for weeks must
not fill its own disk.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass
class SpoolStats:
    waiting: int
    waiting_bytes: int
    dropped: int
    rejected: int


class Spool:
    def __init__(self, folder: Path, max_bytes: int):
        self.folder = Path(folder)
        self.rejected_folder = self.folder / "rejected"
        self.max_bytes = max_bytes
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.rejected_folder.mkdir(exist_ok=True, mode=0o700)

    def put(self, report_id: str, body: bytes) -> Path:
        """Store a report durably, dropping the oldest ones if it would not fit."""
        if len(body) > self.max_bytes:
            raise ValueError(f"report {report_id} is larger than the whole spool ({self.max_bytes} bytes)")
        self._make_room(len(body))
        path = self.folder / f"{self._next_sequence():016d}-{report_id}.json"
        _write_atomic(path, body)
        return path

    def pending(self) -> list[Path]:
        """Waiting reports, oldest first."""
        return sorted(p for p in self.folder.glob("*.json") if p.name[0].isdigit())

    def read(self, path: Path) -> bytes:
        return path.read_bytes()

    def done(self, path: Path) -> None:
        path.unlink(missing_ok=True)

    def reject(self, path: Path, reason: str) -> None:
        """Keep a report the console refused for good, with the reason, out of the send queue."""
        target = self.rejected_folder / path.name
        os.replace(path, target)
        _write_atomic(target.with_suffix(".reason"), reason.encode("utf-8", "replace"))
        self._bump("rejected")

    def stats(self) -> SpoolStats:
        files = self.pending()
        state = self._state()
        return SpoolStats(len(files), sum(p.stat().st_size for p in files), state.get("dropped", 0),
                          state.get("rejected", 0))

    def _make_room(self, needed: int) -> None:
        files = self.pending()
        used = sum(p.stat().st_size for p in files)
        dropped = 0
        while files and used + needed > self.max_bytes:
            oldest = files.pop(0)
            used -= oldest.stat().st_size
            oldest.unlink(missing_ok=True)
            dropped += 1
        if dropped:
            self._bump("dropped", dropped)

    def _next_sequence(self) -> int:
        state = self._state()
        files = self.pending()
        highest_file = int(files[-1].name.split("-", 1)[0]) if files else 0
        sequence = max(state.get("sequence", 0), highest_file) + 1  # order survives a lost state.json
        state["sequence"] = sequence
        self._save_state(state)
        return sequence

    def _bump(self, key: str, by: int = 1) -> None:
        state = self._state()
        state[key] = state.get(key, 0) + by
        self._save_state(state)

    def _state(self) -> dict:
        try:
            return json.loads((self.folder / "state.json").read_text())
        except (OSError, ValueError):
            return {}

    def _save_state(self, state: dict) -> None:
        _write_atomic(self.folder / "state.json", json.dumps(state).encode())


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
