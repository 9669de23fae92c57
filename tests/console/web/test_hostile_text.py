"""Issue 29: text the database cannot store (NUL, lone surrogates) is refused at the edge, naming the field.

Each test runs on SQLite and PostgreSQL (db_url): PostgreSQL's text type refuses NUL, so a value that slipped
through would answer 500 there; SQLite would store it and cut it short on the page.
"""

from __future__ import annotations

from sqlalchemy import func, select

from console.access import tokens
from console.access.actor import Actor
from console.db import session_scope
from console.models import ApiToken, Role
from tests.conftest import csrf_token


def _bearer(make_user, session_factory) -> dict:
    name = make_user("apiadmin", "admin")
    with session_scope(session_factory) as db:
        _row, token = tokens.create_token(db, Actor(name, Role.admin), "test", None, 30)
    return {"Authorization": f"Bearer {token}"}


def _tokens(session_factory) -> int:
    with session_factory() as db:
        return db.scalar(select(func.count()).select_from(ApiToken))


def test_nul_or_a_lone_surrogate_in_an_api_body_is_a_400_naming_the_field(client, make_user, session_factory):
    headers = {**_bearer(make_user, session_factory), "Content-Type": "application/json"}
    before = _tokens(session_factory)
    for raw, field in ((b'{"name": "ci\\u0000bot"}', "name"), (b'{"name": "ci\\ud800bot"}', "name"),
                       (b'{"name": "ok", "extra": [{"x\\u0000": 1}]}', "extra[0] (a key)")):
        response = client.post("/api/v1/tokens", data=raw, headers=headers)
        assert response.status_code == 400, response.get_data(as_text=True)
        error = response.get_json()["errors"][0]
        assert error["field"] == field and ("NUL" in error["message"] or "surrogate" in error["message"])
    assert _tokens(session_factory) == before


def test_nul_in_a_query_string_is_a_400_naming_the_parameter(client, make_user, session_factory, logged_in):
    headers = _bearer(make_user, session_factory)
    for path in ("/api/v1/alerts/groups?q=a%00b", "/api/v1/audit?actor=a%00b", "/api/v1/hosts?q=a%00"):
        response = client.get(path, headers=headers)
        assert response.status_code == 400, (path, response.get_data(as_text=True))
        assert response.get_json()["errors"][0]["field"] in ("q", "actor")
    page = logged_in("auditor").get("/alerts/?sensor=x%00y")
    assert page.status_code == 400 and "sensor" in page.get_data(as_text=True)


def test_nul_in_a_form_field_is_a_400_and_nothing_is_stored(logged_in, session_factory):
    client = logged_in("admin")
    page = client.get("/profile/").get_data(as_text=True)
    before = _tokens(session_factory)
    response = client.post("/profile/tokens", data={"name": "web\x00bot", "days": "30", "csrf_token": csrf_token(page)})
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
    assert _tokens(session_factory) == before
