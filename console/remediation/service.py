"""Remediations: start, approve, apply, withdraw, and the background step that moves them on.

The chain, each step in one transaction with its audit record:
  start    a failing result (control, hosts, the run that found it) gets a
           check-mode job with --diff, limited to those hosts; state checking.
  advance  (the scheduler, every few seconds) moves a remediation on when its
           job has ended: checking -> checked; applying -> verifying; and,
           once every host's agent has reported after the apply job (or
           [compliance] remediation_verify_minutes passed), evaluates the
           control again on those hosts -> verified or still_failing.
  approve  a critical control needs a second person's approval before
           Apply: not the one who started it, and not the one who applies.
  apply    the real job (--diff), by admin or it_staff; state applying.
  withdraw cancels a remediation and its running job; nothing is verified.
start_cve  a CVE with a fix available on some hosts: the same chain with the
           upgrade playbook ([vulns] fix_playbook) and the installed packages
           of the affected source; verified by each host's next package list
           (console.vulns.fixes), approved first when [vulns] fix_needs_approval.
A cancelled job ends the remediation cancelled with no verification; a job
that could not run ends it in error. A host the apply job could not reach
gets its own verification result saying so, and the finding stays open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from console.access import audit
from console.access.actor import Actor
from console.access.permissions import require
from console.common.paging import get_or_404
from console.common.time import iso
from console.compliance import history
from console.compliance.catalog import Catalog, LoadedControl
from console.compliance.engine import evaluate
from console.compliance.evidence import agent as agent_evidence
from console.compliance.runs import host_targets
from console.db import session_scope
from console.errors import Conflict, PermissionDenied, ValidationFailed
from console.jobs import service as jobs
from console.models.base import utcnow
from console.models.remediation import Remediation, RemediationState
from console.vulns import fixes as vuln_fixes

if TYPE_CHECKING:  # annotations only: settings assembles the areas' config sections, above them
    from console.settings import Settings

MAX_HOSTS = 500
UNFINISHED = [state for state in RemediationState if not state.finished]


@dataclass
class Launched:
    """A remediation whose job is committed and must now be handed to a worker."""

    remediation_id: int
    job_id: int
    secrets: object


def remediation_of(catalog: Catalog, control_id: str) -> LoadedControl:
    control = catalog.by_id().get(control_id)
    if control is None:
        raise ValidationFailed("control_id", f"no control {control_id!r} in the catalog")
    if control.spec.remediation is None:
        raise ValidationFailed("control_id", f"{control_id} has no Ansible remediation: it is fixed by hand")
    return control


def failing_hosts(session: Session, run_id: int, control_id: str) -> list[str]:
    """Hosts on which `control_id` failed in run `run_id`, by name."""
    return sorted({row.target for row in history.iter_results(session, run_id, control_id=control_id, result="fail")
                   if row.target_kind == "host"})


def start(factory: sessionmaker[Session], actor: Actor, settings: Settings, catalog: Catalog, control_id: str,
          hosts: list[str], run_id: int | None = None) -> Remediation:
    """Open a remediation for a failing result and start its check job; returns it (committed)."""
    with session_scope(factory) as session:
        launched = _start(session, actor, settings, catalog, control_id, hosts, run_id)
    _hand_over(factory, settings, launched)
    with session_scope(factory) as session:
        return get(session, launched.remediation_id)


def _start(session: Session, actor: Actor, settings: Settings, catalog: Catalog, control_id: str,
           hosts: list[str], run_id: int | None) -> Launched:
    require(actor, "remediation.run")
    control = remediation_of(catalog, control_id)
    run = history.get_run(session, run_id) if run_id else history.latest_run(session)
    if run is None:
        raise ValidationFailed("run_id", "no compliance run yet: run the checks first")
    wanted = sorted({h.strip() for h in hosts if h and h.strip()})
    if not wanted:
        raise ValidationFailed("hosts", "choose at least one failing host")
    if len(wanted) > MAX_HOSTS:
        raise ValidationFailed("hosts", f"at most {MAX_HOSTS} hosts at once")
    failing = set(failing_hosts(session, run.id, control_id))
    not_failing = [h for h in wanted if h not in failing]
    if not_failing:
        raise ValidationFailed("hosts", f"{', '.join(not_failing[:5])}: {control_id} did not fail there in run {run.id}")
    _refuse_open(session, control_id, wanted)
    fix = control.spec.remediation
    job, secrets = jobs.launch(session, actor, settings, _request(fix, wanted, check=True), permission="remediation.run")
    item = Remediation(control_id=control_id, severity=control.spec.severity, run_id=run.id, hosts=wanted,
                       playbook=fix.job_playbook, tags=",".join(fix.tags), extravars=dict(fix.vars),
                       state=RemediationState.checking, needs_approval=control.spec.severity == "critical",
                       requested_by=actor.username, check_job_id=job.id, verification=[], message="")
    session.add(item)
    session.flush()
    audit.record(session, actor, "remediation.start", "remediation", str(item.id), control=control_id, run=run.id,
                 hosts=wanted, check_job=job.id, playbook=item.playbook, tags=item.tags)
    return Launched(item.id, job.id, secrets)


def start_cve(factory: sessionmaker[Session], actor: Actor, settings: Settings, cve: str,
              hosts: list[str]) -> Remediation:
    """Open a CVE's Fix with Ansible on hosts where a fix is available, and start its check job (committed)."""
    with session_scope(factory) as session:
        launched = _start_cve(session, actor, settings, cve, hosts)
    _hand_over(factory, settings, launched)
    with session_scope(factory) as session:
        return get(session, launched.remediation_id)


def _start_cve(session: Session, actor: Actor, settings: Settings, cve: str, hosts: list[str]) -> Launched:
    require(actor, "remediation.run")
    wanted = sorted({h.strip() for h in hosts if h and h.strip()})
    if not wanted:
        raise ValidationFailed("hosts", "choose at least one host with the fix available")
    if len(wanted) > MAX_HOSTS:
        raise ValidationFailed("hosts", f"at most {MAX_HOSTS} hosts at once")
    plan = vuln_fixes.fix_plan(session, cve, wanted)
    _refuse_open(session, cve, wanted)
    conf = settings.vulns
    extravars = {"ops_upgrade_packages": ",".join(plan.packages)}
    request = jobs.LaunchRequest(playbook=conf.fix_playbook, limit=":".join(wanted), check=True, diff=True,
                                 extravars=extravars)
    job, secrets = jobs.launch(session, actor, settings, request, permission="remediation.run")
    item = Remediation(control_id=cve, cve=cve, severity=_severity_of(plan.urgency), run_id=None, hosts=wanted,
                       playbook=conf.fix_playbook, tags="", extravars=extravars, state=RemediationState.checking,
                       needs_approval=conf.fix_needs_approval, requested_by=actor.username, check_job_id=job.id,
                       verification=[], message="")
    session.add(item)
    session.flush()
    audit.record(session, actor, "remediation.start", "remediation", str(item.id), cve=cve, hosts=wanted,
                 packages=plan.packages, check_job=job.id, playbook=item.playbook)
    return Launched(item.id, job.id, secrets)


def _severity_of(urgency: str) -> str:
    base = urgency.rstrip("*").strip()
    return base if base in ("high", "medium", "low") else "low"


def _request(fix, hosts: list[str], check: bool) -> jobs.LaunchRequest:
    return jobs.LaunchRequest(playbook=fix.job_playbook, limit=":".join(hosts), tags=",".join(fix.tags), check=check,
                              diff=True, extravars=dict(fix.vars))


def _refuse_open(session: Session, control_id: str, hosts: list[str]) -> None:
    query = select(Remediation).where(Remediation.control_id == control_id, Remediation.state.in_(UNFINISHED))
    for other in session.scalars(query):
        shared = sorted(set(other.hosts) & set(hosts))
        if shared:
            raise Conflict(f"remediation #{other.id} of {control_id} is still open on {', '.join(shared[:5])}; "
                           "finish or withdraw it first")


def _hand_over(factory, settings: Settings, launched: Launched) -> None:
    try:
        jobs.hand_over(factory, settings, launched.job_id, launched.secrets)
    except OSError:
        advance_one(factory, settings, None, launched.remediation_id)
        raise


def approve(session: Session, actor: Actor, remediation_id: int) -> Remediation:
    """The second person's approval a critical control needs before Apply."""
    require(actor, "remediation.approve")
    item = get(session, remediation_id)
    if not item.needs_approval:
        raise Conflict(f"remediation #{item.id} of {item.control_id} needs no approval")
    if item.approved_by:
        raise Conflict(f"remediation #{item.id} was already approved by {item.approved_by}")
    if item.state != RemediationState.checked:
        raise Conflict(f"remediation #{item.id} is {item.state.value}: approve it once its check job has ended")
    if actor.username == item.requested_by:
        raise PermissionDenied(f"{actor.username} started remediation #{item.id}: a second person must approve it")
    item.approved_by, item.approved_at = actor.username, utcnow()
    audit.record(session, actor, "remediation.approve", "remediation", str(item.id), control=item.control_id,
                 hosts=item.hosts, severity=item.severity, requested_by=item.requested_by)
    return item


def apply(factory: sessionmaker[Session], actor: Actor, settings: Settings, remediation_id: int) -> Remediation:
    """Start the apply job of a checked (and, if critical, approved) remediation."""
    with session_scope(factory) as session:
        require(actor, "remediation.run")
        item = get(session, remediation_id)
        if item.state != RemediationState.checked:
            raise Conflict(f"remediation #{item.id} is {item.state.value}: Apply follows a finished check job")
        if item.needs_approval and not item.approved_by:
            why = "fixes are approved first ([vulns] fix_needs_approval)" if item.cve else "is critical"
            raise Conflict(f"{item.control_id} {why}: a second person must approve remediation #{item.id} "
                           "before it is applied")
        if item.needs_approval and actor.username == item.approved_by:
            raise PermissionDenied(f"{actor.username} approved remediation #{item.id}: another person applies it")
        request = jobs.LaunchRequest(playbook=item.playbook, limit=":".join(item.hosts), tags=item.tags, check=False,
                                     diff=True, extravars=dict(item.extravars))
        job, secrets = jobs.launch(session, actor, settings, request, permission="remediation.run")
        item.state, item.apply_job_id, item.applied_by = RemediationState.applying, job.id, actor.username
        audit.record(session, actor, "remediation.apply", "remediation", str(item.id), control=item.control_id,
                     hosts=item.hosts, apply_job=job.id, approved_by=item.approved_by)
        launched = Launched(item.id, job.id, secrets)
    _hand_over(factory, settings, launched)
    with session_scope(factory) as session:
        return get(session, remediation_id)


def withdraw(session: Session, actor: Actor, remediation_id: int) -> Remediation:
    """Cancel an open remediation and the job it is running; nothing is verified."""
    require(actor, "remediation.run")
    item = get(session, remediation_id)
    if item.state.finished:
        raise Conflict(f"remediation #{item.id} has already ended ({item.state.value})")
    for job_id in (item.check_job_id, item.apply_job_id):
        if job_id is not None and not jobs.get_job(session, job_id).state.finished:
            jobs.cancel(session, actor, job_id)
    _end(item, RemediationState.cancelled, f"withdrawn by {actor.username}")
    audit.record(session, actor, "remediation.withdraw", "remediation", str(item.id), control=item.control_id)
    return item


def get(session: Session, remediation_id: int) -> Remediation:
    return get_or_404(session, Remediation, remediation_id, f"no remediation {remediation_id}")


def list_remediations(session: Session, state: str | None = None, control_id: str | None = None,
                      limit: int = 100) -> list[Remediation]:
    query = select(Remediation).order_by(Remediation.id.desc()).limit(limit)
    if state:
        try:
            query = query.where(Remediation.state == RemediationState(state))
        except ValueError:
            raise ValidationFailed("state", f"must be one of {', '.join(s.value for s in RemediationState)}") from None
    if control_id:
        query = query.where(Remediation.control_id == control_id)
    return list(session.scalars(query))


def _end(item: Remediation, state: RemediationState, message: str) -> None:
    item.state, item.message = state, message[:2000]


# The background step ------------------------------------------------------------------------------


def system_actor() -> Actor:
    base = Actor.cli()
    return Actor(username="remediation", role=base.role, client_addr="local", via="schedule")


def advance(factory: sessionmaker[Session], settings: Settings, catalog: Catalog, now: datetime | None = None) -> int:
    """Move every open remediation on as far as its jobs and agents allow; returns how many changed state."""
    with session_scope(factory) as session:
        ids = list(session.scalars(select(Remediation.id).where(Remediation.state.in_(
            [RemediationState.checking, RemediationState.applying, RemediationState.verifying]))))
    return sum(advance_one(factory, settings, catalog, item_id, now) for item_id in ids)


def advance_one(factory, settings: Settings, catalog: Catalog | None, remediation_id: int,
                now: datetime | None = None) -> bool:
    """One remediation, in its own transaction: True when its state changed."""
    with session_scope(factory) as session:
        item = session.get(Remediation, remediation_id, with_for_update=True)
        if item is None or item.state.finished:
            return False
        before = item.state
        if item.state == RemediationState.checking:
            _after_job(session, item, item.check_job_id, "check", RemediationState.checked, settings)
        elif item.state == RemediationState.applying:
            _after_job(session, item, item.apply_job_id, "apply", RemediationState.verifying, settings)
        elif item.state == RemediationState.verifying and item.cve:
            _verify_cve(session, item, now or utcnow())
        elif item.state == RemediationState.verifying and catalog is not None:
            _verify_when_reported(session, item, catalog, now or utcnow())
        if item.state != before:
            audit.record(session, system_actor(), f"remediation.{item.state.value}", "remediation", str(item.id),
                         control=item.control_id, hosts=item.hosts, message=item.message,
                         results={v["host"]: v["result"] for v in item.verification})
            return True
        return False


def _after_job(session: Session, item: Remediation, job_id: int | None, which: str, next_state: RemediationState,
               settings: Settings) -> None:
    if job_id is None:
        _end(item, RemediationState.error, f"the {which} job is gone (purged)")
        return
    job = jobs.get_job(session, job_id)
    if not job.state.finished:
        return
    if job.state.value == "cancelled":
        _end(item, RemediationState.cancelled, f"the {which} job #{job.id} was cancelled: nothing is verified")
    elif job.state.value == "error":
        _end(item, RemediationState.error, f"the {which} job #{job.id} could not run: {job.error_message}")
    else:
        item.state = next_state
        if next_state == RemediationState.verifying:
            item.apply_ended_at = job.finished_at or utcnow()
            minutes = settings.vulns.fix_verify_minutes if item.cve else settings.compliance.remediation_verify_minutes
            item.verify_deadline = item.apply_ended_at + timedelta(minutes=minutes)


def _verify_when_reported(session: Session, item: Remediation, catalog: Catalog, now: datetime) -> None:
    control = catalog.by_id().get(item.control_id)
    if control is None:
        _end(item, RemediationState.error, f"control {item.control_id} is no longer in the catalog")
        return
    unreachable = _unreachable_hosts(session, item)
    targets = {t.name: t for t in host_targets(session, item.hosts)}
    reports = agent_evidence.latest(session, [t.host_id for t in targets.values()])
    waiting = [name for name, target in targets.items() if name not in unreachable
               and not _reported_after(reports[target.host_id], item.apply_ended_at)]
    if waiting and now < item.verify_deadline:
        return
    results = []
    for name in item.hosts:
        target = targets.get(name)
        if name in unreachable:
            results.append(_verdict(name, "unreachable", f"the apply job could not reach {name}: {unreachable[name]}",
                                    {"k": "remediation_unreachable", "host": name}))
        elif target is None:
            results.append(_verdict(name, "unknown", f"{name} is no longer an active inventory host",
                                    {"k": "remediation_gone", "host": name}))
        elif name in waiting:
            minutes = _waited_minutes(item)
            results.append(_verdict(name, "unknown", f"no agent report since the apply job ended (waited {minutes} min)",
                                    {"k": "remediation_no_report", "minutes": minutes}))
        else:
            row = evaluate(control, target, reports[target.host_id], now)
            results.append({"host": name, "result": row["result"], "why": row["why"], "reason": row["reason"],
                            "evidence_at": row["evidence_at"].isoformat() if row["evidence_at"] else None})
    item.verification, item.verified_at = results, now
    passed = all(r["result"] == "pass" for r in results)
    item.state = RemediationState.verified if passed else RemediationState.still_failing
    failing = [f"{r['host']}: {r['result']}: {r['why']}" for r in results if r["result"] != "pass"]
    item.message = "; ".join(failing)[:2000]


def _verify_cve(session: Session, item: Remediation, now: datetime) -> None:
    """A CVE fix: each host's next package list after the apply job says whether the CVE is gone."""
    unreachable = _unreachable_hosts(session, item)
    ids = {target.name: target.host_id for target in host_targets(session, item.hosts)}
    verdicts = {name: vuln_fixes.fix_verdict(session, host_id, item.cve, item.apply_ended_at)
                for name, host_id in ids.items() if name not in unreachable}
    if any(v is None for v in verdicts.values()) and now < item.verify_deadline:
        return
    results = []
    for name in item.hosts:
        if name in unreachable:
            results.append(_verdict(name, "unreachable", f"the apply job could not reach {name}: {unreachable[name]}",
                                    {"k": "remediation_unreachable", "host": name}))
        elif name not in ids:
            results.append(_verdict(name, "unknown", f"{name} is no longer an active inventory host",
                                    {"k": "remediation_gone", "host": name}))
        elif verdicts[name] is None:
            minutes = _waited_minutes(item)
            results.append(_verdict(name, "unknown", f"no package list from the agent since the apply job ended "
                                    f"(waited {minutes} min)", {"k": "vuln_no_inventory", "minutes": minutes}))
        else:
            result, why, reason = verdicts[name]
            results.append({"host": name, "result": result, "why": why, "reason": reason,
                            "evidence_at": iso(now)})
    item.verification, item.verified_at = results, now
    item.state = (RemediationState.verified if all(r["result"] == "pass" for r in results)
                  else RemediationState.still_failing)
    item.message = "; ".join(f"{r['host']}: {r['result']}: {r['why']}" for r in results if r["result"] != "pass")[:2000]


def _waited_minutes(item: Remediation) -> int:
    return max(1, round((item.verify_deadline - item.apply_ended_at).total_seconds() / 60))


def _verdict(host: str, result: str, why: str, reason: dict) -> dict:
    return {"host": host, "result": result, "why": why, "reason": reason, "evidence_at": None}


def _reported_after(evidence, moment: datetime | None) -> bool:
    return evidence.snapshot is not None and evidence.collected_at is not None and moment is not None \
        and evidence.collected_at > moment


def _unreachable_hosts(session: Session, item: Remediation) -> dict[str, str]:
    """Hosts the apply job could not reach, with the job's error for each."""
    if item.apply_job_id is None:
        return {}
    job = jobs.get_job(session, item.apply_job_id)
    return {result.host: (result.last_error or "unreachable")[:300] for result in job.host_results
            if result.status == "unreachable" or result.unreachable}


# What the finding's page shows ---------------------------------------------------------------------


def chain(session: Session, item: Remediation) -> dict:
    """The steps in order, each with what is known of it: for the page and the API."""
    check_job = jobs.get_job(session, item.check_job_id) if item.check_job_id else None
    apply_job = jobs.get_job(session, item.apply_job_id) if item.apply_job_id else None
    return {
        "remediation": item,
        "check_job": check_job,
        "check_changes": jobs.changed_output(session, check_job.id) if check_job and check_job.state.finished else {},
        "apply_job": apply_job,
        "apply_changes": jobs.changed_output(session, apply_job.id) if apply_job and apply_job.state.finished else {},
        "can_approve": item.needs_approval and not item.approved_by and item.state == RemediationState.checked,
        "can_apply": item.state == RemediationState.checked and (item.approved_by or not item.needs_approval),
    }


def as_dict(item: Remediation) -> dict:
    return {"id": item.id, "control_id": item.control_id, "cve": item.cve or None, "severity": item.severity,
            "run_id": item.run_id,
            "hosts": item.hosts, "playbook": item.playbook, "tags": item.tags, "state": item.state.value,
            "needs_approval": item.needs_approval, "requested_by": item.requested_by,
            "requested_at": iso(item.requested_at), "check_job_id": item.check_job_id,
            "approved_by": item.approved_by or None, "approved_at": iso(item.approved_at),
            "applied_by": item.applied_by or None, "apply_job_id": item.apply_job_id,
            "apply_ended_at": iso(item.apply_ended_at), "verify_deadline": iso(item.verify_deadline),
            "verified_at": iso(item.verified_at),
            "verification": [{k: v for k, v in r.items() if k != "reason"} for r in item.verification],
            "message": item.message}
