"""Shipping this sensor's EVE log to the console: read, batch, spool, send; nothing twice.

Each batch is a byte range of one file (device, inode, first-bytes
fingerprint, start, end), spooled under a name made of that range before the
read position is saved, so a crash at any point re-spools the same range at
worst, and the console stores a range once. Rotation is followed as the
console's follower does: the rotated file is finished first (found by its
inode beside the live one), copytruncate restarts at byte 0.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from probes.eve_files import LineReader, identify
from probes.spool import Spool, _write_atomic

ENDPOINT = "/api/v1/alerts/eve"
STATE_FILE = "eve-shipper.json"


@dataclass
class ShipperState:
    device: int = 0
    inode: int = 0
    fingerprint: str = ""
    fingerprint_bytes: int = 0
    offset: int = 0
    line: int = 0


class EveShipper:
    def __init__(self, eve_path: Path, state_dir: Path, spool_max_bytes: int, max_line_bytes: int = 1024 * 1024,
                 batch_bytes: int = 1024 * 1024):
        self.eve_path, self.state_path = Path(eve_path), Path(state_dir) / STATE_FILE
        self.spool = Spool(Path(state_dir) / "eve-spool", spool_max_bytes)
        self.max_line_bytes, self.batch_bytes = max_line_bytes, batch_bytes

    def collect(self) -> int:
        """Spool every complete new line; returns how many batches were spooled."""
        state = self._state()
        try:
            handle = open(self.eve_path, "rb")
        except FileNotFoundError:
            return 0
        spooled = 0
        with handle:
            identity = identify(handle)
            same = state.inode and identity.same_file(state.device, state.inode, state.fingerprint,
                                                      state.fingerprint_bytes, handle)
            if not same:
                spooled += self._finish_rotated(state)
                state = ShipperState(identity.device, identity.inode, identity.fingerprint,
                                     identity.fingerprint_bytes)
            elif identity.size < state.offset:
                state.offset = state.line = 0  # copytruncate
            spooled += self._ship(handle, state)
        return spooled

    def _finish_rotated(self, state: ShipperState) -> int:
        if not state.inode:
            return 0
        for sibling in sorted(self.eve_path.parent.glob(self.eve_path.name + "*")):
            if sibling == self.eve_path or sibling.suffix == ".gz":
                continue
            try:
                if (sibling.stat().st_dev, sibling.stat().st_ino) != (state.device, state.inode):
                    continue
                with open(sibling, "rb") as handle:
                    if identify(handle).same_file(state.device, state.inode, state.fingerprint,
                                                  state.fingerprint_bytes, handle):
                        return self._ship(handle, state)
            except OSError:
                continue
        return 0

    def _ship(self, handle, state: ShipperState) -> int:
        reader = LineReader(handle, state.offset, self.max_line_bytes)
        lines, size, oversize, start, spooled = [], 0, 0, state.offset, 0
        for line, _begin, end in reader.lines():
            if line is None:
                oversize += 1
            else:
                lines.append(line)
                size += len(line) + 1
            state.offset = end
            if size >= self.batch_bytes:
                spooled += self._put(state, start, lines, oversize)
                lines, size, oversize, start = [], 0, 0, state.offset
        if lines or oversize:
            spooled += self._put(state, start, lines, oversize)
        return spooled

    def _put(self, state: ShipperState, start: int, lines: list[bytes], oversize: int) -> int:
        header = {"eve_batch": 1, "path": str(self.eve_path),
                  "file": {"device": state.device, "inode": state.inode, "fingerprint": state.fingerprint,
                           "fingerprint_bytes": state.fingerprint_bytes},
                  "start": start, "end": state.offset, "first_line": state.line + 1, "oversize": oversize}
        body = json.dumps(header).encode() + b"\n" + b"".join(line + b"\n" for line in lines)
        self.spool.put(f"eve-{state.device}-{state.inode}-{start}-{state.offset}", body)
        state.line += len(lines) + oversize
        self._save(state)
        return 1

    def _state(self) -> ShipperState:
        try:
            return ShipperState(**json.loads(self.state_path.read_text()))
        except (OSError, ValueError, TypeError):
            return ShipperState()

    def _save(self, state: ShipperState) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _write_atomic(self.state_path, json.dumps(asdict(state)).encode())
        os.chmod(self.state_path, 0o600)
