"""The remediation pages over HTTP: who may fix, approve and apply; CSRF; bad input gets a clear 4xx."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from console.access.actor import Actor
from console.compliance import runs as compliance_runs
from console.compliance.catalog import configured_catalog
from console.db import session_scope
from console.models import AuditEvent, Remediation, RemediationState
from console.remediation import service as remediation
from tests.conftest import csrf_token, login
from tests.console.compliance.helpers import enrol, ingest, report


@pytest.fixture
def failing(session_factory, settings):
    from console.inventory.sync import sync_inventory

    with session_scope(session_factory) as db:
        sync_inventory(db, Actor.cli(), settings.inventory)
    for host in ("web-a", "web-b"):
        ingest(session_factory, enrol(session_factory, host), report(host, marker={"state": "broken"}))
    return compliance_runs.execute(session_factory, Actor.cli(), configured_catalog(settings)).run_id


def start_form(client, control_id: str, run_id: int, hosts: list[str]):
    page = client.get(f"/compliance/controls/{control_id}")
    return client.post("/remediation/", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                              "control_id": control_id, "run_id": str(run_id), "host": hosts})


def wait_state(session_factory, settings, item_id: int, state: str, seconds: float = 90) -> None:
    catalog = configured_catalog(settings)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        remediation.advance(session_factory, settings, catalog)
        with session_factory() as db:
            if db.get(Remediation, item_id).state.value == state:
                return
        time.sleep(0.5)
    raise AssertionError(f"remediation {item_id} never reached {state}")


def test_it_staff_starts_a_fix_from_the_control_page_and_the_chain_shows_it(client, logged_in, failing,
                                                                           session_factory, settings):
    logged_in("it_staff", "tuan")
    page = client.get("/compliance/controls/TST-01").get_data(as_text=True)
    assert "Fix with Ansible" in page and f"Failing hosts in run {failing}" in page
    assert "remediate/marker.yml" in page
    assert "Manual: no Ansible remediation" in client.get("/compliance/controls/TST-03").get_data(as_text=True)

    answer = start_form(client, "TST-01", failing, ["web-a"])

    assert answer.status_code == 302
    with session_factory() as db:
        item = db.scalars(select(Remediation)).one()
    assert answer.headers["Location"].endswith(f"/remediation/{item.id}")
    assert (item.hosts, item.requested_by, item.state) == (["web-a"], "tuan", RemediationState.checking)
    detail = client.get(f"/remediation/{item.id}").get_data(as_text=True)
    assert "Checking what would change" in detail and f"run {failing}" in detail
    assert 'hx-trigger="every 3s"' in detail  # the open chain reloads itself
    wait_state(session_factory, settings, item.id, "checked")
    fragment = client.get(f"/remediation/{item.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.startswith('\n<div id="remediation-chain"') or 'id="remediation-chain"' in fragment[:200]
    assert 'data-testid="apply"' in fragment and "<html" not in fragment
    listing = client.get("/remediation/?state=checked").get_data(as_text=True)
    assert f'/remediation/{item.id}"' in listing


def test_an_auditor_sees_no_fix_button_and_is_refused_and_audited(client, logged_in, failing, session_factory):
    logged_in("auditor", "audrey")
    page = client.get("/compliance/controls/TST-01").get_data(as_text=True)
    assert "Fix with Ansible" not in page

    answer = client.post("/remediation/", data={"csrf_token": csrf_token(page), "control_id": "TST-01",
                                                "run_id": str(failing), "host": ["web-a"]})

    assert answer.status_code == 403
    with session_factory() as db:
        assert db.scalars(select(Remediation)).all() == []
        denied = db.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")).one()
    assert denied.actor == "audrey"


def test_a_form_without_csrf_token_changes_nothing(client, logged_in, failing, session_factory):
    logged_in("it_staff", "tuan")
    answer = client.post("/remediation/", data={"control_id": "TST-01", "run_id": str(failing), "host": ["web-a"]})
    assert answer.status_code == 400
    with session_factory() as db:
        assert db.scalars(select(Remediation)).all() == []


@pytest.mark.sqlite_only
@pytest.mark.parametrize("control_id, hosts, run, status, message", [
    ("TST-03", ["web-a"], None, 400, "TST-03 has no Ansible remediation"),
    ("TST-01", ["web-a", "intruder"], None, 400, "intruder: TST-01 did not fail there"),
    ("TST-01", [], None, 400, "choose at least one failing host"),
    ("TST-01", ["web-a"], "999", 404, "no compliance run 999"),
    ("TST-01", ["web-a"], "x'--", 400, "run_id"),
])
def test_bad_input_is_refused_with_a_clear_message(client, logged_in, failing, session_factory, control_id, hosts,
                                                   run, status, message):
    logged_in("it_staff", "tuan")
    page = client.get("/compliance/controls/TST-01").get_data(as_text=True)
    answer = client.post("/remediation/", data={"csrf_token": csrf_token(page), "control_id": control_id,
                                                "run_id": run or str(failing), "host": hosts})
    assert answer.status_code == status
    assert message in answer.get_data(as_text=True)
    with session_factory() as db:
        assert db.scalars(select(Remediation)).all() == []


@pytest.mark.sqlite_only
def test_four_eyes_on_a_critical_control_over_http(client, app, make_user, failing, session_factory, settings):
    make_user("tuan", "it_staff")
    make_user("sofia", "security_officer")
    make_user("olga", "it_staff")
    assert login(client, "tuan").status_code == 302
    assert start_form(client, "TST-02", failing, ["web-a"]).status_code == 302
    with session_factory() as db:
        item_id = db.scalars(select(Remediation.id)).one()
    wait_state(session_factory, settings, item_id, "checked")

    page = client.get(f"/remediation/{item_id}").get_data(as_text=True)
    assert 'data-testid="approve"' not in page and 'data-testid="apply"' not in page  # the requester sees neither
    assert client.post(f"/remediation/{item_id}/approve", data={"csrf_token": csrf_token(page)}).status_code == 403
    assert client.post(f"/remediation/{item_id}/apply", data={"csrf_token": csrf_token(page)}).status_code == 409

    other = app.test_client()
    assert login(other, "sofia").status_code == 302
    page = other.get(f"/remediation/{item_id}").get_data(as_text=True)
    assert 'data-testid="approve"' in page
    assert other.post(f"/remediation/{item_id}/approve", data={"csrf_token": csrf_token(page)}).status_code == 302
    with session_factory() as db:
        assert db.get(Remediation, item_id).approved_by == "sofia"
        assert db.get(Remediation, item_id).state == RemediationState.checked

    page = client.get(f"/remediation/{item_id}").get_data(as_text=True)
    assert "approved by sofia" in page and 'data-testid="apply"' in page
    assert client.post(f"/remediation/{item_id}/apply", data={"csrf_token": csrf_token(page)}).status_code == 302
    with session_factory() as db:
        item = db.get(Remediation, item_id)
        assert item.state == RemediationState.applying and item.applied_by == "tuan"
        actions = {a.action: a.actor for a in db.scalars(select(AuditEvent).where(AuditEvent.object_type == "remediation"))}
    assert actions["remediation.approve"] == "sofia" and actions["remediation.apply"] == "tuan"
    wait_state(session_factory, settings, item_id, "verifying")


def test_pages_need_a_login(client):
    assert client.get("/remediation/").status_code == 302
    assert client.get("/remediation/1").status_code == 302


def test_the_api_starts_approves_and_applies_with_the_same_rules(client, token_for, failing, session_factory, settings):
    staff, officer = token_for("it_staff", "tuan"), token_for("security_officer", "sofia")
    refused = client.post("/api/v1/remediations", json={"control_id": "TST-02", "hosts": ["web-a"]}, headers=officer)
    assert refused.status_code == 403

    started = client.post("/api/v1/remediations", json={"control_id": "TST-02", "hosts": ["web-a"], "run_id": failing},
                          headers=staff)

    assert started.status_code == 201, started.json
    body = started.json["data"]
    assert (body["state"], body["needs_approval"], body["hosts"], body["run_id"]) == ("checking", True, ["web-a"], failing)
    wait_state(session_factory, settings, body["id"], "checked")
    assert client.post(f"/api/v1/remediations/{body['id']}/apply", headers=staff).status_code == 409
    assert client.post(f"/api/v1/remediations/{body['id']}/approve", headers=staff).status_code == 403
    approved = client.post(f"/api/v1/remediations/{body['id']}/approve", headers=officer)
    assert approved.status_code == 200 and approved.json["data"]["approved_by"] == "sofia"
    applied = client.post(f"/api/v1/remediations/{body['id']}/apply", headers=staff)
    assert applied.status_code == 200 and applied.json["data"]["state"] == "applying"
    listed = client.get("/api/v1/remediations?state=applying", headers=officer).json["data"]
    assert [item["id"] for item in listed] == [body["id"]]
    assert client.get("/api/v1/remediations?state=bogus", headers=officer).status_code == 400
    assert client.get("/api/v1/remediations/99999", headers=officer).status_code == 404
    wait_state(session_factory, settings, body["id"], "verifying")
