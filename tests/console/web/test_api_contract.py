"""The API answers as its OpenAPI document says (issue 15): what schemathesis found, one case each.

Each failed before its fix: a group id or a page cursor past 64 bits was a 500, an explicit null for an
optional text field was taken as "not given", a form feed was an empty body, a value outside a documented
enum was ignored instead of refused, a 405 had no Allow header, and the document left out 401, 400 and the
constraints the handlers enforce.
"""

from __future__ import annotations

import pytest

from tests.console.web.test_hardening import HUGE


@pytest.fixture
def admin(token_for):  # noqa: F811
    return token_for("admin")


@pytest.fixture
def document(client, admin):
    return client.get("/api/v1/openapi.json", headers=admin).json


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_every_secured_operation_documents_401_and_every_input_400(document):
    for name, operation in _operations(document):
        responses = {str(code) for code in operation["responses"]}
        if operation.get("security") != []:
            assert "401" in responses, name
        parameters = operation.get("parameters", [])
        if "requestBody" in operation or any(p.get("in") in ("query", "header") for p in parameters):
            assert "400" in responses, name


def test_optional_query_arguments_may_be_empty_and_ids_are_bounded(document):
    for name, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and not parameter.get("required"):
                assert parameter.get("allowEmptyValue") is True, (name, parameter["name"])
            if parameter["name"] in ("before", "after") and parameter["schema"].get("type") == "integer":
                assert parameter["schema"]["minimum"] == 0 and "maximum" in parameter["schema"], name
    audit = document["paths"]["/api/v1/audit"]["get"]
    assert {p["name"]: p for p in audit["parameters"]}["before"]["schema"]["maximum"] == 2**63 - 1


def test_the_password_minimum_is_the_configured_one(document, settings):
    body = document["paths"]["/api/v1/users"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["password"]["minLength"] == settings.security.min_password_length


def test_empty_query_arguments_mean_not_given(client, admin):
    for path in ("/api/v1/audit?until=&since=&before=", "/api/v1/compliance/waivers?all=",
                 "/api/v1/alerts/groups?until=&after=&severity=", "/api/v1/compliance/trend?by=",
                 "/api/v1/rules/search?enabled=&sid="):
        response = client.get(path, headers=admin)
        assert response.status_code == 200, (path, response.json)


@pytest.mark.parametrize("path, field", [("/api/v1/audit?outcome=maybe", "outcome"),
                                         ("/api/v1/compliance/waivers?all=yes", "all"),
                                         ("/api/v1/rules/search?enabled=perhaps", "enabled")])
def test_a_value_outside_the_documented_enum_is_refused(client, admin, path, field):
    response = client.get(path, headers=admin)
    assert response.status_code == 400 and response.json["errors"][0]["field"] == field


def test_a_group_id_past_64_bits_is_a_400_not_a_500(client, admin):
    response = client.post("/api/v1/alerts/groups/status", json={"groups": [int(HUGE)], "status": "closed"},
                           headers=admin)
    assert response.status_code == 400 and response.json["errors"][0]["field"] == "groups"


def test_a_page_cursor_past_64_bits_is_a_400_not_a_500(client, admin):
    response = client.get(f"/api/v1/alerts/groups?after=2026-01-01T00:00:00_{HUGE}", headers=admin)
    assert response.status_code == 400 and response.json["errors"][0]["field"] == "after"


@pytest.mark.parametrize("path, body, field", [
    ("/api/v1/tokens", {"name": "x", "role": None}, "role"),
    ("/api/v1/users", {"username": "nulls", "role": "auditor", "password": None}, "password"),
    ("/api/v1/enrollment-tokens", {"host": None}, "host"),
    ("/api/v1/rules/build", {"reason": {}}, "reason"),
    ("/api/v1/rules/build", {"offline": "yes"}, "offline"),
])
def test_a_field_of_the_wrong_type_is_refused(client, admin, path, body, field):
    response = client.post(path, json=body, headers=admin)
    assert response.status_code == 400, response.json
    assert response.json["errors"][0]["field"] == field


def test_a_form_feed_is_not_an_empty_body(client, admin):
    response = client.post("/api/v1/rules/build", data=b"\x0c", content_type="application/json", headers=admin)
    assert response.status_code == 400 and response.json["errors"][0]["field"] == "body"


def test_an_enrolment_token_needs_no_body(client, admin):
    response = client.post("/api/v1/enrollment-tokens", headers=admin)
    assert response.status_code == 201 and response.json["data"]["token"]


def test_a_405_names_the_allowed_methods(client, admin):
    response = client.delete("/api/v1/hosts", headers=admin)
    assert response.status_code == 405 and response.is_json
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}
