"""threshold.config: thresholds and suppressions, checked line by line and expanded.

The file is Suricata's own format. Lines may name rules with suricata-update's
`re:` form instead of gen_id/sig_id; those are expanded with suricata-update's
ThresholdProcessor against the built ruleset. Every other line must be a
threshold, event_filter, rate_filter or suppress line; one that is not is an
error naming file and line.
"""

from __future__ import annotations

import io
import ipaddress
import logging
import re
from pathlib import Path

from rules.errors import RulesetError, where

LINE = re.compile(r"^(threshold|event_filter|rate_filter|suppress)\s+gen_id\s+(\d+)\s*,\s*sig_id\s+(\d+)\b(.*)$")
TRACKS = ("by_src", "by_dst", "by_either")


def expand(path: Path, rulemap: dict) -> tuple[str, list[str]]:
    """The file's text with `re:` lines expanded, and warnings for sids not in the ruleset."""
    if not path.exists():
        return "", []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RulesetError("not UTF-8 text", path) from None
    warnings = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or " re:" in stripped:
            continue
        found = LINE.match(stripped)
        if not found:
            raise RulesetError(f"not a threshold, event_filter, rate_filter or suppress line: {stripped[:120]}",
                               path, number)
        key = (int(found.group(2)), int(found.group(3)))
        if key[1] != 0 and key not in rulemap:
            warnings.append(f"warning: {where(path, number, key[1])}threshold line names a rule not in the ruleset")
    out = io.StringIO()
    out.name = str(path)
    _threshold_processor()().process(io.StringIO(text), out, rulemap)
    return out.getvalue(), warnings


def suppress_line(sid: int, track: str, ip: str) -> str:
    """`suppress gen_id 1, sig_id <sid>, track <track>, ip <ip>`, or RulesetError naming the bad field."""
    if isinstance(sid, bool) or not isinstance(sid, int) or not 0 < sid < 2**32:
        raise RulesetError(f"sid must be a whole number from 1 to {2**32 - 1} (got {sid!r})")
    if track not in ("by_src", "by_dst"):
        raise RulesetError(f"track must be by_src or by_dst (got {track!r})")
    try:
        address = ipaddress.ip_network(str(ip), strict=True)
    except ValueError:
        raise RulesetError(f"ip must be an IPv4/IPv6 address or network (got {str(ip)[:64]!r})") from None
    shown = str(address.network_address) if address.num_addresses == 1 else str(address)
    return f"suppress gen_id 1, sig_id {sid}, track {track}, ip {shown}"


def _threshold_processor():
    """suricata-update's ThresholdProcessor; importing its main module configures the root logger, undone here."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        from suricata.update.main import ThresholdProcessor
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    return ThresholdProcessor
