"""The monthly availability report: per service, uptime against its SLA target and every outage, maintenance left out.

The month is the console's (Asia/Ho_Chi_Minh by default): 1 December 00:00
local to 1 January 00:00 local. For each service:

- maintenance: the service's windows in the month, merged;
- outages: the stored ones (console/models/availability.py) overlapping the
  month, clipped to it; one still open ends at the report's moment;
- measured = the month (up to now for the current month) minus maintenance;
  down = the outages' time outside maintenance; uptime % = 100 x
  (measured - down) / measured, to two decimals.

Each outage has its start, end, duration in minutes (maintenance left out)
and its cause: the service itself, the service or uplink it depends on. Time
to recover is an ended outage's start to end (maintenance included: it is how
long people waited); each service has the mean of its month's.

The month against the months before: each service's uptime in each of the
HISTORY_MONTHS months before, worked out the same way, and the change from
the month before. A month that ended before the service's first stored check
is "no data", never 100 %.

HTML (Vietnamese or English, rendered with the console's catalogue, no Flask
app needed), PDF (that HTML through WeasyPrint, fonts from Debian's
fonts-noto-core and fonts-dejavu-core) and CSV; files are written under a
temporary name and renamed.

Filed like the compliance reports: `file_month` writes every format and
language of a month into `<[compliance] report_dir>/availability/` (backed up
with them); the scheduler files the month that ended on the 1st (the task
kind availability.report, once across the nodes), `ops availability report
--file` and the Reports page's "File now" do it on demand.
"""

from __future__ import annotations

import csv
import os
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from console.availability import maintenance
from console.common.i18n import translations
from console.errors import ValidationFailed
from console.models.availability import AvailabilityHourly, AvailabilityOutage, AvailabilityResult
from console.models.base import utcnow

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
FORMATS = ("html", "pdf", "csv")
LOCALES = ("vi", "en")
HISTORY_MONTHS = 5
FOLDER = "availability"
FILED = re.compile(r"availability-(?P<month>\d{4}-\d{2})(?:\.(?P<locale>vi|en))?\.(?P<fmt>html|pdf|csv)")
CSV_COLUMNS = ("service", "label", "unit", "system", "sla_target_percent", "uptime_percent", "met",
               "measured_minutes", "down_minutes", "maintenance_minutes", "outage_start", "outage_end",
               "outage_minutes", "cause")


def parse_month(text: str) -> date:
    """"2026-12" -> 2026-12-01; ValidationFailed naming the field otherwise (years 2000 to 2999)."""
    try:
        year, month = (int(part) for part in text.split("-"))
        found = date(year, month, 1)
    except (ValueError, TypeError):
        raise ValidationFailed("month", f"not a month: {text!r} (use YYYY-MM, e.g. 2026-12)") from None
    if not 2000 <= found.year <= 2999:
        raise ValidationFailed("month", f"not a month the console keeps: {text!r} (years 2000 to 2999)")
    return found


def month_bounds(month: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    following = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    start = datetime.combine(month, datetime.min.time(), zone).astimezone(timezone.utc)
    return start, datetime.combine(following, datetime.min.time(), zone).astimezone(timezone.utc)


def _minutes(span: timedelta) -> float:
    return round(span.total_seconds() / 60, 1)


def _outside(start: datetime, end: datetime, windows: list[tuple]) -> timedelta:
    """The part of [start, end) outside the (sorted, merged) windows."""
    total = end - start
    for opens, closes in windows:
        overlap = min(end, closes) - max(start, opens)
        if overlap > timedelta(0):
            total -= overlap
    return total


def previous_month(month: date, back: int = 1) -> date:
    index = month.year * 12 + month.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _outages(session: Session, start: datetime, end: datetime) -> list[AvailabilityOutage]:
    return session.scalars(select(AvailabilityOutage).where(
        AvailabilityOutage.started_at < end,
        or_(AvailabilityOutage.ended_at.is_(None), AvailabilityOutage.ended_at > start))
        .order_by(AvailabilityOutage.started_at)).all()


def _figures(settings, service, outages, start: datetime, end: datetime) -> dict:
    """One service's month: measured, down and maintenance time, uptime %, met, its outages clipped to the month."""
    windows = maintenance.windows_between(settings, service.name, start, end)
    maintained = sum((closes - opens for opens, closes in windows), timedelta(0))
    measured = (end - start) - maintained
    listed, down, recovered = [], timedelta(0), []
    for outage in outages:
        if outage.service != service.name:
            continue
        clipped_start, clipped_end = max(outage.started_at, start), min(outage.ended_at or end, end)
        counted = _outside(clipped_start, clipped_end, windows)
        down += counted
        if outage.ended_at is not None and outage.ended_at <= end:
            recovered.append(outage.ended_at - outage.started_at)
        listed.append({"start": clipped_start, "end": clipped_end, "ongoing": outage.ended_at is None,
                       "minutes": _minutes(counted), "cause": outage.cause, "detail": outage.detail})
    uptime = round(100 * (measured - down) / measured, 2) if measured > timedelta(0) else None
    return {"uptime_percent": uptime, "met": uptime is None or uptime >= service.sla_target_percent,
            "measured_minutes": _minutes(measured), "down_minutes": _minutes(down),
            "maintenance_minutes": _minutes(maintained),
            "mean_recover_minutes": _minutes(sum(recovered, timedelta(0)) / len(recovered)) if recovered else None,
            "maintenance": [{"start": opens, "end": closes} for opens, closes in windows], "outages": listed}


def standing(session: Session, settings, now: datetime | None = None) -> dict[str, dict]:
    """Each service's month so far against its SLA target, for the compliance control on it.

    The target holds over the whole month while the downtime so far stays within the month's budget: the
    month's measured time (maintenance left out, windows still to come included) times (100 - target) %.
    Judging the month-to-date uptime instead would fail a service for one short outage on the 1st.
    {name: {uptime_percent, sla_target_percent, down_minutes, downtime_budget_minutes, met}}.
    """
    zone = ZoneInfo(settings.console.timezone)
    now = now or utcnow()
    local = now.astimezone(zone)
    start, end = month_bounds(date(local.year, local.month, 1), zone)
    outages = _outages(session, start, min(end, now))
    found = {}
    for service in settings.availability.services:
        so_far = _figures(settings, service, outages, start, min(end, now))
        windows = maintenance.windows_between(settings, service.name, start, end)
        month = (end - start) - sum((closes - opens for opens, closes in windows), timedelta(0))
        budget = _minutes(month) * (100 - service.sla_target_percent) / 100
        found[service.name] = {"uptime_percent": so_far["uptime_percent"],
                               "sla_target_percent": service.sla_target_percent,
                               "down_minutes": so_far["down_minutes"], "downtime_budget_minutes": round(budget, 1),
                               "met": so_far["down_minutes"] <= budget}
    return found


def first_checked(session: Session) -> dict[str, datetime]:
    """Each service's first stored check (its hourly figures outlive the raw results)."""
    found: dict[str, datetime] = {}
    for model, column in ((AvailabilityHourly, AvailabilityHourly.hour),
                          (AvailabilityResult, AvailabilityResult.checked_at)):
        for name, first in session.execute(select(model.service, func.min(column)).group_by(model.service)):
            if first is not None and (name not in found or first < found[name]):
                found[name] = first
    return found


def monthly(session: Session, settings, month: date, now: datetime | None = None,
            history: int = HISTORY_MONTHS) -> dict:
    """The month's figures: {month, timezone, start, end, months_before, services: [...]}, services in ops.toml's
    order, each with `history` (the `history` months before, oldest first) and `change` from the month before."""
    zone = ZoneInfo(settings.console.timezone)
    start, end = month_bounds(month, zone)
    now = now or utcnow()
    end = min(end, max(now, start))
    outages = _outages(session, start, end)
    services = []
    for service in settings.availability.services:
        services.append({"name": service.name, "label": service.title, "unit": service.unit, "system": service.system,
                         "sla_target_percent": service.sla_target_percent,
                         **_figures(settings, service, outages, start, end), "history": []})
    first = first_checked(session) if history else {}
    earlier = [previous_month(month, back) for back in range(history, 0, -1)]
    for before in earlier:
        opens, closes = month_bounds(before, zone)
        found = _outages(session, opens, closes)
        for service, item in zip(settings.availability.services, services):
            since = first.get(service.name)
            if since is None or since >= closes:
                item["history"].append({"month": f"{before:%Y-%m}", "uptime_percent": None, "met": None})
                continue
            figures = _figures(settings, service, found, opens, closes)
            item["history"].append({"month": f"{before:%Y-%m}", "uptime_percent": figures["uptime_percent"],
                                    "met": figures["met"]})
    for item in services:
        last = item["history"][-1]["uptime_percent"] if item["history"] else None
        item["change"] = (None if last is None or item["uptime_percent"] is None
                          else round(item["uptime_percent"] - last, 2))
    return {"month": f"{month:%Y-%m}", "timezone": settings.console.timezone, "start": start, "end": end,
            "months_before": [f"{before:%Y-%m}" for before in earlier], "services": services}


def write_csv(report: dict, out: TextIO) -> None:
    """One row per outage (the service's figures repeated), one row for a service without outages."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for item in report["services"]:
        head = [_cell(item["name"]), _cell(item["label"]), item["unit"], item["system"], item["sla_target_percent"],
                "" if item["uptime_percent"] is None else f"{item['uptime_percent']:.2f}", item["met"],
                item["measured_minutes"], item["down_minutes"], item["maintenance_minutes"]]
        if not item["outages"]:
            writer.writerow(head + ["", "", "", ""])
        for outage in item["outages"]:
            writer.writerow(head + [outage["start"].isoformat(), outage["end"].isoformat(), outage["minutes"],
                                    outage["cause"]])


def _cell(text: str) -> str:
    """Spreadsheet formula injection: a cell starting with = + - @ is shown as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def html(report: dict, locale: str) -> str:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(translations(locale),
                                     newstyle=True)
    zone = ZoneInfo(report["timezone"])
    env.filters["local"] = lambda moment: f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"
    return env.get_template("availability/report.html").render(report=report, locale=locale)


def pdf(report: dict, locale: str) -> bytes:
    """The HTML report as an A4 PDF (WeasyPrint, imported here: only PDF pays for it)."""
    from weasyprint import HTML

    return HTML(string=html(report, locale), base_url=str(TEMPLATES)).write_pdf()


def write(report: dict, fmt: str, path: Path, locale: str = "vi") -> Path:
    """The report in `fmt` (html, pdf, csv) at `path`, whole or not at all."""
    if fmt not in FORMATS:
        raise ValidationFailed("format", f"use one of {', '.join(FORMATS)}")
    if locale not in LOCALES:
        raise ValidationFailed("language", f"use one of {', '.join(LOCALES)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if fmt == "pdf":
            tmp.write_bytes(pdf(report, locale))
        else:
            with open(tmp, "w", encoding="utf-8", newline="") as handle:
                if fmt == "csv":
                    write_csv(report, handle)
                else:
                    handle.write(html(report, locale))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def filename(month: str, fmt: str, locale: str = "en") -> str:
    return f"availability-{month}.csv" if fmt == "csv" else f"availability-{month}.{locale}.{fmt}"


def folder_of(settings) -> Path:
    return Path(settings.compliance.report_dir) / FOLDER


def file_month(session: Session, settings, month: date, now: datetime | None = None) -> list[Path]:
    """Every format and language of `month` in the filing folder (each file whole or not at all); the paths."""
    return file_figures(monthly(session, settings, month, now), settings)


def file_figures(figures: dict, settings) -> list[Path]:
    """The month's figures (`monthly`) filed in every format and language; the paths."""
    folder = folder_of(settings)
    written = []
    for fmt in FORMATS:
        for locale in (LOCALES if fmt != "csv" else ("en",)):
            written.append(write(figures, fmt, folder / filename(figures["month"], fmt, locale), locale))
    return written


def filed(settings) -> list[dict]:
    """The filed months, newest first: [{month, files: [{name, format, language, bytes}]}]."""
    folder = folder_of(settings)
    months: dict[str, list[dict]] = {}
    if folder.is_dir():
        for path in folder.iterdir():
            match = FILED.fullmatch(path.name)
            if match and path.is_file():
                months.setdefault(match["month"], []).append({
                    "name": path.name, "format": match["fmt"], "language": match["locale"] or "",
                    "bytes": path.stat().st_size})
    order = {fmt: index for index, fmt in enumerate(FORMATS)}
    return [{"month": month, "files": sorted(files, key=lambda f: (order[f["format"]], f["language"] != "vi"))}
            for month, files in sorted(months.items(), reverse=True)]


def filed_path(settings, name: str) -> Path | None:
    """The filed report called `name`, or None: only names the filing writes, only inside the folder."""
    if not FILED.fullmatch(name):
        return None
    path = folder_of(settings) / name
    return path if path.is_file() else None
