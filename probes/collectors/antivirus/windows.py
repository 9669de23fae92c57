"""Windows antivirus status through PowerShell: Microsoft Defender and Windows Security Center.

Both read JSON that PowerShell's ConvertTo-Json prints, which is hostile
input like any other: a field of the wrong type is an error that names it.
Windows PowerShell 5.1 writes dates as "/Date(<ms since epoch>)/", PowerShell 7
as ISO 8601; both are read.
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime, timezone
from typing import Callable

from probes.collectors import CollectorFailed

POWERSHELL = ["powershell.exe", "-NoProfile", "-NonInteractive", "-Command"]


def _powershell_json(run: Callable, script: str, what: str):
    try:
        result = run([*POWERSHELL, script], capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        return None
    if result.returncode != 0:
        raise CollectorFailed(f"{what}: PowerShell failed: {result.stderr.strip()[:200]}")
    try:
        return json.loads(result.stdout or "null")
    except ValueError:
        raise CollectorFailed(f"{what}: output is not JSON") from None


def ps_date(value, field: str) -> str | None:
    """A ConvertTo-Json date (either PowerShell's form) as ISO 8601 with zone."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        legacy = re.fullmatch(r"/Date\((-?\d+)\)/", value)
        if legacy:
            return datetime.fromtimestamp(int(legacy.group(1)) / 1000, timezone.utc).isoformat()
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return (moment if moment.tzinfo else moment.astimezone()).isoformat()
    raise CollectorFailed(f"{field}: not a date ({str(value)[:40]!r})")


def _flag(data: dict, field: str) -> bool | None:
    value = data.get(field)
    if value is None or isinstance(value, bool):
        return value
    raise CollectorFailed(f"{field}: expected true or false, got {str(value)[:40]!r}")


def _text(data: dict, field: str) -> str | None:
    value = data.get(field)
    if value is None or isinstance(value, str):
        return value
    raise CollectorFailed(f"{field}: expected text, got {str(value)[:40]!r}")


class DefenderProvider:
    """Microsoft Defender from `Get-MpComputerStatus` (documented in the Defender PowerShell module)."""

    name = "defender"
    script = "Get-MpComputerStatus | ConvertTo-Json -Depth 2"

    def __init__(self, run: Callable = subprocess.run):
        self.run = run

    def status(self) -> dict:
        data = _powershell_json(self.run, self.script, "Get-MpComputerStatus")
        if data is None:
            return {"provider": "defender", "product": "Microsoft Defender", "installed": False}
        if not isinstance(data, dict):
            raise CollectorFailed("Get-MpComputerStatus: expected one JSON object")
        scans = [ps_date(data.get(f), f) for f in ("FullScanEndTime", "QuickScanEndTime")]
        return {
            "provider": "defender", "product": "Microsoft Defender", "installed": True,
            "running": _flag(data, "AMServiceEnabled"),
            "realtime_protection": bool(_flag(data, "AntivirusEnabled")) and bool(_flag(data, "RealTimeProtectionEnabled")),
            "engine_version": _text(data, "AMEngineVersion"),
            "signature_version": _text(data, "AntivirusSignatureVersion"),
            "signature_date": ps_date(data.get("AntivirusSignatureLastUpdated"), "AntivirusSignatureLastUpdated"),
            "last_scan_at": max((s for s in scans if s), default=None),
        }


class WscProvider:
    """Windows Security Center's view of every registered antivirus product.

    productState is not documented by Microsoft; the commonly used reading,
    relied on here: the middle byte's 0x10 bit (0x1000 of the number) set means
    enabled; a low byte of 0x00 means definitions up to date, 0x10 out of date.
    """

    name = "wsc"
    script = "Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct | ConvertTo-Json -Depth 2"

    def __init__(self, run: Callable = subprocess.run):
        self.run = run

    def status(self) -> dict:
        data = _powershell_json(self.run, self.script, "SecurityCenter2 AntiVirusProduct")
        products = data if isinstance(data, list) else ([data] if isinstance(data, dict) else [])
        if not products:
            return {"provider": "wsc", "product": "", "installed": False}
        decoded = [decode_product(p) for p in products]
        enabled = [p for p in decoded if p["enabled"]]
        chosen = enabled[0] if enabled else decoded[0]
        return {"provider": "wsc", "product": chosen["name"], "installed": True, "running": chosen["enabled"],
                "realtime_protection": chosen["enabled"], "signatures_up_to_date": chosen["up_to_date"],
                "products": decoded}


def decode_product(product) -> dict:
    if not isinstance(product, dict):
        raise CollectorFailed("AntiVirusProduct: expected JSON objects")
    state = product.get("productState")
    if isinstance(state, bool) or not isinstance(state, int):
        raise CollectorFailed(f"productState: expected a number, got {str(state)[:40]!r}")
    return {"name": _text(product, "displayName") or "", "enabled": bool(state & 0x1000),
            "up_to_date": (state & 0xFF) == 0x00, "product_state": hex(state)}
