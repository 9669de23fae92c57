"""Alerts' background work, registered with the task queue: confirming a false positive.

The confirmation asks the rule manager for a suppression or a disable, which builds a ruleset version
and validates it with suricata -T (seconds to a minute), so the console runs it as a task
("alerts.false_positive"); the group shows "pending" until it ends, then "applied" or "failed" with
the rule manager's own messages.
"""

from __future__ import annotations

from console.db import session_scope
from console.tasks.registry import register


def confirm_false_positive(settings, factory, actor, params: dict, progress) -> dict:
    from console.alerts import triage

    progress("building and validating with suricata -T", final=True)
    with session_scope(factory) as session:
        group = triage.confirm_false_positive(session, actor, int(params["group_id"]), params.get("reason", ""))
        found = {"group_id": group.id, "proposal": group.fp_proposal, "status": group.fp_status,
                 "version": group.fp_version, "message": group.fp_message}
    if found["status"] == "failed":
        found["failure"] = found["message"] or "the rule manager refused the change"
    return found


register("alerts.false_positive", "alerts.triage", "confirm a false positive: a suppression or disable, one build",
         confirm_false_positive)


def allow_blocked(settings, factory, actor, params: dict, progress) -> dict:
    """One click from a blocked alert: a pass rule built, validated and deployed to the IPS sensors."""
    from console.alerts import allow

    return allow.allow_and_deploy(factory, actor, int(params["group"]), params.get("scope", "source"),
                                  params.get("network", ""), progress=lambda text: progress(text, final=True))


register("alerts.allow", "rules.manage",
         "allow a blocked alert group's traffic on the IPS sensors (build, deploy)", allow_blocked)


def _register_preview_source() -> None:
    from console.alerts.query import alerts_by_pair
    from console.ruleset import preview

    preview.register_source("alerts_by_pair", alerts_by_pair)


_register_preview_source()
