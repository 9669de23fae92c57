"""A compliance run judges every information system against its level's requirements, with hosts and evidence."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from console.db import session_scope
from console.errors import PermissionDenied, ValidationFailed
from console.models import AuditEvent, ManualEvidence
from console.models.base import utcnow
from console.compliance import runs as compliance_runs
from console.compliance import waivers as compliance_waivers
from console.compliance import manual_evidence
from console.compliance import system_assessment
from console.access.actor import Actor
from tests.console.compliance import estate


@pytest.fixture
def small(tmp_path, session_factory):
    estate.build(tmp_path, session_factory)
    estate.firewall(session_factory, "land-app-01", "drop", "drop")
    estate.firewall(session_factory, "land-db-01", "drop", "accept")
    return estate.catalog(tmp_path)


def run(session_factory, catalog) -> int:
    return compliance_runs.execute(session_factory, Actor.cli(), catalog).run_id


def verdicts(session_factory, run_id: int, system: str) -> dict[str, dict]:
    with session_factory() as session:
        found = system_assessment.get(session, system, run_id)
        return {v["requirement_id"]: v for v in found.verdicts} | {"_gap": found.gap, "_row": found.counts}


def test_a_run_gives_each_requirement_of_the_level_a_verdict_with_the_hosts_behind_it(session_factory, small):
    run_id = run(session_factory, small)
    land = verdicts(session_factory, run_id, "system_procedures")
    assert land["C-SRV-ACCESS"]["verdict"] == "met"
    assert land["C-SRV-ACCESS"]["hosts"] == {"pass": ["land-app-01", "land-db-01"]}
    net = land["C-NET-ACCESS"]
    assert net["verdict"] == "not_met" and net["hosts"] == {"fail": ["land-db-01"], "pass": ["land-app-01"]}
    assert net["results"][0]["host"] == "land-db-01" and "forward_policy" in net["results"][0]["why"]
    assert land["C-TIME-SYNC"]["verdict"] == "not_met" and "no result of LOG-02, SRV-03" in land["C-TIME-SYNC"]["why"]
    assert land["C-INCIDENT-NOTICE"]["verdict"] == "manual_missing"
    assert "C-CLOUD-SEPARATION" in land  # level 3 only
    assert land["_gap"] == []  # current-331 has no transition gap
    documents = verdicts(session_factory, run_id, "system_documents")
    assert "C-CLOUD-SEPARATION" not in documents and "L2-SRV-ACCESS" in documents


def test_a_legacy_system_shows_what_the_current_framework_adds_with_its_status_now(session_factory, small):
    documents = verdicts(session_factory, run(session_factory, small), "system_documents")
    gap = {v["requirement_id"]: v for v in documents["_gap"]}
    assert {"C-TIME-SYNC", "C-INCIDENT-NOTICE", "C-POWER", "C-ADMIN-PASSWORDS", "C-LOG-RETENTION"} == set(gap)
    assert gap["C-INCIDENT-NOTICE"]["verdict"] == "manual_missing" and gap["C-INCIDENT-NOTICE"]["clause"] == \
        "NĐ 331/2026 Điều 31.2.d"
    assert "C-SRV-ACCESS" not in gap  # the legacy set has server access control


def test_manual_evidence_counts_from_its_date_until_its_expiry(session_factory, small, tmp_path, admin_actor):
    today = utcnow().date()
    with session_scope(session_factory) as session:
        manual_evidence.add(session, admin_actor, tmp_path / "evidence", "system_procedures", "current-331",
                            "C-INCIDENT-NOTICE", today - timedelta(days=10), today + timedelta(days=355),
                            note="Quy trình ứng cứu sự cố ban hành kèm Quyết định 12/QĐ-STNMT")
        manual_evidence.add(session, admin_actor, tmp_path / "evidence", "system_procedures", "current-331",
                            "C-EDR-SIEM", today - timedelta(days=400), today - timedelta(days=1), note="expired")
    land = verdicts(session_factory, run(session_factory, small), "system_procedures")
    notice = land["C-INCIDENT-NOTICE"]
    assert notice["verdict"] == "met" and "Quyết định 12/QĐ-STNMT" in notice["evidence"][0]["note"]
    assert land["C-EDR-SIEM"]["verdict"] == "manual_missing"
    with session_scope(session_factory) as session:
        assert session.query(AuditEvent).filter_by(action="compliance.evidence.add").count() == 2


def test_a_waived_failure_makes_the_requirement_waived_and_leaves_the_percentage(session_factory, small, admin_actor):
    with session_scope(session_factory) as session:
        compliance_waivers.create(session, admin_actor, small, "FW-03", "land-db-01", "replication VLAN pending",
                                  utcnow() + timedelta(days=5))
    land = verdicts(session_factory, run(session_factory, small), "system_procedures")
    assert land["C-NET-ACCESS"]["verdict"] == "waived"
    counts = land["_row"]
    assert counts["waived"] == 1 and counts["met"] == 1 and counts["total"] == 22
    with session_factory() as session:
        assert system_assessment.latest_figures(session, "system_procedures")["percent_met"] == round(100 / 21, 1)


@pytest.mark.parametrize("change, field", [
    ({"evidence_date": None}, "evidence_date"),
    ({"evidence_date": date(2099, 1, 1), "expires_on": date(2099, 6, 1)}, "evidence_date"),
    ({"expires_on": None}, "expires_on"),
    ({"expires_on": date(2020, 1, 1)}, "expires_on"),
    ({"note": ""}, "note"),
    ({"requirement_id": "C-SRV-ACCESS"}, "requirement_id"),
    ({"requirement_id": "L3-ZONES"}, "requirement_id"),
    ({"upload": manual_evidence.Upload("run.exe", b"MZ")}, "document"),
    ({"upload": manual_evidence.Upload("big.pdf", b"x" * (manual_evidence.MAX_BYTES + 1))}, "document"),
])
def test_bad_manual_evidence_is_refused_naming_the_field_and_nothing_is_saved(session_factory, small, tmp_path,
                                                                             admin_actor, change, field):
    today = utcnow().date()
    values = {"framework": "current-331", "requirement_id": "C-INCIDENT-NOTICE", "evidence_date": today,
              "expires_on": today + timedelta(days=30), "note": "", "upload": None} | change
    if "note" not in change and values["upload"] is None:
        values["note"] = "a note"
    with session_factory() as session:
        with pytest.raises(ValidationFailed) as raised:
            manual_evidence.add(session, admin_actor, tmp_path / "evidence", "system_procedures", **values)
        assert raised.value.field == field
        session.rollback()
        assert session.query(ManualEvidence).count() == 0
    assert not any((tmp_path / "evidence").glob("*")) if (tmp_path / "evidence").exists() else True


def test_an_uploaded_document_is_stored_under_a_generated_name_and_auditors_may_not_add(session_factory, small,
                                                                                      tmp_path, admin_actor,
                                                                                      auditor_actor):
    folder, today = tmp_path / "evidence", utcnow().date()
    with session_scope(session_factory) as session:
        row = manual_evidence.add(session, admin_actor, folder, "system_documents", "current-331",
                                  "C-ADMIN-PASSWORDS", today, today + timedelta(days=60),
                                  upload=manual_evidence.Upload("../../etc/Chính sách mật khẩu.pdf", b"%PDF-1.4 x"))
        path, name = manual_evidence.document_path(session, folder, row.id)
    assert name == "Chính sách mật khẩu.pdf" and path.parent == folder and path.read_bytes() == b"%PDF-1.4 x"
    assert path.name != name and path.suffix == ".pdf"
    with session_factory() as session, pytest.raises(PermissionDenied):
        manual_evidence.add(session, auditor_actor, folder, "system_documents", "current-331", "C-ADMIN-PASSWORDS",
                            today, today + timedelta(days=60), note="not mine to add")


def test_trend_follows_the_percentage_over_runs(session_factory, small, tmp_path, admin_actor):
    first = run(session_factory, small)
    today = utcnow().date()
    with session_scope(session_factory) as session:
        manual_evidence.add(session, admin_actor, tmp_path / "ev", "system_procedures", "current-331",
                            "C-ANNUAL-REPORT", today, today + timedelta(days=30), note="Báo cáo năm 2026 đã gửi")
    second = run(session_factory, small)
    with session_factory() as session:
        points = system_assessment.trend(session, "system_procedures")
    assert [p["run_id"] for p in points] == [first, second]
    assert points[1]["percent_met"] > points[0]["percent_met"]
