"""Hostile input as an outside client sends it: never a 500, always an answer that names what is wrong.

Each case failed before its fix (issue 15): a 10,000-level JSON body was a
RecursionError (500), an id past 64 bits an OverflowError (500), an unknown
API path a 302 to the HTML login page, a text/plain report was read, and an
`ops` command on a database that was never upgraded printed a traceback.
"""

from __future__ import annotations

import pytest

from console.db import session_scope
from console.access import tokens
from console.access.actor import Actor
from console.models.users import Role
from tests.console.cli.test_cli import ops

DEEP = b"[" * 10_000 + b"]" * 10_000
HUGE = "99999999999999999999"


@pytest.fixture
def admin_token(make_user, session_factory):
    name = make_user("hardadmin", "admin")
    with session_scope(session_factory) as db:
        _row, token = tokens.create_token(db, Actor(name, Role.admin), "test", None, 1)
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("path", ["/api/v1/agents/enroll", "/api/v1/users", "/api/v1/tokens",
                                  "/api/v1/alerts/groups/status"])
def test_deeply_nested_json_is_a_400_naming_the_body(client, admin_token, path):
    response = client.post(path, data=DEEP, content_type="application/json", headers=admin_token)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.json["errors"][0]["field"] == "body"
    assert "nested deeper" in response.json["errors"][0]["message"]


@pytest.mark.parametrize("path", [f"/api/v1/jobs/{HUGE}", f"/api/v1/compliance/runs/{HUGE}/results",
                                  f"/api/v1/compliance/runs/{HUGE}", f"/api/v1/rules/versions/{HUGE}"])
def test_an_id_past_64_bits_is_not_found_in_the_api(client, admin_token, path):
    response = client.get(path, headers=admin_token)
    assert response.status_code == 404 and response.json["success"] is False


def test_an_id_past_64_bits_is_not_found_on_pages_and_a_bad_before_is_named(logged_in):
    client = logged_in("admin")
    for path in (f"/jobs/{HUGE}", f"/incidents/{HUGE}", f"/compliance/runs/{HUGE}", f"/alerts/groups/{HUGE}",
                 f"/rules/versions/{HUGE}"):
        assert client.get(path).status_code == 404, path
    for path in ("/audit/", "/jobs/", "/rules/versions"):
        response = client.get(path, query_string={"before": HUGE})
        assert response.status_code == 400, path
        assert "<strong>before</strong>" in response.get_data(as_text=True), path


def test_audit_api_refuses_a_huge_before(client, admin_token):
    response = client.get("/api/v1/audit", query_string={"before": HUGE}, headers=admin_token)
    assert response.status_code == 400 and response.json["errors"][0]["field"] == "before"


def test_unknown_api_paths_and_methods_answer_json(client, admin_token):
    for headers in (admin_token, {}):
        response = client.get("/api/v1/no-such-thing", headers=headers)
        assert response.status_code == 404 and response.is_json and response.json["success"] is False
    response = client.delete("/api/v1/hosts", headers=admin_token)
    assert response.status_code == 405 and response.is_json and response.json["success"] is False


def test_a_report_must_be_sent_as_json(client):
    response = client.post("/api/v1/reports", data=b'{"report_id": "x"}', content_type="text/plain")
    assert response.status_code == 415
    assert response.json["errors"][0]["message"] == "send the report as Content-Type: application/json"


def test_ops_on_a_database_never_upgraded_names_it_and_the_fix(tmp_path):
    config = tmp_path / "ops.toml"
    config.write_text(f'[console]\nsecret_key = "test-secret-key-not-for-production"\n'
                      f'[database]\nurl = "sqlite:///{tmp_path / "empty.db"}"\n[paths]\nvar_dir = "{tmp_path / "var"}"\n')
    for args in (("user", "list"), ("console", "serve", "--port", "18999")):
        result = ops(*args, config=config)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert f"database sqlite:///{tmp_path / 'empty.db'} is at schema revision none (empty)" in result.stderr
        assert "run `ops db upgrade`" in result.stderr


def test_no_route_with_an_id_answers_500_for_an_id_past_64_bits(app, logged_in, admin_token):
    """Every rule with an <int:...> part, GET and POST, web and API, with that part past 64 bits."""
    client = logged_in("admin")
    checked = 0
    for rule in app.url_map.iter_rules():
        ints = [name for name, converter in rule._converters.items() if type(converter).__name__ == "BoundedInt"]
        if not ints:
            continue
        path = rule.rule
        for name, converter in rule._converters.items():
            path = path.replace(f"<{'int:' if name in ints else ''}{name}>", HUGE if name in ints else "x")
            path = path.replace(f"<{type(converter).__name__.lower()}:{name}>", "x")
        for method in {"GET", "POST"} & set(rule.methods):
            response = client.open(path, method=method, headers=admin_token if path.startswith("/api/") else {})
            assert response.status_code < 500, (method, path, response.status_code)
            checked += 1
    assert checked >= 30  # the walk reached the routes (31 rule-methods when this was written)
