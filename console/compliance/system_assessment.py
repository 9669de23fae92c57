"""Judging every information system against the requirements of its level and framework, per run.

Called inside a compliance run's transaction, after its results are written:
the verdicts reuse those results (the controls linked to a requirement, on
the system's hosts) and the manual evidence valid on the run's date, and are
stored with the run, so history, trend and dossiers read what was judged
then. Verdicts:
  met             every linked control passed on every host it applies to, or valid manual evidence exists
  not_met         a linked control failed or could not tell (unknown), or none applies to the system's hosts
  manual_missing  a manual requirement without evidence valid on the run's date
  waived          nothing failed, and what did not pass is waived
A legacy-85 system also gets its transition gap: the current-331 requirements
of its level whose topic the legacy set does not have, judged the same way.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.common.time import iso
from console.compliance.requirements import Framework, Requirement, cached_frameworks, transition_gap
from console.errors import NotFound
from console.models.compliance import ComplianceResult
from console.models.systems import SystemAssessment
from console.compliance import manual_evidence
from console.systems import service as systems

VERDICTS = ("met", "not_met", "manual_missing", "waived")
MAX_ROWS = 100  # results kept per requirement: the ones that did not pass first
HOST_BATCH = 500


def assess_run(session: Session, run_id: int, now: datetime, frameworks: dict[str, Framework] | None = None) -> int:
    """Store one assessment per present system for this run; returns how many."""
    frameworks = frameworks or cached_frameworks()
    rows = systems.list_systems(session)
    evidence = manual_evidence.valid_on(session, now.date())
    for row in rows:
        framework = frameworks[row.framework]
        wanted = framework.for_level(row.level)
        gap_wanted = transition_gap(frameworks, row.framework, row.level)
        controls = {c for req in [*wanted, *gap_wanted] for c in req.controls}
        judge = _Judge(row.key, row.hosts or [], _results(session, run_id, row.hosts or [], controls), evidence)
        verdicts = [judge(framework.id, req) for req in wanted]
        gap = [judge("current-331", req) for req in gap_wanted]
        counts = Counter(v["verdict"] for v in verdicts)
        counts = {key: counts.get(key, 0) for key in VERDICTS} | {"total": len(verdicts)}
        session.add(SystemAssessment(run_id=run_id, system_key=row.key, name_vi=row.name_vi, name_en=row.name_en,
                                     owner_unit=row.owner_unit, level=row.level, framework=row.framework,
                                     approved_on=row.approved_on, hosts=list(row.hosts or []), counts=counts,
                                     percent_met=percent(counts), verdicts=verdicts, gap=gap))
    session.flush()
    return len(rows)


def percent(counts: dict) -> float | None:
    """Percent of requirements met; waived ones are set aside (as in the run's score)."""
    judged = counts["total"] - counts.get("waived", 0)
    return round(100.0 * counts.get("met", 0) / judged, 1) if judged else None


def _results(session: Session, run_id: int, hosts: list[str], controls: set[str]) -> dict[tuple[str, str], dict]:
    """The run's results of these controls on these hosts, read HOST_BATCH hosts at a time (one system's worth)."""
    found: dict[tuple[str, str], dict] = {}
    for start in range(0, len(hosts) if controls else 0, HOST_BATCH):
        query = (select(ComplianceResult.control_id, ComplianceResult.target, ComplianceResult.result,
                        ComplianceResult.why, ComplianceResult.reason, ComplianceResult.evidence_at)
                 .where(ComplianceResult.run_id == run_id, ComplianceResult.target_kind == "host",
                        ComplianceResult.target.in_(hosts[start:start + HOST_BATCH]),
                        ComplianceResult.control_id.in_(sorted(controls))))
        for control, target, result, why, reason, at in session.execute(query):
            found[(control, target)] = {"host": target, "control": control, "result": result, "why": why,
                                        "reason": reason, "evidence_at": iso(at)}
    return found


class _Judge:
    """The verdict of one requirement for one system."""

    def __init__(self, system_key: str, hosts: list[str], results: dict, evidence: dict):
        self.system_key, self.hosts, self.results, self.evidence = system_key, hosts, results, evidence

    def __call__(self, framework: str, req: Requirement) -> dict:
        base = {"requirement_id": req.id, "framework": framework, "topic": req.topic, "clause": req.clause.label(),
                "also": [c.label() for c in req.also], "title": req.title.model_dump(), "text": req.text.model_dump(),
                "manual": req.manual, "controls": list(req.controls), "hosts": {}, "results": [], "evidence": []}
        if req.manual:
            found = self.evidence.get((self.system_key, framework, req.id), [])
            base["evidence"] = found
            if found:
                return {**base, "verdict": "met", "why": f"manual evidence valid until {found[0]['expires_on']}",
                        "reason": {"k": "manual_valid", "until": str(found[0]["expires_on"])}}
            return {**base, "verdict": "manual_missing", "why": "no manual evidence valid on the run's date",
                    "reason": {"k": "manual_missing"}}
        rows = [self.results[(c, h)] for h in self.hosts for c in req.controls if (c, h) in self.results]
        by_result = defaultdict(set)
        for row in rows:
            by_result[row["result"]].add(row["host"])
        base["hosts"] = {result: sorted(names) for result, names in sorted(by_result.items())}
        order = {"fail": 0, "unknown": 1, "waived": 2, "pass": 3}
        base["results"] = sorted(rows, key=lambda r: (order.get(r["result"], 4), r["host"], r["control"]))[:MAX_ROWS]
        counted = Counter(row["result"] for row in rows)
        if not rows:
            return {**base, "verdict": "not_met",
                    "why": f"no result of {', '.join(req.controls)} on this system's hosts",
                    "reason": {"k": "no_result", "controls": ", ".join(req.controls)}}
        if counted["fail"] or counted["unknown"]:
            return {**base, "verdict": "not_met", "why": f"{counted['fail']} failed, {counted['unknown']} unknown "
                                                        f"of {len(rows)} results on {len(self.hosts)} hosts",
                    "reason": {"k": "not_met", "failed": counted["fail"], "unknown": counted["unknown"],
                               "total": len(rows), "hosts": len(self.hosts)}}
        if counted["waived"]:
            return {**base, "verdict": "waived", "why": f"{counted['waived']} waived, {counted['pass']} passed",
                    "reason": {"k": "waived_count", "waived": counted["waived"], "passed": counted["pass"]}}
        return {**base, "verdict": "met", "why": f"all {len(rows)} results passed",
                "reason": {"k": "all_passed", "count": len(rows)}}


def latest_figures(session: Session, system_key: str) -> dict:
    """Percent met, transition gap count and run of the system's latest assessment (None before any run)."""
    found = latest(session, system_key)
    if found is None:
        return {"percent_met": None, "gap_count": None, "run_id": None, "counts": None}
    return {"percent_met": found.percent_met, "gap_count": len(found.gap or []), "run_id": found.run_id,
            "counts": found.counts}


def latest(session: Session, system_key: str) -> SystemAssessment | None:
    query = (select(SystemAssessment).where(SystemAssessment.system_key == system_key)
             .order_by(SystemAssessment.run_id.desc()).limit(1))
    return session.scalar(query)


def of_run(session: Session, run_id: int, system_key: str | None = None) -> list[SystemAssessment]:
    query = select(SystemAssessment).where(SystemAssessment.run_id == run_id)
    if system_key:
        query = query.where(SystemAssessment.system_key == system_key)
    return list(session.scalars(query.order_by(SystemAssessment.level.desc(), SystemAssessment.system_key)))


def get(session: Session, system_key: str, run_id: int | None = None) -> SystemAssessment:
    """The system's assessment in that run (default: its latest); NotFound if there is none."""
    found = of_run(session, run_id, system_key) if run_id else [latest(session, system_key)]
    if not found or found[0] is None:
        raise NotFound(f"no assessment of system {system_key!r}" + (f" in run {run_id}" if run_id else ""))
    return found[0]


def trend(session: Session, system_key: str, limit: int = 30) -> list[dict]:
    """Percent met of the system over its last `limit` assessments, oldest first."""
    query = (select(SystemAssessment.run_id, SystemAssessment.percent_met)
             .where(SystemAssessment.system_key == system_key)
             .order_by(SystemAssessment.run_id.desc()).limit(limit))
    return [{"run_id": run_id, "percent_met": value} for run_id, value in reversed(session.execute(query).all())]


def assessment_as_dict(row: SystemAssessment) -> dict:
    return {"run_id": row.run_id, "system": row.system_key, "name_vi": row.name_vi, "name_en": row.name_en,
            "owner_unit": row.owner_unit, "level": row.level, "framework": row.framework,
            "approved_on": iso(row.approved_on), "hosts": row.hosts,
            "counts": row.counts, "percent_met": row.percent_met, "requirements": row.verdicts,
            "transition_gap": row.gap}
