"""What the pages, the API and the CLI show: written once here (STYLE: each list and filter once).

- `data_status`: the tracker data in use, its date and whether it is older than `[vulns] max_age_days`;
- `host_findings`: one host's CVEs, with description and the waiver in force;
- `estate`: CVEs by number of hosts affected, with filters (fix available, urgency, unit, information
  system, package);
- `cve_hosts`: the hosts one CVE affects;
- `record_day` and `trend`: the estate's figures kept per day, read back for the reports.
All read the precomputed host_vulns (inventory.py), so a page costs one or two indexed queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from console.errors import ValidationFailed
from console.models.base import utcnow
from console.models.inventory import Host, HostStatus, InventoryGroup, host_groups
from console.models.vulns import HostPackages, HostVuln, VulnCve, VulnDay, VulnImport
from console.vulns.matching import STATES
from console.vulns.waivers import active_waivers, waiver_as_dict
from console.common.i18n import _l

__all__ = ["control_evidence", "report_figures", "record_day", "trend", "data_status", "host_findings", "host_summary", "estate",
           "cve_hosts", "cve_detail", "totals", "Filters", "STATE_LABELS", "URGENCIES", "MAX_ROWS"]

URGENCIES = ("high", "medium", "low", "not yet assigned", "unimportant", "end-of-life")
URGENCY_RANK = {name: rank for rank, name in enumerate(URGENCIES)}
MAX_ROWS = 500
CVE_PATTERN = r"^(CVE-\d{4}-\d{4,}|TEMP-\d{7}-[0-9A-F]{6})$"


STATE_LABELS = {"fixable": _l("fix available"), "open": _l("open, no fix yet"),
                "no_dsa": _l("no DSA: minor, fixed in a point release or not at all"),
                "postponed": _l("postponed"), "ignored": _l("ignored by Debian"),
                "end_of_life": _l("end of life: no longer supported"), "undetermined": _l("undetermined")}


@dataclass
class DataStatus:
    imported: bool
    data_date: datetime | None = None
    imported_at: datetime | None = None
    origin: str = ""
    age_days: int | None = None
    max_age_days: int = 7
    changes: int = 0
    entries: int = 0

    @property
    def stale(self) -> bool:
        return not self.imported or (self.age_days is not None and self.age_days > self.max_age_days)

    def as_dict(self) -> dict:
        return {"imported": self.imported, "data_date": self.data_date.isoformat() if self.data_date else None,
                "imported_at": self.imported_at.isoformat() if self.imported_at else None, "origin": self.origin,
                "age_days": self.age_days, "max_age_days": self.max_age_days, "stale": self.stale,
                "entries": self.entries, "last_import_changes": self.changes}


def data_status(session: Session, max_age_days: int, now: datetime | None = None) -> DataStatus:
    row = session.scalar(select(VulnImport).order_by(VulnImport.id.desc()).limit(1))
    if row is None:
        return DataStatus(False, max_age_days=max_age_days)
    age = max(0, ((now or utcnow()) - row.data_date).days)
    return DataStatus(True, row.data_date, row.imported_at, row.origin, age, max_age_days, row.changes, row.entry_count)


@dataclass
class Filters:
    fixable: bool | None = None
    urgency: str = ""
    unit: str = ""
    system: str = ""
    package: str = ""
    state: str = ""

    @classmethod
    def parse(cls, args) -> "Filters":
        """From a query string or CLI options; ValidationFailed names the bad one."""
        fixable = args.get("fixable") or ""
        if fixable not in ("", "yes", "no"):
            raise ValidationFailed("fixable", "use yes or no")
        urgency = args.get("urgency") or ""
        if urgency and urgency not in URGENCIES:
            raise ValidationFailed("urgency", f"one of: {', '.join(URGENCIES)}")
        state = args.get("state") or ""
        if state and state not in STATES:
            raise ValidationFailed("state", f"one of: {', '.join(STATES)}")
        texts = {}
        for name in ("unit", "system", "package"):
            texts[name] = (args.get(name) or "").strip()
            if len(texts[name]) > 128:
                raise ValidationFailed(name, "at most 128 characters")
        return cls(None if not fixable else fixable == "yes", urgency, texts["unit"], texts["system"],
                   texts["package"], state)

    def as_args(self) -> dict:
        found = {"urgency": self.urgency, "unit": self.unit, "system": self.system, "package": self.package,
                 "state": self.state}
        if self.fixable is not None:
            found["fixable"] = "yes" if self.fixable else "no"
        return {key: value for key, value in found.items() if value}

    def apply(self, query):
        if self.fixable is True:
            query = query.where(HostVuln.state == "fixable")
        elif self.fixable is False:
            query = query.where(HostVuln.state != "fixable")
        if self.urgency:
            query = query.where(HostVuln.urgency.startswith(self.urgency))
        if self.package:
            query = query.where(HostVuln.source == self.package)
        if self.state:
            query = query.where(HostVuln.state == self.state)
        if self.unit:
            query = query.where(Host.unit == self.unit)
        if self.system:
            members = (select(host_groups.c.host_id).join(InventoryGroup, InventoryGroup.id == host_groups.c.group_id)
                       .where(InventoryGroup.name == self.system))
            query = query.where(HostVuln.host_id.in_(members))
        return query


@dataclass
class HostFinding:
    cve: str
    source: str
    installed: str
    state: str
    fixed_version: str
    urgency: str
    note: str
    description: str
    first_seen_at: datetime
    waiver: object = None

    def as_dict(self) -> dict:
        return {"cve": self.cve, "package": self.source, "installed": self.installed, "state": self.state,
                "fixed_version": self.fixed_version or None, "urgency": self.urgency, "note": self.note,
                "description": self.description, "first_seen_at": self.first_seen_at.isoformat(),
                "waiver": waiver_as_dict(self.waiver)}


@dataclass
class HostSummary:
    release: str = ""
    package_count: int = 0
    listed_at: datetime | None = None
    out_of_date: bool = False
    counts: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"release": self.release, "package_count": self.package_count,
                "listed_at": self.listed_at.isoformat() if self.listed_at else None,
                "list_out_of_date": self.out_of_date, "counts": self.counts}


def host_summary(session: Session, host_id: int) -> HostSummary | None:
    query = select(HostPackages.release, HostPackages.package_count, HostPackages.listed_at, HostPackages.digest,
                   HostPackages.reported_digest).where(HostPackages.host_id == host_id)  # not the list itself
    row = session.execute(query).first()
    if row is None:
        return None
    counts = dict(session.execute(select(HostVuln.state, func.count()).where(HostVuln.host_id == host_id)
                                  .group_by(HostVuln.state)).all())
    release, count, listed_at, digest, reported = row
    return HostSummary(release, count, listed_at, digest != reported, counts)


FINDING_COLUMNS = (HostVuln.cve, HostVuln.source, HostVuln.installed, HostVuln.state, HostVuln.fixed_version,
                   HostVuln.urgency, HostVuln.note)


def host_findings(session: Session, host_id: int, filters: Filters | None = None) -> list[HostFinding]:
    query = (select(*FINDING_COLUMNS, VulnCve.description, HostVuln.first_seen_at)
             .outerjoin(VulnCve, VulnCve.cve == HostVuln.cve).join(Host, Host.id == HostVuln.host_id)
             .where(HostVuln.host_id == host_id))
    query = (filters or Filters()).apply(query)
    waivers = active_waivers(session, [host_id])
    found = [HostFinding(*row[:7], row[7] or "", row[8], waivers.get((host_id, row[0])))
             for row in session.execute(query)]
    found.sort(key=_finding_order)
    return found


def _finding_order(finding) -> tuple:
    return (finding.waiver is not None, finding.state != "fixable", URGENCY_RANK.get(finding.urgency, 9),
            finding.cve)


@dataclass
class EstateCve:
    cve: str
    hosts: int
    fixable_hosts: int
    packages: str
    urgency: str
    states: str
    description: str

    def as_dict(self) -> dict:
        return {"cve": self.cve, "hosts": self.hosts, "fixable_hosts": self.fixable_hosts,
                "packages": self.packages.split(","), "urgency": self.urgency, "states": self.states.split(","),
                "description": self.description}


def estate(session: Session, filters: Filters | None = None, limit: int = MAX_ROWS) -> list[EstateCve]:
    """CVEs by number of active hosts affected (most first), with the filters applied."""
    fixable = func.count(func.distinct(case((HostVuln.state == "fixable", HostVuln.host_id))))
    query = (select(HostVuln.cve, func.count(func.distinct(HostVuln.host_id)).label("hosts"), fixable,
                    func.min(HostVuln.source), func.max(HostVuln.source), func.min(HostVuln.urgency),
                    func.min(HostVuln.state), func.max(HostVuln.state))
             .join(Host, Host.id == HostVuln.host_id).where(Host.status == HostStatus.active)
             .group_by(HostVuln.cve))
    query = (filters or Filters()).apply(query)
    query = query.order_by(func.count(func.distinct(HostVuln.host_id)).desc(), HostVuln.cve.desc()).limit(limit)
    rows = session.execute(query).all()
    descriptions = _descriptions(session, [row[0] for row in rows])
    return [EstateCve(cve, hosts, fixed or 0, ",".join(sorted({low, high})), urgency or "",
                      ",".join(sorted({state_low, state_high})), descriptions.get(cve, ""))
            for cve, hosts, fixed, low, high, urgency, state_low, state_high in rows]


def _descriptions(session: Session, cves: list[str]) -> dict[str, str]:
    found = {}
    for start in range(0, len(cves), 500):
        query = select(VulnCve.cve, VulnCve.description).where(VulnCve.cve.in_(cves[start:start + 500]))
        found.update(dict(session.execute(query).all()))
    return found


@dataclass
class CveHost:
    host: str
    unit: str
    finding: HostFinding

    def as_dict(self) -> dict:
        return {"host": self.host, "unit": self.unit, **self.finding.as_dict()}


def cve_detail(session: Session, cve: str) -> VulnCve | None:
    return session.get(VulnCve, cve)


def cve_hosts(session: Session, cve: str, filters: Filters | None = None) -> list[CveHost]:
    query = (select(HostVuln, Host.name, Host.unit).join(Host, Host.id == HostVuln.host_id)
             .where(HostVuln.cve == cve, Host.status == HostStatus.active).order_by(Host.name))
    query = (filters or Filters()).apply(query)
    rows = session.execute(query).all()
    waivers = active_waivers(session, [v.host_id for v, _name, _unit in rows])
    return [CveHost(name, unit, HostFinding(v.cve, v.source, v.installed, v.state, v.fixed_version, v.urgency, v.note,
                                            "", v.first_seen_at, waivers.get((v.host_id, v.cve))))
            for v, name, unit in rows]


def totals(session: Session) -> dict:
    """Figures for reports and the overview: findings on active hosts by state and urgency."""
    query = (select(HostVuln.state, HostVuln.urgency, func.count(), func.count(func.distinct(HostVuln.host_id)))
             .join(Host, Host.id == HostVuln.host_id).where(Host.status == HostStatus.active)
             .group_by(HostVuln.state, HostVuln.urgency))
    by_state: dict[str, int] = {}
    by_urgency: dict[str, int] = {}
    for state, urgency, count, _hosts in session.execute(query):
        by_state[state] = by_state.get(state, 0) + count
        by_urgency[urgency] = by_urgency.get(urgency, 0) + count
    return {"findings": sum(by_state.values()), "by_state": by_state, "by_urgency": by_urgency,
            "fixable": by_state.get("fixable", 0)}


def control_evidence(session: Session, host_ids: list[int], now: datetime | None = None) -> dict[int, dict]:
    """{host_id: the `vulns` section of a compliance snapshot}, for hosts with a package list.

    high_fixable_overdue: findings of high urgency with a fix available, first seen more than
    `[vulns] fix_overdue_days` ago and not waived; data_age_days and max_age_days: the tracker data's age
    and the setting (no data imported: data_age_days is None, the control is unknown).
    """
    from datetime import timedelta

    now = now or utcnow()
    settings = session.info.get("ops_settings")
    vulns = getattr(settings, "vulns", None)
    overdue_days = getattr(vulns, "fix_overdue_days", 30)
    status = data_status(session, getattr(vulns, "max_age_days", 7), now)
    listed = dict(session.execute(select(HostPackages.host_id, HostPackages.listed_at)
                                  .where(HostPackages.host_id.in_(host_ids))).all())
    cutoff = now - timedelta(days=overdue_days)
    overdue: dict[int, int] = {}
    query = (select(HostVuln.host_id, HostVuln.cve).where(HostVuln.host_id.in_(list(listed)),
                                                          HostVuln.state == "fixable",
                                                          HostVuln.urgency.startswith("high"),
                                                          HostVuln.first_seen_at < cutoff))
    waived = active_waivers(session, list(listed), now)
    for host_id, cve in session.execute(query):
        if (host_id, cve) not in waived:
            overdue[host_id] = overdue.get(host_id, 0) + 1
    return {host_id: {"listed_at": at.isoformat(), "high_fixable_overdue": overdue.get(host_id, 0),
                      "fix_overdue_days": overdue_days, "data_age_days": status.age_days,
                      "max_age_days": status.max_age_days} for host_id, at in listed.items()}


TREND_DAYS = 31


def _zone(session: Session) -> ZoneInfo:
    settings = session.info.get("ops_settings")
    return ZoneInfo(getattr(getattr(settings, "console", None), "timezone", None) or "UTC")


def _hosts_affected(session: Session) -> int:
    return session.scalar(select(func.count(func.distinct(HostVuln.host_id))).join(Host, Host.id == HostVuln.host_id)
                          .where(Host.status == HostStatus.active)) or 0


def record_day(session: Session, now: datetime | None = None) -> VulnDay | None:
    """Keep the estate's figures as they stand now as today's (the console's zone), replacing today's earlier ones.
    Nothing before the first import: no data is not zero findings."""
    now = now or utcnow()
    if session.scalar(select(VulnImport.id).limit(1)) is None:
        return None
    figures = totals(session)
    day = now.astimezone(_zone(session)).date()
    row = session.get(VulnDay, day)
    if row is None:
        row = VulnDay(day=day)
        session.add(row)
    row.findings, row.fixable = figures["findings"], figures["fixable"]
    row.high = sum(count for name, count in figures["by_urgency"].items() if name.startswith("high"))
    row.hosts_affected, row.recorded_at = _hosts_affected(session), now
    session.flush()
    return row


def trend(session: Session, year: int | None = None, today: date | None = None) -> list[dict]:
    """The recorded figures, oldest first: one point per month of `year` (the month's last day recorded), else
    each recorded day of the last TREND_DAYS days up to `today`."""
    if year is not None:
        rows = session.scalars(select(VulnDay).where(VulnDay.day >= date(year, 1, 1), VulnDay.day <= date(year, 12, 31))
                               .order_by(VulnDay.day)).all()
        last_of_month = {row.day.month: row for row in rows}
        points = [(f"{year}-{month:02d}", row) for month, row in sorted(last_of_month.items())]
    else:
        today = today or utcnow().astimezone(_zone(session)).date()
        rows = session.scalars(select(VulnDay).where(VulnDay.day > today - timedelta(days=TREND_DAYS),
                                                     VulnDay.day <= today).order_by(VulnDay.day)).all()
        points = [(row.day.isoformat(), row) for row in rows]
    return [{"label": label, "findings": row.findings, "fixable": row.fixable, "high": row.high,
             "hosts_affected": row.hosts_affected} for label, row in points]


def report_figures(session: Session, year: int | None = None) -> dict | None:
    """The vulnerability figures of the run report and the annual report, as of now, with their trend (each day
    of the last month, or each month of `year` for the annual report); None before any import."""
    settings = session.info.get("ops_settings")
    status = data_status(session, getattr(getattr(settings, "vulns", None), "max_age_days", 7))
    if not status.imported:
        return None
    figures = totals(session)
    hosts = _hosts_affected(session)
    listed = session.scalar(select(func.count(HostPackages.host_id)).join(Host, Host.id == HostPackages.host_id)
                            .where(Host.status == HostStatus.active)) or 0
    by_urgency = [(name, figures["by_urgency"].get(name, 0)) for name in URGENCIES]
    by_state = [(name, figures["by_state"].get(name, 0)) for name in STATES]
    return {"data_date": status.data_date.date().isoformat(), "age_days": status.age_days, "stale": status.stale,
            "findings": figures["findings"], "fixable": figures["fixable"], "hosts_affected": hosts,
            "hosts_listed": listed, "by_urgency": by_urgency, "by_state": by_state,
            "trend": trend(session, year), "trend_by": "month" if year is not None else "day"}
