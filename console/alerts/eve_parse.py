"""One EVE line to one row, or to the name of what is wrong with it. Pure: no I/O.

`parse_line` never raises on hostile input: it returns a `Parsed` whose
`kind` says where the record goes (alert, context, counted) or a `Problem`
naming the fault (bad_json, not_object, no_event_type, invalid_utf8,
bad_timestamp, bad_alert). Unknown event types are context events, kept
whole; unknown fields stay in the kept record.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timezone

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


def parse_line(line: bytes, default_sensor: str) -> Parsed | Problem:
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
    event_at = parse_timestamp(record.get("timestamp"))
    if event_at is None:
        return Problem("bad_timestamp", f"{event_type}: timestamp missing or not ISO 8601")
    sensor = _text(record.get("host"), 255) or default_sensor
    text = line.decode("utf-8")
    if event_type == "alert":
        return _alert(record, event_at, sensor, text)
    if event_type in COUNTED_TYPES:
        return Parsed("counted", event_type, event_at, sensor, text, {})
    row = {"event_at": event_at, "sensor": sensor, "event_type": event_type, "flow_id": _flow_id(record),
           "src_ip": _text(record.get("src_ip"), 45), "dest_ip": _text(record.get("dest_ip"), 45), "record": text}
    return Parsed("context", event_type, event_at, sensor, text, row)


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
    return parsed.astimezone(timezone.utc)


def _alert(record: dict, event_at: datetime, sensor: str, text: str) -> Parsed | Problem:
    alert = record.get("alert")
    if not isinstance(alert, dict):
        return Problem("bad_alert", "alert event without an alert object")
    sid, gid, rev = _int(alert.get("signature_id")), _int(alert.get("gid"), 1), _int(alert.get("rev"), 0)
    if sid is None or gid is None or rev is None:
        return Problem("bad_alert", "alert.signature_id, gid and rev must be whole numbers")
    src, dest = _text(record.get("src_ip"), 45), _text(record.get("dest_ip"), 45)
    row = {
        "event_at": event_at, "sensor": sensor, "gid": gid, "sid": sid, "rev": rev,
        "signature": _text(alert.get("signature"), 512), "category": _text(alert.get("category"), 255),
        "severity": _int(alert.get("severity"), 3) or 3,
        "src_ip": src, "src_port": _port(record.get("src_port")),
        "dest_ip": dest, "dest_port": _port(record.get("dest_port")),
        "proto": _text(record.get("proto"), 16), "flow_id": _flow_id(record),
        "app_proto": _text(record.get("app_proto"), 32), "group_key": group_key(gid, sid, src, dest),
        "record": text,
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
    return value[:limit] if isinstance(value, str) else ""


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
