"""Reading Suricata EVE files line by line with bounded memory: identity, fingerprint, lines.

Shared by the console's ingest and follower and by the agent's EVE shipper
(the agent imports nothing from the console, so this lives here).

What a caller can rely on:
- only complete lines (ending in a newline) are yielded; a last line still
  being written stays unread and `LineReader.offset` points at its start;
- a line longer than `max_line_bytes` is never held in memory whole: it is
  skipped in chunks and yielded as `None` (oversize) once its newline is seen;
- offsets are byte offsets in the (decompressed) stream, so a checkpoint is
  "the byte after the last stored line".
"""

from __future__ import annotations

import gzip
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

FINGERPRINT_BYTES = 1024
CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class FileIdentity:
    """Which file this is: device and inode, and a hash of its first bytes (inodes are reused)."""

    device: int
    inode: int
    fingerprint: str
    fingerprint_bytes: int
    size: int

    def same_file(self, device: int, inode: int, fingerprint: str, fingerprint_bytes: int, handle: BinaryIO) -> bool:
        if (self.device, self.inode) != (device, inode) or fingerprint_bytes > self.size:
            return False
        return prefix_hash(handle, fingerprint_bytes) == fingerprint


def open_eve(path: Path) -> BinaryIO:
    """A binary stream of the file's text: .gz files are decompressed on the fly."""
    path = Path(path)
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return open(path, "rb")


def prefix_hash(handle: BinaryIO, length: int) -> str:
    """SHA-256 of the first `length` bytes; the handle's position is restored."""
    position = handle.tell()
    handle.seek(0)
    data = handle.read(length)
    handle.seek(position)
    return hashlib.sha256(data).hexdigest()


def identify(handle: BinaryIO, stat: os.stat_result | None = None) -> FileIdentity:
    stat = stat or os.fstat(handle.fileno())
    length = min(stat.st_size, FINGERPRINT_BYTES)
    return FileIdentity(stat.st_dev, stat.st_ino, prefix_hash(handle, length), length, stat.st_size)


def content_identity(handle: BinaryIO) -> tuple[str, int]:
    """(fingerprint, bytes) of a stream's first bytes, compressed or not (for one-shot ingest)."""
    data = handle.read(FINGERPRINT_BYTES)
    handle.seek(0)
    return hashlib.sha256(data).hexdigest(), len(data)


class LineReader:
    """Complete lines from `offset` on: (line or None for oversize, start offset, end offset)."""

    def __init__(self, handle: BinaryIO, offset: int, max_line_bytes: int):
        self.handle, self.offset, self.max_line_bytes = handle, offset, max_line_bytes
        self.tail = b""  # an unfinished last line (at most max_line_bytes of it)
        self.tail_oversize = False
        handle.seek(offset)

    def lines(self) -> Iterator[tuple[bytes | None, int, int]]:
        buffer, start, skipping = b"", self.offset, False
        while True:
            chunk = self.handle.read(CHUNK_BYTES)
            if not chunk:
                break
            if skipping:
                cut = chunk.find(b"\n")
                if cut < 0:
                    continue
                end = self._position_after(chunk, cut)
                yield None, start, end
                start, skipping, chunk = end, False, chunk[cut + 1:]
            buffer += chunk
            pieces = buffer.split(b"\n")
            buffer = pieces.pop()
            for line in pieces:
                end = start + len(line) + 1
                yield (line if len(line) <= self.max_line_bytes else None), start, end
                start = end
                self.offset = end
            if len(buffer) > self.max_line_bytes:
                buffer, skipping = b"", True
        self.offset = start
        self.tail, self.tail_oversize = buffer, skipping

    def _position_after(self, chunk: bytes, cut: int) -> int:
        return self.handle.tell() - len(chunk) + cut + 1
