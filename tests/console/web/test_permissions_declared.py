"""One way to check a role: every API operation declares its permission with @permission_required (console/web/auth.py),
the decorator the pages use, checked before the view reads its arguments or body. The few that authenticate another
way are named here with the reason."""

from __future__ import annotations

import pytest

from console.access.permissions import PERMISSIONS
from console.web.auth import permission_required

# Endpoints that authenticate without a console role, each for its reason.
OTHERWISE = {
    "api.healthz": "liveness for a load balancer: public, says nothing but ok",
    "api.metrics": "Prometheus: a bearer token unless [metrics] require_token = false",
    "api.agents_enroll": "an agent's one-time enrolment token",
    "api.reports_ingest": "an enrolled agent's Ed25519 signature",
    "api.alerts_eve_ingest": "an enrolled agent's Ed25519 signature",
}


def test_every_api_operation_declares_its_permission(app):
    undeclared = sorted(name for name, view in app.view_functions.items()
                        if name.startswith("api.") and name not in OTHERWISE
                        and getattr(view, "required_permission", None) not in PERMISSIONS)
    assert undeclared == []
    assert all(name in app.view_functions for name in OTHERWISE)


def test_an_unknown_permission_fails_when_the_module_is_imported():
    with pytest.raises(KeyError, match="unknown permission 'rules.manag'"):
        permission_required("rules.manag")
