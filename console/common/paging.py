"""Keyset paging and get-or-404, the same way in every listing.

A listing asks its query for `limit + 1` rows; `page` returns the first
`limit` and the key of the last one shown when there is more, which the
caller passes back as `before`/`after` for the next page.
"""

from __future__ import annotations

from typing import Callable, Sequence, TypeVar

from sqlalchemy.orm import Session

from console.errors import NotFound, ValidationFailed

Row = TypeVar("Row")


def page(rows: Sequence[Row], limit: int, key: Callable[[Row], object]) -> tuple[list[Row], object | None]:
    """(the rows to show, the next page's key or None) from `limit + 1` fetched rows."""
    shown = list(rows[:limit])
    return shown, (key(shown[-1]) if len(rows) > limit and shown else None)


MAX_ID = 2**63 - 1  # the largest id either database stores; a larger one is an input error, not an overflow


def parse_id(raw: str | None, field: str) -> int | None:
    """A keyset id (`before`/`after`) from a query argument: empty is None, anything but 1..MAX_ID a ValidationFailed."""
    text = (raw or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 0 < int(text) <= MAX_ID:
        raise ValidationFailed(field, "must be an id from a previous page")
    return int(text)


def get_or_404(session: Session, model, ident, message: str):
    """The row of `model` with primary key `ident`, else NotFound(message) (404 on the web, exit 2 in the CLI)."""
    row = session.get(model, ident)
    if row is None:
        raise NotFound(message)
    return row
