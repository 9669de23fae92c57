"""SNMP v2c or v3 authPriv with pysnmp (lextudio): GET of named objects and a bounded walk of one column, for the
kinds read over SNMP (UPS-MIB here, IF-MIB for an uplink, environmental MIBs for a room).

Why pysnmp: it is pure Python and maintained, speaks v3 USM with AES/SHA-2
(its ciphers come from `cryptography`, already a dependency), keeps
credentials in memory (Debian's snmpget would need them on its command line,
where any local user can read them in /proc), and lets us bound the whole
exchange with one asyncio deadline. An SNMP answer is one UDP datagram, so its
size is bounded by the transport; strings are cut to 100 characters.

One GET carries every object; an object the card does not implement comes
back as noSuchObject/noSuchInstance and maps to None. A walk stays inside its
column and stops after `max_rows`. For a UPS, the answer must carry
upsOutputSource or upsBatteryStatus, else it is not a UPS.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData, ContextData, ObjectIdentity, ObjectType, SnmpEngine, UdpTransportTarget, UsmUserData,
    get_cmd, next_cmd, usmAesCfb128Protocol, usmAesCfb256Protocol, usmDESPrivProtocol, usmHMAC384SHA512AuthProtocol,
    usmHMAC192SHA256AuthProtocol, usmHMACMD5AuthProtocol, usmHMACSHAAuthProtocol,
)
from pysnmp.proto.rfc1902 import Counter32, Counter64, Gauge32, Integer, OctetString, TimeTicks, Unsigned32
from pysnmp.proto.rfc1905 import EndOfMibView, NoSuchInstance, NoSuchObject

from console.devices.connectors import ConnectorError, credential
from console.devices.connectors.ups_mib import OIDS, ups_fields

AUTH = {"MD5": usmHMACMD5AuthProtocol, "SHA": usmHMACSHAAuthProtocol, "SHA256": usmHMAC192SHA256AuthProtocol,
        "SHA512": usmHMAC384SHA512AuthProtocol}
PRIV = {"DES": usmDESPrivProtocol, "AES": usmAesCfb128Protocol, "AES256": usmAesCfb256Protocol}
RETRIES = 1


def read(device) -> dict:
    values = get_values(device)
    if values.get("upsOutputSource") is None and values.get("upsBatteryStatus") is None:
        raise ConnectorError(f"snmp {_where(device)}: no UPS-MIB upsOutputSource or upsBatteryStatus; "
                             "is this a UPS card with RFC 1628 support?")
    fields = ups_fields(values, datetime.now(timezone.utc))
    fields["ident_name"] = values.get("upsIdentName") if isinstance(values.get("upsIdentName"), str) else None
    return fields


def get_values(device, oids: dict[str, str] | None = None) -> dict:
    """{object name: int | str | None} for every object of `oids` (default: ups_mib.OIDS), within the device's timeout."""
    oids = OIDS if oids is None else oids
    return _run(device, _get(device, _credentials(device), oids))


def walk_column(device, column: str, max_rows: int = 512) -> dict[str, object]:
    """{row index (the OID's part after `column`): value} of one table column, at most `max_rows` rows."""
    return _run(device, _walk(device, _credentials(device), column, max_rows))


def _run(device, coroutine):
    try:
        return asyncio.run(asyncio.wait_for(coroutine, timeout=device.timeout_seconds))
    except (TimeoutError, asyncio.TimeoutError):
        raise ConnectorError(f"snmp {_where(device)}: no answer within {device.timeout_seconds:g} s "
                             "(address, port, community or v3 credentials wrong?)") from None


async def _target(device):
    per_try = max(device.timeout_seconds / (RETRIES + 1), 0.2)
    return await UdpTransportTarget.create((device.address, device.effective_port), timeout=per_try, retries=RETRIES)


async def _get(device, credentials, oids: dict[str, str]) -> dict:
    engine = SnmpEngine()
    try:
        target = await _target(device)
        names = list(oids)
        error, status, index, var_binds = await get_cmd(
            engine, credentials, target, ContextData(),
            *[ObjectType(ObjectIdentity(oids[name])) for name in names], lookupMib=False)
    except OSError as exc:
        raise ConnectorError(f"snmp {_where(device)}: {exc.strerror or exc}") from None
    finally:
        engine.close_dispatcher()
    _check(device, error, status, index)
    return _decode(names, var_binds, oids)


async def _walk(device, credentials, column: str, max_rows: int) -> dict:
    engine = SnmpEngine()
    rows: dict[str, object] = {}
    prefix = column.strip(".") + "."
    try:
        target = await _target(device)
        current = column
        while len(rows) < max_rows:
            error, status, index, var_binds = await next_cmd(
                engine, credentials, target, ContextData(), ObjectType(ObjectIdentity(current)), lookupMib=False)
            _check(device, error, status, index)
            if not var_binds:
                break
            oid, value = var_binds[0]
            oid = str(oid)
            if not oid.startswith(prefix) or isinstance(value, EndOfMibView):
                break
            rows[oid[len(prefix):]] = _value(value)
            current = oid
    except OSError as exc:
        raise ConnectorError(f"snmp {_where(device)}: {exc.strerror or exc}") from None
    finally:
        engine.close_dispatcher()
    return rows


def _check(device, error, status, index) -> None:
    if error:
        raise ConnectorError(f"snmp {_where(device)}: {str(error)[:200]}")
    if status:
        raise ConnectorError(f"snmp {_where(device)}: agent answered {status.prettyPrint()[:60]} at #{int(index)}")


def _decode(names: list[str], var_binds, oids: dict[str, str]) -> dict:
    if len(var_binds) != len(names):
        raise ConnectorError(f"snmp answer carries {len(var_binds)} values for {len(names)} objects")
    values = {}
    for name, (oid, value) in zip(names, var_binds):
        if str(oid) != oids[name].strip("."):
            raise ConnectorError(f"snmp answer names {str(oid)[:80]} where {oids[name]} was asked")
        values[name] = _value(value)
    return values


def _value(value):
    if isinstance(value, (NoSuchObject, NoSuchInstance, EndOfMibView)):
        return None
    if isinstance(value, (Integer, Unsigned32, TimeTicks, Counter32, Counter64, Gauge32)):
        return int(value)
    if isinstance(value, OctetString):
        return bytes(value)[:100].decode("utf-8", "replace")
    return None


def _credentials(device):
    if device.snmp_version == "2c":
        return CommunityData(credential(device.community), mpModel=1)
    return UsmUserData(device.username, authKey=credential(device.auth_key), privKey=credential(device.priv_key),
                       authProtocol=AUTH[device.auth_protocol], privProtocol=PRIV[device.priv_protocol])


def _where(device) -> str:
    return f"{device.address}:{device.effective_port}"
