"""UPS state from NUT's upsd, with the agent's own protocol client (probes.collectors.ups).

The console may import the agent's code, never the reverse. The fields are
the agent's report fields (probes.report.Ups), so compliance reads a UPS the
same way whether an agent or the console polled it.
"""

from __future__ import annotations

from datetime import date

from console.devices.connectors import ConnectorError
from probes.collectors import CollectorFailed
from probes.collectors.ups import NutClient, status_fields

KEPT_VARIABLES = 200  # of upsd's list, the first this many go into the stored state


def read(device) -> dict:
    client = NutClient(device.address, device.effective_port, device.timeout_seconds)
    try:
        variables = client.list_vars(device.ups)
    except CollectorFailed as exc:
        raise ConnectorError(str(exc)[:300]) from None
    except OSError as exc:  # refused, unreachable, timed out, reset
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise ConnectorError(f"upsd {client.where}: {reason}"[:300]) from None
    if "ups.status" not in variables:
        raise ConnectorError(f"upsd {client.where}: UPS {device.ups!r} reports no ups.status")
    fields = status_fields(variables)
    fields.update(_identity(variables))
    fields["variables"] = {key: value[:200] for key, value in list(variables.items())[:KEPT_VARIABLES]}
    return fields


def _identity(variables: dict[str, str]) -> dict:
    found = {
        "manufacturer": (variables.get("ups.mfr") or variables.get("device.mfr") or "")[:100] or None,
        "model": (variables.get("ups.model") or variables.get("device.model") or "")[:100] or None,
    }
    test_date = _iso_date(variables.get("ups.test.date", ""))
    if test_date:
        found["test_date"] = test_date
    return found


def _iso_date(text: str) -> str | None:
    try:
        return date.fromisoformat(text.strip()[:10]).isoformat()
    except ValueError:
        return None
