"""Text from outside, checked at the edge before it can reach the database.

NUL cannot be stored in PostgreSQL's text type (SQLite takes it, and then a
page or an export cuts the text there); a lone surrogate (a JSON "\\ud800"
escape) cannot be encoded as UTF-8 by either driver. Both are refused by
name, in every string of an API body, a form, a query string, an agent
report or an EVE field, the same on both databases. A length limit is an
error naming the field too, never a silent cut.
"""

from __future__ import annotations

import re

from console.errors import ValidationFailed

_BAD = re.compile("[\x00\ud800-\udfff]")


def bad_character(text: str) -> str | None:
    """What is wrong with `text` (a NUL, a lone surrogate), or None if it can be stored."""
    found = _BAD.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return f"contains a NUL character (at {found.start()})"
    return f"contains a lone surrogate U+{ord(found.group()):04X} (at {found.start()})"


def check_text(value: str, field: str, max_length: int | None = None) -> str:
    """`value`, or a ValidationFailed naming `field`: NUL, lone surrogates, more than `max_length` characters."""
    problem = bad_character(value)
    if problem:
        raise ValidationFailed(field, problem)
    if max_length is not None and len(value) > max_length:
        raise ValidationFailed(field, f"at most {max_length} characters (got {len(value)})")
    return value


def find_bad_text(value, path: str = "") -> tuple[str, str] | None:
    """(field path, problem) of the first string (key or value) in a parsed JSON document that cannot be stored.

    Iterative, so a deep document cannot exhaust the stack; paths read as items[2].name.
    """
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            problem = bad_character(item)
            if problem:
                return where or "body", problem
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and bad_character(key):
                    return f"{where or 'body'} (a key)", bad_character(key)
                name = f"{where}.{key}" if where else str(key)
                stack.append((name, child))
        elif isinstance(item, list):
            stack.extend((f"{where}[{index}]", child) for index, child in enumerate(item))
    return None


def check_json(value, path: str = ""):
    """`value`, or a ValidationFailed naming the first string in it that cannot be stored."""
    found = find_bad_text(value, path)
    if found:
        raise ValidationFailed(*found)
    return value
