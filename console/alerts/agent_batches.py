"""EVE lines shipped by agents on sensor hosts: signed like reports, stored once per file range.

A batch body is one header line, then the EVE lines as the agent read them:
  {"eve_batch": 1, "path": str, "file": {"device", "inode", "fingerprint", "fingerprint_bytes"},
   "start": int, "end": int, "first_line": int, "oversize": int}
The (agent, file identity) pair has a checkpoint like a followed file; a
batch ending at or before it is a duplicate (acknowledged, not stored), one
starting inside it overlaps (409), one starting after it means the agent
dropped lines from a full spool: stored, and the gap counted.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from console.agents.enrolment import ReportRejected
from console.alerts.store import Batch, Checkpoint, load_checkpoint, store_batch
from console.common.text import bad_character
from console.common.time import DEFAULT_WINDOW, TimeWindow

if TYPE_CHECKING:  # annotations only
    from console.models.agents import Agent


MAX_BATCH_BYTES = 8 * 1024 * 1024
MAX_HEADER_BYTES = 4096
SENSOR_ROLE = "role_ids_sensor"


def sensor_hosts(rules_sensors) -> set[str]:
    """Inventory host names the [rules] sensors name (an ansible sensor's `host`, else its name)."""
    return {sensor.host or sensor.name for sensor in rules_sensors}


def require_sensor(agent: Agent, rules_sensors) -> None:
    """Only a sensor ships alerts: its host is in the role_ids_sensor group, or one of [rules] sensors.

    Anything else (a file server whose agent was enrolled, a stolen agent key of one) is a 403.
    """
    host = agent.host
    if SENSOR_ROLE in (host.roles or []) or host.name in sensor_hosts(rules_sensors):
        return
    raise ReportRejected(403, "not_a_sensor", f"host {host.name!r} is no sensor (not in {SENSOR_ROLE} and not in "
                                              f"[rules] sensors): it may not send alerts", "host")


def ingest_agent_batch(session: Session, agent: Agent, body: bytes, max_line_bytes: int,
                       window: TimeWindow = DEFAULT_WINDOW) -> dict:
    """Store one batch; the caller commits. Returns {"stored", "events", "alerts", "problems"}.

    Lines stamped outside `window` are counted (time_out_of_window), not stored.
    """
    if len(body) > MAX_BATCH_BYTES:
        raise ReportRejected(413, "too_large", f"an EVE batch may be at most {MAX_BATCH_BYTES} bytes")
    head, _, rest = body.partition(b"\n")
    header = _header(head)
    identity = header["file"]
    source = f"agent:{agent.uid}:{identity['device']}:{identity['inode']}:{identity['fingerprint']}"
    before = load_checkpoint(session, source)
    if before.stored and header["end"] <= before.offset:
        return {"stored": False, "events": 0, "alerts": 0, "problems": {}}
    if before.stored and header["start"] < before.offset:
        raise ReportRejected(409, "overlap", f"bytes {header['start']}-{header['end']} overlap what is stored "
                                             f"(up to {before.offset})")
    host = agent.host.name
    batch = Batch(f"agent:{host}", host, window=window)
    where = f"{host}:{header['path']}"
    if header["start"] > (before.offset if before.stored else 0):
        batch.add_problem("agent_gap", f"{where}: bytes {before.offset}-{header['start']} never arrived "
                                       f"(the agent's spool was full)")
    lines = rest.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for number, line in enumerate(lines, start=header["first_line"]):
        if len(line) > max_line_bytes:
            batch.lines += 1
            batch.add_problem("oversize", f"{where}:{number}: line longer than {max_line_bytes} bytes")
        elif line.strip():
            batch.add_line(line, f"{where}:{number}")
    if header["oversize"]:
        batch.add_problem("oversize", f"{where}: {header['oversize']} lines skipped by the agent", header["oversize"])
    after = Checkpoint(source, header["path"], identity["device"], identity["inode"], identity["fingerprint"],
                       identity["fingerprint_bytes"], header["end"], header["first_line"] + len(lines))
    store_batch(session, batch, before, after)
    problems = {kind: count for kind, (count, _detail) in batch.problems.items()}
    return {"stored": True, "events": batch.events, "alerts": len(batch.alerts), "problems": problems}


def _header(raw: bytes) -> dict:
    if len(raw) > MAX_HEADER_BYTES:
        raise ReportRejected(422, "bad_header", "the batch header line is too long")
    try:
        header = json.loads(raw)
    except ValueError:
        raise ReportRejected(422, "bad_header", "the first line must be the JSON batch header") from None
    if not isinstance(header, dict) or header.get("eve_batch") != 1:
        raise ReportRejected(422, "bad_header", "the first line must be an eve_batch 1 header")
    identity = header.get("file")
    ints = [header.get(k) for k in ("start", "end", "first_line", "oversize")]
    if not isinstance(identity, dict) or not all(_whole(v) for v in ints) \
            or not all(_whole(identity.get(k)) for k in ("device", "inode", "fingerprint_bytes")) \
            or not isinstance(identity.get("fingerprint"), str) or len(identity["fingerprint"]) != 64 \
            or not isinstance(header.get("path"), str) or header["start"] > header["end"]:
        raise ReportRejected(422, "bad_header", "batch header: path, file identity, start <= end, first_line and "
                                                "oversize are required")
    if len(header["path"]) > 1024 or bad_character(header["path"]):
        raise ReportRejected(422, "bad_header", "batch header: path must be at most 1024 characters, without NUL",
                             "path")
    return header


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63
