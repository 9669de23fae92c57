"""Compliance's background work, registered with the task queue: a compliance run ("Run now", the nightly run)."""

from __future__ import annotations

from console.db import session_scope
from console.tasks.registry import register


def compliance_run(settings, factory, actor, params: dict, progress) -> dict:
    from console.compliance import reports
    from console.compliance import runs as compliance_runs
    from console.compliance.catalog import configured_catalog

    catalog = configured_catalog(settings)
    outcome = compliance_runs.execute(factory, actor, catalog, trigger=params.get("trigger", "console"),
                                      progress=lambda done, total: progress(f"{done}/{total}", final=done == total),
                                      lock_minutes=settings.compliance.lock_minutes)
    if params.get("reports"):
        with session_scope(factory) as session:
            reports.write_reports(session, outcome.run_id, catalog, settings.compliance.report_dir,
                                  settings.console.timezone, settings.compliance.report_formats)
    return {"run_id": outcome.run_id, "counts": outcome.counts}


register("compliance.run", "compliance.run", "a compliance run of every control", compliance_run)


def _register_systems() -> None:
    """Where the areas below find each host's information system: the rule manager's would-have-blocked preview
    (the systems a drop would touch) and the notifications (a message's system, which routes it); and the
    systems as a part of every inventory sync (read with the hosts, written after them)."""
    from console.systems.service import sync_systems, systems_by_host
    from console.inventory import sync as inventory_sync
    from console.notify import looks
    from console.ruleset import preview

    preview.register_source("systems_by_host", systems_by_host)
    looks.register_systems(systems_by_host)
    inventory_sync.register_part("systems", _read_systems, sync_systems)


def _read_systems(inventory, path):
    """The information systems the inventory's system_* groups define, checked against the frameworks."""
    from console.compliance.requirements import covered_levels
    from console.systems.reader import read_systems

    return read_systems(inventory, path, covered_levels())


_register_systems()
