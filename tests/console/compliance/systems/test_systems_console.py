"""The Systems pages: who sees and changes what, drill-down to hosts and evidence, downloads, the admin's edit."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from console.db import session_scope
from console.models import AuditEvent, InformationSystem, ManualEvidence
from console.models.base import utcnow
from console.compliance import runs as compliance_runs
from console.access.actor import Actor
from console.settings import load_settings
from tests.console.compliance import estate
from tests.conftest import csrf_token

REQUIREMENT = "/compliance/systems/system_procedures/requirements/current-331/C-INCIDENT-NOTICE"


@pytest.fixture
def settings(config_file, tmp_path):
    """A console whose inventory is the small estate in tmp_path (the admin's edit writes to it)."""
    folder = estate.write(tmp_path)
    lines = [f'path = "{folder}"' if line.startswith("path = ") and "inventory" in line else line
             for line in config_file.read_text().splitlines()]
    config_file.write_text("\n".join(lines) + "\n")
    return load_settings(config_file)


@pytest.fixture
def assessed(session_factory, settings, tmp_path):
    estate.build(tmp_path, session_factory)
    estate.firewall(session_factory, "land-app-01", "drop", "drop")
    estate.firewall(session_factory, "land-db-01", "drop", "accept")
    catalog = estate.catalog(tmp_path)
    compliance_runs.execute(session_factory, Actor.cli(), catalog)
    return catalog


def test_systems_page_lists_levels_frameworks_percent_and_gap_and_drills_down_to_hosts(logged_in, assessed):
    client = logged_in("auditor")
    page = client.get("/compliance/systems/").get_data(as_text=True)
    assert 'data-system="system_procedures"' in page and "Land administrative procedures" in page
    assert 'data-testid="gap">5<' in page  # the legacy level-2 system: what current-331 adds
    system = client.get("/compliance/systems/system_procedures").get_data(as_text=True)
    assert 'data-requirement="C-NET-ACCESS" data-verdict="not_met"' in system
    assert "dossier.pdf" in system and 'data-testid="system-form"' not in system
    requirement = client.get("/compliance/systems/system_procedures/requirements/current-331/C-NET-ACCESS")
    text = requirement.get_data(as_text=True)
    assert requirement.status_code == 200 and 'data-result="fail"' in text and "land-db-01" in text
    documents = client.get("/compliance/systems/system_documents").get_data(as_text=True)
    assert 'data-testid="transition-gap"' in documents and "C-ADMIN-PASSWORDS" in documents
    assert client.get("/compliance/systems/system_nowhere").status_code == 404


def test_officer_attaches_a_document_and_the_next_run_counts_it(logged_in, session_factory, assessed):
    officer = logged_in("security_officer")
    token = csrf_token(officer.get(REQUIREMENT).get_data(as_text=True))
    today = utcnow().date()
    saved = officer.post(REQUIREMENT + "/evidence", content_type="multipart/form-data", data={
        "csrf_token": token, "evidence_date": today.isoformat(), "expires_on": (today + timedelta(days=365)).isoformat(),
        "note": "Quy trình ứng cứu sự cố", "document": (io.BytesIO(b"%PDF-1.4 quy trinh"), "..\\quy-trinh.pdf")})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    compliance_runs.execute(session_factory, Actor.cli(), assessed)
    page = officer.get(REQUIREMENT).get_data(as_text=True)
    assert 'data-verdict="met"' in page and "quy-trinh.pdf" in page
    with session_factory() as db:
        evidence_id = db.query(ManualEvidence).one().id
    document = officer.get(f"/compliance/systems/evidence/{evidence_id}/document")
    assert document.data == b"%PDF-1.4 quy trinh" and document.mimetype == "application/octet-stream"
    assert "attachment" in document.headers["Content-Disposition"]
    document.close()


def test_an_auditor_may_read_evidence_but_not_attach_it(logged_in, assessed):
    client = logged_in("auditor")
    page = client.get(REQUIREMENT).get_data(as_text=True)
    assert 'data-testid="manual-evidence"' in page and 'data-testid="evidence-form"' not in page
    token = csrf_token(client.get("/compliance/runs/").get_data(as_text=True))
    today = utcnow().date()
    denied = client.post(REQUIREMENT + "/evidence", data={"csrf_token": token, "evidence_date": today.isoformat(),
                                                          "expires_on": today.isoformat(), "note": "no"})
    assert denied.status_code == 403


def test_evidence_without_a_date_is_refused_naming_the_field_and_nothing_is_saved(logged_in, session_factory,
                                                                                 assessed):
    admin = logged_in("admin")
    token = csrf_token(admin.get(REQUIREMENT).get_data(as_text=True))
    refused = admin.post(REQUIREMENT + "/evidence", data={"csrf_token": token, "expires_on": "2030-01-01",
                                                          "note": "undated"})
    assert refused.status_code == 400 and "evidence_date: required" in refused.get_data(as_text=True)
    no_token = admin.post(REQUIREMENT + "/evidence", data={"evidence_date": "2026-01-01", "expires_on": "2030-01-01",
                                                           "note": "no csrf"})
    assert no_token.status_code == 400
    with session_factory() as db:
        assert db.query(ManualEvidence).count() == 0


def test_admin_edits_a_system_into_the_inventory_file_and_others_may_not(logged_in, session_factory, settings,
                                                                        assessed):
    admin = logged_in("admin")
    page = admin.get("/compliance/systems/system_documents").get_data(as_text=True)
    form = {"csrf_token": csrf_token(page), "name_vi": "Quản lý văn bản và điều hành", "name_en": "Document management",
            "owner_unit": "unit_office", "level": "3", "framework": "current-331", "approved_on": "2026-11-01"}
    bad = admin.post("/compliance/systems/system_documents", data={**form, "level": "4"})
    assert bad.status_code == 400 and "level 4 is not covered" in bad.get_data(as_text=True)
    saved = admin.post("/compliance/systems/system_documents", data=form)
    assert saved.status_code == 302
    text = (settings.inventory.path / "group_vars" / "system_documents.yml").read_text(encoding="utf-8")
    assert "level: 3" in text and "framework: current-331" in text and "Quản lý văn bản và điều hành" in text
    from console.inventory.sync import sync_inventory

    with session_scope(session_factory) as db:
        assert sync_inventory(db, Actor.cli(), settings.inventory).systems["updated"] == []
        row = db.query(InformationSystem).filter_by(key="system_documents").one()
        assert (row.level, row.framework, str(row.approved_on)) == (3, "current-331", "2026-11-01")
        assert db.query(AuditEvent).filter_by(action="systems.update").count() == 1


def test_security_officer_may_not_edit_a_system(logged_in, assessed):
    officer = logged_in("security_officer")
    token = csrf_token(officer.get("/compliance/systems/system_documents").get_data(as_text=True))
    refused = officer.post("/compliance/systems/system_documents", data={"csrf_token": token, "level": "1"})
    assert refused.status_code == 403


def test_dossier_and_annual_report_download_in_every_format(logged_in, assessed):
    client = logged_in("it_staff")
    pdf = client.get("/compliance/systems/system_procedures/dossier.pdf?lang=vi")
    assert pdf.status_code == 200 and pdf.data[:5] == b"%PDF-" and "attachment" in pdf.headers["Content-Disposition"]
    csv = client.get("/compliance/systems/system_procedures/dossier.csv?lang=en").get_data(as_text=True)
    assert csv.splitlines()[0].startswith("system,level,framework,part,requirement_id")
    annual = client.get("/compliance/systems/annual-report.json").get_json()
    assert {s["system"] for s in annual["systems"]} == {"system_procedures", "system_documents"}
    assert client.get("/compliance/systems/system_procedures/dossier.exe").status_code == 404


def test_pages_need_a_login(client, assessed):
    response = client.get("/compliance/systems/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_api_lists_systems_gives_an_assessment_and_takes_a_dated_note(client, make_user, session_factory, assessed):
    from tests.console.compliance.test_console import api_token

    auditor = api_token(make_user, session_factory, "auditor")
    listed = client.get("/api/v1/compliance/systems", headers=auditor).get_json()["data"]
    assert [(s["key"], s["level"], s["gap_count"]) for s in listed] == [("system_procedures", 3, 0),
                                                                        ("system_documents", 2, 5)]
    found = client.get("/api/v1/compliance/systems/system_documents", headers=auditor).get_json()["data"]
    assert {r["requirement_id"] for r in found["transition_gap"]} >= {"C-TIME-SYNC", "C-POWER"}
    note = {"framework": "current-331", "requirement_id": "C-INCIDENT-NOTICE", "evidence_date": "2026-01-05",
            "expires_on": "2027-01-05", "note": "Quy trình ứng cứu sự cố"}
    url = "/api/v1/compliance/systems/system_procedures/evidence"
    assert client.post(url, headers=auditor, json=note).status_code == 403
    officer = api_token(make_user, session_factory, "security_officer")
    undated = client.post(url, headers=officer, json={**note, "evidence_date": None})
    assert undated.status_code == 400 and undated.get_json()["errors"][0]["field"] == "evidence_date"
    made = client.post(url, headers=officer, json=note)
    assert made.status_code == 201 and made.get_json()["data"]["requirement_id"] == "C-INCIDENT-NOTICE"
    assert client.get("/api/v1/compliance/systems/system_nowhere", headers=auditor).status_code == 404
