"""The one TOML line finder: where in ops.toml a key or a table stands, so a configuration error names its line;
and which ops.toml is meant when none is named (`default_config_path`).

tomllib keeps no positions, so these read the text itself by TOML's own rules: a table's keys run from its header
to the next header of any table; `[[name]]` starts the next item of an array of tables. They only ever point at
a line for a message; a key they cannot find gives its table's header line, or None.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["default_config_path", "key_line", "nested_key_line", "table_line"]



def default_config_path() -> Path:
    """OPS_CONFIG if set, else ./ops.toml."""
    return Path(os.environ.get("OPS_CONFIG", "ops.toml"))


_HEADER = re.compile(r"^\[([^\[\]]+)\]")
_ARRAY_HEADER = re.compile(r"\[\[\s*([A-Za-z0-9_.]+)\s*\]\]\s*(#.*)?")


def key_line(text: str, loc: list[str]) -> int | None:
    """Line of [section, key] (of `key` inside `[section]`), or of the header `[key]` when loc is [key]."""
    if not loc:
        return None
    section, key = (loc[0], loc[1]) if len(loc) > 1 else (None, loc[0])
    current = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = _HEADER.match(stripped)
        if header:
            current = header.group(1).strip()
            if section is None and current == key:
                return number
            continue
        if current == section and re.match(rf"^{re.escape(key)}\s*=", stripped):
            return number
    return None


def nested_key_line(text: str, loc: list[str]) -> int | None:
    """Like key_line for keys of nested tables ([auth.ldap], [auth.ldap.role_groups]); else the nearest table's line."""
    for cut in range(len(loc) - 1, 0, -1):
        line = key_line(text, [".".join(loc[:cut]), loc[cut]])
        if line:
            return line
    for cut in range(len(loc), 0, -1):
        line = key_line(text, [".".join(loc[:cut])])
        if line:
            return line
    return None


def table_line(text: str, outer: str, outer_index: int, key: str | None, inner: str | None = None,
               inner_index: int | None = None) -> int | None:
    """Line of `key` in the outer_index-th `[[outer]]` (or in its inner_index-th `[[inner]]`, e.g.
    `[[availability.services.checks]]`); the table's header line when key is None or absent; None when there is
    no such table."""
    outer_count, inner_count, header_line, inside = -1, -1, None, False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            table = _ARRAY_HEADER.fullmatch(stripped)
            name = table.group(1) if table else None
            if name == outer:
                outer_count, inner_count = outer_count + 1, -1
            elif inner is not None and name == inner:
                inner_count += 1
            if inner_index is None:
                inside = name == outer and outer_count == outer_index
            else:
                inside = name == inner and outer_count == outer_index and inner_count == inner_index
            if inside:
                header_line = number
            continue
        if inside and key and re.match(rf"{re.escape(key)}\s*=", stripped):
            return number
    return header_line
