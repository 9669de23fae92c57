"""The uplink kind: one interface of the router or firewall, read over SNMP IF-MIB (RFC 2863).

Read: the interface is found by ifName (ifXTable), else ifDescr; then one GET of its ifOperStatus,
ifAdminStatus, 64-bit ifHCInOctets/ifHCOutOctets, ifInErrors/ifOutErrors, ifHighSpeed,
ifCounterDiscontinuityTime and the agent's sysUpTime.

Derived from the previous poll: the traffic in and out in bit/s and the errors since then. A 64-bit
counter that went down wrapped once, unless the agent restarted (sysUpTime went back), the counter's
discontinuity time moved, or the wrapped difference is more than the interface could carry: then the
counter was reset and this poll has no rate (never a huge false one).

Which uplink carries the traffic: among the uplinks of a `group` (default: the same router address),
the only one that is up, or the busiest one above `idle_bps`; while they are all idle the carrier
stays what it was. When the carrier changes, that is a failover, announced once; an uplink going down
and coming back up are announced as they turn.

Round-trip time and loss to the ISP's gateway (`gateway`), when set: Debian's fping sends `ping_count`
echo requests from the console (`fping -C`), so the answer comes over this uplink's line.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from console.devices.kinds import DeviceKind
from console.common.i18n import _l


IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
COLUMNS = {
    "ifAdminStatus": "1.3.6.1.2.1.2.2.1.7",
    "ifOperStatus": "1.3.6.1.2.1.2.2.1.8",
    "ifInErrors": "1.3.6.1.2.1.2.2.1.14",
    "ifOutErrors": "1.3.6.1.2.1.2.2.1.20",
    "ifHCInOctets": "1.3.6.1.2.1.31.1.1.1.6",
    "ifHCOutOctets": "1.3.6.1.2.1.31.1.1.1.10",
    "ifHighSpeed": "1.3.6.1.2.1.31.1.1.1.15",
    "ifCounterDiscontinuityTime": "1.3.6.1.2.1.31.1.1.1.19",
}
OPER_STATUS = {1: "up", 2: "down", 3: "testing", 4: "unknown", 5: "dormant", 6: "notPresent", 7: "lowerLayerDown"}
ADMIN_STATUS = {1: "up", 2: "down", 3: "testing"}
UNKNOWN_SPEED_BPS = 400 * 10**9  # no interface of a department carries more


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["uplink"] = "uplink"
    interface: str = Field(min_length=1, max_length=64)  # its ifName (or ifDescr) on the router
    group: str = Field("", max_length=64)  # uplinks that back each other up; default: the same router address
    idle_bps: int = Field(8000, ge=0, le=10**12)  # below this the uplink carries nothing worth the name
    gateway: str = ""  # the ISP's gateway on this line: round-trip time and loss with fping; "" = none
    ping_count: int = Field(5, ge=1, le=20)

    @field_validator("gateway")
    @classmethod
    def _address(cls, value: str) -> str:
        if value:
            try:
                ipaddress.ip_address(value)
            except ValueError:
                raise ValueError(f"not an IP address (got {value[:60]!r})") from None
        return value


def read(config) -> dict:
    from console.devices.connectors import ConnectorError, snmp

    index = _find_interface(config, snmp)
    oids = {"sysUpTime": SYS_UPTIME, **{name: f"{column}.{index}" for name, column in COLUMNS.items()}}
    values = snmp.get_values(config, oids)
    if values.get("ifOperStatus") is None:
        raise ConnectorError(f"snmp {config.address}: interface {config.options.interface!r} has no ifOperStatus")
    if values.get("ifHCInOctets") is None or values.get("ifHCOutOctets") is None:
        raise ConnectorError(f"snmp {config.address}: interface {config.options.interface!r} has no 64-bit "
                             "ifHCInOctets/ifHCOutOctets (IF-MIB ifXTable, SNMP v2c or v3)")
    return {
        **gateway_fields(config.options.gateway, config.options.ping_count),
        "interface": config.options.interface, "if_index": int(index),
        "oper_status": OPER_STATUS.get(values["ifOperStatus"], "unknown"),
        "admin_status": ADMIN_STATUS.get(values.get("ifAdminStatus"), "unknown"),
        "in_octets": values["ifHCInOctets"], "out_octets": values["ifHCOutOctets"],
        "in_errors": values.get("ifInErrors"), "out_errors": values.get("ifOutErrors"),
        "speed_mbps": values.get("ifHighSpeed") or None,
        "sys_uptime_cs": values.get("sysUpTime"), "discontinuity_cs": values.get("ifCounterDiscontinuityTime"),
    }


FPING_LINE = re.compile(r"^\S+\s+:\s+((?:\d+(?:\.\d+)?|-)(?:\s+(?:\d+(?:\.\d+)?|-))*)$")


def gateway_fields(gateway: str, count: int) -> dict:
    """rtt_ms (mean of the answered probes) and loss_percent to `gateway`, by fping; {} with no gateway."""
    if not gateway:
        return {}
    fping = shutil.which("fping")
    if fping is None:
        return {"gateway": gateway, "rtt_ms": None, "loss_percent": None,
                "gateway_reason": "fping is not installed (Debian package fping)"}
    try:
        done = subprocess.run([fping, "-C", str(count), "-q", "-p", "200", "-t", "1000", "-r", "0", gateway],
                              capture_output=True, text=True, timeout=count * 0.2 + 5)
    except subprocess.TimeoutExpired:
        return {"gateway": gateway, "rtt_ms": None, "loss_percent": None, "gateway_reason": "fping did not finish"}
    return {"gateway": gateway, **parse_fping(done.stderr, count)}


def parse_fping(output: str, count: int) -> dict:
    """fping -C's summary line, `<address> : 0.41 0.39 - 0.40` (a dash is a lost probe). Pure."""
    for line in output.splitlines():
        found = FPING_LINE.match(line.strip())
        if not found:
            continue
        probes = found.group(1).split()[:count]
        times = [float(value) for value in probes if re.fullmatch(r"\d+(\.\d+)?", value)]
        lost = count - len(times)
        return {"rtt_ms": round(sum(times) / len(times), 2) if times else None,
                "loss_percent": round(100 * lost / count, 1)}
    return {"rtt_ms": None, "loss_percent": None, "gateway_reason": (output.strip() or "no answer from fping")[:200]}


def _find_interface(config, snmp) -> str:
    from console.devices.connectors import ConnectorError

    wanted = config.options.interface
    names = {}
    for column in (IF_NAME, IF_DESCR):
        names = snmp.walk_column(config, column)
        for index, name in names.items():
            if name == wanted and index.isdigit():
                return index
    seen = ", ".join(sorted(str(name) for name in names.values())[:20]) or "none"
    raise ConnectorError(f"snmp {config.address}: no interface named {wanted!r} (ifName or ifDescr); it has: {seen}")


def counter_delta(old: int | None, new: int | None, bits: int = 64, restarted: bool = False) -> int | None:
    """How much a Counter32/Counter64 grew from `old` to `new`: one wrap is allowed; None when unknown or reset."""
    if old is None or new is None or restarted:
        return None
    return new - old if new >= old else new + 2**bits - old


def restarted(previous: dict, fields: dict) -> bool:
    """The agent restarted (sysUpTime went back) or the interface's counters had a discontinuity since `previous`."""
    before, now = previous.get("sys_uptime_cs"), fields.get("sys_uptime_cs")
    if before is not None and now is not None and now < before:
        return True
    return previous.get("discontinuity_cs") != fields.get("discontinuity_cs")


def rates(previous: dict | None, fields: dict, seconds: float) -> dict:
    """in_bps, out_bps, in_errors_delta, out_errors_delta and counter_reset against the previous reading."""
    found = {"in_bps": None, "out_bps": None, "in_errors_delta": None, "out_errors_delta": None,
             "counter_reset": False, "rate_seconds": round(seconds, 1) if seconds > 0 else None}
    if not previous or seconds <= 0:
        return found
    reset = restarted(previous, fields)
    limit_bps = 2 * (fields.get("speed_mbps") or 0) * 10**6 or UNKNOWN_SPEED_BPS
    for direction in ("in", "out"):
        delta = counter_delta(previous.get(f"{direction}_octets"), fields.get(f"{direction}_octets"), 64, reset)
        bps = delta * 8 / seconds if delta is not None else None
        if bps is not None and bps > limit_bps:  # a "wrap" faster than the line: the counter was reset
            bps, reset = None, True
        found[f"{direction}_bps"] = round(bps) if bps is not None else None
        found[f"{direction}_errors_delta"] = counter_delta(previous.get(f"{direction}_errors"),
                                                           fields.get(f"{direction}_errors"), 32, reset)
    found["counter_reset"] = reset and previous.get("in_octets") is not None
    return found


def history_minutes(config) -> int:
    """The previous reading is used for rates if it is at most three intervals (and 15 minutes) old."""
    return max(15, 3 * config.interval_seconds // 60)


def derive(config, fields: dict, history: list, now) -> dict:
    if not history:
        return {**fields, **rates(None, fields, 0)}
    when, previous = history[-1]
    return {**fields, **rates(previous, fields, (now - when).total_seconds())}


def group_of(config) -> str:
    return config.options.group or config.address


def carrier(members: list[tuple[str, dict | None]], idle_bps: int) -> str | None:
    """The uplink that carries the traffic: the only one up, or the busiest one above idle; None when undecided."""
    up = [(name, fields) for name, fields in members if fields and fields.get("oper_status") == "up"]
    if len(up) == 1:
        return up[0][0]
    busy = [(((fields.get("in_bps") or 0) + (fields.get("out_bps") or 0)), name) for name, fields in up]
    busy = [(traffic, name) for traffic, name in busy if traffic >= idle_bps]
    return max(busy)[1] if busy else None


def announce(session, polled: list, context) -> list:
    from console.notify import events as notify_events

    events = []
    for reading in polled:
        config, fields = reading.config, reading.fields
        if reading.status != "ok":
            continue  # the router did not answer: that says nothing about the line
        down = fields.get("oper_status") != "up"
        params = {"device": config.name, "interface": config.options.interface,
                  "status": fields.get("oper_status"), "group": group_of(config)}
        if notify_events.changed(session, f"uplink.down:{config.name}", down):
            kind, severity = ("uplink.down", "high") if down else ("uplink.up", "info")
            events.append(notify_events.Event(kind, f"device:{config.name}", severity, params, **context.base(config)))
    for group in sorted({group_of(reading.config) for reading in polled}):
        events += _failover(polled, context, group)
    return events


def _failover(polled: list, context, group: str) -> list:
    from console.notify import events as notify_events

    now = {reading.config.name: reading for reading in polled}
    members = [c for c in context.configs if c.kind == "uplink" and group_of(c) == group]
    current = [(c.name, now[c.name].fields if c.name in now and now[c.name].status == "ok"
                else None if c.name in now else context.latest_fields.get(c.name)) for c in members]
    before = [c.name for c in members
              if ((now[c.name].previous if c.name in now else context.latest_fields.get(c.name)) or {}).get("carrying")]
    was = before[0] if before else None
    idle = min((c.options.idle_bps for c in members), default=0)
    carrying = carrier(current, idle)
    if carrying is None and was is not None and dict(current).get(was, {}) and \
            dict(current)[was].get("oper_status") == "up":
        carrying = was  # all idle: the carrier stays
    for name, reading in now.items():
        if reading.status == "ok" and group_of(reading.config) == group:
            reading.fields["carrying"] = name == carrying
    if carrying is None or was is None or carrying == was:
        return []
    to_config = next(c for c in members if c.name == carrying)
    params = {"group": group, "from_device": was, "to_device": carrying, "device": carrying}
    return [notify_events.Event("uplink.failover", f"uplink-group:{group}", "high", params,
                                **context.base(to_config))]


def summary(item) -> str:
    fields = item.fields
    line = (f"{fields.get('interface')} {fields.get('oper_status')} in {format_bps(fields.get('in_bps'))} "
            f"out {format_bps(fields.get('out_bps'))} errors {fields.get('in_errors')}/{fields.get('out_errors')}")
    if fields.get("gateway"):
        line += f" rtt {fields.get('rtt_ms')} ms loss {fields.get('loss_percent')}%"
    return line + (" carrying" if fields.get("carrying") else "")


def format_bps(bps) -> str:
    if not isinstance(bps, (int, float)):
        return "-"
    for unit, size in (("Gbit/s", 10**9), ("Mbit/s", 10**6), ("kbit/s", 10**3)):
        if bps >= size:
            return f"{bps / size:.1f} {unit}"
    return f"{bps:.0f} bit/s"


def overview_item(item) -> dict:
    ok = item.status == "ok"
    return {"name": item.name, "interface": item.fields.get("interface") if ok else None,
            "state": item.fields.get("oper_status", "unknown") if ok else "unknown",
            "carrying": bool(item.fields.get("carrying")) if ok else False,
            "in_bps": item.fields.get("in_bps") if ok else None, "out_bps": item.fields.get("out_bps") if ok else None,
            "rtt_ms": item.fields.get("rtt_ms") if ok else None,
            "loss_percent": item.fields.get("loss_percent") if ok else None,
            "reason": item.reason, "collected_at": item.collected_at}


KIND = DeviceKind(name="uplink", label=_l("Uplink"), connectors=("snmp",), options=Options, overview_key="uplinks",
                  read=read, summary=summary, overview_item=overview_item, announce=announce, derive=derive,
                  history_minutes=history_minutes)
