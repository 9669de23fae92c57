"""The JSON API: bearer tokens, one envelope, roles, OpenAPI that matches the routes, metrics."""

from __future__ import annotations

from openapi_spec_validator import validate
from sqlalchemy import select

from console.db import session_scope
from console.models import ApiToken, AuditEvent, Role, User
from console.access import tokens
from console.access.actor import Actor


def test_api_without_token_is_401_json_and_audited(client, session_factory):
    response = client.get("/api/v1/hosts")
    assert response.status_code == 401
    assert response.json == {"success": False, "errors": [
        {"code": "unauthorized", "message": "send 'Authorization: Bearer <token>'"}]}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    with session_factory() as db:
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "api.auth")).one()
    assert event.outcome == "denied" and event.object_id == "/api/v1/hosts"


def test_every_api_read_needs_a_token(app, client, settings):
    """Every GET of the API but /healthz (and /metrics when ops.toml lets it be scraped without one) is 401 JSON."""
    from tests.console.web.test_web_auth import get_rules

    open_reads = {"api.healthz"} | (set() if settings.metrics.require_token else {"api.metrics"})
    reads = get_rules(app, lambda endpoint: not endpoint.startswith("api.") or endpoint in open_reads)
    assert len(reads) > 10 and ("api.me", "/api/v1/me") in reads  # the walk found the API
    for endpoint, path in reads:
        response = client.get(path)
        assert response.status_code == 401, (endpoint, path, response.status_code)
        assert response.json["success"] is False and response.json["errors"][0]["code"] == "unauthorized", path


def test_session_cookie_does_not_open_the_api(logged_in):
    client = logged_in("admin")
    assert client.get("/api/v1/me").status_code == 401


def test_revoked_token_is_refused(client, token_for):
    headers = token_for("admin")
    assert client.get("/api/v1/me", headers=headers).json["data"]["role"] == "admin"
    own = client.get("/api/v1/tokens", headers=headers).json["data"]
    assert client.delete(f"/api/v1/tokens/{own[0]['id']}", headers=headers).status_code == 200
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401 and response.json["success"] is False


def test_tokens_are_stored_hashed(client, token_for, session_factory):
    headers = token_for("it_staff")
    token = headers["Authorization"].split()[1]
    with session_factory() as db:
        row = db.scalars(select(tokens.ApiToken)).one()
    assert token not in (row.token_hash, row.prefix) and row.token_hash == tokens.token_digest(token)


def test_disabled_owner_token_stops_working(client, token_for, make_user):
    admin = token_for("admin")
    staff = token_for("it_staff")
    assert client.post("/api/v1/users/apiitstaff/disable", headers=admin).status_code == 200
    assert client.get("/api/v1/me", headers=staff).status_code == 401


def test_auditor_cannot_create_user_403_and_nothing_changes(client, token_for, session_factory):
    headers = token_for("auditor")
    response = client.post("/api/v1/users", json={"username": "mallory", "role": "admin"}, headers=headers)
    assert response.status_code == 403
    assert response.json["success"] is False and "may not users.manage" in response.json["errors"][0]["message"]
    with session_factory() as db:
        assert db.scalar(select(User).where(User.username == "mallory")) is None
        denied = db.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")).one()
    assert denied.actor == "apiauditor" and denied.detail["permission"] == "users.manage"


def test_admin_creates_user_and_bad_input_names_the_field(client, token_for):
    headers = token_for("admin")
    created = client.post("/api/v1/users", json={"username": "lan", "role": "auditor"}, headers=headers)
    assert created.status_code == 201 and len(created.json["data"]["password"]) >= 16
    bad = client.post("/api/v1/users", json={"username": "x y", "role": "auditor"}, headers=headers)
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "username"
    bad = client.post("/api/v1/users", json={"username": "ok1", "role": "king"}, headers=headers)
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "role"
    bad = client.post("/api/v1/users", data="not json", headers=headers)
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "body"
    dup = client.post("/api/v1/users", json={"username": "lan", "role": "auditor"}, headers=headers)
    assert dup.status_code == 409


def test_non_admin_cannot_issue_a_higher_role_token(client, token_for):
    headers = token_for("it_staff")
    response = client.post("/api/v1/tokens", json={"name": "sneaky", "role": "admin"}, headers=headers)
    assert response.status_code == 403
    response = client.post("/api/v1/tokens", json={"name": "ci"}, headers=headers)
    assert response.status_code == 201 and response.json["data"]["token"].startswith("ops_")


def test_audit_api_filters_and_pages(client, token_for):
    headers = token_for("admin")
    for number in range(3):
        client.post("/api/v1/users", json={"username": f"u{number}x", "role": "auditor"}, headers=headers)
    first = client.get("/api/v1/audit?action=user.create&limit=2", headers=headers).json
    assert [e["object_id"] for e in first["data"]] == ["u2x", "u1x"]
    rest = client.get(f"/api/v1/audit?action=user.create&limit=2&before={first['next']}", headers=headers).json
    assert [e["object_id"] for e in rest["data"]][:1] == ["u0x"]
    bad = client.get("/api/v1/audit?since=yesterday", headers=headers)
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "since"


def test_openapi_document_is_valid_and_matches_the_routes(app, client, token_for):
    document = client.get("/api/v1/openapi.json", headers=token_for("auditor")).json
    validate(document)
    documented = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    real = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
            real |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == real


def test_healthz_is_open_and_metrics_need_a_token(client, token_for):
    from console.version import app_version

    assert client.get("/healthz").json == {"status": "ok", "database": "ok", "version": app_version()}
    assert client.get("/metrics").status_code == 401
    body = client.get("/metrics", headers=token_for("auditor")).get_data(as_text=True)
    assert "ops_http_requests_total" in body and "ops_users_active 1.0" in body


def test_it_staff_syncs_inventory_and_lists_hosts(client, token_for):
    headers = token_for("it_staff")
    result = client.post("/api/v1/inventory/sync", headers=headers)
    assert result.status_code == 200 and len(result.json["data"]["added"]) == 27
    page = client.get("/api/v1/hosts?limit=5&unit=unit_it_centre", headers=headers).json
    assert len(page["data"]) == 5 and page["next"] == page["data"][-1]["name"]
    host = client.get("/api/v1/hosts/dtnmt-ids-01", headers=headers).json["data"]
    assert host["roles"] == ["role_ids_sensor"] and host["variables"]["ops_ids_interface"] == "ens5"
    assert client.get("/api/v1/hosts/nope", headers=headers).status_code == 404
    assert client.get("/api/v1/hosts?limit=0", headers=headers).json["errors"][0]["field"] == "limit"


def test_auditor_cannot_sync_inventory(client, token_for):
    response = client.post("/api/v1/inventory/sync", headers=token_for("auditor"))
    assert response.status_code == 403


def test_broken_inventory_is_400_naming_file_and_line(tmp_path, db_url, engine, make_user, session_factory):
    from console import create_app
    from console.settings import load_settings

    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "hosts.yml").write_text("all:\n  hosts:\n    srv1: {ansible_host: 198.18.0.1\n")
    config = tmp_path / "broken.toml"
    config.write_text(f'[console]\nsecret_key = "x"\n[database]\nurl = "{db_url}"\n'
                      f'[paths]\nvar_dir = "{tmp_path / "var"}"\n[inventory]\npath = "{folder}"\n')
    app = create_app(load_settings(config))
    name = make_user("staff9", "it_staff")
    with session_scope(session_factory) as db:
        _row, token = tokens.create_token(db, Actor(name, Role.it_staff), "t", None, 1)
    response = app.test_client().post("/api/v1/inventory/sync", headers={"Authorization": f"Bearer {token}"})
    app.extensions["ops"].engine.dispose()
    assert response.status_code == 400
    assert f"{folder / 'hosts.yml'}:" in response.json["errors"][0]["message"]
    with session_factory() as db:
        assert db.scalar(select(AuditEvent).where(AuditEvent.action == "inventory.sync")) is None


def test_an_unexpected_error_is_a_500_envelope_and_changes_nothing(client, token_for, monkeypatch):
    import console.api.hosts as resources

    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(resources, "filtered_hosts", broken)
    response = client.get("/api/v1/hosts", headers=token_for("auditor"))
    assert response.status_code == 500
    assert response.json["success"] is False and response.json["errors"][0]["code"] == "internal"
    assert "on fire" not in response.get_data(as_text=True)


def test_a_token_shows_in_use_even_when_its_call_is_refused(client, token_for, session_factory):
    """last_used_at is written apart from the request's unit of work, which a refused call rolls back."""
    headers = token_for("auditor", "lastuse")
    assert client.post("/api/v1/inventory/sync", headers=headers).status_code == 403
    with session_factory() as db:
        row = db.scalars(select(ApiToken).join(User).where(User.username == "lastuse")).one()
    assert row.last_used_at is not None
