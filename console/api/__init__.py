"""The JSON API, /api/v1: bearer tokens, one envelope, an OpenAPI document.

Every answer is `{"success": true, "data": ...}` or
`{"success": false, "errors": [{"code", "message", "field"?}]}` with the
HTTP status saying the same. Session cookies are not accepted here, so the
API needs no CSRF token and a browser session cannot be ridden into it.
"""

from flask import Blueprint

bp = Blueprint("api", __name__)

from console.api import (agents, alerts, audit, auth, compliance, devices, docs, health,  # noqa: E402,F401
                         hosts, jobs, notifications, overview, rules, systems, tasks, tokens,
                         users)  # (routes register on import)
from console.api import endpoints  # noqa: E402,F401
from console.api import hardening  # noqa: E402,F401
from console.api import remediation  # noqa: E402,F401
from console.api import availability  # noqa: E402,F401
from console.api import vulns  # noqa: E402,F401
