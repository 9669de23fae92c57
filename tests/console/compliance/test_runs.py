"""Runs: exit codes, one run at a time, comparing runs, waivers that lapse, reports in Vietnamese."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from console.compliance import reports
from console.compliance.catalog import load_catalog
from console.models import AuditEvent, ComplianceResult, ComplianceRun
from console.models.base import utcnow
from console.compliance import history as compliance_history
from console.compliance import runs as compliance_runs
from console.compliance import waivers as compliance_waivers
from console.access.actor import Actor
from tests.console.compliance.helpers import enrol, ingest, ops, report, results_of

IDS = "dtnmt-ids-01"
CONTROLS = """controls:
  - id: TS-01
    title: {vi: Agent báo cáo, en: Agent reports}
    rationale: {vi: Cần báo cáo, en: Reports are needed}
    category: server
    severity: medium
    applies_to: {variable: ops_ids_interface}
    evidence: {source: agent_report, max_age: 30m}
    condition: {field: collected_at, op: age_lte, value: 15m}
"""
FIREWALL = """  - id: TS-02
    title: {vi: Chặn mặc định, en: Default deny}
    rationale: {vi: Chặn, en: Deny}
    category: firewall
    severity: high
    applies_to: {variable: ops_ids_interface}
    evidence: {source: agent_report, max_age: 30m}
    condition: {field: firewall.input_policy, op: eq, value: drop}
"""
ACCEPTING = {"backend": "nftables", "input_policy": "accept", "forward_policy": "accept", "rule_count": 0,
             "open_ports": []}


@pytest.fixture
def ids_agent(session_factory, synced):
    return enrol(session_factory, IDS)


def run_cli(config_file, tmp_path, controls: str, *args):
    folder = tmp_path / "controls"
    folder.mkdir(exist_ok=True)
    (folder / "test.yaml").write_text(controls)
    text = config_file.read_text().split("[compliance]")[0]
    config_file.write_text(text + f'[compliance]\ncontrols_dir = "{folder}"\nreport_dir = "{tmp_path / "reports"}"\n')
    return ops(config_file, "compliance", "run", "--format", "json,junit,csv", *args)


def test_exit_code_is_0_when_all_pass_1_when_a_failure_reaches_fail_on_2_when_it_cannot_run(
        config_file, tmp_path, session_factory, ids_agent):
    ingest(session_factory, ids_agent, report(IDS, firewall=ACCEPTING))
    passing = run_cli(config_file, tmp_path, CONTROLS)
    assert passing.exit_code == 0, passing.output
    assert "1 pass, 0 fail, 0 unknown" in passing.output
    failing = run_cli(config_file, tmp_path, CONTROLS + FIREWALL)
    assert failing.exit_code == 1 and "1 result(s) at or above high failed" in failing.output
    assert run_cli(config_file, tmp_path, CONTROLS + FIREWALL, "--fail-on", "critical").exit_code == 0
    broken = run_cli(config_file, tmp_path, CONTROLS.replace("op: age_lte", "op: younger"))
    assert broken.exit_code == 2 and "test.yaml:9:" in broken.output
    compliance_runs.acquire_lock(session_factory, "someone-else", 60)
    locked = run_cli(config_file, tmp_path, CONTROLS)
    assert locked.exit_code == 2 and "another compliance run is in progress (someone-else" in locked.output
    junit = (tmp_path / "reports" / "compliance-run-2.junit.xml").read_text()
    assert "<failure message=\"firewall.input_policy = 'accept' (want = 'drop')\" type=\"high\">" in junit
    stored = json.loads((tmp_path / "reports" / "compliance-run-2.json").read_text())
    assert {r["control_id"]: r["result"] for r in stored["results"]} == {"TS-01": "pass", "TS-02": "fail"}


def test_two_runs_never_overlap_and_a_dead_runs_lock_is_taken_over(session_factory, synced):
    compliance_runs.acquire_lock(session_factory, "first", 60)
    with pytest.raises(compliance_runs.RunLocked):
        compliance_runs.execute(session_factory, Actor.cli(), load_catalog())
    with session_factory() as session:
        assert session.scalar(select(func.count(ComplianceRun.id))) == 0
    compliance_runs.release_lock(session_factory, "first")
    compliance_runs.acquire_lock(session_factory, "crashed", 0)  # expires at once: its process died
    outcome = compliance_runs.execute(session_factory, Actor.cli(), load_catalog())
    with session_factory() as session:
        assert compliance_runs.running(session) is None  # released after the run
        assert session.scalar(select(func.count(ComplianceResult.id))) == outcome.counts["total"] > 600


def test_comparing_two_runs_shows_new_failures_fixed_and_still_failing(session_factory, ids_agent):
    catalog = load_catalog()
    ingest(session_factory, ids_agent, report(IDS, firewall=ACCEPTING, sensor={"running": True, "rules_loaded": 0,
                                                                           "rules_failed": 3}))
    first = compliance_runs.execute(session_factory, Actor.cli(), catalog).run_id
    ingest(session_factory, ids_agent, report(IDS, firewall={**ACCEPTING, "input_policy": "drop"},
                                          sensor={"running": False, "rules_loaded": 0, "rules_failed": 3}))
    second = compliance_runs.execute(session_factory, Actor.cli(), catalog).run_id
    with session_factory() as session:
        diff = compliance_history.diff_runs(session, first, second)
    pick = lambda rows: {(r["control_id"], r["target"]) for r in rows}  # noqa: E731
    assert pick(diff.new_failures) == {("IDS-01", IDS)}
    assert pick(diff.fixed) == {("FW-02", IDS)}
    no_antivirus = {(f"EP-AV-0{n}", IDS) for n in range(1, 6)}  # the reports list no antivirus product
    assert pick(diff.still_failing) == {("FW-03", IDS), ("IDS-02", IDS)} | no_antivirus


def test_diff_in_the_cli_lists_the_three_groups(config_file, session_factory, ids_agent):
    catalog = load_catalog()
    ingest(session_factory, ids_agent, report(IDS, firewall=ACCEPTING))
    first = compliance_runs.execute(session_factory, Actor.cli(), catalog).run_id
    ingest(session_factory, ids_agent, report(IDS, firewall={**ACCEPTING, "input_policy": "drop"}))
    second = compliance_runs.execute(session_factory, Actor.cli(), catalog).run_id
    result = ops(config_file, "compliance", "diff", str(first), str(second))
    assert result.exit_code == 0
    assert "new failures: 0" in result.output and "fixed: 1" in result.output and "FW-02" in result.output
    assert "still failing: 6" in result.output  # FW-03 and EP-AV-01..05 (no antivirus in these reports)


def test_waiver_shows_as_waived_then_lapses_by_itself_and_every_change_is_audited(session_factory, ids_agent):
    catalog = load_catalog()
    ingest(session_factory, ids_agent, report(IDS, firewall=ACCEPTING))
    admin = Actor("alice", Actor.cli().role, "198.18.40.2")
    with session_factory() as session:
        waiver = compliance_waivers.create(session, admin, catalog, "FW-02", IDS, "sensor needs open input until the "
                                           "new VLAN exists", utcnow() + timedelta(minutes=5))
        session.commit()
        waiver_id = waiver.id
    waived = compliance_runs.execute(session_factory, Actor.cli(), catalog).run_id
    assert results_of(session_factory, waived)[("FW-02", IDS)] == "waived"
    later = utcnow() + timedelta(minutes=5, seconds=1)  # the run's clock, past the waiver's end (the report is still fresh)
    lapsed = compliance_runs.execute(session_factory, Actor.cli(), catalog, now=later).run_id
    assert results_of(session_factory, lapsed)[("FW-02", IDS)] == "fail"
    with session_factory() as session:
        assert compliance_waivers.state(session.get(type(waiver), waiver_id), later) == "expired"
        compliance_waivers.revoke(session, admin, waiver_id)
        session.commit()
        actions = [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.object_type == "compliance_waiver"))]
    assert actions == ["compliance.waive", "compliance.unwaive"]


def test_only_an_admin_may_waive(session_factory, synced):
    from console.models import Role
    from console.access.permissions import Denied

    with session_factory() as session, pytest.raises(Denied):
        compliance_waivers.create(session, Actor("sam", Role.security_officer), load_catalog(), "FW-02", IDS,
                                  "not mine to accept", utcnow() + timedelta(days=1))


@pytest.mark.sqlite_only  # rendering; the report's queries run on both databases in the other report tests
def test_pdf_reports_render_vietnamese_and_english_text(session_factory, ids_agent, tmp_path):
    catalog = load_catalog()
    ingest(session_factory, ids_agent, report(IDS, firewall=ACCEPTING))
    run_id = compliance_runs.execute(session_factory, Actor.cli(), catalog).run_id
    with session_factory() as session:
        paths = reports.write_reports(session, run_id, catalog, tmp_path, "Asia/Ho_Chi_Minh", ["pdf"])
    texts = {path.name: subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                                       check=True, timeout=60).stdout for path in paths}
    vietnamese, english = texts[f"compliance-run-{run_id}.vi.pdf"], texts[f"compliance-run-{run_id}.en.pdf"]
    assert "Báo cáo đánh giá tuân thủ" in vietnamese and "Chuỗi INPUT mặc định chặn" in vietnamese
    assert "Nhật ký và sao lưu" in vietnamese and "Không đạt" in vietnamese
    assert "Compliance report" in english and "Inbound traffic is denied by default" in english
