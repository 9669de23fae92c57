"""API: The acting user's API tokens. Each docstring's YAML after '---' is its OpenAPI operation."""

from __future__ import annotations

from console.api import bp
from console.api.envelope import json_body, ok, text_field
from console.errors import ValidationFailed
from console.access import tokens
from console.web.auth import current_actor, permission_required
from console.web.runtime import db, settings


@bp.get("/api/v1/tokens")
@permission_required("tokens.manage")
def tokens_list():
    """The acting user's API tokens (never the tokens themselves).
    ---
    get:
      summary: List own tokens
      responses:
        200: {description: "Tokens"}
        403: {$ref: "#/components/responses/Forbidden"}
    """
    return ok([tokens.token_as_dict(t) for t in tokens.list_tokens(db(), current_actor())])


@bp.post("/api/v1/tokens")
@permission_required("tokens.manage")
def tokens_create():
    """Issue a token for the acting user; the token is in the answer once.
    ---
    post:
      summary: Create a token
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name]
              properties:
                name: {type: string, minLength: 1, maxLength: 128, pattern: '\\S'}
                role: {$ref: "#/components/schemas/Role"}
                days: {type: integer, minimum: 1, maximum: 3650}
      responses:
        201: {description: "Created; expires after `days`, by default [security] api_token_days"}
        400: {$ref: "#/components/responses/BadRequest"}
        403: {$ref: "#/components/responses/Forbidden"}
        409: {description: "The user holds [security] max_tokens_per_user live tokens already"}
    """
    body = json_body()
    days = body.get("days", settings().security.api_token_days)
    if not isinstance(days, int) or isinstance(days, bool):
        raise ValidationFailed("days", "must be a whole number")
    row, token = tokens.create_token(db(), current_actor(), text_field(body, "name"),
                                     text_field(body, "role", required=False) or None, days,
                                     max_live=settings().security.max_tokens_per_user)
    return ok({**tokens.token_as_dict(row), "token": token}, 201)


@bp.delete("/api/v1/tokens/<int:token_id>")
@permission_required("tokens.manage")
def tokens_revoke(token_id: int):
    """Revoke a token (own; admin: anyone's).
    ---
    delete:
      summary: Revoke a token
      parameters: [{name: token_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {description: "Revoked"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    row = tokens.revoke_token(db(), current_actor(), token_id)
    return ok(tokens.token_as_dict(row))
