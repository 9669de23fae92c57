"""Request bodies checked against the API's own OpenAPI document (/api/v1/openapi.json).

The document is built from the routes' docstrings (console/api/docs.py); this
module validates each JSON body against the requestBody schema of its
operation in that same document, so an enum, a type, a length or a required
field the document states is the rule the server applies. The handler's own
checks still run after it (they name the field in the area's words).

The schemas are OpenAPI 3.0 (a JSON Schema draft 4 dialect): `$ref`s to
components are resolved once per app, `nullable: true` allows null, and
`format` is not enforced here (the handlers parse dates and addresses).
"""

from __future__ import annotations

import copy

from apispec_webframeworks.flask import FlaskPlugin
from flask import current_app, request
from jsonschema import Draft4Validator

from console.errors import ValidationFailed

_CACHE_KEY = "ops_api_body_validators"


def check_body(body) -> None:
    """Raise ValidationFailed naming the field when `body` breaks its operation's documented schema."""
    validator = _validators(current_app).get((request.endpoint, request.method.lower()))
    if validator is None:
        return
    error = next(iter(sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))), None)
    if error is not None:
        path = list(error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, dict):
            path.append(next(name for name in error.validator_value if name not in error.instance))
        names = [str(part) for part in path if not isinstance(part, int)]
        items = "".join(f"item {part}: " for part in path if isinstance(part, int))
        message = "is required" if error.validator == "required" else _message(error)
        raise ValidationFailed(".".join(names) or "body", items + message)


def _message(error) -> str:
    if error.validator == "enum":
        return "must be one of " + ", ".join(repr(v) for v in error.validator_value)
    if error.validator == "additionalProperties" and error.message:
        return error.message
    return error.message[:300]


def _validators(app) -> dict:
    cached = app.extensions.get(_CACHE_KEY)
    if cached is None:
        from console.api.docs import build_spec

        cached = app.extensions[_CACHE_KEY] = _build(app, build_spec(app))
    return cached


def _build(app, document: dict) -> dict:
    components = document.get("components", {}).get("schemas", {})
    validators = {}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        item = document["paths"].get(FlaskPlugin.flaskpath2openapi(rule.rule), {})
        for method, operation in item.items():
            schema = (operation.get("requestBody", {}).get("content", {}).get("application/json", {})
                      .get("schema") if isinstance(operation, dict) else None)
            if schema:
                validators[(rule.endpoint, method)] = Draft4Validator(_draft4(_resolve(schema, components)))
    return validators


def _resolve(schema, components: dict, depth: int = 0):
    """The schema with every '#/components/schemas/X' put in place (the document has no recursive schema)."""
    if depth > 20:
        raise ValueError("schema references nested deeper than 20")
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            return _resolve(copy.deepcopy(components[ref.rsplit("/", 1)[1]]), components, depth + 1)
        return {key: _resolve(value, components, depth + 1) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_resolve(value, components, depth + 1) for value in schema]
    return schema


def _draft4(schema):
    """OpenAPI 3.0's `nullable: true` as JSON Schema's type list; OpenAPI-only keywords dropped."""
    if isinstance(schema, list):
        return [_draft4(value) for value in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _draft4(value) for key, value in schema.items()
           if key not in ("nullable", "example", "examples", "readOnly", "writeOnly", "discriminator", "xml",
                          "externalDocs", "deprecated")}
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out
