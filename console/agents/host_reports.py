"""Agent reports: ingest (validated, stored once), host status and history, retention.

A report body is hostile until proven otherwise: its size and nesting are
bounded before it is parsed, it is validated against the one schema in
probes/report.py, and it must be about the host whose agent signed it.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import ValidationError
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from console.common.i18n import _l
from console.models.agents import Agent, HostReport
from console.common.limits import json_nesting
from console.common.text import find_bad_text
from console.common.time import DEFAULT_WINDOW, TimeBounds, TimeWindow
from console.models.base import utcnow
from console.access import audit
from console.access.actor import Actor
from console.agents import hardening
from console.agents.enrolment import ReportRejected
from console.vulns import inventory as vuln_inventory
from console.access.permissions import require

from probes.report import Report

__all__ = ["conditions", "HostHealth", "latest_payloads"]

if TYPE_CHECKING:  # annotations only
    from console.models.inventory import Host

MAX_REPORT_BYTES = 1024 * 1024
MAX_DEPTH = 32
FUTURE_SLACK = timedelta(minutes=5)
STALE_AFTER_INTERVALS = 3
DISK_WARNING_PERCENT = 85.0


class HostHealth(str, enum.Enum):
    ok = "ok"
    warning = "warning"
    stale = "stale"
    never_seen = "never_seen"


@dataclass(frozen=True)
class HostWarning:
    """Why a host warns: a stable code, an English message id with %(name)s fields, and their values.

    The pages show `message % params` translated into the user's language (the `host_warning` filter);
    the API gives `code` and `text`, the English sentence.
    """

    code: str
    message: str
    params: tuple[tuple[str, object], ...] = ()

    @property
    def text(self) -> str:
        return self.message % dict(self.params) if self.params else self.message

    def __str__(self) -> str:
        return self.text


def _warning(code: str, message: str, **params) -> HostWarning:
    return HostWarning(code, message, tuple(sorted(params.items())))


@dataclass
class HostCondition:
    status: HostHealth
    last_seen_at: object = None
    reasons: tuple[HostWarning, ...] = ()


def ingest(session: Session, agent: Agent, body: bytes, window: TimeWindow = DEFAULT_WINDOW) -> tuple[bool, str]:
    """Store one report; returns (stored, report_id). A report id seen before is not stored again.

    Every time in it must lie in `window` (console.common.time), collected_at at most FUTURE_SLACK ahead.
    """
    report = parse_report(body, window)
    if report.host != agent.host.name:
        raise ReportRejected(403, "wrong_host", f"this agent reports for {agent.host.name!r}, not {report.host!r}", "host")
    if report.collected_at > utcnow() + FUTURE_SLACK:
        raise ReportRejected(422, "future", "collected_at is in the future; check the host's clock", "collected_at")
    now = utcnow()
    # One INSERT that skips a report id already stored (also when two workers race),
    # then one UPDATE: the hot path of every agent's every minute stays two statements.
    # The statements are built once and take parameters, so SQLAlchemy's compiled cache serves them.
    insert = _INSERTS[session.get_bind().dialect.name == "postgresql"]
    stored = session.execute(insert, _row_values(agent, report, now)).scalar_one_or_none() is not None
    session.execute(_TOUCH_AGENT, {"agent_id": agent.id, "seen": now, "interval": report.interval_seconds})
    if stored and (report.lynis is not None or report.updates is not None):
        hardening.store(session, agent.host_id, report)
    if stored and report.packages is not None:
        vuln_inventory.store(session, agent.host_id, str(report.report_id), report.packages, now)
    return stored, str(report.report_id)


_INSERTS = {
    is_postgresql: make(HostReport).on_conflict_do_nothing(index_elements=["report_id"]).returning(HostReport.id)
    for is_postgresql, make in ((True, postgresql_insert), (False, sqlite_insert))
}
_TOUCH_AGENT = (update(Agent).where(Agent.id == bindparam("agent_id"))
                .values(last_seen_at=bindparam("seen"), interval_seconds=bindparam("interval")))


def parse_report(body: bytes, window: TimeWindow = DEFAULT_WINDOW) -> Report:
    """The validated report, or a ReportRejected naming the field: size, nesting, JSON, text that cannot be
    stored (NUL, lone surrogates), the schema, a time outside `window`."""
    if len(body) > MAX_REPORT_BYTES:
        raise ReportRejected(413, "too_large", f"a report may be at most {MAX_REPORT_BYTES} bytes")
    if json_nesting(body) > MAX_DEPTH:
        raise ReportRejected(422, "too_deep", f"JSON nested deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ReportRejected(400, "not_json", f"body is not JSON: {str(exc)[:120]}", "body") from None
    if not isinstance(data, dict):
        raise ReportRejected(422, "not_object", "a report is a JSON object", "body")
    bad = find_bad_text(data)
    if bad:
        raise ReportRejected(422, "bad_text", f"{bad[0]}: {bad[1]}", bad[0])
    try:
        report = Report.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        raise ReportRejected(422, "schema", f"{field}: {first['msg']}", field) from None
    _check_times(report.model_dump(), window.bounds())
    return report


def _check_times(data, bounds: TimeBounds, path: str = "") -> None:
    """Every datetime in the report inside the window, else a ReportRejected naming the first one outside."""
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        where = f"{path}.{key}" if path and isinstance(key, str) else f"{path}[{key}]" if path else str(key)
        if isinstance(value, datetime):
            if not bounds.holds(value):
                raise ReportRejected(422, "time_out_of_window", f"{where}: {bounds.refusal()}", where)
        else:
            _check_times(value, bounds, where)


def _row_values(agent: Agent, report: Report, received_at) -> dict:
    health = report.health
    disks = [disk.percent for disk in health.disks] if health else []
    return {
        "report_id": str(report.report_id), "host_id": agent.host_id, "agent_id": agent.id,
        "collected_at": report.collected_at, "received_at": received_at,
        "cpu_percent": health.cpu_percent if health else None,
        "memory_percent": health.memory_used_percent if health else None,
        "disk_max_percent": max(disks) if disks else None,
        "error_count": len(report.errors), "payload": _payload(report),
    }


def _payload(report: Report) -> dict:
    """The report as stored; a full package list is kept once, in host_packages (console/vulns), not here."""
    payload = report.model_dump(mode="json")
    if isinstance(payload.get("packages"), dict):
        payload["packages"].pop("packages", None)
    return payload


def latest_payloads(session: Session, host_ids: list[int]) -> dict[int, tuple]:
    """{host_id: (collected_at, payload)} of each host's newest report, in one query (hosts without one are absent)."""
    newest = (select(HostReport.host_id, func.max(HostReport.collected_at).label("at"))
              .where(HostReport.host_id.in_(host_ids)).group_by(HostReport.host_id).subquery())
    query = (select(HostReport.host_id, HostReport.collected_at, HostReport.payload)
             .join(newest, (HostReport.host_id == newest.c.host_id) & (HostReport.collected_at == newest.c.at)))
    return {host_id: (collected_at, payload) for host_id, collected_at, payload in session.execute(query)}


def latest_report(session: Session, host_id: int) -> HostReport | None:
    query = select(HostReport).where(HostReport.host_id == host_id).order_by(HostReport.collected_at.desc()).limit(1)
    return session.scalar(query)


def condition(session: Session, host: Host) -> HostCondition:
    """ok, warning (with reasons), stale (3 intervals without a report) or never seen."""
    return conditions(session, [host])[host.id]


def conditions(session: Session, hosts: list[Host]) -> dict[int, HostCondition]:
    """The condition of many hosts in two queries (the hosts page lists them all)."""
    ids = [host.id for host in hosts]
    live = (select(Agent).where(Agent.host_id.in_(ids), Agent.revoked_at.is_(None))
            .order_by(Agent.host_id, Agent.enrolled_at))
    agents = {agent.host_id: agent for agent in session.scalars(live)}  # the newest wins
    newest = (select(HostReport.host_id, func.max(HostReport.collected_at).label("at"))
              .where(HostReport.host_id.in_(ids)).group_by(HostReport.host_id).subquery())
    latest = select(HostReport).join(newest, (HostReport.host_id == newest.c.host_id)
                                     & (HostReport.collected_at == newest.c.at))
    reports = {row.host_id: row for row in session.scalars(latest)}
    return {host_id: _condition(agents.get(host_id), reports.get(host_id)) for host_id in ids}


def _condition(agent: Agent | None, report: HostReport | None) -> HostCondition:
    if agent is None or report is None:
        return HostCondition(HostHealth.never_seen)
    seen = agent.last_seen_at or report.received_at
    if utcnow() - seen > timedelta(seconds=agent.interval_seconds * STALE_AFTER_INTERVALS):
        return HostCondition(HostHealth.stale, seen, (_warning("stale", _l("no report for %(count)s intervals"),
                                                                count=STALE_AFTER_INTERVALS),))
    reasons = _warnings(report)
    return HostCondition(HostHealth.warning if reasons else HostHealth.ok, seen, tuple(reasons))


def _warnings(report: HostReport) -> list[HostWarning]:
    reasons = [_warning("collector_failed", _l("collector %(name)s failed"), name=str(e.get("collector")))
               for e in report.payload.get("errors", [])]
    if report.disk_max_percent is not None and report.disk_max_percent >= DISK_WARNING_PERCENT:
        reasons.append(_warning("disk_full", _l("a disk is %(percent)s%% full"),
                                percent=f"{report.disk_max_percent:.0f}"))
    for service in (report.payload.get("health") or {}).get("services", []):
        if not service.get("running"):
            reasons.append(_warning("service_not_running", _l("service %(name)s is not running"),
                                    name=str(service.get("name"))))
    return reasons + _ups_warnings(report.payload) + _antivirus_warnings(report.payload)


def _ups_warnings(payload: dict) -> list[HostWarning]:
    reasons = []
    for ups in payload.get("ups") or []:
        flags, name = set(ups.get("status_flags") or []), str(ups.get("name"))
        if not ups.get("reachable"):
            reasons.append(_warning("ups_unreadable", _l("UPS %(name)s cannot be read"), name=name))
        elif "LB" in flags:
            reasons.append(_warning("ups_low_battery", _l("UPS %(name)s is on battery and the battery is low"),
                                    name=name))
        elif "OB" in flags:
            reasons.append(_warning("ups_on_battery", _l("UPS %(name)s is on battery"), name=name))
    return reasons


def _antivirus_warnings(payload: dict) -> list[HostWarning]:
    reasons = []
    for product in payload.get("antivirus") or []:
        name = str(product.get("provider"))
        if product.get("error"):
            reasons.append(_warning("antivirus_unreadable", _l("antivirus %(name)s could not be read"), name=name))
        elif not product.get("installed"):
            reasons.append(_warning("antivirus_not_installed", _l("antivirus %(name)s is not installed"), name=name))
        elif product.get("running") is False:
            reasons.append(_warning("antivirus_not_running", _l("antivirus %(name)s is not running"), name=name))
    return reasons


def warning_as_dict(warning: HostWarning) -> dict:
    """A warning for the API: its stable code, the English sentence and the values in it."""
    return {"code": warning.code, "text": warning.text, "params": dict(warning.params)}


def history(session: Session, host_id: int, hours: int = 24, limit: int = 2000) -> list[HostReport]:
    since = utcnow() - timedelta(hours=hours)
    query = (select(HostReport).where(HostReport.host_id == host_id, HostReport.collected_at >= since)
             .order_by(HostReport.collected_at.desc()).limit(limit))
    return list(reversed(list(session.scalars(query))))


def purge(session: Session, actor: Actor, older_than_days: int) -> int:
    """Delete reports collected before the retention window; audit-logged with the count."""
    require(actor, "agents.manage")
    cutoff = utcnow() - timedelta(days=older_than_days)
    count = session.scalar(select(func.count(HostReport.id)).where(HostReport.collected_at < cutoff)) or 0
    session.execute(delete(HostReport).where(HostReport.collected_at < cutoff))
    audit.record(session, actor, "reports.purge", "host_reports", "", removed=count,
                 older_than_days=older_than_days)
    return count


# Per process: the warning verdict of each host's newest report,
# {(database, host_id): (row id, collected_at, warns)}. A stored report never changes, so a verdict is
# worked out once per report, not once per request; bounded by the number of hosts (a newer report
# replaces its host's entry).
_VERDICTS: dict[tuple[str, int], tuple[int, object, bool]] = {}
_IN_CHUNK = 5000  # bounded IN lists (SQLite's variable limit)


def health_counts(session: Session, host_ids: list[int]) -> dict[str, int]:
    """How many of these hosts are ok, warning, stale or never seen (the overview), by the rules of `conditions`.

    Column queries: the live agents (stale judged in SQL) and which report is each host's newest
    (read from the (host_id, collected_at) index alone). Only a report this process has not judged
    yet is read: its disk and error columns and the payload parts the warnings read (services,
    UPS, antivirus), so the page's 30 s refresh does not re-read 10,000 payloads.
    """
    from sqlalchemy import String, case, cast, false, or_, type_coerce

    counts = {health.value: 0 for health in HostHealth}
    now = utcnow()
    # Stale is judged in SQL, one bound cut-off per distinct interval (a handful), so no datetime is read back.
    intervals = list(session.scalars(select(Agent.interval_seconds).distinct()))

    def stale(column):
        return or_(false(), *[(Agent.interval_seconds == i) & (column < now - timedelta(seconds=i * STALE_AFTER_INTERVALS))
                              for i in intervals])
    # Every live agent and every host's newest report, filtered here: cheaper than 10,000 bound ids.
    live = (select(Agent.host_id, Agent.last_seen_at.is_(None), case((stale(Agent.last_seen_at), 1), else_=0))
            .where(Agent.revoked_at.is_(None)).order_by(Agent.host_id, Agent.enrolled_at))
    connection = session.connection()
    agents = {host_id: (unseen, bool(late)) for host_id, unseen, late in connection.execute(live)}  # the newest wins
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import distinct_on

        newest = (select(HostReport.host_id, cast(HostReport.collected_at, String), HostReport.id)  # text: not parsed
                  .ext(distinct_on(HostReport.host_id)).order_by(HostReport.host_id, HostReport.collected_at.desc()))
    else:  # SQLite gives the bare id of the row holding max(): a scan of the index alone
        newest = select(HostReport.host_id, type_coerce(func.max(HostReport.collected_at), String),
                        HostReport.id).group_by(HostReport.host_id)
    reports = {host_id: (at, row_id) for host_id, at, row_id in connection.execute(newest)}
    database = str(connection.engine.url)
    to_judge: dict[int, tuple[int, object]] = {}
    for host_id in host_ids:
        agent, report = agents.get(host_id), reports.get(host_id)
        if agent is None or report is None:
            counts[HostHealth.never_seen.value] += 1
            continue
        (unseen, late), (at, row_id) = agent, report
        if unseen:  # an agent that never touched in: as `conditions`, judged by when its report arrived
            received = session.scalar(select(HostReport.received_at).where(HostReport.id == row_id))
            late = utcnow() - received > timedelta(seconds=_interval_of(session, host_id) * STALE_AFTER_INTERVALS)
        if late:
            counts[HostHealth.stale.value] += 1
            continue
        known = _VERDICTS.get((database, host_id))
        if known is not None and known[0] == row_id and known[1] == at:
            counts[(HostHealth.warning if known[2] else HostHealth.ok).value] += 1
        else:
            to_judge[row_id] = (host_id, at)
    judged = _judge_reports(session, list(to_judge))
    for row_id, (host_id, at) in to_judge.items():
        warns = judged.get(row_id, False)
        _VERDICTS[(database, host_id)] = (row_id, at, warns)
        counts[(HostHealth.warning if warns else HostHealth.ok).value] += 1
    return counts


def _judge_reports(session: Session, row_ids: list[int]) -> dict[int, bool]:
    """{report row id: whether it warns} from only the columns and payload parts `_warnings` reads."""
    from types import SimpleNamespace

    found = {}
    for start in range(0, len(row_ids), _IN_CHUNK):
        query = (select(HostReport.id, HostReport.disk_max_percent, HostReport.payload["errors"],
                        HostReport.payload[("health", "services")], HostReport.payload["ups"],
                        HostReport.payload["antivirus"])
                 .where(HostReport.id.in_(row_ids[start:start + _IN_CHUNK])))
        for row_id, disk, errors, services, ups, antivirus in session.execute(query):
            light = SimpleNamespace(disk_max_percent=disk, payload={
                "errors": errors or [], "health": {"services": services or []}, "ups": ups, "antivirus": antivirus})
            found[row_id] = bool(_warnings(light))
    return found


def _interval_of(session: Session, host_id: int) -> int:
    query = (select(Agent.interval_seconds).where(Agent.host_id == host_id, Agent.revoked_at.is_(None))
             .order_by(Agent.enrolled_at.desc()).limit(1))
    return session.scalar(query) or 60
