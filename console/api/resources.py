"""API routes. Each docstring's YAML after '---' is its OpenAPI operation."""

from __future__ import annotations

from flask import Response, request
from sqlalchemy import text

from console.api import bp
from console.api.envelope import int_arg, json_body, ok, text_field
from console.errors import ValidationFailed
from console.access import audit
from console.access import tokens
from console.access import users
from console.inventory.sync import get_host, host_as_dict, list_hosts, sync_inventory
from console.access.permissions import require
from console.views.audit_log import parse_before, parse_filter
from console.web import metrics as metrics_module
from console.web.auth import current_actor
from console.web.runtime import db, settings


@bp.get("/healthz")
def healthz():
    """Liveness and database reachability; open, reveals nothing.
    ---
    get:
      summary: Is the console up and its database reachable
      security: []
      responses:
        200: {description: "Up"}
        503: {description: "Database unreachable"}
    """
    try:
        db().execute(text("SELECT 1"))
    except Exception:  # any driver error means the same to a health check
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}


@bp.get("/metrics")
def metrics():
    """Prometheus metrics of the console (bearer token unless [metrics] require_token = false).
    ---
    get:
      summary: Prometheus text exposition
      responses:
        200: {description: "Metrics"}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    return Response(metrics_module.exposition(db()), mimetype="text/plain; version=0.0.4")


@bp.get("/api/v1/me")
def me():
    """The token's user and role.
    ---
    get:
      summary: Who this token acts as
      responses:
        200: {description: "The acting user"}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    actor = current_actor()
    return ok({"username": actor.username, "role": actor.role.value})


@bp.get("/api/v1/hosts")
def hosts_list():
    """Hosts of the asset list, keyset-paginated by name.
    ---
    get:
      summary: List hosts
      parameters:
        - {name: unit, in: query, schema: {type: string}}
        - {name: role, in: query, schema: {type: string}}
        - {name: status, in: query, schema: {type: string, enum: [active, retired]}}
        - {name: q, in: query, schema: {type: string}, description: "Part of the name or address"}
        - {name: after, in: query, schema: {type: string}, description: "Last name of the previous page"}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500}}
      responses:
        200: {description: "Hosts; 'next' is the 'after' value for the next page"}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    require(current_actor(), "view")
    limit = int_arg("limit", 100, 1, 500)
    status = request.args.get("status") or None
    if status not in (None, "active", "retired"):
        raise ValidationFailed("status", "must be active or retired")
    rows = list_hosts(db(), unit=request.args.get("unit") or None, role=request.args.get("role") or None,
                      status=status, search=request.args.get("q") or None,
                      after_name=request.args.get("after") or None, limit=limit + 1)
    next_after = rows[limit - 1].name if len(rows) > limit else None
    return ok([host_as_dict(h) for h in rows[:limit]], next=next_after)


@bp.get("/api/v1/hosts/<name>")
def host_detail(name: str):
    """One host with its groups and inventory variables.
    ---
    get:
      summary: Get a host
      parameters: [{name: name, in: path, required: true, schema: {type: string}}]
      responses:
        200: {description: "The host"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    require(current_actor(), "view")
    return ok(host_as_dict(get_host(db(), name)))


@bp.post("/api/v1/inventory/sync")
def inventory_sync():
    """Sync the asset list from inventory/ (it_staff, admin).
    ---
    post:
      summary: Sync the inventory
      responses:
        200: {description: "Added, updated, retired and unchanged hosts"}
        400: {$ref: "#/components/responses/BadRequest"}
        403: {$ref: "#/components/responses/Forbidden"}
    """
    result = sync_inventory(db(), current_actor(), settings().inventory)
    db().commit()
    return ok(result.as_dict())


@bp.get("/api/v1/users")
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
                username: {type: string}
                role: {type: string, enum: [admin, it_staff, security_officer, auditor]}
                display_name: {type: string}
                password: {type: string}
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
    db().commit()
    data = _user(user)
    if generated:
        data["password"] = generated
    return ok(data, 201)


@bp.post("/api/v1/users/<username>/disable")
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
    db().commit()
    return ok(_user(user))


@bp.post("/api/v1/users/<username>/enable")
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
    db().commit()
    return ok(_user(user))


@bp.put("/api/v1/users/<username>/role")
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
            schema: {type: object, required: [role], properties: {role: {type: string}}}
      responses:
        200: {description: "Changed"}
        400: {$ref: "#/components/responses/BadRequest"}
        403: {$ref: "#/components/responses/Forbidden"}
    """
    user = users.set_role(db(), current_actor(), username, text_field(json_body(), "role"))
    db().commit()
    return ok(_user(user))


@bp.get("/api/v1/audit")
def audit_list():
    """Audit events, newest first (admin, auditor, security_officer).
    ---
    get:
      summary: List audit events
      parameters:
        - {name: actor, in: query, schema: {type: string}}
        - {name: action, in: query, schema: {type: string}, description: "Prefix, e.g. 'user.'"}
        - {name: outcome, in: query, schema: {type: string, enum: [success, failure, denied]}}
        - {name: object_type, in: query, schema: {type: string}}
        - {name: since, in: query, schema: {type: string, format: date-time}}
        - {name: until, in: query, schema: {type: string, format: date-time}}
        - {name: before, in: query, schema: {type: integer}, description: "Last id of the previous page"}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500}}
      responses:
        200: {description: "Events; 'next' is the 'before' value for the next page"}
        400: {$ref: "#/components/responses/BadRequest"}
        403: {$ref: "#/components/responses/Forbidden"}
    """
    require(current_actor(), "audit.view")
    limit = int_arg("limit", 100, 1, 500)
    events = audit.list_events(db(), parse_filter(request.args), parse_before(request.args), limit + 1)
    next_before = events[limit - 1].id if len(events) > limit else None
    return ok([audit.event_as_dict(e) for e in events[:limit]], next=next_before)


@bp.get("/api/v1/tokens")
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
                name: {type: string}
                role: {type: string, description: "Defaults to the acting role; only admin may pick another"}
                days: {type: integer, minimum: 1, maximum: 3650}
      responses:
        201: {description: "Created"}
        400: {$ref: "#/components/responses/BadRequest"}
        403: {$ref: "#/components/responses/Forbidden"}
    """
    body = json_body()
    days = body.get("days", settings().security.api_token_days)
    if not isinstance(days, int) or isinstance(days, bool):
        raise ValidationFailed("days", "must be a whole number")
    row, token = tokens.create_token(db(), current_actor(), text_field(body, "name"),
                                     text_field(body, "role", required=False) or None, days)
    db().commit()
    return ok({**tokens.token_as_dict(row), "token": token}, 201)


@bp.delete("/api/v1/tokens/<int:token_id>")
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
    db().commit()
    return ok(tokens.token_as_dict(row))


def _user(user) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "active": user.is_active,
        "locale": user.locale,
        "created_at": user.created_at.isoformat(),
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
    }
