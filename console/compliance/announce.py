"""A compliance run told to people: the run failed (failures at or above [compliance] fail_on), and, per unit, the
controls newly failing on a host since the run before, with that difference listed.

Called at the end of the run, in the run's transaction: the run and its
messages are stored together.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.common.i18n import _l, translations
from console.compliance.catalog import SEVERITY_RANK
from console.systems.service import systems_by_host
from console.inventory.hosts import unit_labels
from console.models.compliance import ComplianceResult, ComplianceRun
from console.notify import events as notify_events
from console.notify.messages import severity_name

SEVERITY_OF = {"low": "low", "medium": "medium", "high": "high", "critical": "critical"}

# Devices and endpoints belong to no unit: how a message names them (in the catalogue, as every message).
NO_UNIT = _l("devices and endpoints of no unit")


def announce_run(session: Session, run: ComplianceRun, titles: dict[str, dict[str, str]]) -> int:
    settings = notify_events.notify_settings(session)
    if settings is None or not settings.notify.rules:
        return 0
    previous = session.scalar(select(func.max(ComplianceRun.id)).where(ComplianceRun.id < run.id,
                                                                       ComplianceRun.state == "done"))
    failing = _failing(session, run.id)
    events = []
    floor = SEVERITY_RANK[settings.compliance.fail_on]
    counted = [item for item in failing if SEVERITY_RANK.get(item[3], 0) >= floor]
    counts = run.counts or {}
    if counted:
        hosts = len({target for _, target, _, _ in failing})
        events.append(notify_events.Event(
            "compliance.run_failed", f"run:{run.id}", _highest(item[3] for item in counted),
            {"run_id": run.id, "failed": counts.get("fail", 0), "unknown": counts.get("unknown", 0),
             "total": counts.get("total", 0), "hosts": hosts, "finished_at": run.finished_at or run.started_at,
             "passed_percent": f"{counts.get('score')}%" if counts.get("score") is not None else "-"},
            f"/compliance/runs/{run.id}", lines=_lines(counted, titles), at=run.finished_at))
    if previous is not None:
        before = {(control, target) for control, target, _, _ in _failing(session, previous)}
        systems = systems_by_host(session)
        labels = {language: unit_labels(session, language) for language in ("vi", "en")}
        by_unit: dict[str, list] = {}
        for item in failing:
            if (item[0], item[1]) not in before:
                by_unit.setdefault(item[2], []).append(item)
        for unit, items in sorted(by_unit.items()):
            hosts_systems = {systems.get(target) for _, target, _, _ in items} - {None}
            events.append(notify_events.Event(
                "compliance.newly_failing", f"run:{run.id}:unit:{unit}", _highest(item[3] for item in items),
                {"run_id": run.id, "previous_run_id": previous, "count": len(items),
                 "unit_name": {language: labels[language].get(unit, unit) or translations(language).gettext(NO_UNIT)
                               for language in labels}},
                f"/compliance/runs/{previous}/diff/{run.id}", unit=unit or None,
                system=next(iter(hosts_systems)) if len(hosts_systems) == 1 else None,
                lines=_lines(items, titles), at=run.finished_at))
    return notify_events.emit_all(session, events)


def _failing(session: Session, run_id: int) -> list[tuple[str, str, str, str]]:
    """(control, target, unit, severity) of each failed result of a run."""
    return [tuple(row) for row in session.execute(
        select(ComplianceResult.control_id, ComplianceResult.target, ComplianceResult.unit, ComplianceResult.severity)
        .where(ComplianceResult.run_id == run_id, ComplianceResult.result == "fail")
        .order_by(ComplianceResult.control_id, ComplianceResult.target))]


def _highest(severities) -> str:
    return SEVERITY_OF.get(max(severities, key=lambda level: SEVERITY_RANK.get(level, 0)), "info")


def _lines(items, titles: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    """One line per failure in each language: "SRV-04 Root login over SSH off - dtnmt-web-01 (high)"."""
    return [{language: f"{control} {titles.get(control, {}).get(language, '')} - {target} "
                       f"({severity_name(severity, language)})".replace("  ", " ")
             for language in ("vi", "en")}
            for control, target, _, severity in items]
