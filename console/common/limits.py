"""Bounds every part applies to what a client sends before parsing it."""

from __future__ import annotations

MAX_JSON_DEPTH = 64  # no request body of ours nests deeper; a report's own limit is tighter
MAX_BODY_BYTES = 16 * 1024 * 1024  # Flask's MAX_CONTENT_LENGTH: a larger body is 413 before any view reads it
# gunicorn's limit_request_line (its default): a request line longer than this (method, path, query string
# and protocol) is answered 414 by gunicorn itself, in text, before the console sees it
MAX_REQUEST_LINE_BYTES = 4094


def json_nesting(body: bytes) -> int:
    """Deepest [ / { nesting outside strings, counted without parsing (so a 10,000-level body cannot recurse)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest
