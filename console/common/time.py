"""Times: stored in UTC, shown and typed in the console's zone, and only inside the window.

`iso` is the one way a time leaves the console as text (API, CLI, stored
snapshots); `parse_local_time` is the one way a time typed by a person or a
client comes in: a time without a zone (a browser's datetime-local, a date)
is in the console's zone, so "since 2026-11-25" means the same instant on
every page, in the API and in the CLI.

The window: every time that enters from outside (EVE lines, agent reports,
filters, forms, API bodies, CLI options) is checked here against one window,
from 2000-01-01 (UTC) to `[console] max_future_hours` (default 24) ahead of
the console's clock. A time outside it is a ValidationFailed naming the
field (a 400, or an exit code), a counted ingest problem, never a stored row:
a row stamped in year 9999 cannot be shown in a zone east of UTC, and a
filter from year 1 asks for 10,000 years of buckets.

`in_zone` is the one way a stored time is converted for display; it cannot
raise, whatever the row holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo

from console.errors import ValidationFailed

TIME_HINT = "an ISO 8601 time such as 2026-11-25 or 2026-11-25T08:00 (without a zone: the console's zone)"
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
DEFAULT_MAX_FUTURE = timedelta(hours=24)


@dataclass(frozen=True)
class TimeWindow:
    """Times the console accepts: from EARLIEST to `max_future` past the clock at the moment of the check."""

    max_future: timedelta = DEFAULT_MAX_FUTURE

    def bounds(self, now: datetime | None = None) -> "TimeBounds":
        """The window fixed at `now` (default: the clock now), for checking a batch of times at once."""
        return TimeBounds(EARLIEST, (now or datetime.now(timezone.utc)) + self.max_future)

    def check(self, value: datetime, field: str) -> datetime:
        return self.bounds().check(value, field)


@dataclass(frozen=True)
class TimeBounds:
    earliest: datetime
    latest: datetime

    def holds(self, value: datetime) -> bool:
        """An aware time inside the bounds (a naive one is taken as UTC)."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return self.earliest <= value <= self.latest

    def check(self, value: datetime, field: str) -> datetime:
        """`value`, or a ValidationFailed naming `field` and the window."""
        if not self.holds(value):
            raise ValidationFailed(field, self.refusal())
        return value

    def refusal(self) -> str:
        return (f"must be from {self.earliest:%Y-%m-%d} to {self.latest:%Y-%m-%d %H:%M} UTC "
                "(not before 2000, and at most [console] max_future_hours ahead of the console's clock)")


DEFAULT_WINDOW = TimeWindow()


def window_of(console_settings) -> TimeWindow:
    """The window of a [console] settings section."""
    return TimeWindow(timedelta(hours=console_settings.max_future_hours))


def iso(value):
    """ISO 8601 text of a datetime or date; None stays None; any other value is returned as it is."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def in_zone(value: datetime, zone: tzinfo) -> datetime:
    """`value` in `zone`; a time the zone cannot hold (year 9999 east of UTC, year 1 west) stays in UTC.

    Never raises: a stored row outside the window must not take a page down.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    try:
        return value.astimezone(zone)
    except (OverflowError, ValueError):
        return value.astimezone(timezone.utc) if value.utcoffset() is not None else value


def parse_local_time(raw: str | None, field: str, zone: tzinfo,
                     window: TimeWindow | TimeBounds = DEFAULT_WINDOW) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text; a naive one is taken in `zone`; empty text is None.

    Bad text, or a time outside `window`, is a ValidationFailed naming `field`; nothing else is raised.
    """
    text = (raw or "").strip()
    if not text:
        return None
    if len(text) > 64:
        raise ValidationFailed(field, f"must be {TIME_HINT}")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        value = (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(timezone.utc)
    except ValueError:
        raise ValidationFailed(field, f"must be {TIME_HINT}") from None
    except OverflowError:  # year 1 west of UTC or year 9999 east of it: outside any window
        raise ValidationFailed(field, _bounds(window).refusal()) from None
    return _bounds(window).check(value, field)


def check_time(value: datetime, field: str, window: TimeWindow | TimeBounds = DEFAULT_WINDOW) -> datetime:
    """An aware time from a parsed body (a report, a form) checked against the window; ValidationFailed if not."""
    return _bounds(window).check(value, field)


def _bounds(window: TimeWindow | TimeBounds) -> TimeBounds:
    return window.bounds() if isinstance(window, TimeWindow) else window


def local_to_utc(value: datetime, zone: tzinfo, field: str, window: TimeWindow | TimeBounds | None = None) -> datetime:
    """A naive time typed in `zone` (a form's date or datetime-local) as aware UTC, checked against `window`.

    A time the conversion cannot hold (year 1 in a zone east of UTC) is a ValidationFailed naming `field`;
    without a window (a waiver's last day, a deadline) only that is checked.
    """
    try:
        at = value.replace(tzinfo=zone).astimezone(timezone.utc)
    except OverflowError:
        raise ValidationFailed(field, _bounds(window or DEFAULT_WINDOW).refusal()) from None
    return _bounds(window).check(at, field) if window is not None else at
