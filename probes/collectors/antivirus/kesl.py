"""Kaspersky Endpoint Security for Linux through kesl-control.

`kesl-control --app-info` prints "Key: value" lines, among them the release
date of the loaded anti-virus databases; `kesl-control --get-task-list`
prints one block of "Key: value" lines per task, and real-time protection is
the File_Threat_Protection task. Key names are read case-insensitively and the
date in the formats KESL prints; a line that cannot be read is an error naming
the key. This parser was written from Kaspersky's KESL help, not against a
running KESL: see tests/probes/data/antivirus/ for the replayed outputs.
"""

from __future__ import annotations

import re
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Callable

from probes.collectors import CollectorFailed

REALTIME_TASK = "file_threat_protection"
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y %H:%M:%S", "%Y-%m-%d")


class KeslProvider:
    name = "kesl"

    def __init__(self, kesl_control: Path = Path("/opt/kaspersky/kesl/bin/kesl-control"),
                 run: Callable = subprocess.run):
        self.kesl_control, self.run = Path(kesl_control), run

    def status(self) -> dict:
        found = {"provider": "kesl", "product": "Kaspersky Endpoint Security for Linux", "installed": False}
        info_text = self._call("--app-info")
        if info_text is None:
            return found
        info = parse_pairs(info_text)
        tasks = parse_tasks(self._call("--get-task-list") or "")
        realtime = next((t for t in tasks if t.get("name", "").lower() == REALTIME_TASK), None)
        found.update({
            "installed": True,
            "product": info.get("name") or found["product"],
            "engine_version": info.get("version"),
            "running": True,
            "realtime_protection": None if realtime is None else realtime.get("state", "").lower() == "started",
            "signature_date": kesl_date(info, "last release date of databases"),
            "databases_loaded": (info.get("anti-virus databases loaded") or "").lower() == "yes" or None,
            "last_scan_at": kesl_date(info, "last run date of the scan_my_computer task", optional=True),
        })
        return found

    def _call(self, argument: str) -> str | None:
        try:
            result = self.run([str(self.kesl_control), argument], capture_output=True, text=True, timeout=60)
        except FileNotFoundError:
            return None
        if result.returncode != 0:
            raise CollectorFailed(f"kesl-control {argument} failed: {(result.stderr or result.stdout).strip()[:200]}")
        return result.stdout


def parse_pairs(text: str) -> dict[str, str]:
    pairs = {}
    for line in text.splitlines()[:500]:
        key, sep, value = line.partition(":")
        if sep and key.strip():
            pairs[key.strip().lower()] = value.strip()
    return pairs


def parse_tasks(text: str) -> list[dict[str, str]]:
    """Blank-line separated blocks of 'Key: value' lines, one per task."""
    return [parse_pairs(block) for block in re.split(r"\n\s*\n", text.strip()) if block.strip()][:200]


def kesl_date(info: dict, key: str, optional: bool = False) -> str | None:
    value = info.get(key)
    if not value or (optional and value.lower() in ("never run", "never", "-")):
        return None
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(value, pattern).astimezone().isoformat()
        except ValueError:
            continue
    raise CollectorFailed(f"{key}: unreadable date {value[:40]!r}")
