"""The rules a sensor gets for its mode: an IPS sensor blocks with drop rules, an IDS sensor alerts on them.

A version's ops.rules holds drop.conf's drops (and any rule written as `drop`) as `drop` rules: that file
goes to IPS sensors unchanged. An IDS sensor reads a copy of the traffic and can block nothing, so it gets
the same rules with the actions that block (drop, reject*) made `alert`: its EVE then says "allowed", which
is what happened. The IDS copy lives in the version's folder (ids/ops.rules and threshold.config), written
with the version (rules/versions.py, `store`); a version stored before sensors had modes gets it on its
first deploy to an IDS sensor.
"""

from __future__ import annotations

import re
from pathlib import Path

from rules.build import RULES_FILE, THRESHOLD_FILE
from rules.files import atomic_write

BLOCKING = re.compile(r"^(#\s*)?(drop|sdrop|reject|rejectsrc|rejectdst|rejectboth)(\s)", re.MULTILINE)
MODES = ("ids", "ips")
IDS_FOLDER = "ids"


def as_ids(text: str) -> str:
    """The rules with every blocking action made `alert` (disabled rules keep their `#`)."""
    return BLOCKING.sub(lambda m: f"{m.group(1) or ''}alert{m.group(3)}", text)


def folder_for(version_folder: Path, mode: str) -> Path:
    """The folder whose ops.rules and threshold.config a sensor of `mode` gets."""
    if mode == "ips":
        return version_folder
    target = version_folder / IDS_FOLDER
    if not (target / RULES_FILE).exists():
        write_ids_copy(version_folder)
    return target


def write_ids_copy(version_folder: Path) -> None:
    """ids/ops.rules (blocking actions made alert) and ids/threshold.config beside a version's own files."""
    target = version_folder / IDS_FOLDER
    atomic_write(target / THRESHOLD_FILE, (version_folder / THRESHOLD_FILE).read_bytes())
    source = (version_folder / RULES_FILE).read_text(encoding="utf-8")
    atomic_write(target / RULES_FILE, as_ids(source).encode("utf-8"))


def blocking_sids(manifest: dict) -> set[int]:
    """The sids of a version's enabled rules that block on an IPS sensor (from its manifest)."""
    return {int(rule["sid"]) for rule in manifest.get("rules", [])
            if rule.get("enabled") and not rule.get("noalert") and rule.get("action") in
            ("drop", "sdrop", "reject", "rejectsrc", "rejectdst", "rejectboth")}
