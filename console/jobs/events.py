"""From ansible-runner's event dicts to what a job stores: pure functions, no I/O.

We read the structured event (`event`, `event_data.host`, `event_data.res`,
`playbook_on_stats`), never Ansible's printed text, to decide outcomes and
counts; the printed `stdout` is only kept, redacted and bounded, for people to
read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from console.jobs.redact import Redactor, bounded

TASK_OUTCOMES = {
    "runner_on_ok": "ok",
    "runner_on_failed": "failed",
    "runner_on_unreachable": "unreachable",
    "runner_on_skipped": "skipped",
}
STATS_KEYS = {"ok": "ok", "changed": "changed", "failures": "failed", "dark": "unreachable", "skipped": "skipped"}
ERROR_CHARS = 2000


@dataclass
class EventRow:
    seq: int
    event_type: str
    host: str
    task: str
    outcome: str
    stdout: str
    created_at: datetime


@dataclass
class HostTally:
    """Counts for one host as task events arrive; replaced by the play recap when it comes."""

    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0
    last_error: str = ""


@dataclass
class RunTally:
    hosts: dict[str, HostTally] = field(default_factory=dict)
    stats_seen: bool = False
    error_text: str = ""

    def host(self, name: str) -> HostTally:
        return self.hosts.setdefault(name, HostTally())


def event_row(event: dict, redactor: Redactor, max_chars: int) -> EventRow:
    data = event.get("event_data") or {}
    return EventRow(
        seq=int(event.get("counter") or 0),
        event_type=str(event.get("event") or "unknown")[:64],
        host=str(data.get("host") or data.get("remote_addr") or "")[:255],
        task=redactor.text(str(data.get("task") or ""))[:1024],
        outcome=outcome_of(event),
        stdout=bounded(redactor.text(_plain(event.get("stdout"))), max_chars),
        created_at=_created(event.get("created")),
    )


def outcome_of(event: dict) -> str:
    kind = event.get("event")
    if kind not in TASK_OUTCOMES:
        return ""
    data = event.get("event_data") or {}
    res = data.get("res") if isinstance(data.get("res"), dict) else {}
    if kind == "runner_on_failed" and data.get("ignore_errors"):
        return "ignored"
    if kind == "runner_on_ok" and res.get("changed"):
        return "changed"
    return TASK_OUTCOMES[kind]


def tally(run: RunTally, event: dict, redactor: Redactor) -> None:
    """Fold one event into the per-host counts and the run's error text."""
    kind = event.get("event")
    data = event.get("event_data") or {}
    if kind == "playbook_on_stats":
        _apply_stats(run, data)
    elif kind in TASK_OUTCOMES and data.get("host"):
        host = run.host(str(data["host"]))
        outcome = outcome_of(event)
        if outcome == "changed":
            host.ok += 1
            host.changed += 1
        elif outcome in ("ok", "failed", "unreachable", "skipped"):
            setattr(host, outcome, getattr(host, outcome) + 1)
        if outcome in ("failed", "unreachable"):
            host.last_error = redactor.text(error_message(data))
    elif kind in ("verbose", "error"):
        _note_error(run, _plain(event.get("stdout")).strip(), redactor)


def error_message(data: dict) -> str:
    """The reason a task failed on a host: Ansible's msg, and the command's stderr if any."""
    res = data.get("res") if isinstance(data.get("res"), dict) else {}
    task = str(data.get("task") or "")
    parts = [str(res.get("msg") or "").strip()]
    for key in ("stderr", "module_stderr"):
        text = str(res.get(key) or "").strip()
        if text and text not in parts[0]:
            parts.append(text[-600:])
    reason = ": ".join(p for p in parts if p) or "failed without a message"
    return bounded(f"{task}: {reason}" if task else reason, ERROR_CHARS)


def _apply_stats(run: RunTally, data: dict) -> None:
    run.stats_seen = True
    names = set()
    for key in STATS_KEYS:
        if isinstance(data.get(key), dict):
            names |= set(data[key])
    for name in names:
        host = run.host(str(name))
        for key, attr in STATS_KEYS.items():
            counts = data.get(key) if isinstance(data.get(key), dict) else {}
            setattr(host, attr, int(counts.get(name, 0)))


def _note_error(run: RunTally, text: str, redactor: Redactor) -> None:
    """Ansible's error line, and the 'Origin: file:line:column' line that follows it."""
    if text.startswith(("ERROR!", "[ERROR]")):
        run.error_text = bounded(redactor.text(text), ERROR_CHARS)
    elif text.startswith("Origin:") and run.error_text and "\n" not in run.error_text:
        run.error_text = bounded(redactor.text(f"{run.error_text}\n{text}"), ERROR_CHARS)


def _plain(stdout) -> str:
    return str(stdout or "").replace("\r\n", "\n").replace("\r", "\n")


def _created(value) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return datetime.now(timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def host_status(host: HostTally, finished_as: str) -> str:
    """The one word the host table shows once the job has ended."""
    if host.unreachable:
        return "unreachable"
    if host.failed:
        return "failed"
    if finished_as == "cancelled":
        return "cancelled"
    if host.changed:
        return "changed"
    if host.ok or host.skipped:
        return "ok"
    return "not_run"
