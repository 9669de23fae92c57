"""API: Console users and their roles. Each docstring's YAML after '---' is its OpenAPI operation."""

from __future__ import annotations

from console.common.time import iso
from console.api import bp
from console.api.envelope import json_body, ok, text_field
from console.access import users
from console.web.auth import current_actor, permission_required
from console.web.runtime import db, settings


@bp.get("/api/v1/users")
@permission_required("users.view")
def users_list():
    """Users and their roles (admin, auditor).
    ---
    get:
      summary: List users
      responses:
        200: {description: "Users"}
        403: {$ref: "#/components/responses/Forbidden"}
    """
    return ok([_user(u) for u in users.list_users(db(), current_actor())])


@bp.post("/api/v1/users")
@permission_required("users.manage")  # before the body is read: a refusal reveals no schema
def users_create():
    """Create a user (admin). Without a password one is generated and returned once.
    ---
    post:
      summary: Create a user
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [username, role]
              properties:
                username: {type: string, pattern: "^[a-z0-9][a-z0-9._-]{1,63}$"}
                role: {$ref: "#/components/schemas/Role"}
                display_name: {type: string}
                password: {type: string, minLength: 12, description: "At least [security] min_password_length"}
      responses:
        201: {description: "Created; 'password' is present only when generated"}
        400: {$ref: "#/components/responses/BadRequest"}
        403: {$ref: "#/components/responses/Forbidden"}
        409: {description: "The user name exists"}
    """
    body = json_body()
    user, generated = users.create_user(
        db(), current_actor(), settings().security, text_field(body, "username"), text_field(body, "role"),
        password=text_field(body, "password", required=False) or None,
        display_name=text_field(body, "display_name", required=False),
    )
    data = _user(user)
    if generated:
        data["password"] = generated
    return ok(data, 201)


@bp.post("/api/v1/users/<username>/disable")
@permission_required("users.manage")  # before the body is read: a refusal reveals no schema
def users_disable(username: str):
    """Disable a user; their sessions end (admin).
    ---
    post:
      summary: Disable a user
      parameters: [{name: username, in: path, required: true, schema: {type: string}}]
      responses:
        200: {description: "Disabled"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
        409: {description: "The last active admin cannot be disabled"}
    """
    user = users.set_active(db(), current_actor(), username, False)
    return ok(_user(user))


@bp.post("/api/v1/users/<username>/enable")
@permission_required("users.manage")  # before the body is read: a refusal reveals no schema
def users_enable(username: str):
    """Enable a disabled user (admin).
    ---
    post:
      summary: Enable a user
      parameters: [{name: username, in: path, required: true, schema: {type: string}}]
      responses:
        200: {description: "Enabled"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    user = users.set_active(db(), current_actor(), username, True)
    return ok(_user(user))


@bp.put("/api/v1/users/<username>/role")
@permission_required("users.manage")  # before the body is read: a refusal reveals no schema
def users_role(username: str):
    """Change a user's role (admin).
    ---
    put:
      summary: Change a role
      parameters: [{name: username, in: path, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [role], properties: {role: {$ref: "#/components/schemas/Role"}}}
      responses:
        200: {description: "Changed"}
        400: {$ref: "#/components/responses/BadRequest"}
        403: {$ref: "#/components/responses/Forbidden"}
    """
    user = users.set_role(db(), current_actor(), username, text_field(json_body(), "role"))
    return ok(_user(user))


def _user(user) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "source": user.source,  # local, or ldap (signed in from the directory; no local password)
        "active": user.is_active,
        "locale": user.locale,
        "created_at": user.created_at.isoformat(),
        "last_login_at": iso(user.last_login_at),
    }
