"""An admin edits a system's level, framework, owner or names: written to the inventory, then to the database.

One source of truth: the inventory. The edit rewrites ops_system in the
system's group_vars file (temporary file + rename, so the file is whole or
unchanged) and then updates the database row in the caller's transaction, so
the next `ops inventory sync` reads back exactly what was saved. The file's
leading comment and its other variables are kept; comments inside the
mapping are not (system files hold only ops_system). Host membership stays
an inventory edit (hosts.yml).
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from console.errors import ValidationFailed
from console.inventory.hosts import unit_names
from console.models.systems import InformationSystem
from console.models.base import utcnow
from console.access import audit
from console.access.actor import Actor
from console.access.permissions import require
from console.systems.service import get_system
from console.systems.reader import FIELDS, VARIABLE, Coverage, check_fields, parse_date, vars_file
from console.inventory.config import InventorySettings


def update(session: Session, actor: Actor, settings: InventorySettings, key: str, values: dict,
           coverage: Coverage) -> InformationSystem:
    """Validate `values` (the ops_system fields; `coverage`: the levels each framework's requirement file covers,
    compliance.requirements.covered_levels), write the group_vars file, update the row; ValidationFailed names
    the field."""
    require(actor, "systems.manage")
    row = get_system(session, key)
    wanted = {name: values.get(name) for name in FIELDS}
    wanted["approved_on"] = wanted["approved_on"] or None
    units = unit_names(session)
    problem = check_fields(wanted, units, coverage)
    if problem:
        raise ValidationFailed(problem[0] or VARIABLE, problem[1])
    base = settings.path if settings.path.is_dir() else settings.path.parent
    path = vars_file(base, key)
    if path is None:
        raise ValidationFailed("key", f"{key} has no group_vars/{key}.yml to write; edit the inventory by hand")
    before = {name: _plain(getattr(row, name)) for name in FIELDS}
    write_system_file(path, wanted)
    for name in FIELDS:
        setattr(row, name, parse_date(wanted[name]) if name == "approved_on" else wanted[name])
    row.updated_at = utcnow()
    session.flush()
    audit.record(session, actor, "systems.update", "information_system", key, file=str(path), before=before,
                 after={name: _plain(wanted[name]) for name in FIELDS})
    return row


def write_system_file(path: Path, value: dict) -> None:
    """Replace ops_system in a vars file atomically, keeping its leading comment and other variables."""
    text = path.read_text(encoding="utf-8")
    header = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise ValidationFailed("key", f"{path} does not hold a mapping of variables")
    stored = {name: (parse_date(value[name]) if name == "approved_on" else value[name])
              for name in FIELDS if value.get(name) is not None}
    data[VARIABLE] = stored
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text("\n".join(header) + ("\n" if header else "") + body, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
