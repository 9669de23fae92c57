"""The compliance pages and API: who may do what, what a person sees, drill-down and downloads."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from console.compliance.catalog import load_catalog
from console.compliance import runs as compliance_runs
from console.access.actor import Actor
from tests.console.compliance.helpers import enrol, ingest, report
from tests.conftest import csrf_token
from tests.console.tasks.fixtures import task_id_of, task_worker, wait_task  # noqa: F401  (fixture)

IDS = "dtnmt-ids-01"
ACCEPTING = {"backend": "nftables", "input_policy": "accept", "forward_policy": "drop", "rule_count": 2,
             "open_ports": []}


def one_run(session_factory) -> int:
    ingest(session_factory, enrol(session_factory, IDS), report(IDS, firewall=ACCEPTING))
    return compliance_runs.execute(session_factory, Actor.cli(), load_catalog()).run_id


def test_overview_shows_category_scores_with_failing_hosts_one_click_away(logged_in, session_factory, synced):
    client = logged_in("auditor")
    run_id = one_run(session_factory)
    page = client.get("/compliance/").get_data(as_text=True)
    assert 'data-category="firewall"' in page and f'/compliance/runs/{run_id}?category=firewall&amp;result=fail' in page
    assert f'href="/compliance/hosts/{IDS}"' in page
    host = client.get(f"/compliance/hosts/{IDS}").get_data(as_text=True)
    assert "FW-02" in host and "input_policy" in host
    control = client.get("/compliance/controls/FW-02").get_data(as_text=True)
    assert "7.2.2.2" in control and IDS in control
    trend = client.get("/compliance/data/trend?by=unit").get_json()
    assert "unit_it_centre" in trend["series"] and len(trend["labels"]) == 1
    assert client.get(f"/compliance/runs/{run_id}?result=fail&category=firewall").status_code == 200


def test_reports_download_in_both_languages(logged_in, session_factory, synced):
    client = logged_in("it_staff")
    run_id = one_run(session_factory)
    pdf = client.get(f"/compliance/runs/{run_id}/report.pdf?lang=vi")
    assert pdf.status_code == 200 and pdf.data[:5] == b"%PDF-" and "attachment" in pdf.headers["Content-Disposition"]
    csv = client.get(f"/compliance/runs/{run_id}/report.csv").get_data(as_text=True)
    assert csv.splitlines()[0].startswith("control_id,title,target")
    assert client.get(f"/compliance/runs/{run_id}/report.exe").status_code == 404


def test_security_officer_may_run_but_not_waive(logged_in, synced, task_worker):  # noqa: F811
    officer = logged_in("security_officer")
    page = officer.get("/compliance/waivers/").get_data(as_text=True)
    token = csrf_token(officer.get("/compliance/runs/").get_data(as_text=True))
    response = officer.post("/compliance/waivers/", data={"control_id": "FW-02", "target": IDS, "reason": "because",
                                                          "until": "2030-01-01", "csrf_token": token})
    assert response.status_code == 403 and "Save waiver" not in page
    assert officer.post("/compliance/runs/", data={"csrf_token": token}).status_code == 302


def test_auditor_may_not_start_a_run(logged_in, synced):
    auditor = logged_in("auditor")
    token = csrf_token(auditor.get("/compliance/runs/").get_data(as_text=True))
    assert auditor.post("/compliance/runs/", data={"csrf_token": token}).status_code == 403


def test_admin_waives_in_the_console_and_the_run_shows_it_waived(logged_in, session_factory, synced,
                                                                 task_worker):  # noqa: F811
    client = logged_in("admin")
    ingest(session_factory, enrol(session_factory, IDS), report(IDS, firewall=ACCEPTING))
    page = client.get("/compliance/waivers/").get_data(as_text=True)
    until = (datetime.now(timezone.utc) + timedelta(days=30)).date().isoformat()
    saved = client.post("/compliance/waivers/", data={"control_id": "FW-02", "target": IDS, "until": until,
                                                      "reason": "IDS capture VLAN pending", "csrf_token": csrf_token(page)})
    assert saved.status_code == 302
    ran = client.post("/compliance/runs/", data={"csrf_token": csrf_token(client.get("/compliance/runs/").get_data(as_text=True))})
    assert ran.status_code == 302  # at once: the run happens in the task worker
    task = wait_task(session_factory, task_id_of(ran.headers["Location"]))
    assert task.state.value == "done", task.error
    status = client.get(ran.headers["Location"]).get_data(as_text=True)
    run_link = f'/compliance/runs/{task.result["run_id"]}'
    assert 'data-state="done"' in status and f'href="{run_link}"' in status
    run_page = client.get(run_link + f"?target={IDS}&control_id=FW-02").get_data(as_text=True)
    assert 'data-result="waived"' in run_page and "IDS capture VLAN pending" in run_page


def api_token(make_user, session_factory, role: str) -> dict:
    from console.db import session_scope
    from console.models import Role
    from console.access import tokens

    name = make_user(f"api{role.replace('_', '')}", role)
    with session_scope(session_factory) as db:
        _row, token = tokens.create_token(db, Actor(name, Role(role)), "compliance", None, 30)
    return {"Authorization": f"Bearer {token}"}


def test_api_lists_runs_results_diff_and_waivers(client, session_factory, make_user, synced):
    first = one_run(session_factory)
    second = compliance_runs.execute(session_factory, Actor.cli(), load_catalog()).run_id
    headers = api_token(make_user, session_factory, "auditor")
    runs = client.get("/api/v1/compliance/runs", headers=headers).get_json()
    assert [r["id"] for r in runs["data"]] == [second, first]
    results = client.get(f"/api/v1/compliance/runs/{first}/results?host={IDS}&result=fail", headers=headers).get_json()
    assert {r["control_id"] for r in results["data"]} >= {"FW-02", "EP-AV-01"}
    diff = client.get(f"/api/v1/compliance/diff?older={first}&newer={second}", headers=headers).get_json()
    assert diff["data"]["counts"]["new_failures"] == 0
    denied = client.post("/api/v1/compliance/waivers", headers=headers, json={
        "control_id": "FW-02", "target": IDS, "reason": "auditors cannot", "expires_at": "2030-01-01T00:00:00+07:00"})
    assert denied.status_code == 403
    admin = api_token(make_user, session_factory, "admin")
    bad = client.post("/api/v1/compliance/waivers", headers=admin, json={
        "control_id": "FW-99", "target": IDS, "reason": "no such control", "expires_at": "2030-01-01T00:00:00+07:00"})
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "control_id"
    made = client.post("/api/v1/compliance/waivers", headers=admin, json={
        "control_id": "FW-02", "target": IDS, "reason": "VLAN pending",
        "expires_at": (datetime.now(timezone.utc) + timedelta(days=3)).isoformat()})
    assert made.status_code == 201
    gone = client.delete(f"/api/v1/compliance/waivers/{made.get_json()['data']['id']}", headers=admin).get_json()
    assert gone["data"]["state"] == "revoked"
