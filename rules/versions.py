"""Numbered ruleset versions on disk, and the difference between two of them by sid.

A version is a copy of a validated candidate under var/rules/versions/<n>/
(never changed afterwards); var/rules/active is a symlink to the one in force,
switched in one rename. Which version is active is also recorded in the
database by the service layer; the symlink lets the sensors' deploy and
`ops rules test` find the files without a database.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from rules import modes
from rules.build import MANIFEST_FILE, read_manifest
from rules.errors import RulesetError
from rules.files import atomic_symlink

CHANGE_KINDS = ("added", "removed", "modified", "enabled", "disabled")


@dataclass(frozen=True)
class Change:
    gid: int
    sid: int
    kind: str  # one of CHANGE_KINDS
    msg: str
    source: str


@dataclass(frozen=True)
class Counts:
    total: int
    enabled: int
    added: int
    removed: int
    modified: int


def folder(var_dir: Path, number: int) -> Path:
    return var_dir / "versions" / str(number)


def store(var_dir: Path, candidate: Path, number: int) -> Path:
    """Copy the candidate to versions/<number> (staged, then renamed); refuse to overwrite."""
    target = folder(var_dir, number)
    if target.exists():
        raise RulesetError(f"version {number} exists already", target)
    staging = target.with_name(f".{number}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(candidate, staging)
    modes.write_ids_copy(staging)
    staging.rename(target)
    return target


def activate(var_dir: Path, number: int) -> Path:
    target = folder(var_dir, number)
    if not (target / MANIFEST_FILE).exists():
        raise RulesetError(f"version {number} has no files", target)
    atomic_symlink(str(Path("versions") / str(number)), var_dir / "active")
    return target


def active_folder(var_dir: Path) -> Path | None:
    link = var_dir / "active"
    return link.resolve() if link.exists() else None


def manifest_rules(var_dir: Path, number: int) -> list[dict]:
    return read_manifest(folder(var_dir, number))["rules"]


def diff(old: list[dict] | None, new: list[dict]) -> list[Change]:
    """Per sid: added, removed, modified (rule text changed), enabled or disabled."""
    before = {(r["gid"], r["sid"]): r for r in old or []}
    after = {(r["gid"], r["sid"]): r for r in new}
    changes = []
    for key, rule in after.items():
        was = before.get(key)
        if was is None:
            changes.append(_change(rule, "added"))
            continue
        if was["digest"] != rule["digest"]:
            changes.append(_change(rule, "modified"))
        if _alerting(was) != _alerting(rule):
            changes.append(_change(rule, "enabled" if _alerting(rule) else "disabled"))
    changes += [_change(rule, "removed") for key, rule in before.items() if key not in after]
    return sorted(changes, key=lambda c: (c.sid, c.gid, c.kind))


def _alerting(rule: dict) -> bool:
    return bool(rule["enabled"])


def _change(rule: dict, kind: str) -> Change:
    return Change(rule["gid"], rule["sid"], kind, rule["msg"][:500], rule["file"][:255])


def counts(new: list[dict], changes: list[Change]) -> Counts:
    kinds = [c.kind for c in changes]
    return Counts(total=len(new), enabled=sum(1 for r in new if r["enabled"]), added=kinds.count("added"),
                  removed=kinds.count("removed"), modified=kinds.count("modified"))
