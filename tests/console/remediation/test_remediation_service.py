"""A finding carried through check job, approval, apply job and verification, with real Ansible runs.

The jobs run as the console runs them (a detached `ops jobs run-worker`),
over `ansible_connection: local` for web-a and web-b, and to an address
where nothing listens for far-1. `advance` is what the scheduler calls.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from console.access.actor import Actor
from console.compliance import runs as compliance_runs
from console.compliance.catalog import configured_catalog
from console.db import session_scope
from console.errors import Conflict, PermissionDenied, ValidationFailed
from console.jobs import service as jobs
from console.models import AuditEvent, Remediation, RemediationState
from console.models.base import utcnow
from console.models.users import Role
from console.remediation import service as remediation
from tests.console.compliance.helpers import enrol, ingest, report

# The jobs run ansible-playbook in a detached worker: the full suite's tier, not `make check`'s.
pytestmark = pytest.mark.external

STAFF = Actor(username="ivan", role=Role.it_staff, client_addr="198.18.0.21", user_id=None)
OTHER = Actor(username="olga", role=Role.it_staff, client_addr="198.18.0.22", user_id=None)
OFFICER = Actor(username="sofia", role=Role.security_officer, client_addr="198.18.0.23", user_id=None)
AUDITOR = Actor(username="audrey", role=Role.auditor, client_addr="198.18.0.24", user_id=None)


@pytest.fixture
def estate(session_factory, settings, synced_small, fix_files):
    """Agents for web-a, web-b and far-1 reporting a broken marker, and a run in which TST-* fail on all three."""
    agents = {host: enrol(session_factory, host) for host in ("web-a", "web-b", "far-1")}
    for host, agent_id in agents.items():
        ingest(session_factory, agent_id, report(host, marker={"state": "broken"}))
    catalog = configured_catalog(settings)
    outcome = compliance_runs.execute(session_factory, Actor.cli(), catalog)
    return {"agents": agents, "catalog": catalog, "run_id": outcome.run_id, "markers": fix_files[3]}


@pytest.fixture
def synced_small(session_factory, settings):
    from console.inventory.sync import sync_inventory

    with session_scope(session_factory) as db:
        sync_inventory(db, Actor.cli(), settings.inventory)


def wait_for(session_factory, settings, catalog, item_id: int, states: set[str], seconds: float = 90) -> Remediation:
    deadline = time.monotonic() + seconds
    while True:
        remediation.advance(session_factory, settings, catalog)
        with session_factory() as db:
            item = db.get(Remediation, item_id)
            if item.state.value in states:
                db.expunge(item)
                return item
        assert time.monotonic() < deadline, f"remediation {item_id} stayed {item.state.value}"
        time.sleep(0.5)


def agent_reports_marker(session_factory, estate, host: str) -> None:
    """What an agent on `host` would report: the marker file's content as the playbook left it."""
    marker = estate["markers"] / host
    state = marker.read_text().strip() if marker.exists() else "broken"
    ingest(session_factory, estate["agents"][host], report(host, marker={"state": state}))


def test_a_failing_control_goes_from_check_to_apply_to_a_verified_pass(session_factory, settings, estate):
    catalog = estate["catalog"]
    item = remediation.start(session_factory, STAFF, settings, catalog, "TST-01", ["web-a", "web-b"], estate["run_id"])
    assert item.state == RemediationState.checking and not item.needs_approval

    checked = wait_for(session_factory, settings, catalog, item.id, {"checked"})
    with session_factory() as db:
        check_job = jobs.get_job(db, checked.check_job_id)
        assert check_job.check_mode and check_job.diff and check_job.limit == "web-a:web-b"
        changes = jobs.changed_output(db, check_job.id)
    # The check run says per host what the copy would write, and writes nothing.
    assert set(changes) == {"web-a", "web-b"}
    assert "fixed" in "".join(event.stdout for event in changes["web-a"])
    assert not (estate["markers"] / "web-a").exists()

    remediation.apply(session_factory, STAFF, settings, item.id)
    verifying = wait_for(session_factory, settings, catalog, item.id, {"verifying"})
    assert (estate["markers"] / "web-a").read_text() == "fixed\n"
    # Until both agents have reported after the job, nothing is judged.
    agent_reports_marker(session_factory, estate, "web-a")
    remediation.advance(session_factory, settings, catalog)
    with session_factory() as db:
        assert db.get(Remediation, item.id).state == RemediationState.verifying
    agent_reports_marker(session_factory, estate, "web-b")

    done = wait_for(session_factory, settings, catalog, item.id, {"verified", "still_failing"})
    assert done.state == RemediationState.verified, done.verification
    assert {row["host"]: row["result"] for row in done.verification} == {"web-a": "pass", "web-b": "pass"}
    assert verifying.apply_ended_at is not None and done.verified_at > verifying.apply_ended_at
    with session_factory() as db:
        actions = [a.action for a in db.scalars(select(AuditEvent).where(AuditEvent.object_type == "remediation")
                                                .order_by(AuditEvent.id))]
    assert actions == ["remediation.start", "remediation.checked", "remediation.apply", "remediation.verifying",
                       "remediation.verified"]


def test_a_critical_control_needs_a_second_person_before_apply(session_factory, settings, estate):
    catalog = estate["catalog"]
    item = remediation.start(session_factory, STAFF, settings, catalog, "TST-02", ["web-a"], estate["run_id"])
    assert item.needs_approval
    wait_for(session_factory, settings, catalog, item.id, {"checked"})

    with pytest.raises(Conflict, match="second person must approve"):
        remediation.apply(session_factory, STAFF, settings, item.id)
    with session_scope(session_factory) as db, pytest.raises(PermissionDenied, match="second person"):
        remediation.approve(db, STAFF, item.id)
    with session_scope(session_factory) as db, pytest.raises(PermissionDenied):
        remediation.approve(db, AUDITOR, item.id)
    with session_scope(session_factory) as db:
        remediation.approve(db, OFFICER, item.id)
    with pytest.raises(PermissionDenied):  # a security officer may approve, not run playbooks
        remediation.apply(session_factory, OFFICER, settings, item.id)
    remediation.apply(session_factory, OTHER, settings, item.id)

    wait_for(session_factory, settings, catalog, item.id, {"verifying"})
    agent_reports_marker(session_factory, estate, "web-a")
    done = wait_for(session_factory, settings, catalog, item.id, {"verified", "still_failing"})
    assert done.state == RemediationState.verified
    assert (done.requested_by, done.approved_by, done.applied_by) == ("ivan", "sofia", "olga")
    with session_factory() as db:
        approval = db.scalars(select(AuditEvent).where(AuditEvent.action == "remediation.approve")).one()
    assert approval.actor == "sofia" and approval.object_id == str(item.id)


@pytest.mark.sqlite_only
def test_an_unreachable_host_gets_its_own_result_and_the_finding_stays_open(session_factory, settings, estate):
    catalog = estate["catalog"]
    item = remediation.start(session_factory, STAFF, settings, catalog, "TST-01", ["web-a", "far-1"], estate["run_id"])
    wait_for(session_factory, settings, catalog, item.id, {"checked"})
    remediation.apply(session_factory, STAFF, settings, item.id)
    wait_for(session_factory, settings, catalog, item.id, {"verifying"})
    agent_reports_marker(session_factory, estate, "web-a")

    done = wait_for(session_factory, settings, catalog, item.id, {"verified", "still_failing"})

    assert done.state == RemediationState.still_failing
    results = {row["host"]: row for row in done.verification}
    assert results["web-a"]["result"] == "pass"
    assert results["far-1"]["result"] == "unreachable" and "could not reach far-1" in results["far-1"]["why"]


@pytest.mark.sqlite_only
def test_a_host_that_never_reports_is_unknown_after_the_timeout(session_factory, settings, estate):
    catalog = estate["catalog"]
    item = remediation.start(session_factory, STAFF, settings, catalog, "TST-01", ["web-b"], estate["run_id"])
    wait_for(session_factory, settings, catalog, item.id, {"checked"})
    remediation.apply(session_factory, STAFF, settings, item.id)
    verifying = wait_for(session_factory, settings, catalog, item.id, {"verifying"})
    remediation.advance(session_factory, settings, catalog, now=utcnow())
    with session_factory() as db:
        assert db.get(Remediation, item.id).state == RemediationState.verifying

    remediation.advance(session_factory, settings, catalog, now=verifying.verify_deadline + timedelta(seconds=1))

    with session_factory() as db:
        done = db.get(Remediation, item.id)
        assert done.state == RemediationState.still_failing
        assert done.verification[0]["result"] == "unknown"
        assert "no agent report since the apply job ended (waited 5 min)" in done.verification[0]["why"]


@pytest.mark.sqlite_only
def test_a_cancelled_apply_job_records_no_verification(session_factory, settings, estate):
    catalog = estate["catalog"]
    item = remediation.start(session_factory, STAFF, settings, catalog, "TST-01", ["web-a"], estate["run_id"])
    wait_for(session_factory, settings, catalog, item.id, {"checked"})
    applied = remediation.apply(session_factory, STAFF, settings, item.id)
    with session_scope(session_factory) as db:
        jobs.cancel(db, STAFF, applied.apply_job_id)

    done = wait_for(session_factory, settings, catalog, item.id, {"cancelled", "verifying"})

    if done.state == RemediationState.verifying:  # the job ended before the cancel reached its worker
        pytest.fail("the apply job finished before it could be cancelled; the test needs a slower playbook")
    assert done.verification == [] and done.verified_at is None
    assert "cancelled" in done.message


@pytest.mark.sqlite_only
def test_withdrawing_cancels_the_running_check_job(session_factory, settings, estate):
    catalog = estate["catalog"]
    item = remediation.start(session_factory, STAFF, settings, catalog, "TST-01", ["web-a"], estate["run_id"])
    with session_scope(session_factory) as db:
        withdrawn = remediation.withdraw(db, STAFF, item.id)
        assert withdrawn.state == RemediationState.cancelled
    with session_factory() as db:
        job = jobs.get_job(db, item.check_job_id)
        assert job.cancel_requested_by == "ivan" or job.state.value == "cancelled"
    with pytest.raises(Conflict, match="already ended"):
        with session_scope(session_factory) as db:
            remediation.withdraw(db, STAFF, item.id)


@pytest.mark.sqlite_only
def test_start_refuses_what_is_not_a_failing_result(session_factory, settings, estate):
    catalog = estate["catalog"]
    with pytest.raises(ValidationFailed, match="no Ansible remediation"):
        remediation.start(session_factory, STAFF, settings, catalog, "TST-03", ["web-a"], estate["run_id"])
    with pytest.raises(ValidationFailed, match="no control"):
        remediation.start(session_factory, STAFF, settings, catalog, "NOPE-01", ["web-a"], estate["run_id"])
    with pytest.raises(ValidationFailed, match="did not fail there"):
        remediation.start(session_factory, STAFF, settings, catalog, "TST-01", ["web-a", "nowhere"], estate["run_id"])
    with pytest.raises(ValidationFailed, match="at least one"):
        remediation.start(session_factory, STAFF, settings, catalog, "TST-01", [], estate["run_id"])
    with pytest.raises(PermissionDenied):
        remediation.start(session_factory, OFFICER, settings, catalog, "TST-01", ["web-a"], estate["run_id"])
    first = remediation.start(session_factory, STAFF, settings, catalog, "TST-01", ["web-a"], estate["run_id"])
    with pytest.raises(Conflict, match=f"remediation #{first.id} of TST-01 is still open on web-a"):
        remediation.start(session_factory, OTHER, settings, catalog, "TST-01", ["web-a", "web-b"], estate["run_id"])
    with session_factory() as db:
        assert db.scalar(select(Remediation.id).where(Remediation.requested_by == "olga")) is None
