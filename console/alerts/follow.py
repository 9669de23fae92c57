"""`ops alerts follow`: tail the live eve.json files, nothing lost, nothing twice.

Per file, the checkpoint (device, inode, first-bytes fingerprint, offset)
is written in the transaction that stores the lines it covers, so a process
killed at any point restarts exactly after the last stored line.

What is followed:
- rename rotation (eve.json -> eve.json.1, new eve.json): the old file is
  read to its end first, also when the rename happened while the follower
  was down (a sibling with the checkpoint's inode is looked for);
- copytruncate (same inode, now shorter): read again from byte 0;
- a file replaced in place (same inode, other first bytes): from byte 0,
  counted as file_replaced;
- a checkpoint past the end of a shorter new file: from byte 0, counted;
- a last line still being written is left for the next poll, not counted.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from console.alerts.ingest import IngestTotals, consume, flush
from console.alerts.store import Batch, Checkpoint, load_checkpoint, record_problems
from console.common.time import DEFAULT_WINDOW, TimeWindow
from console.alerts.config import AlertsSettings
from probes.eve_files import FileIdentity, LineReader, identify, prefix_hash

log = logging.getLogger("ops.alerts.follow")


class FollowedFile:
    def __init__(self, factory: sessionmaker[Session], path: Path, sensor: str, settings: AlertsSettings,
                 totals: IngestTotals, window: TimeWindow = DEFAULT_WINDOW):
        self.factory, self.path, self.sensor, self.settings, self.totals = factory, path, sensor, settings, totals
        self.window = window
        self.source = f"follow:{path}"
        self.handle = None
        self.identity: FileIdentity | None = None
        self.stored: Checkpoint = Checkpoint(self.source)  # what the database holds
        self.offset = self.line_number = 0

    def poll(self) -> int:
        """Store what is new; returns how many lines were consumed."""
        if self.handle is None and not self._open():
            return 0
        consumed = self._read()
        consumed += self._check_rotation()
        return consumed

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def _open(self) -> bool:
        try:
            self.handle = open(self.path, "rb")
        except FileNotFoundError:
            return False
        self.identity = identify(self.handle)
        with self.factory() as session:
            self.stored = load_checkpoint(session, self.source)
        self.offset = self.line_number = 0
        if not self.stored.stored:
            return True
        if self._is_checkpointed_file(self.handle, self.identity):
            self._resume_or_restart()
        else:
            self._drain_rotated_sibling()
            self.offset = self.line_number = 0
        return True

    def _is_checkpointed_file(self, handle, identity: FileIdentity) -> bool:
        cp = self.stored
        return identity.same_file(cp.device, cp.inode, cp.fingerprint, cp.fingerprint_bytes, handle)

    def _resume_or_restart(self) -> None:
        if self.stored.offset > self.identity.size:
            self._problem("checkpoint_past_end", f"{self.path}: checkpoint at byte {self.stored.offset} is past "
                                                 f"the end ({self.identity.size} bytes); reading from the start")
            return
        self.offset, self.line_number = self.stored.offset, self.stored.line_number

    def _drain_rotated_sibling(self) -> None:
        """The file at the checkpoint was renamed while we were away: finish it before the new one."""
        cp = self.stored
        for sibling in sorted(self.path.parent.glob(self.path.name + "*")):
            if sibling == self.path or sibling.suffix == ".gz":
                continue
            try:
                stat = sibling.stat()
                if (stat.st_dev, stat.st_ino) != (cp.device, cp.inode):
                    continue
                with open(sibling, "rb") as handle:
                    identity = identify(handle)
                    if not self._is_checkpointed_file(handle, identity) or cp.offset > identity.size:
                        continue
                    log.info("finishing rotated %s from byte %d", sibling, cp.offset)
                    self._consume(handle, identity, cp.offset, cp.line_number, finished=True)
                    return
            except OSError:
                continue
        if cp.inode:
            log.warning("%s was replaced and its previous file is gone; reading the new one from the start", self.path)

    def _read(self) -> int:
        if self.identity.fingerprint_bytes and prefix_hash(self.handle, self.identity.fingerprint_bytes) != \
                self.identity.fingerprint and os.fstat(self.handle.fileno()).st_size >= self.offset:
            self._problem("file_replaced", f"{self.path}: its first bytes changed under the follower; "
                                           f"reading it again from the start")
            self.offset = self.line_number = 0
        self.identity = identify(self.handle)
        return self._consume(self.handle, self.identity, self.offset, self.line_number)

    def _consume(self, handle, identity: FileIdentity, offset: int, line_number: int, finished: bool = False) -> int:
        base = Checkpoint(self.source, str(self.path), identity.device, identity.inode, identity.fingerprint,
                          identity.fingerprint_bytes, offset, line_number, stored=self.stored.stored)
        reader = LineReader(handle, offset, self.settings.max_line_bytes)
        lines_before = self.totals.lines
        self.stored = consume(self.factory, reader, self.stored, Batch(str(self.path), self.sensor, window=self.window),
                              self.settings.batch_size, self.totals, str(self.path), base=base)
        if finished and (reader.tail or reader.tail_oversize):
            batch = Batch(str(self.path), self.sensor, window=self.window)
            batch.lines += 1
            batch.add_problem("truncated_line", f"{self.path}:{self.stored.line_number + 1}: the writer moved to a "
                                                f"new file and left this line unfinished")
            end = reader.offset + len(reader.tail)
            self.stored = flush(self.factory, batch, self.stored,
                                self.stored.moved_to(end, self.stored.line_number + 1), self.totals)
        self.offset, self.line_number = self.stored.offset, self.stored.line_number
        return self.totals.lines - lines_before

    def _check_rotation(self) -> int:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return 0  # renamed, the new one not created yet: keep the old handle
        if (stat.st_dev, stat.st_ino) != (self.identity.device, self.identity.inode):
            log.info("%s rotated (renamed); finishing the old file", self.path)
            consumed = self._consume(self.handle, identify(self.handle), self.offset, self.line_number, finished=True)
            self.close()
            if self._open_new():
                consumed += self._read()
            return consumed
        if stat.st_size < self.offset:
            log.info("%s truncated (copytruncate); reading from the start", self.path)
            self.offset = self.line_number = 0
            return self._read()
        return 0

    def _open_new(self) -> bool:
        try:
            self.handle = open(self.path, "rb")
        except FileNotFoundError:
            return False
        self.identity = identify(self.handle)
        self.offset = self.line_number = 0
        return True

    def _problem(self, kind: str, detail: str) -> None:
        log.warning(detail)
        batch = Batch(str(self.path), self.sensor, window=self.window)
        batch.add_problem(kind, detail)
        with self.factory() as session:
            record_problems(session, str(self.path), batch.problems)
            session.commit()
        self.totals.problems[kind] = self.totals.problems.get(kind, 0) + 1


class Follower:
    def __init__(self, factory: sessionmaker[Session], settings: AlertsSettings, sensor: str,
                 window: TimeWindow = DEFAULT_WINDOW):
        self.settings = settings
        self.totals = IngestTotals(files=len(settings.eve_files))
        self.files = [FollowedFile(factory, Path(path), sensor, settings, self.totals, window)
                      for path in settings.eve_files]

    def poll_once(self) -> int:
        return sum(followed.poll() for followed in self.files)

    def close(self) -> None:
        for followed in self.files:
            followed.close()

    def __enter__(self) -> "Follower":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def run(self, should_stop=lambda: False, exit_when_idle: bool = False) -> IngestTotals:
        try:
            while not should_stop():
                if self.poll_once() == 0:
                    if exit_when_idle:
                        break
                    time.sleep(self.settings.poll_interval_seconds)
        finally:
            self.close()
        return self.totals
