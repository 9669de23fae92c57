"""Downloading a URL source with suricata-update's own HTTP client, bounded in size.

The download lands in the var folder under the source's name (temp file, then
rename), so a failed or cut-off download leaves the last good copy in place and
`ops rules update --offline` can build from it.
"""

from __future__ import annotations

import os
import tempfile
import urllib.error
from pathlib import Path

from suricata.update import net

from rules.errors import RulesetError


class _Bounded:
    """A file object that refuses to grow past `limit` bytes."""

    def __init__(self, handle, limit: int):
        self.handle, self.limit, self.size = handle, limit, 0

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise RulesetError(f"download larger than {self.limit} bytes")
        self.handle.write(data)

    def flush(self) -> None:
        self.handle.flush()


def download(name: str, url: str, folder: Path, max_bytes: int) -> Path:
    """Fetch `url` into folder/<name>.download; return that path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.download"
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            result = net.get(url, _Bounded(handle, max_bytes))
        if result is None:
            raise RulesetError(f"source {name}: cannot download {url}: not a URL suricata-update can fetch")
        os.replace(tmp, target)
    except RulesetError as exc:
        raise RulesetError(f"source {name}: {exc.message}" if not exc.message.startswith("source") else exc.message,
                           url) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise RulesetError(f"source {name}: cannot download: {reason}", url) from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target
