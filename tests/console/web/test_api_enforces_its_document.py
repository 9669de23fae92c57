"""The API document says what the server does (issue 29 defect 7).

Bodies are checked against the document's own schemas (console/api/contract.py), so an enum there is an enum
here; state conflicts answer 409 and are documented; 413 and 414 are in the document; tokens per user are
capped and token names refuse NUL and lone surrogates. (The false-positive endpoints' 409:
tests/console/alerts/test_fp_scope.py.)
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from console.access import tokens
from console.access.actor import Actor
from console.db import session_scope
from console.models import ApiToken, Role


def _bearer(make_user, session_factory, role: str, username: str) -> dict:
    make_user(username, role)
    with session_scope(session_factory) as db:
        token = tokens.create_token(db, Actor(username, Role(role)), "test", None, 30)[1]
    return {"Authorization": f"Bearer {token}"}


def _token_count(session_factory) -> int:
    with session_scope(session_factory) as db:
        return db.scalar(select(func.count(ApiToken.id)))


def test_a_token_with_an_empty_role_is_400_naming_role_and_nothing_is_made(client, make_user, session_factory):
    headers = _bearer(make_user, session_factory, "admin", "boss")
    before = _token_count(session_factory)
    for role in ("", "root", "ADMIN"):
        answer = client.post("/api/v1/tokens", json={"name": "ci", "role": role}, headers=headers)
        assert answer.status_code == 400, (role, answer.json)
        assert answer.json["errors"][0]["field"] == "role" and "auditor" in answer.json["errors"][0]["message"]
    assert _token_count(session_factory) == before
    assert client.post("/api/v1/tokens", json={"name": "ci", "role": "auditor"}, headers=headers).status_code == 201


def test_every_documented_body_enum_is_enforced(client, make_user, session_factory):
    """Bodies with a value outside a documented enum, on operations whose handler never looked at it."""
    headers = _bearer(make_user, session_factory, "admin", "boss")
    answer = client.post("/api/v1/rules/build", json={"offline": "yes"}, headers=headers)
    assert answer.status_code == 400 and answer.json["errors"][0]["field"] == "offline"
    answer = client.post("/api/v1/tokens", json={"name": "ci", "days": 0}, headers=headers)
    assert answer.status_code == 400 and answer.json["errors"][0]["field"] == "days"


@pytest.mark.parametrize("escaped", ["a\\u0000b", "a\\ud800b", "\\udfff"])
def test_a_token_name_with_nul_or_a_lone_surrogate_is_400(client, make_user, session_factory, escaped):
    headers = _bearer(make_user, session_factory, "admin", "boss")
    before = _token_count(session_factory)
    answer = client.post("/api/v1/tokens", data='{"name": "%s"}' % escaped, content_type="application/json",
                         headers=headers)
    assert answer.status_code == 400, answer.json
    assert answer.json["errors"][0]["field"] == "name"
    assert _token_count(session_factory) == before


def test_tokens_per_user_are_capped_by_the_setting_and_409_is_documented(app, client, make_user, session_factory):
    settings = app.extensions["ops"].settings
    cap = settings.security.max_tokens_per_user
    headers = _bearer(make_user, session_factory, "it_staff", "worker")  # one live token
    made = [client.post("/api/v1/tokens", json={"name": f"t{n}"}, headers=headers) for n in range(cap - 1)]
    assert all(a.status_code == 201 for a in made)
    refused = client.post("/api/v1/tokens", json={"name": "one too many"}, headers=headers)
    assert refused.status_code == 409 and "max_tokens_per_user" in refused.json["errors"][0]["message"]
    assert client.delete(f"/api/v1/tokens/{made[0].json['data']['id']}", headers=headers).status_code == 200
    assert client.post("/api/v1/tokens", json={"name": "after a revoke"}, headers=headers).status_code == 201
    document = client.get("/api/v1/openapi.json", headers=headers).json
    assert "409" in document["paths"]["/api/v1/tokens"]["post"]["responses"]


def test_a_token_gets_the_default_expiry_of_the_setting(app, client, make_user, session_factory):
    headers = _bearer(make_user, session_factory, "admin", "boss")
    answer = client.post("/api/v1/tokens", json={"name": "no days given"}, headers=headers)
    assert answer.status_code == 201 and answer.json["data"]["expires_at"]
    with session_scope(session_factory) as db:
        row = db.get(ApiToken, answer.json["data"]["id"])
        lifetime = row.expires_at - row.created_at
    expected = timedelta(days=app.extensions["ops"].settings.security.api_token_days)
    assert abs(lifetime - expected) < timedelta(minutes=1)


def test_every_operation_documents_414_and_every_body_413(client, make_user, session_factory):
    headers = _bearer(make_user, session_factory, "auditor", "reader")
    document = client.get("/api/v1/openapi.json", headers=headers).json
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert "414" in operation["responses"], (method, path)
            if "requestBody" in operation:
                assert "413" in operation["responses"], (method, path)
