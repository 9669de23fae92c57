"""Connectors: reading devices that cannot run an agent, from the console host.

Each connector is one module with `read(device: DeviceConfig) -> dict` that
returns the device's state fields or raises `ConnectorError` with a reason a
person can act on. Every connector bounds its time (the device's
`timeout_seconds`) and the size of what it accepts, and treats the answer as
hostile. Secrets are resolved at the moment of use and never appear in a
reason.
"""

from __future__ import annotations

from console.errors import OpsError


class ConnectorError(OpsError):
    """The device could not be read; the message is the reason stored with the 'unknown' state.

    The poller (console/devices/service.py) stores it as the device's reason; one
    that reaches the API or CLI is a device (an upstream) failing: 502.
    """

    http_status = 502


def read(device) -> dict:
    """The state fields of `device` from its connector."""
    from console.devices.connectors import nut, snmp, sophos

    connectors = {"nut": nut.read, "snmp": snmp.read, "sophos": sophos.read}
    return connectors[device.connector](device)


def credential(reference: str) -> str:
    """The secret behind a device's reference; a device without its credential cannot be read (ConnectorError)."""
    from console.common.secrets import SecretError, resolve

    try:
        return resolve(reference)
    except SecretError as exc:
        raise ConnectorError(str(exc)) from None
