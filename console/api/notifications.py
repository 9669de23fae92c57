"""API: Notifications: the delivery log, the channels' state, a test message, a retry. Each docstring's YAML after
'---' is its OpenAPI operation."""

from __future__ import annotations

from flask import request

from console.api import bp
from console.api.envelope import int_arg, listed, ok
from console.common.paging import MAX_ID
from console.common.time import iso
from console.errors import ValidationFailed
from console.notify import outbox
from console.web.auth import current_actor, permission_required
from console.web.runtime import db, settings


def delivery_as_dict(row) -> dict:
    return {"id": row.id, "kind": row.kind, "severity": row.severity, "channel": row.channel, "rule": row.rule,
            "unit": row.unit, "system": row.system, "language": row.language, "subject": row.subject,
            "body": row.body, "link": row.link, "state": row.state, "attempts": row.attempts,
            "repeats": row.repeats, "event_at": iso(row.event_at), "created_at": iso(row.created_at),
            "next_attempt_at": iso(row.next_attempt_at), "sent_at": iso(row.sent_at),
            "last_attempt_at": iso(row.last_attempt_at), "last_error": row.last_error, "receipt": row.receipt,
            "digest_id": row.digest_id}


def _text_arg(name: str) -> str | None:
    value = request.args.get(name)
    if value is not None and len(value) > 128:
        raise ValidationFailed(name, "too long")
    return value or None


@bp.get("/api/v1/notifications")
@permission_required("view")
def notifications_list():
    """The delivery log, newest first (every role).
    ---
    get:
      summary: List notification deliveries
      parameters:
        - {name: channel, in: query, schema: {type: string, maxLength: 128}}
        - {name: state, in: query, schema: {type: string, enum: [pending, sending, sent, failed, held, digested]}}
        - name: kind
          in: query
          description: "Event kind (docs/notifications.md)"
          schema:
            type: string
            enum: [compliance.run_failed, compliance.newly_failing, host.stale, host.antivirus_off,
                   host.signatures_old, ups.on_battery, ups.low_battery, ups.online, firewall.unreachable,
                   uplink.down, uplink.up, uplink.failover, room.temperature_out_of_range,
                   room.humidity_out_of_range, room.temperature_rising, room.in_range, ids.alert, ids.blocked_young_rule,
                   rules.build_refused, sensor.rules_failed, sensor.ips_down, job.failed, incident.deadline_near, incident.overdue,
                   service.down, service.up, service.unreachable, vulns.data_stale, certificate.expiring, certificate.expired,
                   notify.digest, notify.test]
        - {name: before, in: query, schema: {type: integer, minimum: 0, maximum: 9223372036854775807},
           description: "Last id of the previous page"}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500}}
      responses:
        200: {description: "Deliveries; 'next' is the 'before' value for the next page"}
        400: {$ref: "#/components/responses/BadRequest"}
    """
    limit = int_arg("limit", 50, 1, 500)
    where = outbox.LogFilter(channel=_text_arg("channel"), state=_text_arg("state"), kind=_text_arg("kind"))
    return listed(outbox.log_page(db(), where, before=int_arg("before", None, 0, MAX_ID), limit=limit + 1),
                  limit, lambda row: row.id, delivery_as_dict)


@bp.get("/api/v1/notifications/<int:delivery_id>")
@permission_required("view")
def notifications_show(delivery_id: int):
    """One delivery with its attempts.
    ---
    get:
      summary: Get a notification delivery
      parameters: [{name: delivery_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {description: "The delivery"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    return ok(delivery_as_dict(outbox.get_delivery(db(), delivery_id)))


@bp.get("/api/v1/notifications/channels")
@permission_required("notify.manage")
def notifications_channels():
    """The configured channels: where each sends (never a secret), its last delivery and last error (admin).
    ---
    get:
      summary: List notification channels
      responses:
        200: {description: "Channels"}
        403: {$ref: "#/components/responses/Forbidden"}
    """
    return ok([{**item, "last_sent_at": iso(item["last_sent_at"]), "last_error_at": iso(item["last_error_at"])}
               for item in outbox.channel_status(db(), settings())])


@bp.post("/api/v1/notifications/channels/<name>/test")
@permission_required("notify.manage")
def notifications_test(name: str):
    """Queue a test message to one channel; the scheduler sends it (admin). Poll the delivery for its state.
    ---
    post:
      summary: Send a test message
      parameters: [{name: name, in: path, required: true, schema: {type: string, maxLength: 64}}]
      responses:
        202: {description: "Queued: the delivery"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    return ok(delivery_as_dict(outbox.queue_test(db(), current_actor(), settings(), name)), status=202)


@bp.post("/api/v1/notifications/<int:delivery_id>/retry")
@permission_required("notify.manage")
def notifications_retry(delivery_id: int):
    """Put a failed delivery back in the outbox (admin).
    ---
    post:
      summary: Retry a failed delivery
      parameters: [{name: delivery_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {description: "How many were put back (0 when it had not failed)"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    return ok({"retried": outbox.retry(db(), current_actor(), delivery_id=delivery_id)})
