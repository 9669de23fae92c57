"""The one answer shape, and request parsing that names the bad field."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

from flask import jsonify, request

from console.common.limits import MAX_JSON_DEPTH, json_nesting
from console.common.paging import page
from console.common.text import check_json
from console.errors import ValidationFailed


def plain(value):
    """Times as ISO 8601 text, all the way down (dict keys as text), for an answer built from plain data."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def ok(data, status: int = 200, **extra):
    """The envelope of every answer: {"success": true, "data": ...} and any extra keys (one thing shown, an
    action's result; a list through `listed`; a queued task through console.api.tasks.accepted)."""
    return jsonify({"success": True, "data": data, **extra}), status


def listed(rows: Sequence, limit: int, key: Callable, shape: Callable):
    """The list envelope of a keyset-paged listing: the first `limit` of the `limit + 1` rows fetched, each
    shaped, and "next", the key of the last one shown when more follow (the next page's before/after), else null."""
    shown, following = page(rows, limit, key)
    return ok([shape(row) for row in shown], next=following)


def json_body(optional: bool = False) -> dict:
    """The request's JSON object; its nesting is bounded before it is parsed, and every string in it
    (keys too) is one the database can store: a NUL or a lone surrogate is a 400 naming the field.

    With `optional`, an empty body is {} (actions whose fields all have defaults). The body is then checked
    against its operation's schema in the API document (console/api/contract.py): enums, types, lengths.
    """
    from console.api.contract import check_body

    raw = request.get_data(cache=True)
    if optional and not raw.strip(b" \t\r\n"):  # JSON's whitespace; a form feed is not an empty body
        return {}
    if json_nesting(raw) > MAX_JSON_DEPTH:
        raise ValidationFailed("body", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed("body", "expected a JSON object with Content-Type: application/json")
    check_json(body)
    check_body(body)
    return body


def text_field(body: dict, name: str, required: bool = True, default: str = "") -> str:
    """A text field; an optional one may be left out, but not sent as null (the document says it is a string)."""
    value = body.get(name, None)
    if value is None:
        if required:
            raise ValidationFailed(name, "is required")
        if name in body:
            raise ValidationFailed(name, "must be a string (or left out)")
        return default
    if not isinstance(value, str):
        raise ValidationFailed(name, "must be a string")
    return value


def int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValidationFailed(name, f"must be a whole number from {low} to {high}")
    return int(raw)
