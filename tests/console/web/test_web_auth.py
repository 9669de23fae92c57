"""The console pages: login, lock-out, CSRF, roles refused on the server, headers, languages."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select

from console.models import AuditEvent, User
from tests.conftest import PASSWORD, csrf_token, login


def audit_actions(session_factory, outcome=None):
    with session_factory() as db:
        query = select(AuditEvent)
        if outcome:
            query = query.where(AuditEvent.outcome == outcome)
        return [(e.action, e.actor, e.object_id) for e in db.scalars(query.order_by(AuditEvent.id))]


PUBLIC_PAGES = {"auth.login", "static", "auth.set_language_anonymous",
                "status_page.index"}  # api.* answer 401 JSON: see test_api.py; /status: test_status_page.py
SAMPLES = {"int": "1", "float": "1.0", "uuid": "00000000-0000-0000-0000-000000000001", "string": "x", "path": "x"}
ARGUMENT = re.compile(r"<(?:(?P<converter>[a-zA-Z_]\w*)(?:\((?P<options>.*?)\))?:)?(?P<name>[a-zA-Z_]\w*)>")


def sample_path(rule: str) -> str:
    """The rule with a sample value for each argument, by its converter: <int:id> -> 1, <name> or <path:p> -> x."""

    def value(match):
        converter = match["converter"] or "string"
        assert converter in SAMPLES, f"{rule}: no sample value for converter {converter!r}"
        return SAMPLES[converter]

    return ARGUMENT.sub(value, rule)


def get_rules(app, public) -> list[tuple[str, str]]:
    """(endpoint, path) of every GET rule whose endpoint is not public(endpoint), with sample arguments.

    The ids need not exist: the login (or token) check comes before any lookup.
    """
    return sorted((rule.endpoint, sample_path(rule.rule)) for rule in app.url_map.iter_rules()
                  if "GET" in rule.methods and not public(rule.endpoint))


def test_every_page_needs_login(app, client):
    pages = get_rules(app, lambda endpoint: endpoint in PUBLIC_PAGES or endpoint.startswith("api."))
    assert len(pages) > 9 and ("overview.index", "/") in pages  # the walk found the pages
    for endpoint, path in pages:
        response = client.get(path)
        assert response.status_code == 302, (endpoint, path, response.status_code)
        assert urlsplit(response.headers["Location"]).path == "/login", (endpoint, path, response.headers["Location"])


def test_login_page_has_csrf_token_and_strict_headers(client):
    response = client.get("/login")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    html = response.get_data(as_text=True)
    assert csrf_token(html)
    assert "<script>" not in html and " style=" not in html and "onclick" not in html


def test_wrong_password_gets_401_and_audit_record(client, make_user, session_factory):
    make_user("bob", "it_staff")
    response = login(client, "bob", "not the password")
    assert response.status_code == 401
    assert "Wrong user name or password" in response.get_data(as_text=True)
    assert ("login", "bob", "bob") in audit_actions(session_factory, "failure")


def test_login_cookie_is_httponly_and_samesite(client, make_user):
    make_user("bob", "it_staff")
    response = login(client, "bob")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_five_failures_lock_the_name_for_that_address_only(app, client, make_user):
    """A stranger cannot lock the admin out: the lock holds for the address that failed, with Retry-After."""
    make_user("bob", "it_staff")
    for _ in range(5):
        login(client, "bob", "wrong wrong wrong")
    response = login(client, "bob", PASSWORD)
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed logins for this user name from your address" in response.get_data(as_text=True)
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.18.7.7"
    assert login(elsewhere, "bob", PASSWORD).status_code == 302


def test_the_lock_answer_does_not_tell_whether_the_account_exists(app, make_user):
    make_user("bob", "it_staff")
    answers = []
    for name, address in (("bob", "198.18.8.1"), ("nobody-here", "198.18.8.2")):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        for _ in range(5):
            assert login(client, name, "wrong wrong wrong").status_code == 401
        response = login(client, name, "wrong wrong wrong")
        answers.append((response.status_code, "Too many failed logins for this user name" in response.get_data(as_text=True)))
    assert answers == [(429, True), (429, True)]


def test_logout_ends_the_session_on_the_server(logged_in, app):
    """A copy of the cookie taken before logging out opens nothing afterwards."""
    client = logged_in("it_staff")
    copied = client.get_cookie("session").value
    page = client.get("/profile/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    thief = app.test_client()
    thief.set_cookie("session", copied)
    response = thief.get("/profile/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_post_without_csrf_token_is_refused_and_audited(logged_in, session_factory):
    client = logged_in("admin")
    response = client.post("/users/new", data={"username": "mallory", "role": "admin"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    with session_factory() as db:
        assert db.scalar(select(User).where(User.username == "mallory")) is None
    assert ("csrf.rejected", "admin1", "/users/new") in audit_actions(session_factory, "denied")


def test_stale_csrf_token_from_another_session_is_refused(app, logged_in, session_factory):
    other = app.test_client()
    stale = csrf_token(other.get("/login").get_data(as_text=True))
    client = logged_in("admin")
    response = client.post("/users/new", data={"username": "mallory", "role": "admin", "csrf_token": stale})
    assert response.status_code == 400
    with session_factory() as db:
        assert db.scalar(select(User).where(User.username == "mallory")) is None


def test_auditor_is_refused_a_change_with_403_and_audit(logged_in, session_factory):
    client = logged_in("auditor")
    page = client.get("/users/")
    assert page.status_code == 200 and "New user" not in page.get_data(as_text=True)
    token = csrf_token(client.get("/profile/").get_data(as_text=True))
    response = client.post("/users/new", data={"username": "mallory", "role": "admin", "csrf_token": token})
    assert response.status_code == 403
    with session_factory() as db:
        assert db.scalar(select(User).where(User.username == "mallory")) is None
    assert ("access.denied", "auditor1", "/users/new") in audit_actions(session_factory, "denied")


def test_it_staff_cannot_see_audit_or_users(logged_in):
    client = logged_in("it_staff")
    assert client.get("/audit/").status_code == 403
    assert client.get("/users/").status_code == 403
    assert client.get("/hosts/").status_code == 200


def test_admin_creates_user_who_can_log_in_with_shown_password(app, logged_in):
    client = logged_in("admin")
    token = csrf_token(client.get("/users/new").get_data(as_text=True))
    page = client.post("/users/new", data={"username": "tuan", "role": "security_officer", "csrf_token": token})
    assert page.status_code == 200
    import re

    password = re.search(r'data-testid="generated-password">([^<]+)<', page.get_data(as_text=True)).group(1)
    assert login(app.test_client(), "tuan", password).status_code == 302


def test_disabled_user_session_ends(app, logged_in, make_user):
    admin = logged_in("admin")
    make_user("bob", "it_staff")
    bob = app.test_client()
    login(bob, "bob")
    assert bob.get("/hosts/").status_code == 200
    token = csrf_token(admin.get("/users/").get_data(as_text=True))
    assert admin.post("/users/bob/disable", data={"csrf_token": token}).status_code == 302
    assert bob.get("/hosts/").status_code == 302


def test_language_switch_changes_the_page_and_sticks(logged_in):
    client = logged_in("auditor")
    assert "Overview" in client.get("/").get_data(as_text=True)
    token = csrf_token(client.get("/").get_data(as_text=True))
    client.post("/language", data={"locale": "vi", "csrf_token": token})
    html = client.get("/").get_data(as_text=True)
    assert "Tổng quan" in html and 'lang="vi"' in html
    token = csrf_token(html)
    client.post("/language", data={"locale": "en", "csrf_token": token})
    assert "Overview" in client.get("/").get_data(as_text=True)


def test_open_redirect_after_login_is_refused(client, make_user):
    make_user("bob", "it_staff")
    page = client.get("/login?next=//evil.example/")
    token = csrf_token(page.get_data(as_text=True))
    response = client.post("/login?next=//evil.example/", data={"username": "bob", "password": PASSWORD,
                                                                "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_times_are_shown_in_ho_chi_minh(logged_in, session_factory):
    client = logged_in("admin")
    with session_factory() as db:
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "login")).first()
    local = event.at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m-%d %H:%M")
    assert local in client.get("/audit/").get_data(as_text=True)


def test_it_staff_syncs_from_the_hosts_page_and_sees_the_hosts(logged_in):
    client = logged_in("it_staff")
    page = client.get("/hosts/").get_data(as_text=True)
    assert 'data-testid="sync-inventory"' in page
    response = client.post("/hosts/sync", data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Inventory synced: 27 added" in html and "dtnmt-web-01" in html
    detail = client.get("/hosts/dtnmt-qt-gw-01").get_data(as_text=True)
    assert "198.18.40.21" in detail and "role_monitoring_gateway" in detail
    assert client.get("/hosts/no-such-host").status_code == 404


def test_auditor_sync_post_is_refused(logged_in, session_factory):
    client = logged_in("auditor")
    page = client.get("/hosts/").get_data(as_text=True)
    assert 'data-testid="sync-inventory"' not in page
    assert client.post("/hosts/sync", data={"csrf_token": csrf_token(page)}).status_code == 403
    with session_factory() as db:
        assert db.scalar(select(AuditEvent).where(AuditEvent.action == "inventory.sync")) is None


def test_overview_chart_names_units_in_the_users_language(logged_in):
    client = logged_in("it_staff")
    page = client.get("/hosts/").get_data(as_text=True)
    client.post("/hosts/sync", data={"csrf_token": csrf_token(page)})
    assert "Land Registration Office" in client.get("/").get_data(as_text=True)
    client.post("/language", data={"locale": "vi", "csrf_token": csrf_token(page)})
    html = client.get("/").get_data(as_text=True)
    assert "Văn phòng Đăng ký đất đai" in html or "V\\u0103n ph\\u00f2ng" in html


def test_secure_cookies_and_hsts_when_configured(config_file, engine, make_user):
    from console import create_app
    from console.settings import load_settings

    config_file.write_text(config_file.read_text().replace("[console]\n", "[console]\nsecure_cookies = true\n"))
    app = create_app(load_settings(config_file))
    client = app.test_client()
    make_user("bob", "it_staff")
    response = login(client, "bob")
    app.extensions["ops"].engine.dispose()
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_login_page_language_can_be_chosen_before_login(client):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login/language", data={"locale": "vi", "csrf_token": token})
    html = client.get("/login").get_data(as_text=True)
    assert "Đăng nhập" in html and "Tên đăng nhập" in html


def test_an_auditor_walks_every_get_route_without_a_5xx(app, client, make_user, session_factory, synced):
    """Every GET rule of app.url_map (pages and API, so a page a later issue adds is walked too) as an auditor:
    signed in for the pages, with a bearer token for /api/v1. Sample ids need not exist (404 is an answer)."""
    from console.access import tokens
    from console.access.actor import Actor
    from console.db import session_scope
    from console.models import Role

    make_user("reader", "auditor")
    with session_scope(session_factory) as db:
        token = tokens.create_token(db, Actor("reader", Role.auditor), "walk", None, 1)[1]
    assert login(client, "reader").status_code == 302
    routes = get_rules(app, lambda endpoint: endpoint in PUBLIC_PAGES or endpoint in ("auth.logout",))
    assert len(routes) > 60 and ("overview.index", "/") in routes
    for endpoint, path in routes:
        headers = {"Authorization": f"Bearer {token}"} if endpoint.startswith("api.") else {}
        answer = client.get(path, headers=headers)
        assert answer.status_code < 500, (endpoint, path, answer.status_code)
        if endpoint.startswith("api.") and endpoint not in ("api.openapi", "api.healthz"):
            assert answer.status_code != 401, (endpoint, path)  # the token was taken: the route itself answered
