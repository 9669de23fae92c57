"""The Rules pages and /api/v1/rules: who may change what, and what they see."""

from __future__ import annotations

from sqlalchemy import select

from console.models import AuditEvent, TaskState
from tests.conftest import csrf_token
from tests.console.tasks.fixtures import task_id_of, task_worker, wait_task  # noqa: F401  (task_worker: fixture)


def post_form(client, page: str, action: str, data: dict | None = None):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **(data or {})})


def build_from_the_page(client, session_factory):
    """Build and validate from the Rules page: a task the page follows; returns the ended task."""
    response = post_form(client, "/rules/", "/rules/build")
    assert response.status_code == 302
    task = wait_task(session_factory, task_id_of(response.headers["Location"]))
    return task


def test_security_officer_builds_from_the_page_and_sees_the_version(logged_in, session_factory,
                                                                     task_worker):  # noqa: F811
    client = logged_in("security_officer")
    response = post_form(client, "/rules/", "/rules/build")
    assert response.status_code == 302
    task = wait_task(session_factory, task_id_of(response.headers["Location"]))
    assert task.state == TaskState.done, task.error
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Version 1 built, validated and active." in shown and "/rules/versions/1" in shown
    page = client.get("/rules/").get_data(as_text=True)
    assert "Version 1, 3 of 4 rules enabled" in page
    versions = client.get("/rules/versions").get_data(as_text=True)
    assert 'data-testid="version-1"' in versions
    diff = client.get("/rules/versions/1").get_data(as_text=True)
    assert "OPS land database admin path requested from outside" in diff and "added" in diff


def test_auditor_sees_pages_but_cannot_build_and_is_audited(logged_in, session_factory):
    client = logged_in("auditor")
    page = client.get("/rules/").get_data(as_text=True)
    assert "data-testid=\"build-ruleset\"" not in page
    response = post_form(client, "/rules/versions", "/rules/build")
    assert response.status_code == 403
    with session_factory() as db:
        denied = db.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")).one()
    assert denied.detail["permission"] == "rules.manage"


def test_policy_editor_rejects_a_bad_line_and_saves_a_good_file(logged_in, rules_config, session_factory):
    client = logged_in("admin")
    response = post_form(client, "/rules/policy/enable.conf", "/rules/policy/enable.conf",
                         {"text": "9100001\nclasstype:\n"})
    assert response.status_code == 400
    assert "enable.conf:2: not a rule match" in response.get_data(as_text=True)
    assert "classtype:\n" not in (rules_config.policy_dir / "enable.conf").read_text()
    response = post_form(client, "/rules/policy/enable.conf", "/rules/policy/enable.conf",
                         {"text": "# watched again\nmsg:SNMP\n"})
    assert response.status_code == 302
    assert (rules_config.policy_dir / "enable.conf").read_text() == "# watched again\nmsg:SNMP\n"
    with session_factory() as db:
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "rules.policy.edit")).one()
    assert event.object_id == "enable.conf" and event.actor == "admin1"


def test_sources_page_adds_and_removes_a_source(logged_in, vendor_tarball, rules_config):
    client = logged_in("admin")
    post_form(client, "/rules/sources", "/rules/sources",
              {"action": "add", "name": "vendor", "kind": "file", "location": str(vendor_tarball)})
    assert "vendor" in rules_config.sources_file.read_text()
    page = client.get("/rules/sources").get_data(as_text=True)
    assert str(vendor_tarball) in page
    post_form(client, "/rules/sources", "/rules/sources", {"action": "add", "name": "Bad Name", "kind": "file",
                                                           "location": "/x"})
    assert "name &#39;Bad Name&#39; must be 1-64 of a-z" in client.get("/rules/sources").get_data(as_text=True)
    post_form(client, "/rules/sources", "/rules/sources", {"action": "remove", "name": "vendor"})
    assert "vendor" not in rules_config.sources_file.read_text()


def test_search_filters_rules_of_the_active_version(logged_in, session_factory, task_worker):  # noqa: F811
    client = logged_in("admin")
    assert build_from_the_page(client, session_factory).state == TaskState.done
    page = client.get("/rules/search?classtype=attempted-admin").get_data(as_text=True)
    assert "1 rules match." in page and "SSH brute force" in page
    page = client.get("/rules/search?enabled=no").get_data(as_text=True)
    assert "EICAR" in page and "SSH brute force" not in page


def api_build(client, headers, session_factory, body: dict) -> dict:
    """POST /api/v1/rules/build: 202 with the task's status URL; the task's body once it ended."""
    answer = client.post("/api/v1/rules/build", json=body, headers=headers)
    assert answer.status_code == 202, answer.get_json()
    status_url = answer.json["data"]["status_url"]
    assert answer.headers["Location"].endswith(status_url)
    wait_task(session_factory, answer.json["data"]["id"])
    return client.get(status_url, headers=headers).json["data"]


def test_api_build_diff_rollback_and_status(client, token_for, session_factory, task_worker):  # noqa: F811
    headers = token_for("security_officer")
    first = api_build(client, headers, session_factory, {"reason": "first"})
    assert first["state"] == "done" and first["result"]["version_number"] == 1
    assert client.put("/api/v1/rules/policy/disable.conf", json={"text": "9100003\n9100004\n"},
                      headers=headers).status_code == 200
    second = api_build(client, headers, session_factory, {})
    assert second["result"]["version_number"] == 2
    diff = client.get("/api/v1/rules/diff?from=1&to=2", headers=headers).json["data"]
    assert [(c["sid"], c["kind"]) for c in diff] == [(9100004, "disabled")]
    detail = client.get("/api/v1/rules/versions/2", headers=headers).json["data"]
    assert detail["changes"][0]["kind"] == "disabled" and detail["active"] is True
    assert client.post("/api/v1/rules/versions/1/rollback", headers=headers).json["data"]["active"] is True
    status = client.get("/api/v1/rules/status", headers=headers).json["data"]
    assert status["active_version"] == 1 and status["rules_enabled"] == 3
    found = client.get("/api/v1/rules/search?sid=9100002", headers=headers).json
    assert found["total"] == 1 and found["data"][0]["classtype"] == "attempted-admin"


def test_api_refuses_a_broken_build_with_sid_and_file(client, token_for, logged_in, rules_config, session_factory,
                                                       task_worker):  # noqa: F811
    headers = token_for("admin")
    (rules_config.local_dir / "typo.rules").write_text(
        'alert tcp any any -> any 80 (msg:"typo"; conten:"x"; sid:9100401; rev:1;)\n')
    task = api_build(client, headers, session_factory, {})
    assert task["state"] == "failed" and task["result"]["ok"] is False
    assert "local/typo.rules:1: sid 9100401: Suricata:" in task["error"]
    assert any("local/typo.rules:1: sid 9100401: Suricata:" in m for m in task["result"]["messages"])
    logged_in("security_officer")
    page = client.get(f"/tasks/{task['id']}").get_data(as_text=True)  # the page shows suricata -T's message
    assert "Build refused; the active version stays in force." in page
    assert "local/typo.rules:1: sid 9100401: Suricata:" in page


def test_api_auditor_cannot_write_policy(client, token_for, rules_config):
    headers = token_for("auditor")
    response = client.put("/api/v1/rules/policy/disable.conf", json={"text": "1\n"}, headers=headers)
    assert response.status_code == 403
    assert "9100003" in (rules_config.policy_dir / "disable.conf").read_text()
