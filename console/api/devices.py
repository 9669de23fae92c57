"""API routes for devices the console polls itself. Each docstring's YAML after '---' is its OpenAPI operation."""

from __future__ import annotations

from flask import request

from console.api import bp
from console.api.envelope import int_arg, ok
from console.devices import service as devices
from console.web.auth import current_actor, permission_required
from console.web.runtime import db, settings


@bp.get("/api/v1/devices")
@permission_required("view")
def devices_list():
    """Every configured device (UPS, firewall, uplink, server room) with its latest state.
    ---
    get:
      summary: List devices and their latest state
      description: >
        status is 'ok' or 'unknown' (with reason); summary is the state in one line. fields by kind:
        ups: the agent's UPS keys (status_flags as NUT tokens, battery_charge_percent, battery_runtime_seconds,
        load_percent, input_voltage, test_result, test_date, model, manufacturer).
        firewall (Sophos): firmware_version, admin_services {zone: [service]}, firewall_rules and ips_policies.
        uplink (IF-MIB): interface, if_index, oper_status (up, down, lowerLayerDown, ...), admin_status,
        in_bps and out_bps (since the previous poll; null on the first poll or after a counter reset,
        counter_reset true), in_errors, out_errors and their *_delta since the previous poll, speed_mbps,
        carrying (this uplink carries its group's traffic).
        room: temperature_c, humidity_percent, temperature_state and humidity_state (ok, high, low),
        temperature_range and humidity_range [min, max], rise_c within rise_minutes, rising (the early warning),
        temperature_source and humidity_source.
      parameters:
        - {name: kind, in: query, schema: {$ref: "#/components/schemas/DeviceKind"}, description: "Only this kind"}
      responses:
        200: {description: "Devices"}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    kind = devices.parse_kind(request.args.get("kind"))
    return ok([{**devices.evidence_as_dict(item), "summary": devices.summary(item)}
               for item in devices.configured_states(db(), settings().devices) if kind in (None, item.kind)])


@bp.get("/api/v1/devices/<name>")
@permission_required("view")
def device_detail(name: str):
    """One device: its latest state and its recent states, newest first.
    ---
    get:
      summary: Get a device with its recent states
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500}}
      responses:
        200: {description: "The device"}
        401: {$ref: "#/components/responses/Unauthorized"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    device = devices.get_device(db(), name)
    history = devices.recent_states(db(), device, int_arg("limit", 50, 1, 500))
    data = devices.evidence_as_dict(devices.evidence(device, history[0] if history else None))
    data["history"] = [{"collected_at": s.collected_at.isoformat(), "status": s.status, "reason": s.reason,
                        "fields": s.state} for s in history]
    return ok(data)


@bp.post("/api/v1/devices/<name>/poll")
@permission_required("devices.poll")
def device_poll(name: str):
    """Queue a poll of one device (admin, it_staff); the task worker polls it and stores its state.
    ---
    post:
      summary: Poll a device now
      description: >
        Answers 202 at once with the task; poll its status_url (GET /api/v1/tasks/{task_id}) until
        state is done: result has the new state (status ok, or unknown with reason).
      parameters: [{name: name, in: path, required: true, schema: {type: string}}]
      responses:
        202:
          description: "The queued task, with status_url (also in the Location header)"
          headers: {Location: {schema: {type: string}, description: "The task's status URL"}}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    from console.api.tasks import accepted
    from console.tasks import service as tasks

    devices.require_configured(settings(), name)
    return accepted(tasks.submit(db(), current_actor(), "devices.poll", {"name": name}))
