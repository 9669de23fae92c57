"""Kaspersky Endpoint Security for Linux (KESL) through kesl-control.

Written from Kaspersky's KESL help and from recorded real output, not
against a running KESL (it cannot run here):
- `kesl-control --app-info` prints "Key: value" lines (padded with spaces),
  e.g. "Version: 10.1.0.5960", "Last release date of databases: 2018-08-23
  04:11:00", "Anti-virus databases loaded: Yes" (KESL 12.3 says "Application
  databases loaded"), "Last run date of the Scan_My_Computer task: Never run".
  Dates carry no zone; they are read as the host's local time.
- `kesl-control --get-task-state 1` prints the same kind of lines for task 1,
  which KESL's help names File_Threat_Protection: real-time protection. Its
  State is Started, Starting, Stopping or Stopped.
kesl-control answers through the running kesl service, so an answer to
--app-info is reported as running; the application's Version is reported as
engine_version (KESL prints no separate engine or database version).
kesl-control is run with LC_ALL=C; the Russian keys and values that KESL
prints with a Russian product locale are read too. Reading KESL's answer
never raises anything but CollectorFailed, naming the key it could not read.
"""

from __future__ import annotations

import os
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Callable

from probes.collectors import CollectorFailed

REALTIME_TASK_ID = "1"
REALTIME_TASK = "file_threat_protection"
MAX_OUTPUT = 256 * 1024
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")
# The English key first; the Russian one KESL prints under a Russian locale after it.
KEYS = {
    "name": ("Name", "Название"),
    "version": ("Version", "Версия"),
    "state": ("State", "Состояние"),
    "databases_date": ("Last release date of databases", "Дата последнего выпуска баз приложения"),
    "databases_loaded": ("Application databases loaded", "Anti-virus databases loaded", "Базы программы загружены"),
    "last_scan": ("Last run date of the Scan_My_Computer task",),
}
STARTED, STOPPED = ("started", "запущена"), ("stopped", "stopping", "starting")


class KeslProvider:
    """KESL on this host; `run` is the command runner so tests replay recorded output."""

    name = "kesl"

    def __init__(self, kesl_control: Path | str = "/opt/kaspersky/kesl/bin/kesl-control",
                 run: Callable = subprocess.run, timeout: float = 60) -> None:
        self.kesl_control, self.run, self.timeout = Path(kesl_control), run, timeout

    def installed(self) -> bool:
        return self.kesl_control.exists()

    def status(self) -> dict:
        info_text = self._call("--app-info")
        if info_text is None:
            return {"provider": "kesl", "product": "Kaspersky Endpoint Security for Linux", "installed": False}
        found = parse_app_info(info_text)
        found.update(parse_task_state(self._call("--get-task-state", REALTIME_TASK_ID) or ""))
        return found

    def _call(self, *arguments: str) -> str | None:
        """kesl-control's output; None when it is not there; a failure names the command."""
        command = [str(self.kesl_control), *arguments]
        what = "kesl-control " + " ".join(arguments)
        try:
            result = self.run(command, capture_output=True, text=True, errors="replace",
                              timeout=self.timeout, env={**os.environ, "LC_ALL": "C"})
        except FileNotFoundError:
            return None
        except subprocess.TimeoutExpired:
            raise CollectorFailed(f"{what}: no answer within {self.timeout:g} s") from None
        if result.returncode != 0:
            raise CollectorFailed(f"{what} failed ({result.returncode}): {_text(result.stderr or result.stdout)[:200]}")
        if not isinstance(result.stdout, str) or len(result.stdout) > MAX_OUTPUT:
            raise CollectorFailed(f"{what}: output missing or larger than {MAX_OUTPUT} characters")
        return result.stdout


def parse_app_info(text: str) -> dict:
    """The report fields from --app-info; the release date is required, the rest optional."""
    pairs = parse_pairs(text)
    loaded = _value(pairs, "databases_loaded")
    return {
        "provider": "kesl", "installed": True, "running": True,
        "product": _value(pairs, "name") or "Kaspersky Endpoint Security for Linux",
        "engine_version": _value(pairs, "version"),
        "signature_version": None,
        "signature_date": kesl_date(pairs, "databases_date", required=True),
        "databases_loaded": None if loaded is None else loaded.lower() in ("yes", "да"),
        "last_scan_at": kesl_date(pairs, "last_scan"),
    }


def parse_task_state(text: str) -> dict:
    """Real-time protection from --get-task-state 1: on only when File_Threat_Protection is Started."""
    pairs = parse_pairs(text)
    name, state = _value(pairs, "name"), _value(pairs, "state")
    if name is not None and name.lower() != REALTIME_TASK:
        raise CollectorFailed(f"kesl-control --get-task-state 1: Name: task 1 is {name[:40]!r}, not File_Threat_Protection")
    if state is None:
        raise CollectorFailed("kesl-control --get-task-state 1: State: missing")
    realtime = True if state.lower() in STARTED else False if state.lower() in STOPPED else None  # unknown: None
    return {"realtime_protection": realtime, "realtime_task_state": state[:40]}


def parse_pairs(text: str) -> dict[str, str]:
    """'Key:   value' lines -> {key: value}; the first occurrence of a key wins."""
    pairs: dict[str, str] = {}
    for line in text.splitlines()[:500]:
        key, sep, value = line.partition(":")
        if sep and key.strip():
            pairs.setdefault(key.strip().lower(), value.strip())
    return pairs


def kesl_date(pairs: dict[str, str], field: str, required: bool = False) -> str | None:
    """A KESL date (local time, no zone) as ISO 8601 with the host's zone.

    A required date that is missing or unreadable is an error naming its key;
    an optional one ("Never run", or text in another language) is None.
    """
    value = _value(pairs, field)
    if value is None and required:
        raise CollectorFailed(f"kesl-control --app-info: {KEYS[field][0]}: missing")
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(value or "", pattern).astimezone().isoformat()
        except ValueError:
            continue
    if not required:
        return None
    raise CollectorFailed(f"kesl-control --app-info: {KEYS[field][0]}: unreadable date {value[:40]!r}")


def _value(pairs: dict[str, str], field: str) -> str | None:
    return next((pairs[key.lower()] for key in KEYS[field] if key.lower() in pairs), None)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
