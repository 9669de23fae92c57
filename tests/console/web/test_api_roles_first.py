"""The role check comes before the body is read (issue 15).

Before the fix a write handler parsed its JSON body first, so an auditor
posting garbage got a 400 naming the missing field: it learnt the request's
schema from an action it may not take. Now every write route of /api/v1 answers
an auditor 403 whatever the body, and the refusal is audit-logged.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from console.models import AuditEvent

# These authenticate themselves (an enrolment token, a signed body): no role is involved.
AGENT_ENDPOINTS = {"api.agents_enroll", "api.reports_ingest", "api.alerts_eve_ingest"}
# An auditor may manage its own tokens (tokens.manage is every role's); the body is read for them.
AUDITOR_MAY = {"api.tokens_create", "api.tokens_revoke"}
WRITES = ("POST", "PUT", "DELETE")
# Bodies that fail every parser: not JSON, JSON but not an object, an object missing every field.
BAD_BODIES = [b"{not json", b"[1, 2]", b'{"unexpected": true}']


def write_routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, path) of every write route of the API, path parameters filled with a plausible value."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or not rule.rule.startswith("/api/v1/"):
            continue
        for method in sorted(rule.methods & set(WRITES)):
            path = rule.rule
            for argument in rule.arguments:
                path = path.replace(f"<int:{argument}>", "1").replace(f"<{argument}>", "x")
            found.append((rule.endpoint, method, path))
    return sorted(found)


def test_the_walk_finds_the_writes(app):
    endpoints = {endpoint for endpoint, _method, _path in write_routes(app)}
    assert len(endpoints) > 20
    assert {"api.users_create", "api.jobs_launch", "api.rules_policy_write", "api.compliance_waivers_revoke"} <= endpoints
    assert AGENT_ENDPOINTS | AUDITOR_MAY <= endpoints  # the exclusions name real routes


@pytest.mark.parametrize("body", BAD_BODIES)
def test_an_auditor_gets_403_not_400_on_every_write_route(app, client, token_for, session_factory, body):  # noqa: F811
    headers = token_for("auditor")
    checked = []
    for endpoint, method, path in write_routes(app):
        if endpoint in AGENT_ENDPOINTS | AUDITOR_MAY:
            continue
        response = client.open(path, method=method, data=body, content_type="application/json", headers=headers)
        assert response.status_code == 403, (endpoint, method, path, response.status_code, response.json)
        assert response.json["success"] is False and "auditor" in response.json["errors"][0]["message"]
        assert "field" not in response.json["errors"][0], endpoint
        checked.append(endpoint)
    with session_factory() as db:
        denied = db.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")).all()
    assert len(denied) == len(checked)
