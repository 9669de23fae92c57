"""API: the overview's figures, for a wall display or another tool. Its docstring's YAML after '---' is its OpenAPI operation."""

from __future__ import annotations

from console.agents import host_reports
from console.alerts import health as alert_health
from console.availability import status as availability
from console.api import bp
from console.api.envelope import ok, plain
from console.compliance import history
from console.systems import service as systems
from console.devices import service as devices
from console.incidents import service as incidents
from console.inventory.hosts import active_host_ids, host_counts
from console.jobs import service as jobs
from console.models.inventory import HostStatus
from console.ruleset import service as ruleset
from console.web.auth import permission_required
from console.web.runtime import db, settings


@bp.get("/api/v1/overview")
@permission_required("view")
def overview():
    """The estate at a glance: the same figures as the console's Overview tiles (every role).
    ---
    get:
      summary: The overview's figures
      description: >
        hosts: active and retired counts and the active hosts by health (ok, warning, stale, never_seen).
        compliance: the latest run (null before any) with score (percent passed), previous_score, change,
        counts, trend (the last 30 runs, oldest first) and top_failing (the 5 controls failing on most targets).
        alerts: unreviewed alert groups (status new) by severity, and per_hour {labels: [hour start, UTC], values}
        over the last 7 days, with blocked_in_window: the alerts inline (IPS) sensors blocked in those days. devices: ups [{name, state: on_line|on_battery|low_battery|unknown,
        runtime_seconds, charge_percent}], firewalls [{name, reachable}], uplinks [{name, interface,
        state: up|down|lowerLayerDown|unknown|..., carrying, in_bps, out_bps}] and rooms [{name,
        state: ok|rising|out_of_range|unknown, temperature_c, humidity_percent, rising}]. rules: the active version and
        each sensor's version and rules_failed. jobs: running, queued, failed and error in the last 24 h.
        incidents: open (serious, a notice still to send), overdue and the most urgent with their next
        deadline and seconds_left (negative once overdue). systems: each information system's level and
        percent_met in its latest assessment. Times are ISO 8601 in UTC.
      responses:
        200: {description: "The overview"}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    session = db()
    counts = host_counts(session)
    data = {
        "hosts": {"active": counts.get(HostStatus.active, 0), "retired": counts.get(HostStatus.retired, 0),
                  "health": host_reports.health_counts(session, active_host_ids(session))},
        "compliance": history.overview(session),
        "alerts": alert_health.overview(session),
        "devices": devices.overview(session, settings().devices),
        "availability": availability.overview(session, settings()),
        "rules": ruleset.ruleset_status(session),
        "jobs": jobs.overview(session),
        "incidents": incidents.open_deadlines(session),
        "systems": systems.overview(session),
    }
    return ok(plain(data))
