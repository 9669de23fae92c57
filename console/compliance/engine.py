"""Evaluating one control for one target: applicability, evidence age, the condition, waivers.

Pure functions over already-loaded evidence, so a run can stream targets in
batches and the tests can call them directly. The order of the checks is the
guarantee: no evidence or stale evidence is "unknown" before the condition
is ever looked at, so a result is never "pass" on missing data.
"""

from __future__ import annotations

from datetime import datetime

from console.compliance.catalog import LoadedControl
from console.compliance.conditions import MISSING, Reason, describe_age, reason_data, resolve_parts
from console.compliance.evidence import Evidence, Target

__all__ = ["evaluate"]

MAX_WHY = 500
MAX_LIST_ITEMS = 20
MAX_TEXT = 500


def applies(control: LoadedControl, target: Target) -> bool:
    rule = control.spec.applies_to
    if rule.devices is not None:
        return target.kind == "device" and target.device_kind == rule.devices
    if target.kind != "host":
        return False
    if rule.all_hosts:
        return True
    if rule.groups and not target.groups.intersection(rule.groups):
        return False
    if not rule.variable:
        return True
    value = target.variables.get(rule.variable)
    if rule.equals is not None:
        return isinstance(value, str) and value == rule.equals
    return value not in (None, "", [], {})


def evaluate(control: LoadedControl, target: Target, evidence: Evidence, now: datetime, waiver=None,
             snapshots: dict | None = None) -> dict:
    """One result row (the columns of compliance_results without run_id).

    `snapshots` (one dict per target and evidence) lets controls that read the
    same fields share one snapshot object, so a run builds and serialises it once.
    """
    result, why = _judge(control, evidence, now)
    waiver_id = None
    if waiver is not None:
        why = Reason(f"waived until {waiver.expires_at:%Y-%m-%d} by {waiver.created_by}: {waiver.reason} "
                     f"(evaluated: {result}: {why})",
                     {"k": "waived", "until": waiver.expires_at.isoformat(), "by": waiver.created_by,
                      "note": waiver.reason[:200], "result": result, "in": reason_data(why)})
        result, waiver_id = "waived", waiver.id
    spec = control.spec
    return {"control_id": spec.id, "target": target.name, "target_kind": target.kind, "unit": target.unit,
            "category": spec.category, "severity": spec.severity, "result": result, "why": why[:MAX_WHY],
            "reason": reason_data(why),
            "evidence": _shared_snapshot(control, evidence, snapshots), "evidence_at": evidence.collected_at,
            "waiver_id": waiver_id}


def _shared_snapshot(control: LoadedControl, evidence: Evidence, snapshots: dict | None) -> dict:
    if snapshots is None:
        return snapshot(control, evidence)
    key = (id(evidence), control.fields)
    found = snapshots.get(key)
    if found is None:
        found = snapshots[key] = snapshot(control, evidence)
    return found


def _judge(control: LoadedControl, evidence: Evidence, now: datetime) -> tuple[str, str]:
    if evidence.snapshot is None:
        return "unknown", evidence.reason or "no evidence"
    if evidence.collected_at is None:
        return "unknown", Reason("evidence has no collection time", {"k": "no_time"})
    age = now - evidence.collected_at
    if age > control.max_age:
        return "unknown", Reason(f"evidence is {describe_age(age)} old (at most {describe_age(control.max_age)} accepted)",
                                 {"k": "stale", "age": int(age.total_seconds()),
                                  "limit": int(control.max_age.total_seconds())})
    ok, why = control.check(evidence.snapshot, now)
    return {True: "pass", False: "fail", None: "unknown"}[ok], why


def snapshot(control: LoadedControl, evidence: Evidence) -> dict:
    """The values the control read, bounded in size: what a reviewer needs to see why.

    Lists keep their first MAX_LIST_ITEMS items and strings their first
    MAX_TEXT characters; the report they come from is itself bounded (1 MiB).
    """
    if evidence.snapshot is None:
        return {}
    taken = {}
    for field in control.fields:
        value = resolve_parts(evidence.snapshot, tuple(field.split(".")))
        if value is MISSING:
            continue
        if isinstance(value, list):
            value = value[:MAX_LIST_ITEMS]
        elif isinstance(value, str):
            value = value[:MAX_TEXT]
        taken[field] = value
    return taken
