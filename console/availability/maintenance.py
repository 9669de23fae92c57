"""Maintenance windows ([[availability.maintenance]]): one-off or weekly, in the console's zone.

A service in a window shows "maintenance", nothing about it is announced, and
the monthly report leaves the window's time out of the month.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from console.availability.config import WEEKDAYS, MaintenanceConfig, as_utc


def _covers(window: MaintenanceConfig, service: str) -> bool:
    return "*" in window.services or service in window.services


def intervals(window: MaintenanceConfig, start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple]:
    """The window's (start, end) times in UTC that overlap [start, end), clipped to it."""
    if window.starts is not None:
        found = [(as_utc(window.starts, zone), as_utc(window.ends, zone))]
    else:
        found = []
        day = start.astimezone(zone).date() - timedelta(days=1)
        while datetime.combine(day, window.at, zone) < end:
            if WEEKDAYS[day.weekday()] in window.weekdays:
                opens = datetime.combine(day, window.at, zone).astimezone(timezone.utc)
                found.append((opens, opens + timedelta(minutes=window.minutes)))
            day += timedelta(days=1)
    return [(max(opens, start), min(closes, end)) for opens, closes in found if opens < end and closes > start]


def active(settings, service: str, now: datetime) -> MaintenanceConfig | None:
    """The window `service` is in at `now`, or None."""
    zone = ZoneInfo(settings.console.timezone)
    for window in settings.availability.maintenance:
        if _covers(window, service) and intervals(window, now, now + timedelta(seconds=1), zone):
            return window
    return None


def windows_between(settings, service: str, start: datetime, end: datetime) -> list[tuple]:
    """Every maintenance time of `service` inside [start, end), merged, in UTC."""
    zone = ZoneInfo(settings.console.timezone)
    spans = sorted(span for window in settings.availability.maintenance if _covers(window, service)
                   for span in intervals(window, start, end, zone))
    merged: list[list] = []
    for opens, closes in spans:
        if merged and opens <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], closes)
        else:
            merged.append([opens, closes])
    return [tuple(span) for span in merged]
