"""Evaluating one control for one target: applicability, evidence age, the condition, waivers.

Pure functions over already-loaded evidence, so a run can stream targets in
batches and the tests can call them directly. The order of the checks is the
guarantee: no evidence or stale evidence is "unknown" before the condition
is ever looked at, so a result is never "pass" on missing data.
"""

from __future__ import annotations

import json
from datetime import datetime

from console.compliance.catalog import LoadedControl
from console.compliance.conditions import MISSING, describe_age, resolve
from console.compliance.evidence import Evidence, Target

MAX_WHY = 500
MAX_LIST_ITEMS = 20
MAX_EVIDENCE_CHARS = 4000


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
    return not rule.variable or target.variables.get(rule.variable) not in (None, "", [], {})


def evaluate(control: LoadedControl, target: Target, evidence: Evidence, now: datetime, waiver=None) -> dict:
    """One result row (the columns of compliance_results without run_id)."""
    result, why = _judge(control, evidence, now)
    waiver_id = None
    if waiver is not None:
        why = f"waived until {waiver.expires_at:%Y-%m-%d} by {waiver.created_by}: {waiver.reason} (evaluated: {result}: {why})"
        result, waiver_id = "waived", waiver.id
    spec = control.spec
    return {"control_id": spec.id, "target": target.name, "target_kind": target.kind, "unit": target.unit,
            "category": spec.category, "severity": spec.severity, "result": result, "why": why[:MAX_WHY],
            "evidence": snapshot(control, evidence), "evidence_at": evidence.collected_at, "waiver_id": waiver_id}


def _judge(control: LoadedControl, evidence: Evidence, now: datetime) -> tuple[str, str]:
    if evidence.snapshot is None:
        return "unknown", evidence.reason or "no evidence"
    if evidence.collected_at is None:
        return "unknown", "evidence has no collection time"
    age = now - evidence.collected_at
    if age > control.max_age:
        return "unknown", f"evidence is {describe_age(age)} old (at most {describe_age(control.max_age)} accepted)"
    ok, why = control.check(evidence.snapshot, now)
    return {True: "pass", False: "fail", None: "unknown"}[ok], why


def snapshot(control: LoadedControl, evidence: Evidence) -> dict:
    """The values the control read, bounded in size: what a reviewer needs to see why."""
    if evidence.snapshot is None:
        return {}
    taken = {}
    for field in control.fields:
        value = resolve(evidence.snapshot, field)
        if value is not MISSING:
            taken[field] = value[:MAX_LIST_ITEMS] if isinstance(value, list) else value
    if not any(isinstance(value, (list, dict, str)) for value in taken.values()):
        return taken  # numbers and booleans only: small by construction, no need to measure
    text = json.dumps(taken, default=str)
    return taken if len(text) <= MAX_EVIDENCE_CHARS else {"truncated": text[:MAX_EVIDENCE_CHARS]}
