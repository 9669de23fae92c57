"""The inbox: alert groups filtered and keyset-paginated; a group's events and their flow context.

One filter (`AlertFilter`, parsed once by `parse_filter`) serves the pages,
the htmx fragments, the exports and the API. Pages are keyset-paginated on
(last_seen, id) newest first, which the index (status, last_seen, id) serves
without counting or offsetting over millions of rows.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from sqlalchemy import DateTime, Integer, and_, cast, exists, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from console.common.time import DEFAULT_WINDOW, TimeWindow, iso, parse_local_time
from console.common.paging import MAX_ID, get_or_404
from console.errors import ValidationFailed
from console.models.alerts import Alert, AlertComment, AlertGroup, AlertStatus, ContextEvent
from console.alerts.eve_parse import address_key
from console.inventory.hosts import get_host

__all__ = ["get_alert"]

STATUSES = [status.value for status in AlertStatus]
ACTIONS = ("blocked", "allowed")  # EVE's alert.action
MAX_TEXT = 200


@dataclass(frozen=True)
class AlertFilter:
    status: str | None = AlertStatus.new.value
    since: datetime | None = None
    until: datetime | None = None
    severity: int | None = None
    sid: int | None = None
    signature: str = ""
    ip: str = ""  # an address or a CIDR network, source or destination
    host: str = ""  # an inventory host name: its address
    sensor: str = ""
    action: str = ""  # "blocked": groups with an alert an inline sensor blocked; "allowed": with one it let through

    def as_args(self) -> dict:
        """The query-string form, for links to the next page and to the exports."""
        values = {"status": self.status or "all", "since": iso(self.since), "until": iso(self.until),
                  "severity": self.severity, "sid": self.sid, "q": self.signature, "ip": self.ip,
                  "host": self.host, "sensor": self.sensor, "action": self.action}
        return {key: value for key, value in values.items() if value not in (None, "")}


def parse_filter(args, default_status: str = AlertStatus.new.value, zone: tzinfo = timezone.utc,
                 window: TimeWindow = DEFAULT_WINDOW) -> AlertFilter:
    """From request arguments; a bad value is a ValidationFailed naming its field.

    Times without a zone (a browser's datetime-local) are taken in `zone`; since and until must lie in
    `window` (console.common.time), and since before until.
    """
    status = args.get("status") or default_status
    if status not in STATUSES + ["all"]:
        raise ValidationFailed("status", f"must be one of {', '.join(STATUSES)} or all")
    ip = _text(args, "ip")
    if ip:
        try:
            ipaddress.ip_network(ip, strict=False)
        except ValueError:
            raise ValidationFailed("ip", "must be an IP address or a CIDR network such as 198.18.20.0/24") from None
    bounds = window.bounds()
    since, until = parse_local_time(args.get("since"), "since", zone, bounds), \
        parse_local_time(args.get("until"), "until", zone, bounds)
    if since and until and since >= until:
        raise ValidationFailed("until", "must be after since")
    action = (args.get("action") or "").strip()
    if action not in ACTIONS + ("",):
        raise ValidationFailed("action", "must be blocked or allowed")
    return AlertFilter(status=None if status == "all" else status, since=since,
                       until=until, severity=_number(args, "severity", 1, 255),
                       sid=_number(args, "sid", 1, 2**32), signature=_text(args, "q"), ip=ip,
                       host=_text(args, "host"), sensor=_text(args, "sensor"), action=action)


def group_action(group: AlertGroup) -> str:
    """"blocked" (every alert of the group blocked), "allowed" (none) or "mixed" (a sensor's mode changed)."""
    if not group.blocked_count:
        return "allowed"
    return "blocked" if group.blocked_count >= group.count else "mixed"


def _text(args, name: str) -> str:
    value = (args.get(name) or "").strip()
    if len(value) > MAX_TEXT:
        raise ValidationFailed(name, f"at most {MAX_TEXT} characters")
    return value


def _number(args, name: str, low: int, high: int) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValidationFailed(name, f"must be a whole number from {low} to {high}")
    return int(raw)



def filtered_groups(session: Session, alert_filter: AlertFilter):
    """The SELECT of groups matching the filter, unordered."""
    query = select(AlertGroup)
    f = alert_filter
    if f.status:
        query = query.where(AlertGroup.status == f.status)
    if f.since:
        query = query.where(AlertGroup.last_seen >= f.since)
    if f.until:
        query = query.where(AlertGroup.first_seen < f.until)
    if f.severity is not None:
        query = query.where(AlertGroup.severity == f.severity)
    if f.sid is not None:
        query = query.where(AlertGroup.sid == f.sid)
    if f.signature:
        query = query.where(func.lower(AlertGroup.signature).contains(f.signature.lower(), autoescape=True))
    if f.ip:
        query = query.where(_address_condition(f.ip))
    if f.host:
        address = get_host(session, f.host).address
        query = query.where(_address_condition(address) if _is_address(address) else AlertGroup.id.is_(None))
    if f.action == "blocked":
        query = query.where(AlertGroup.blocked_count > 0)
    elif f.action == "allowed":
        query = query.where(AlertGroup.count > AlertGroup.blocked_count)
    if f.sensor:
        query = query.where(exists().where(Alert.group_key == AlertGroup.group_key, Alert.sensor == f.sensor))
    return query


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _address_condition(text: str):
    network = ipaddress.ip_network(text, strict=False)
    low, high = address_key(str(network.network_address)), address_key(str(network.broadcast_address))
    return or_(*[and_(column >= low, column <= high, func.length(column) == len(low))
                 for column in (AlertGroup.src_key, AlertGroup.dest_key)])


def list_groups(session: Session, alert_filter: AlertFilter, after: str | None = None,
                limit: int = 50) -> tuple[list[AlertGroup], str | None]:
    """One page, newest last_seen first; returns (groups, cursor of the next page or None)."""
    query = filtered_groups(session, alert_filter)
    if after:
        seen, group_id = decode_cursor(after)
        query = query.where(tuple_(AlertGroup.last_seen, AlertGroup.id) < (seen, group_id))  # typed like the columns
    rows = list(session.scalars(query.order_by(AlertGroup.last_seen.desc(), AlertGroup.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def encode_cursor(group: AlertGroup) -> str:
    return f"{group.last_seen.isoformat()}_{group.id}"


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    seen, _, group_id = cursor.rpartition("_")
    try:
        at, number = datetime.fromisoformat(seen).astimezone(timezone.utc), int(group_id)
    except ValueError:
        raise ValidationFailed("after", "not a page cursor of this list") from None
    if not 0 < number <= MAX_ID:
        raise ValidationFailed("after", "not a page cursor of this list")
    return at, number


def alerts_by_pair(session: Session, sids: list[int], since: datetime, until: datetime) -> list[tuple[str, str, int]]:
    """(source, destination, alerts) of the stored alerts of these sids in [since, until] (the "would have blocked"
    preview of console/ruleset/preview.py)."""
    if not sids:
        return []
    return [(src, dest, int(count)) for src, dest, count in session.execute(
        select(Alert.src_ip, Alert.dest_ip, func.count()).where(
            Alert.sid.in_(sids), Alert.event_at >= since, Alert.event_at <= until).group_by(Alert.src_ip, Alert.dest_ip))]


def get_alert(session: Session, alert_id: int) -> Alert | None:
    """One stored alert event, or None."""
    return session.get(Alert, alert_id)


def get_group(session: Session, group_id: int) -> AlertGroup:
    group = get_or_404(session, AlertGroup, group_id, f"no alert group {group_id}")
    return group


def group_events(session: Session, group: AlertGroup, limit: int = 50) -> list[Alert]:
    """The group's newest alerts."""
    query = (select(Alert).where(Alert.group_key == group.group_key)
             .order_by(Alert.event_at.desc(), Alert.id.desc()).limit(limit))
    return list(session.scalars(query))


def flow_context(session: Session, flow_ids: list[int | None]) -> dict[int, list[ContextEvent]]:
    """Context events (flow, http, dns, tls, fileinfo...) of these flows, oldest first."""
    wanted = sorted({flow for flow in flow_ids if flow is not None})
    found: dict[int, list[ContextEvent]] = {flow: [] for flow in wanted}
    if wanted:
        query = select(ContextEvent).where(ContextEvent.flow_id.in_(wanted)).order_by(ContextEvent.event_at, ContextEvent.id)
        for event in session.scalars(query):
            found[event.flow_id].append(event)
    return found


def comments(session: Session, group: AlertGroup) -> list[AlertComment]:
    return list(session.scalars(select(AlertComment).where(AlertComment.group_id == group.id)
                                .order_by(AlertComment.created_at, AlertComment.id)))


DEFAULT_CHART_BUCKETS = 500
_DAY = timedelta(days=1)
# Bucket sizes the chart picks from: hourly up to 3 days (as before), then the smallest of these days.
_DAY_STEPS = (1, 2, 7, 14, 30, 91, 182, 365, 730, 1826, 3652)


def chart_step(since: datetime, until: datetime, max_buckets: int = DEFAULT_CHART_BUCKETS) -> timedelta:
    """The bucket size: an hour up to 3 days, else the smallest step of _DAY_STEPS giving at most `max_buckets`."""
    span = until - since
    if span <= timedelta(days=3) and span / timedelta(hours=1) <= max_buckets:
        return timedelta(hours=1)
    for days in _DAY_STEPS:
        if span / (days * _DAY) <= max_buckets - 1:  # the first bucket starts at midnight before since
            return days * _DAY
    return span  # wider than any window holds: one bucket


def chart_series(session: Session, since: datetime | None = None, until: datetime | None = None,
                 max_buckets: int = DEFAULT_CHART_BUCKETS) -> dict:
    """Alerts by severity per bucket: {"labels": [iso of each bucket's start...], "series": {"1": [...]},
    "bucket_seconds": n}.

    An hour per bucket up to 3 days, a day beyond, and wider steps (a week, a month, ...) so that a range
    never gives more than `max_buckets` buckets: the cost of the answer is bounded whatever the range.
    """
    until = until or datetime.now(timezone.utc)
    since = since or until - timedelta(hours=24)
    step = chart_step(since, until, max_buckets)
    start = since.replace(minute=0, second=0, microsecond=0, **({} if step < _DAY else {"hour": 0}))
    seconds = int(step.total_seconds())
    index = _bucket_index(session, start, seconds)
    query = (select(index, Alert.severity, func.count()).where(Alert.event_at >= since, Alert.event_at < until)
             .group_by(index, Alert.severity))
    counts = {(int(number), severity): n for number, severity, n in session.execute(query)}
    total = max(1, -(-int((until - start).total_seconds()) // seconds))
    labels = [(start + number * step).isoformat() for number in range(total)]
    severities = sorted({severity for _number, severity in counts})
    return {"labels": labels, "bucket_seconds": seconds,
            "series": {str(s): [counts.get((number, s), 0) for number in range(total)] for s in severities}}


def _bucket_index(session: Session, start: datetime, seconds: int):
    """The number of the bucket an alert falls in: whole `seconds` since `start`, computed by the database."""
    naive = start.astimezone(timezone.utc).replace(tzinfo=None)
    if session.get_bind().dialect.name == "postgresql":
        elapsed = func.extract("epoch", Alert.event_at - literal(naive, DateTime()))
        return func.floor(elapsed / seconds)
    epoch = int((naive - datetime(1970, 1, 1)).total_seconds())
    return (cast(func.strftime("%s", Alert.event_at), Integer) - epoch) // seconds
