"""API routes for IDS alerts: the inbox, a group, triage, the chart, ingest problems, and agents' EVE."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import request

from console.api import bp
from console.api.agents import _refused
from console.api.envelope import int_arg, json_body, ok, text_field
from console.common.paging import MAX_ID
from console.errors import ValidationFailed
from console.agents import enrolment as agents
from console.alerts import triage as alerts_triage
from console.agents.enrolment import ReportRejected
from console.alerts.enrich import Enricher
from console.alerts.export import alert_as_dict, comment_as_dict, group_as_dict
from console.alerts.health import event_counters, problem_counts
from console.alerts.query import chart_series, comments, flow_context, get_group, group_events, list_groups, \
    parse_filter
from console.alerts.agent_batches import ingest_agent_batch, require_sensor
from console.common.time import window_of
from console.web import metrics
from console.web.auth import current_actor, permission_required
from console.web.runtime import db, settings


def _filter(default_status: str = "new"):
    return parse_filter(request.args, default_status, ZoneInfo(settings().console.timezone),
                        window_of(settings().console))


def _ids(body: dict) -> list[int]:
    ids = body.get("groups")
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i <= MAX_ID
                                            for i in ids):
        raise ValidationFailed("groups", "must be a list of alert group ids")
    return ids


def _after() -> str | None:
    """The page cursor; an id past 64 bits is refused here (the cursor's parser lets it reach the database)."""
    cursor = request.args.get("after") or None
    group_id = (cursor or "").rpartition("_")[2]
    if group_id.isdigit() and int(group_id) > MAX_ID:
        raise ValidationFailed("after", "not a page cursor of this list")
    return cursor


@bp.get("/api/v1/alerts/groups")
@permission_required("view")
def alert_groups_list():
    """Alert groups (signature x source x destination), newest last_seen first, keyset-paginated.
    ---
    get:
      summary: List alert groups
      parameters:
        - {name: status, in: query, schema: {type: string, enum: [new, acknowledged, escalated, closed, all]}}
        - {name: since, in: query, schema: {type: string, format: date-time}}
        - {name: until, in: query, schema: {type: string, format: date-time}}
        - {name: severity, in: query, schema: {type: integer, minimum: 1, maximum: 255}}
        - {name: sid, in: query, schema: {type: integer, minimum: 1, maximum: 4294967296}}
        - {name: q, in: query, schema: {type: string, maxLength: 200}, description: "Part of the signature"}
        - name: ip
          in: query
          description: "Address or CIDR, source or destination"
          schema:
            anyOf:
              - {type: string, format: ipv4}
              - {type: string, format: ipv6}
              - {type: string, pattern: '^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])/([0-9]|[12][0-9]|3[0-2])$'}
        - {name: host, in: query, schema: {type: string, maxLength: 200}, description: "Inventory host name"}
        - {name: sensor, in: query, schema: {type: string, maxLength: 200}}
        - {name: action, in: query, schema: {type: string, enum: [blocked, allowed]}, description: "Groups with an alert an inline sensor blocked, or let through"}
        - name: after
          in: query
          description: "'next' of the previous page: last_seen and id of its last group"
          schema:
            type: string
            pattern: '^[1-9][0-9]{3}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{6})?([+-]([01][0-9]|2[0-3]):[0-5][0-9])?_[1-9][0-9]{0,17}$'
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500}}
      responses:
        200: {description: "Groups; 'next' is the 'after' value of the next page"}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
        404: {description: "host names no inventory host", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    """
    groups, cursor = list_groups(db(), _filter(), after=_after(),
                                 limit=int_arg("limit", 50, 1, 500))
    enricher = Enricher(db(), settings().alerts.internal_networks)
    return ok([group_as_dict(g, enricher) for g in groups], next=cursor)


@bp.get("/api/v1/alerts/groups/<int:group_id>")
@permission_required("view")
def alert_group_detail(group_id: int):
    """One alert group with its newest events, their flow context, and its comments.
    ---
    get:
      summary: Get an alert group
      parameters:
        - {name: group_id, in: path, required: true, schema: {type: integer}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500}}
      responses:
        200: {description: "The group, events and comments"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    group = get_group(db(), group_id)
    events = group_events(db(), group, limit=int_arg("limit", 50, 1, 500))
    context = flow_context(db(), [e.flow_id for e in events])
    data = group_as_dict(group, Enricher(db(), settings().alerts.internal_networks))
    data["events"] = [alert_as_dict(e, context.get(e.flow_id, [])) for e in events]
    data["comments"] = [comment_as_dict(c) for c in comments(db(), group)]
    return ok(data)


@bp.post("/api/v1/alerts/groups/status")
@permission_required("alerts.triage")  # before the body is read: a refusal reveals no schema
def alert_groups_status():
    """Move groups to a status, all or none (admin, security_officer).
    ---
    post:
      summary: Change the status of alert groups
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [groups, status]
              properties:
                groups: {type: array, items: {type: integer, minimum: 1, maximum: 9223372036854775807}, minItems: 1,
                         maxItems: 500}
                status: {$ref: "#/components/schemas/AlertStatus"}
      responses:
        200: {description: "The changed groups"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    body = json_body()
    groups = alerts_triage.set_status(db(), current_actor(), _ids(body), text_field(body, "status"))
    return ok([{"id": g.id, "status": g.status} for g in groups])


@bp.post("/api/v1/alerts/groups/assign")
@permission_required("alerts.triage")  # before the body is read: a refusal reveals no schema
def alert_groups_assign():
    """Assign groups to a console user ("" clears) (admin, security_officer).
    ---
    post:
      summary: Assign alert groups
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [groups, assignee]
              properties:
                groups: {type: array, items: {type: integer, minimum: 1, maximum: 9223372036854775807}, minItems: 1,
                         maxItems: 500}
                assignee: {type: string}
      responses:
        200: {description: "The changed groups"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    body = json_body()
    groups = alerts_triage.assign(db(), current_actor(), _ids(body), text_field(body, "assignee"))
    return ok([{"id": g.id, "assignee": g.assignee} for g in groups])


@bp.post("/api/v1/alerts/groups/<int:group_id>/comments")
@permission_required("alerts.triage")  # before the body is read: a refusal reveals no schema
def alert_group_comment(group_id: int):
    """Add a comment to a group (admin, security_officer).
    ---
    post:
      summary: Comment on an alert group
      parameters: [{name: group_id, in: path, required: true, schema: {type: integer}}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [body]
              properties: {body: {type: string, minLength: 1, maxLength: 4000, pattern: '\\S'}}
      responses:
        201: {description: "The comment"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    comment = alerts_triage.add_comment(db(), current_actor(), group_id, text_field(json_body(), "body"))
    return ok(comment_as_dict(comment), 201)


@bp.post("/api/v1/alerts/groups/<int:group_id>/false-positive")
@permission_required("alerts.triage")  # before the body is read: a refusal reveals no schema
def alert_group_false_positive(group_id: int):
    """Mark a group a false positive; answers the proposed suppression or disable, not yet applied.
    ---
    post:
      summary: Propose a suppression for a false positive
      parameters: [{name: group_id, in: path, required: true, schema: {type: integer}}]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                kind: {type: string, enum: [suppress, disable]}
                track: {type: string, enum: [by_src, by_dst]}
                network:
                  type: string
                  maxLength: 64
                  description: >
                    Suppress for a network (CIDR) holding the group's source (by_src) or destination (by_dst)
                    address, at most /8 (IPv4) or /32 (IPv6) wide; empty or absent: that address alone.
      responses:
        200: {description: "The proposal"}
        400: {$ref: "#/components/responses/BadRequest"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
        409: {description: "The group already has an applied suppression"}
    """
    body = json_body(optional=True)
    group = alerts_triage.propose_false_positive(db(), current_actor(), group_id,
                                                 text_field(body, "kind", False, "suppress"),
                                                 text_field(body, "track", False, "by_src"),
                                                 text_field(body, "network", False, ""))
    return ok({"id": group.id, "proposal": group.fp_proposal, "status": group.fp_status})


@bp.post("/api/v1/alerts/groups/<int:group_id>/false-positive/confirm")
@permission_required("alerts.triage")  # before the body is read: a refusal reveals no schema
def alert_group_false_positive_confirm(group_id: int):
    """Send the proposal to the rule manager (validate, version) in a task; answers 202 with its status URL.
    ---
    post:
      summary: Confirm a false-positive suppression
      parameters: [{name: group_id, in: path, required: true, schema: {type: integer}}]
      requestBody:
        content: {application/json: {schema: {type: object, properties: {reason: {type: string}}}}}
      description: >
        The group is marked pending and a task ("alerts.false_positive") builds and validates the change
        (suricata -T); poll its status_url (GET /api/v1/tasks/{task_id}). Done: result has group_id,
        proposal, status (applied), version and message; failed: error carries the rule manager's messages.
      responses:
        202:
          description: "The queued task, with status_url (also in the Location header)"
          headers: {Location: {schema: {type: string}, description: "The task's status URL"}}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
        409: {description: "The group has no proposal to confirm (none made, or already applied)"}
    """
    from console.api.tasks import accepted
    from console.tasks import service as tasks

    body = json_body(optional=True)
    reason = text_field(body, "reason", False)
    alerts_triage.mark_confirm_pending(db(), current_actor(), group_id)
    return accepted(tasks.submit(db(), current_actor(), "alerts.false_positive",
                                 {"group_id": group_id, "reason": reason[:500]}))


@bp.get("/api/v1/alerts/chart")
@permission_required("view")
def alerts_chart():
    """Alerts by severity per bucket: an hour up to 3 days, a day beyond, wider so no answer has more than
    [alerts] chart_max_buckets buckets (bucket_seconds says which).
    ---
    get:
      summary: Alerts over time by severity
      parameters:
        - {name: since, in: query, schema: {type: string, format: date-time},
           description: "From 2000-01-01 to [console] max_future_hours ahead; outside: 400 naming it"}
        - {name: until, in: query, schema: {type: string, format: date-time}}
      responses:
        200: {description: "labels, bucket_seconds and one series per severity"}
        400: {$ref: "#/components/responses/BadRequest"}
    """
    alert_filter = _filter("all")
    return ok(chart_series(db(), alert_filter.since, alert_filter.until, settings().alerts.chart_max_buckets))


@bp.get("/api/v1/alerts/problems")
@permission_required("view")
def alerts_problems():
    """EVE lines not stored, per source and kind, and the counted anomaly and stats events.
    ---
    get:
      summary: Ingest problems and event counters
      responses:
        200: {description: "problems and counters"}
    """
    return ok({"problems": problem_counts(db()), "counters": event_counters(db())})


@bp.post("/api/v1/alerts/eve")
def alerts_eve_ingest():
    """A signed batch of EVE lines from a sensor's agent; a batch already stored is acknowledged, not stored again.
    ---
    post:
      summary: Submit EVE lines from a sensor's agent
      security: []
      parameters:
        - {name: X-Ops-Agent, in: header, required: true, schema: {type: string}}
        - {name: X-Ops-Timestamp, in: header, required: true, schema: {type: string}}
        - {name: X-Ops-Signature, in: header, required: true, schema: {type: string}}
      requestBody:
        required: true
        content: {application/x-ndjson: {schema: {type: string, description: "a batch header line, then EVE lines"}}}
      responses:
        201: {description: "Stored"}
        200: {description: "Already stored (the same file range)"}
        401: {$ref: "#/components/responses/Unauthorized"}
        403: {description: "The agent's host is no sensor (not in role_ids_sensor nor [rules] sensors)"}
        409: {description: "Overlaps a range already stored"}
        413: {description: "Too large"}
        422: {$ref: "#/components/responses/BadRequest"}
    """
    body = request.get_data(cache=False)
    agent = None
    try:
        agent = agents.authenticate(db(), request.headers, body)
        require_sensor(agent, settings().rules.sensors)
        result = ingest_agent_batch(db(), agent, body, settings().alerts.max_line_bytes,
                                    window_of(settings().console))
    except ReportRejected as exc:
        metrics.REPORTS.labels(outcome="rejected", reason=f"eve_{exc.reason}").inc()
        if exc.http_status in (401, 403):
            detail = {"host": agent.host.name} if agent is not None else {}  # read before _refused rolls back
            _refused("alerts.eve", exc, **detail)
        raise
    return ok(result, 201 if result["stored"] else 200)
