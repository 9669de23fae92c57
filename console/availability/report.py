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
and its cause: the service itself, the service or uplink it depends on.
HTML (Vietnamese or English, rendered with the console's catalogue, no Flask
app needed) and CSV; files are written under a temporary name and renamed.
"""

from __future__ import annotations

import csv
import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from console.availability import maintenance
from console.common.i18n import translations
from console.errors import ValidationFailed
from console.models.availability import AvailabilityOutage
from console.models.base import utcnow

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
FORMATS = ("html", "csv")
CSV_COLUMNS = ("service", "label", "unit", "system", "sla_target_percent", "uptime_percent", "met",
               "measured_minutes", "down_minutes", "maintenance_minutes", "outage_start", "outage_end",
               "outage_minutes", "cause")


def parse_month(text: str) -> date:
    """"2026-12" -> 2026-12-01; ValidationFailed naming the field otherwise."""
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError):
        raise ValidationFailed("month", f"not a month: {text!r} (use YYYY-MM, e.g. 2026-12)") from None


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


def monthly(session: Session, settings, month: date, now: datetime | None = None) -> dict:
    """The month's figures: {month, timezone, start, end, services: [...]}, services in ops.toml's order."""
    zone = ZoneInfo(settings.console.timezone)
    start, end = month_bounds(month, zone)
    now = now or utcnow()
    end = min(end, max(now, start))
    outages = session.scalars(select(AvailabilityOutage).where(
        AvailabilityOutage.started_at < end,
        or_(AvailabilityOutage.ended_at.is_(None), AvailabilityOutage.ended_at > start))
        .order_by(AvailabilityOutage.started_at)).all()
    services = []
    for service in settings.availability.services:
        windows = maintenance.windows_between(settings, service.name, start, end)
        maintained = sum((closes - opens for opens, closes in windows), timedelta(0))
        measured = (end - start) - maintained
        listed, down = [], timedelta(0)
        for outage in outages:
            if outage.service != service.name:
                continue
            clipped_start, clipped_end = max(outage.started_at, start), min(outage.ended_at or end, end)
            counted = _outside(clipped_start, clipped_end, windows)
            down += counted
            listed.append({"start": clipped_start, "end": clipped_end, "ongoing": outage.ended_at is None,
                           "minutes": _minutes(counted), "cause": outage.cause, "detail": outage.detail})
        uptime = round(100 * (measured - down) / measured, 2) if measured > timedelta(0) else None
        services.append({
            "name": service.name, "label": service.title, "unit": service.unit, "system": service.system,
            "sla_target_percent": service.sla_target_percent, "uptime_percent": uptime,
            "met": uptime is None or uptime >= service.sla_target_percent,
            "measured_minutes": _minutes(measured), "down_minutes": _minutes(down),
            "maintenance_minutes": _minutes(maintained),
            "maintenance": [{"start": opens, "end": closes} for opens, closes in windows], "outages": listed})
    return {"month": f"{month:%Y-%m}", "timezone": settings.console.timezone, "start": start, "end": end,
            "services": services}


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


def write(report: dict, fmt: str, path: Path, locale: str = "vi") -> Path:
    """The report in `fmt` (html, csv) at `path`, whole or not at all."""
    if fmt not in FORMATS:
        raise ValidationFailed("format", f"use one of {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            if fmt == "csv":
                write_csv(report, handle)
            else:
                handle.write(html(report, locale))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
