"""Microsoft Defender through PowerShell's Get-MpComputerStatus, and the PowerShell JSON helpers.

The fields read are those Microsoft documents for the MSFT_MpComputerStatus
class (Defender PowerShell module): AMServiceEnabled, AntivirusEnabled,
RealTimeProtectionEnabled, AMEngineVersion, AntivirusSignatureVersion,
AntivirusSignatureLastUpdated, FullScanEndTime, QuickScanEndTime. The JSON
is hostile input like any other: a required field that is missing or of the
wrong type is a CollectorFailed naming it. ConvertTo-Json writes dates as
"/Date(<ms since the epoch, UTC>)/" in Windows PowerShell 5.1 and as ISO
8601 in PowerShell 7; both are read. The helpers here serve wsc.py too.
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime, timezone
from typing import Any, Callable

from probes.collectors import CollectorFailed, iso

POWERSHELL = ["powershell.exe", "-NoProfile", "-NonInteractive", "-Command"]
UTF8 = "[Console]::OutputEncoding = [Text.Encoding]::UTF8; "
MAX_OUTPUT = 1024 * 1024
FIELDS = ("AMServiceEnabled", "AntivirusEnabled", "RealTimeProtectionEnabled", "AMEngineVersion",
          "AMProductVersion", "AntivirusSignatureVersion", "AntivirusSignatureLastUpdated",
          "FullScanEndTime", "QuickScanEndTime")


class DefenderProvider:
    """Defender on this Windows host; `run` is the command runner so tests replay recorded JSON."""

    name = "defender"
    script = f"Get-MpComputerStatus | Select-Object {','.join(FIELDS)} | ConvertTo-Json"

    def __init__(self, run: Callable = subprocess.run, timeout: float = 60) -> None:
        self.run, self.timeout, self.answered = run, timeout, False

    def installed(self) -> bool:
        """Best knowledge: Get-MpComputerStatus, which only Defender provides, answered."""
        return self.answered

    def status(self) -> dict:
        data = powershell_json(self.run, self.script, "Get-MpComputerStatus", self.timeout)
        if data is None:
            return {"provider": "defender", "product": "Microsoft Defender", "installed": False}
        self.answered = True
        return parse_mp_status(data)


def parse_mp_status(data: Any) -> dict:
    """The report fields from Get-MpComputerStatus's JSON; the last scan is the later of full and quick."""
    if not isinstance(data, dict):
        raise CollectorFailed("Get-MpComputerStatus: expected one JSON object")
    antivirus, realtime = json_flag(data, "AntivirusEnabled"), json_flag(data, "RealTimeProtectionEnabled")
    scans = [ps_date(data, field, required=False) for field in ("FullScanEndTime", "QuickScanEndTime")]
    return {
        "provider": "defender", "product": "Microsoft Defender", "installed": True,
        "running": json_flag(data, "AMServiceEnabled"),
        "realtime_protection": antivirus and realtime,
        "engine_version": json_text(data, "AMEngineVersion"),
        "product_version": json_text(data, "AMProductVersion", required=False),
        "signature_version": json_text(data, "AntivirusSignatureVersion"),
        "signature_date": iso(ps_date(data, "AntivirusSignatureLastUpdated")),
        "last_scan_at": iso(max((scan for scan in scans if scan), default=None)),
    }


def powershell_json(run: Callable, script: str, what: str, timeout: float = 60) -> Any:
    """A PowerShell script's JSON output; None when there is no PowerShell (not Windows)."""
    try:
        result = run([*POWERSHELL, UTF8 + script], capture_output=True, encoding="utf-8",
                     errors="replace", timeout=timeout)
    except FileNotFoundError:
        return None
    except subprocess.TimeoutExpired:
        raise CollectorFailed(f"{what}: no answer within {timeout:g} s") from None
    if result.returncode != 0:
        stderr = result.stderr.strip() if isinstance(result.stderr, str) else ""
        raise CollectorFailed(f"{what}: PowerShell failed ({result.returncode}): {stderr[:200]}")
    if not isinstance(result.stdout, str) or len(result.stdout) > MAX_OUTPUT:
        raise CollectorFailed(f"{what}: output missing or larger than {MAX_OUTPUT} characters")
    try:
        return json.loads(result.stdout.lstrip("\ufeff") or "null")
    except (ValueError, RecursionError):
        raise CollectorFailed(f"{what}: output is not JSON") from None


def json_flag(data: dict, field: str) -> bool:
    value = data.get(field)
    if not isinstance(value, bool):
        raise CollectorFailed(f"{field}: expected true or false, got {_shown(value)}")
    return value


def json_text(data: dict, field: str, required: bool = True) -> str | None:
    value = data.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise CollectorFailed(f"{field}: expected text, got {_shown(value)}")
    return value[:200]


def ps_date(data: dict, field: str, required: bool = True) -> datetime | None:
    """A ConvertTo-Json date in either PowerShell's form, as an aware datetime."""
    value = data.get(field)
    if isinstance(value, dict) and "value" in value:  # a DateTime with extra members: {"value": ..., "DateTime": ...}
        value = value["value"]
    if value is None and not required:
        return None
    if isinstance(value, str):
        legacy = re.fullmatch(r"/Date\((-?\d{1,15})(?:[+-]\d{4})?\)/", value)
        try:
            if legacy:
                return datetime.fromtimestamp(int(legacy.group(1)) / 1000, timezone.utc)
            moment = datetime.fromisoformat(value)
            return moment if moment.tzinfo else moment.astimezone()
        except (ValueError, OverflowError, OSError):
            pass
    raise CollectorFailed(f"{field}: expected a date, got {_shown(value)}")


def _shown(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {str(value)[:40]!r}"
