"""Times: stored in UTC, shown and typed in the console's zone.

`iso` is the one way a time leaves the console as text (API, CLI, stored
snapshots); `parse_local_time` is the one way a time typed by a person or a
client comes in: a time without a zone (a browser's datetime-local, a date)
is in the console's zone, so "since 2026-11-25" means the same instant on
every page, in the API and in the CLI.
"""

from __future__ import annotations

from datetime import date, datetime, timezone, tzinfo

from console.errors import ValidationFailed

TIME_HINT = "an ISO 8601 time such as 2026-11-25 or 2026-11-25T08:00 (without a zone: the console's zone)"


def iso(value):
    """ISO 8601 text of a datetime or date; None stays None; any other value is returned as it is."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def parse_local_time(raw: str | None, field: str, zone: tzinfo) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text; a naive one is taken in `zone`; empty text is None.

    Bad text is a ValidationFailed naming `field`.
    """
    text = (raw or "").strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise ValidationFailed(field, f"must be {TIME_HINT}") from None
    return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(timezone.utc)
