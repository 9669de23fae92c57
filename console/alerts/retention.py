"""Retention: alerts (and groups seen last before the window) and context events past their days."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from console.errors import ValidationFailed
from console.models.alerts import Alert, AlertComment, AlertGroup, ContextEvent
from console.models.base import utcnow
from console.access import audit
from console.access.actor import Actor
from console.access.permissions import require

log = logging.getLogger("ops.alerts.retention")


@dataclass
class Purged:
    alerts: int = 0
    groups: int = 0
    context_events: int = 0


def purge(session: Session, actor: Actor, alert_days: int, context_days: int) -> Purged:
    """Delete what is older than the windows; logged and audit-recorded. The caller commits.

    A group goes when its last alert is older than the alert window: its
    comments go with it, its triage history stays in the audit log.
    """
    require(actor, "alerts.triage")
    for name, days in (("alert_days", alert_days), ("context_days", context_days)):
        if not 1 <= days <= 3650:
            raise ValidationFailed(name, "must be between 1 and 3650")
    now = utcnow()
    alert_cutoff, context_cutoff = now - timedelta(days=alert_days), now - timedelta(days=context_days)
    removed = Purged()
    removed.alerts = session.execute(delete(Alert).where(Alert.event_at < alert_cutoff)).rowcount
    old_groups = select(AlertGroup.id).where(AlertGroup.last_seen < alert_cutoff)
    session.execute(delete(AlertComment).where(AlertComment.group_id.in_(old_groups)))
    removed.groups = session.execute(delete(AlertGroup).where(AlertGroup.last_seen < alert_cutoff)).rowcount
    removed.context_events = session.execute(
        delete(ContextEvent).where(ContextEvent.event_at < context_cutoff)).rowcount
    log.info("alerts purge: %s", asdict(removed))
    audit.record(session, actor, "alerts.purge", "alerts", "", alert_days=alert_days, context_days=context_days,
                 **asdict(removed))
    return removed
