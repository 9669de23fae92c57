"""What every waiver shares: a compliance control's (compliance/waivers.py), a Lynis finding's
(agents/hardening.py) and a CVE's on a host (vulns/waivers.py).

A waiver says why, in 5 to 500 characters, and lapses by itself at most MAX_DAYS away; it is never deleted, only
revoked (who and when kept). Each area keeps its own table, permission and audit record; the rules are here once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from console.errors import ValidationFailed

__all__ = ["MAX_DAYS", "checked_reason", "check_expiry", "mark_revoked"]

MAX_DAYS = 366


def checked_reason(reason: str | None) -> str:
    """The reason, stripped; ValidationFailed("reason") unless it is 5 to 500 characters."""
    reason = (reason or "").strip()
    if not 5 <= len(reason) <= 500:
        raise ValidationFailed("reason", "say why, in 5 to 500 characters")
    return reason


def check_expiry(expires_at: datetime, now: datetime) -> None:
    """ValidationFailed("expires_at") unless `expires_at` is aware, after `now` and at most MAX_DAYS away."""
    if expires_at.tzinfo is None:
        raise ValidationFailed("expires_at", "give a time zone (or a date)")
    if not now < expires_at <= now + timedelta(days=MAX_DAYS):
        raise ValidationFailed("expires_at", f"must be in the future and at most {MAX_DAYS} days away")


def mark_revoked(waiver, username: str, now: datetime) -> bool:
    """Revoke `waiver` (a row with revoked_at and revoked_by) by `username` at `now`; False when it already was."""
    if waiver.revoked_at is not None:
        return False
    waiver.revoked_at, waiver.revoked_by = now, username[:64]
    return True
