"""One EVE line to one row, or to the name of what is wrong with it. Pure: no I/O.

`parse_line` never raises on hostile input: it returns a `Parsed` whose
`kind` says where the record goes (alert, context, counted) or a `Problem`
naming the fault (bad_json, not_object, no_event_type, invalid_utf8,
bad_timestamp, time_out_of_window, bad_alert, bad_address, bad_text).
Unknown event types are context events, kept whole; unknown fields stay in
the kept record.

Fields the console stores apart from the record are checked here:
- the timestamp must lie inside the console's time window
  (console.common.time), else the line is a `time_out_of_window` problem;
- src_ip and dest_ip must be IP addresses: an alert's define its group, so
  a bad one refuses the line (`bad_address`); a context event's are optional,
  so the line is kept without them and the bad address is counted
  (`Parsed.problems`);
- text fields may not hold NUL (PostgreSQL cannot store it): a bad signature
  or category refuses an alert (`bad_text`); a bad `host` falls back to the
  default sensor name (the `--sensor` value), never an empty name.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field
from datetime import datetime, timezone

from console.common.text import bad_character
from console.common.time import DEFAULT_WINDOW, TimeBounds

try:
    import orjson

    _loads, _DecodeError = orjson.loads, orjson.JSONDecodeError
except ImportError:  # pragma: no cover - orjson is a dependency; json keeps a bare install working
    import json

    _loads, _DecodeError = json.loads, ValueError

COUNTED_TYPES = frozenset({"anomaly", "stats"})
INT64 = 2**63


@dataclass(frozen=True)
class Problem:
    kind: str
    detail: str


@dataclass
class Parsed:
    kind: str  # "alert", "context" or "counted"
    event_type: str
    event_at: datetime
    sensor: str
    record: str
    row: dict
    problems: list[Problem] = field(default_factory=list)  # counted, the line kept all the same


def parse_line(line: bytes, default_sensor: str, bounds: TimeBounds | None = None) -> Parsed | Problem:
    """One line; `bounds` (default: the default window now) is the time window its timestamp must fall in."""
    try:
        record = _loads(line)
    except _DecodeError as exc:
        return _undecodable(line, exc)
    except RecursionError:
        return Problem("bad_json", "nested too deeply")
    if not isinstance(record, dict):
        return Problem("not_object", "the line is JSON but not an object")
    event_type = record.get("event_type")
    if not isinstance(event_type, str) or not event_type or len(event_type) > 32:
        return Problem("no_event_type", "the object has no event_type string")
    if bad_character(event_type):
        return Problem("no_event_type", "the event_type holds a NUL character")
    event_at = parse_timestamp(record.get("timestamp"))
    if event_at is None:
        return Problem("bad_timestamp", f"{event_type}: timestamp missing or not ISO 8601")
    bounds = bounds or DEFAULT_WINDOW.bounds()
    if not bounds.holds(event_at):
        return Problem("time_out_of_window", f"{event_type}: timestamp {record['timestamp']} {bounds.refusal()}")
    sensor = _sensor(record.get("host"), default_sensor)
    text = line.decode("utf-8")
    if event_type == "alert":
        return _alert(record, event_at, sensor, text)
    if event_type in COUNTED_TYPES:
        return Parsed("counted", event_type, event_at, sensor, text, {})
    problems: list[Problem] = []
    addresses = {}
    for name in ("src_ip", "dest_ip"):
        addresses[name], problem = _address(record.get(name), f"{event_type}: {name}")
        if problem:
            problems.append(problem)
    row = {"event_at": event_at, "sensor": sensor, "event_type": event_type, "flow_id": _flow_id(record),
           **addresses, "record": text}
    return Parsed("context", event_type, event_at, sensor, text, row, problems)


def _sensor(host, default_sensor: str) -> str:
    """The record's `host` if it is a usable name (text, no NUL, at most 255 characters), else the default."""
    if isinstance(host, str) and host.strip() and len(host) <= 255 and not bad_character(host):
        return host
    return default_sensor


def _address(value, where: str) -> tuple[str, Problem | None]:
    """(the address as given, None), ("", None) if absent, or ("", a bad_address Problem) if it is no address."""
    if value is None or value == "":
        return "", None
    if isinstance(value, str) and len(value) <= 45 and not bad_character(value):
        try:
            ipaddress.ip_address(value)
            return value, None
        except ValueError:
            pass
    shown = value[:64] if isinstance(value, str) else type(value).__name__
    return "", Problem("bad_address", f"{where}: {shown!r} is not an IP address")


def _undecodable(line: bytes, exc: Exception) -> Problem:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as bad:
        return Problem("invalid_utf8", f"invalid UTF-8 at byte {bad.start}")
    return Problem("bad_json", f"not JSON: {str(exc)[:120]}")


def parse_timestamp(value) -> datetime | None:
    """Suricata writes 2024-05-01T10:00:00.123456+0700; anything without a zone is refused."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:  # year 9999 west of UTC, year 1 east of it: outside any window, as the window will say
        return (datetime.max if parsed.year > 1 else datetime.min).replace(tzinfo=timezone.utc)


def _alert(record: dict, event_at: datetime, sensor: str, text: str) -> Parsed | Problem:
    alert = record.get("alert")
    if not isinstance(alert, dict):
        return Problem("bad_alert", "alert event without an alert object")
    sid, gid, rev = _int(alert.get("signature_id")), _int(alert.get("gid"), 1), _int(alert.get("rev"), 0)
    if sid is None or gid is None or rev is None:
        return Problem("bad_alert", "alert.signature_id, gid and rev must be whole numbers")
    src, problem = _address(record.get("src_ip"), "alert: src_ip")
    if problem:
        return problem
    dest, problem = _address(record.get("dest_ip"), "alert: dest_ip")
    if problem:
        return problem
    for name in ("signature", "category"):
        if isinstance(alert.get(name), str) and bad_character(alert[name]):
            return Problem("bad_text", f"alert.{name}: {bad_character(alert[name])}")
    row = {
        "event_at": event_at, "sensor": sensor, "gid": gid, "sid": sid, "rev": rev,
        "signature": _text(alert.get("signature"), 512), "category": _text(alert.get("category"), 255),
        "severity": _int(alert.get("severity"), 3) or 3,
        "src_ip": src, "src_port": _port(record.get("src_port")),
        "dest_ip": dest, "dest_port": _port(record.get("dest_port")),
        "proto": _text(record.get("proto"), 16), "flow_id": _flow_id(record),
        "app_proto": _text(record.get("app_proto"), 32), "group_key": group_key(gid, sid, src, dest),
        "record": text, "action": "blocked" if alert.get("action") == "blocked" else "allowed",
    }
    return Parsed("alert", "alert", event_at, sensor, text, row)


def group_key(gid: int, sid: int, src_ip: str, dest_ip: str) -> str:
    return hashlib.blake2b(f"{gid}:{sid}|{src_ip}|{dest_ip}".encode(), digest_size=16).hexdigest()


def address_key(address: str) -> str:
    """Fixed-width hex of an address (8 digits IPv4, 32 IPv6), or the text itself if it is none."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:32]
    return f"{int(parsed):0{8 if parsed.version == 4 else 32}x}"


def _text(value, limit: int) -> str:
    """A text field as stored (the whole line stays in `record`); NUL-bearing text is left out."""
    return value[:limit] if isinstance(value, str) and not bad_character(value) else ""


def _int(value, default: int | None = None) -> int | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not -INT64 <= value < INT64:
        return None
    return value


def _port(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 65535 else None


def _flow_id(record: dict) -> int | None:
    value = record.get("flow_id")
    return value if isinstance(value, int) and not isinstance(value, bool) and -INT64 <= value < INT64 else None
