"""/api/v1/openapi.json, built from the app's real routes and their docstrings.

Every route of the api blueprint is put in the document by walking the URL
map, so the document cannot list a route that does not exist or miss one
that does (a test checks both ways).
"""

from __future__ import annotations

import copy
import functools

import yaml
from apispec import APISpec
from apispec.utils import dedent, trim_docstring
from apispec.yaml_utils import PATH_KEYS
from apispec_webframeworks.flask import FlaskPlugin
from flask import current_app, jsonify

from console.api import bp
from console.common.limits import MAX_BODY_BYTES, MAX_REQUEST_LINE_BYTES
from console.compliance.history import RESULTS
from console.models.availability import SERVICE_STATES
from console.devices.kinds import KINDS as DEVICE_KINDS
from console.models.alerts import AlertStatus
from console.models.inventory import HostStatus
from console.models.jobs import JobState
from console.models.remediation import RemediationState
from console.models.users import Role
from console.web.auth import permission_required

ERROR = {"$ref": "#/components/schemas/Error"}
# What console.common.text refuses at the edge (NUL, lone surrogates), said in every free string of the document.
STORABLE_TEXT = r"^[^\u0000\ud800-\udfff]*$"  # regex escapes, not the characters (JSON cannot carry those)
# Value sets the routes' operation blocks refer to ($ref), taken from the Python enums so they cannot drift apart.
ENUMS = {
    "Role": [role.value for role in Role],
    "JobState": [state.value for state in JobState],
    "RemediationState": [state.value for state in RemediationState],
    "HostStatus": [status.value for status in HostStatus],
    "AlertStatus": [status.value for status in AlertStatus],
    "ResultValue": list(RESULTS),
    "ServiceState": list(SERVICE_STATES),
    "DeviceKind": list(DEVICE_KINDS),
}

_NUMBER = {"type": "number", "nullable": True}
_TEXT = {"type": "string", "nullable": True}
AVAILABILITY_SERVICE = {"type": "object", "properties": {
    "name": {"type": "string"}, "label": {"type": "string"}, "unit": _TEXT, "system": _TEXT,
    "state": {"$ref": "#/components/schemas/ServiceState"}, "cause": _TEXT, "parent": _TEXT,
    "detail": {"type": "string"}, "since": {"type": "string", "format": "date-time", "nullable": True},
    "sla_target_percent": {"type": "number"}, "depends_on": {"type": "array", "items": {"type": "string"}},
    "response_ms": _NUMBER, "certificate_days_left": {"type": "integer", "nullable": True},
    "checks": {"type": "array", "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "kind": {"type": "string", "enum": ["http", "tls", "dns", "tcp", "icmp"]},
        "target": {"type": "string"}, "interval_seconds": {"type": "integer"},
        "outcome": {"type": "string", "enum": ["ok", "degraded", "fail"], "nullable": True},
        "detail": {"type": "string"}, "response_ms": _NUMBER, "failures_in_a_row": {"type": "integer"},
        "checked_at": {"type": "string", "format": "date-time", "nullable": True},
        "certificate_days_left": {"type": "integer", "nullable": True}, "tls_version": _TEXT,
        "loss_percent": _NUMBER}}},
}}


class _Plugin(FlaskPlugin):
    """apispec's Flask plugin, reading each view's docstring once per process with libyaml.

    apispec parses every docstring with PyYAML's pure-Python loader on every build, about 0.45 s of CPU for
    the whole API; the docstrings do not change while the process runs.
    """

    def path_helper(self, path=None, operations=None, parameters=None, *, view=None, app=None, **kwargs):
        if hasattr(view, "view_class"):  # a MethodView: apispec reads each method's docstring itself
            return super().path_helper(path, operations, parameters, view=view, app=app, **kwargs)
        operations.update(copy.deepcopy(_docstring_operations(view.__doc__ or "")))
        return self.flaskpath2openapi(self._rule_for_view(view, app=app).rule)


@functools.cache
def _docstring_operations(docstring: str) -> dict:
    """The operations of a docstring's YAML part (after its `---` line), as apispec's yaml_utils reads them."""
    lines = trim_docstring(docstring).split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("---")), None)
    if start is None:
        return {}
    loaded = yaml.load(dedent("\n".join(lines[start:])), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    return {key: value for key, value in loaded.items() if key in PATH_KEYS or key.startswith("x-")}


def build_spec(app) -> dict:
    spec = APISpec(
        title="Ops Console API",
        version="1",
        openapi_version="3.0.3",
        plugins=[_Plugin()],
        info={"description": "Every answer is {success, data} or {success: false, errors}."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", {
        "type": "object",
        "properties": {"success": {"type": "boolean"}, "errors": {"type": "array", "items": {
            "type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                             "field": {"type": "string"}}}}},
    })
    for name, values in ENUMS.items():
        spec.components.schema(name, {"type": "string", "enum": values})
    spec.components.schema("AvailabilityService", AVAILABILITY_SERVICE)
    for name, text in (("BadRequest", "Bad input: errors[].field names it"),
                       ("Unauthorized", "No token, or an unknown, revoked or expired one"),
                       ("Forbidden", "The token's role may not do this"),
                       ("NotFound", "No such object"),
                       ("URITooLong", f"The request line (path and query string) is longer than "
                                      f"{MAX_REQUEST_LINE_BYTES} bytes: answered by gunicorn, as text"),
                       ("PayloadTooLarge", f"The body is larger than {MAX_BODY_BYTES} bytes (or the operation's "
                                           "own, smaller limit)")):
        content = {} if name == "URITooLong" else {"content": {"application/json": {"schema": ERROR}}}
        spec.components.response(name, {"description": text, **content})
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint.startswith("api."):
            with app.test_request_context():
                spec.path(view=app.view_functions[rule.endpoint], app=app)
    document = spec.to_dict()
    document["security"] = [{"bearer": []}]
    for operation in _operations(document):
        _complete(operation)
    body = document["paths"]["/api/v1/users"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    body["properties"]["password"]["minLength"] = app.extensions["ops"].settings.security.min_password_length  # ops.toml decides
    return document


def _operations(document: dict):
    for item in document["paths"].values():
        for method, operation in item.items():
            if method in ("get", "put", "post", "delete", "patch"):
                yield operation


def _complete(operation: dict) -> None:
    """What holds for every operation, added here rather than repeated in each docstring.

    A secured operation can answer 401 (its token is missing, revoked or expired); one that reads a body, a query
    or a header can answer 400 (json_body, int_arg and the filters name the bad field). Every operation can get
    414 from gunicorn (a request line over MAX_REQUEST_LINE_BYTES); one that takes a body, 413. An optional query argument
    sent empty (`?until=`) means "not given" everywhere (int_arg, the filters), so the document says it may be empty;
    an operation whose argument must not be empty says `allowEmptyValue: false` itself.
    """
    responses = operation.setdefault("responses", {})
    codes = {str(code) for code in responses}
    if operation.get("security") != [] and "401" not in codes:
        responses["401"] = {"$ref": "#/components/responses/Unauthorized"}
    parameters = operation.get("parameters", [])
    reads_input = "requestBody" in operation or any(p.get("in") in ("query", "header") for p in parameters)
    if reads_input and "400" not in codes:
        responses["400"] = {"$ref": "#/components/responses/BadRequest"}
    responses.setdefault("414", {"$ref": "#/components/responses/URITooLong"})
    if "requestBody" in operation and "413" not in codes:
        responses["413"] = {"$ref": "#/components/responses/PayloadTooLarge"}
    for parameter in parameters:
        if parameter.get("in") == "query" and not parameter.get("required") and "allowEmptyValue" not in parameter:
            parameter["allowEmptyValue"] = True
        _storable_strings(parameter.get("schema"))
    for media in operation.get("requestBody", {}).get("content", {}).values():
        _storable_strings(media.get("schema"))


def _storable_strings(schema) -> None:
    """A free string (no pattern, enum or format of its own) gets the pattern of text the console can store."""
    if isinstance(schema, list):
        for item in schema:
            _storable_strings(item)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not {"pattern", "enum", "format"} & schema.keys():
        schema["pattern"] = STORABLE_TEXT
    for key in ("properties",):
        for child in (schema.get(key) or {}).values():
            _storable_strings(child)
    for key in ("items", "additionalProperties", "allOf", "anyOf", "oneOf"):
        _storable_strings(schema.get(key))


@bp.get("/api/v1/openapi.json")
@permission_required("view")
def openapi():
    """This document.
    ---
    get:
      summary: The OpenAPI document of this API
      responses:
        200: {description: "OpenAPI 3 document"}
    """
    return jsonify(build_spec(current_app))
