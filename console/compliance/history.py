"""Reading stored runs: the run list, one run's results (streamed), two runs compared, trends.

This is the run results API other parts use (issue 9's reporting reads it):
  list_runs(session, limit=50, before_id=None) -> list[ComplianceRun]
  get_run(session, run_id) -> ComplianceRun                    (NotFound)
  latest_run(session) -> ComplianceRun | None
  iter_results(session, run_id, **filters) -> Iterator[ComplianceResult]   (streamed)
  ResultFilter.from_args(args) and results_page(session, run_id, filter, after_id, limit)
      -> the one filtered, id-ordered page of a run's results the console page and the API show
  diff_runs(session, older_id, newer_id) -> RunDiff
  trend(session, dimension="category", limit=30) -> dict
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.common.paging import get_or_404
from console.common.time import iso
from console.errors import ValidationFailed
from console.models.compliance import ComplianceResult, ComplianceRun

__all__ = ["get_result", "get_run", "iter_results", "latest_run"]

FILTERS = ("result", "control_id", "target", "category", "unit", "severity")


def list_runs(session: Session, limit: int = 50, before_id: int | None = None) -> list[ComplianceRun]:
    query = select(ComplianceRun).order_by(ComplianceRun.id.desc()).limit(limit)
    if before_id:
        query = query.where(ComplianceRun.id < before_id)
    return list(session.scalars(query))


def get_run(session: Session, run_id: int) -> ComplianceRun:
    return get_or_404(session, ComplianceRun, run_id, f"no compliance run {run_id}")


def get_result(session: Session, result_id: int) -> ComplianceResult | None:
    """One stored result, or None."""
    return session.get(ComplianceResult, result_id)


def latest_run(session: Session) -> ComplianceRun | None:
    return session.scalar(select(ComplianceRun).order_by(ComplianceRun.id.desc()).limit(1))


def iter_results(session: Session, run_id: int, batch: int = 2000, **filters) -> Iterator[ComplianceResult]:
    """Results of a run ordered by target then control, read `batch` rows at a time."""
    query = select(ComplianceResult).where(ComplianceResult.run_id == run_id)
    for name, value in filters.items():
        if name not in FILTERS:
            raise ValidationFailed(name, "unknown filter")
        if value:
            query = query.where(getattr(ComplianceResult, name) == value)
    query = query.order_by(ComplianceResult.target, ComplianceResult.control_id).execution_options(yield_per=batch)
    yield from session.scalars(query)


@dataclass(frozen=True)
class ResultFilter:
    """Which results of a run to show; empty fields match everything."""

    result: str = ""
    target: str = ""
    control_id: str = ""
    category: str = ""
    unit: str = ""

    # query argument -> field; the page's names and the API's shorter ones
    ARGS = {"result": "result", "target": "target", "host": "target", "control_id": "control_id",
            "control": "control_id", "category": "category", "unit": "unit"}

    @classmethod
    def from_args(cls, args) -> "ResultFilter":
        values: dict[str, str] = {}
        for arg, name in cls.ARGS.items():
            value = (args.get(arg) or "").strip()[:255]
            if value:
                values[name] = value
        if values.get("result") and values["result"] not in RESULTS:
            raise ValidationFailed("result", f"must be one of {', '.join(RESULTS)}")
        return cls(**values)

    def as_args(self) -> dict[str, str]:
        return {name: value for name, value in asdict(self).items() if value}


RESULTS = ("pass", "fail", "unknown", "waived")


def results_page(session: Session, run_id: int, result_filter: ResultFilter, after_id: int = 0,
                 limit: int = 100) -> list[ComplianceResult]:
    """Up to `limit` results of the run after result id `after_id`, in id order (ask limit + 1 to know of more)."""
    query = select(ComplianceResult).where(ComplianceResult.run_id == run_id, ComplianceResult.id > after_id)
    for name, value in result_filter.as_args().items():
        query = query.where(getattr(ComplianceResult, name) == value)
    return list(session.scalars(query.order_by(ComplianceResult.id).limit(limit)))


@dataclass
class RunDiff:
    older: int
    newer: int
    new_failures: list[dict] = field(default_factory=list)
    fixed: list[dict] = field(default_factory=list)
    still_failing: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"older": self.older, "newer": self.newer, "new_failures": self.new_failures,
                "fixed": self.fixed, "still_failing": self.still_failing,
                "counts": {"new_failures": len(self.new_failures), "fixed": len(self.fixed),
                           "still_failing": len(self.still_failing)}}


def diff_runs(session: Session, older_id: int, newer_id: int) -> RunDiff:
    """Failures that appeared, went away, or stayed between two runs (by control and target)."""
    get_run(session, older_id), get_run(session, newer_id)
    older, newer = _not_passing(session, older_id), _not_passing(session, newer_id)
    diff = RunDiff(older_id, newer_id)
    for key, row in sorted(newer.items()):
        if row["result"] != "fail":
            continue
        (diff.still_failing if older.get(key, {}).get("result") == "fail" else diff.new_failures).append(row)
    for key, row in sorted(older.items()):
        if row["result"] == "fail" and newer.get(key, {}).get("result") != "fail":
            diff.fixed.append({**row, "now": newer.get(key, {}).get("result", "pass")})
    return diff


def _not_passing(session: Session, run_id: int) -> dict[tuple[str, str], dict]:
    query = (select(ComplianceResult.control_id, ComplianceResult.target, ComplianceResult.result,
                    ComplianceResult.severity, ComplianceResult.why, ComplianceResult.reason)
             .where(ComplianceResult.run_id == run_id, ComplianceResult.result != "pass"))
    return {(c, t): {"control_id": c, "target": t, "result": r, "severity": s, "why": w, "reason": reason}
            for c, t, r, s, w, reason in session.execute(query)}


def trend(session: Session, dimension: str = "category", limit: int = 30) -> dict:
    """Score per category (or unit) for the last `limit` runs, oldest first, from each run's summary."""
    if dimension not in ("category", "unit"):
        raise ValidationFailed("by", "must be category or unit")
    runs = list(reversed(list_runs(session, limit=limit)))
    keys = sorted({key for run in runs for key in (run.summary or {}).get(dimension, {})})
    return {
        "runs": [{"id": run.id, "started_at": run.started_at.isoformat(), "score": (run.counts or {}).get("score")}
                 for run in runs],
        "series": {key: [((run.summary or {}).get(dimension, {}).get(key) or {}).get("score") for run in runs]
                   for key in keys},
    }


def run_as_dict(run: ComplianceRun) -> dict:
    return {"id": run.id, "trigger": run.trigger, "actor": run.actor, "state": run.state,
            "started_at": run.started_at.isoformat(),
            "finished_at": iso(run.finished_at),
            "catalog_digest": run.catalog_digest, "counts": run.counts, "summary": run.summary}


def result_as_dict(row: ComplianceResult) -> dict:
    return {"control_id": row.control_id, "target": row.target, "target_kind": row.target_kind, "unit": row.unit,
            "category": row.category, "severity": row.severity, "result": row.result, "why": row.why,
            "evidence": row.evidence, "evidence_at": iso(row.evidence_at),
            "waiver_id": row.waiver_id}


def overview(session: Session, runs: int = 30, top: int = 5) -> dict | None:
    """The latest run at a glance (None before any run): its score, the change since the run before,
    the score of the last `runs` runs (oldest first) and the `top` controls failing on most targets.

    Column queries only: the runs' counts, and the latest run's per-control tally from its summary
    (one result per control and target, so a control's fail count is the targets it fails on); a run
    stored without that tally is counted from its results.
    """
    from sqlalchemy import func

    rows = session.execute(select(ComplianceRun.id, ComplianceRun.started_at, ComplianceRun.state, ComplianceRun.counts)
                           .order_by(ComplianceRun.id.desc()).limit(runs)).all()
    if not rows:
        return None
    latest_id, started_at, state, counts = rows[0]
    counts = counts or {}
    previous = (rows[1].counts or {}).get("score") if len(rows) > 1 else None
    score = counts.get("score")
    per_control = (session.scalar(select(ComplianceRun.summary).where(ComplianceRun.id == latest_id)) or {}).get("control")
    if per_control is not None:
        failing = sorted(((control, tally.get("fail", 0)) for control, tally in per_control.items()
                          if tally.get("fail")), key=lambda item: (-item[1], item[0]))[:top]
    else:
        failing = session.execute(
            select(ComplianceResult.control_id, func.count().label("targets"))
            .where(ComplianceResult.run_id == latest_id, ComplianceResult.result == "fail")
            .group_by(ComplianceResult.control_id).order_by(func.count().desc(), ComplianceResult.control_id)
            .limit(top)).all()
    return {
        "run_id": latest_id, "started_at": started_at, "state": state, "score": score,
        "previous_score": previous,
        "change": round(score - previous, 1) if score is not None and previous is not None else None,
        "counts": {key: counts.get(key, 0) for key in ("pass", "fail", "unknown", "waived", "total")},
        "trend": [{"run_id": run_id, "started_at": at, "score": (c or {}).get("score")}
                  for run_id, at, _state, c in reversed(rows)],
        "top_failing": [{"control_id": control, "targets": n} for control, n in failing],
    }
