"""Alert groups and alerts as plain data: for the API, the JSON and CSV exports."""

from __future__ import annotations

import csv
import io
import json
from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.errors import ValidationFailed

from console.models.alerts import Alert, AlertComment, AlertGroup, ContextEvent
from console.alerts.enrich import Enricher
from console.alerts.query import AlertFilter, filtered_groups, group_action, list_groups
from console.alerts.severity import severity_level

MAX_EXPORT = 50_000
CSV_COLUMNS = ["id", "status", "severity", "severity_level", "sid", "signature", "category", "src_ip", "src_host", "src_internal",
               "dest_ip", "dest_host", "dest_internal", "count", "first_seen", "last_seen", "assignee",
               "false_positive", "fp_proposal", "fp_status", "fp_version", "action", "blocked_count"]


def group_as_dict(group: AlertGroup, enricher: Enricher) -> dict:
    sides = enricher.group(group)
    return {
        "id": group.id, "status": group.status, "severity": group.severity,
        "severity_level": severity_level(group.severity), "gid": group.gid, "sid": group.sid,
        "signature": group.signature, "category": group.category, "src": sides["src"], "dest": sides["dest"],
        "count": group.count, "action": group_action(group), "blocked_count": group.blocked_count,
        "first_seen": group.first_seen.isoformat(), "last_seen": group.last_seen.isoformat(),
        "assignee": group.assignee, "false_positive": group.false_positive,
        "fp": {"kind": group.fp_kind, "proposal": group.fp_proposal, "status": group.fp_status,
               "message": group.fp_message, "version": group.fp_version},
    }


def alert_as_dict(alert: Alert, context: list[ContextEvent]) -> dict:
    return {"id": alert.id, "event_at": alert.event_at.isoformat(), "sensor": alert.sensor, "action": alert.action,
            "flow_id": alert.flow_id,
            "src_port": alert.src_port, "dest_port": alert.dest_port, "proto": alert.proto,
            "app_proto": alert.app_proto, "rev": alert.rev, "record": json.loads(alert.record),
            "context": [{"event_type": c.event_type, "event_at": c.event_at.isoformat(), "record": json.loads(c.record)}
                        for c in context]}


def comment_as_dict(comment: AlertComment) -> dict:
    return {"author": comment.author, "body": comment.body, "created_at": comment.created_at.isoformat()}


def check_export_size(session: Session, alert_filter: AlertFilter, limit: int = MAX_EXPORT) -> None:
    """A ValidationFailed naming the limit if more than `limit` groups match: an export is whole or refused."""
    matching = filtered_groups(session, alert_filter).with_only_columns(AlertGroup.id).limit(limit + 1).subquery()
    if session.scalar(select(func.count()).select_from(matching)) > limit:
        raise ValidationFailed("limit", f"more than {limit} alert groups match; an export holds at most {limit} "
                                        "([alerts] export_max_rows): narrow the filter (status, since, until, ...)")


def iter_groups(session: Session, alert_filter: AlertFilter, limit: int = MAX_EXPORT) -> Iterator[AlertGroup]:
    """Every group of the filtered view, page by page (keyset); more than `limit` is a ValidationFailed."""
    check_export_size(session, alert_filter, limit)
    cursor, given = None, 0
    while given < limit:
        page, cursor = list_groups(session, alert_filter, after=cursor, limit=min(1000, limit - given))
        yield from page
        given += len(page)
        if cursor is None:
            break


def groups_csv(session: Session, alert_filter: AlertFilter, enricher: Enricher, limit: int = MAX_EXPORT) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for group in iter_groups(session, alert_filter, limit):
        data = group_as_dict(group, enricher)
        row = {**data, "src_ip": data["src"]["ip"], "src_host": data["src"]["host"] or "",
               "src_internal": data["src"]["internal"], "dest_ip": data["dest"]["ip"],
               "dest_host": data["dest"]["host"] or "", "dest_internal": data["dest"]["internal"],
               "fp_proposal": group.fp_proposal, "fp_status": group.fp_status, "fp_version": group.fp_version or ""}
        writer.writerow([_cell(row[column]) for column in CSV_COLUMNS])
    return out.getvalue()


def _cell(value):
    """Text from EVE is hostile: a cell starting like a formula is quoted so spreadsheets show it as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
