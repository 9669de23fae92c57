"""Triage of alert groups: status, assignee, comments, bulk actions, false positives. Every change audited.

Status moves new -> acknowledged or escalated -> closed (acknowledged may
still be escalated; a closed group may be reopened). A false positive is
proposed first (the suppression line is shown), then confirmed: the confirm
goes to the rule manager through `alert_feedback`, and the group keeps the
proposal, its status and the ruleset version that carries it.
"""

from __future__ import annotations

import ipaddress
import re

from sqlalchemy.orm import Session

from console.errors import Conflict, ValidationFailed
from console.access.users import user_exists
from console.models.alerts import AlertComment, AlertGroup, AlertStatus
from console.models.base import utcnow
from console.alerts import feedback as alert_feedback
from console.access import audit
from console.access.actor import Actor
from console.alerts.query import get_group
from console.access.permissions import require

NEXT = {
    AlertStatus.new.value: {AlertStatus.acknowledged.value, AlertStatus.escalated.value},
    AlertStatus.acknowledged.value: {AlertStatus.escalated.value, AlertStatus.closed.value},
    AlertStatus.escalated.value: {AlertStatus.closed.value},
    AlertStatus.closed.value: {AlertStatus.new.value},
}
MAX_COMMENT = 4000
MAX_BULK = 500
TRACKS = ("by_src", "by_dst")
#: The widest network a suppression may cover: IPv4 /8, IPv6 /32 (wider would silence a whole provider).
MIN_PREFIX = {4: 8, 6: 32}
_PROPOSED_IP = re.compile(r"track (by_src|by_dst), ip (\S+)$")


def _groups(session: Session, group_ids: list[int]) -> list[AlertGroup]:
    ids = sorted(set(group_ids))
    if not ids:
        raise ValidationFailed("groups", "choose at least one alert group")
    if len(ids) > MAX_BULK:
        raise ValidationFailed("groups", f"at most {MAX_BULK} groups at once")
    return [get_group(session, group_id) for group_id in ids]


def set_status(session: Session, actor: Actor, group_ids: list[int], status: str) -> list[AlertGroup]:
    """Move every group to `status`, or none of them (the first that may not names itself)."""
    require(actor, "alerts.triage")
    if status not in NEXT:
        raise ValidationFailed("status", f"unknown status {status!r}")
    groups = _groups(session, group_ids)
    for group in groups:
        if status not in NEXT[group.status]:
            raise ValidationFailed("status", f"group {group.id} is {group.status}: it cannot become {status}")
    for group in groups:
        audit.record(session, actor, "alerts.status", "alert_group", group.id, before=group.status, after=status,
                     sid=group.sid, src=group.src_ip, dest=group.dest_ip)
        group.status, group.updated_at = status, utcnow()
    return groups


def assign(session: Session, actor: Actor, group_ids: list[int], assignee: str) -> list[AlertGroup]:
    """Assign to a console user ("" clears)."""
    require(actor, "alerts.triage")
    assignee = (assignee or "").strip()
    if assignee and not user_exists(session, assignee):
        raise ValidationFailed("assignee", f"no console user {assignee!r}")
    groups = _groups(session, group_ids)
    for group in groups:
        audit.record(session, actor, "alerts.assign", "alert_group", group.id, before=group.assignee, after=assignee)
        group.assignee, group.updated_at = assignee, utcnow()
    return groups


def add_comment(session: Session, actor: Actor, group_id: int, body: str) -> AlertComment:
    require(actor, "alerts.triage")
    body = (body or "").strip()
    if not body:
        raise ValidationFailed("comment", "is empty")
    if len(body) > MAX_COMMENT:
        raise ValidationFailed("comment", f"at most {MAX_COMMENT} characters")
    group = get_group(session, group_id)
    comment = AlertComment(group_id=group.id, author=actor.username, body=body)
    session.add(comment)
    session.flush()
    audit.record(session, actor, "alerts.comment", "alert_group", group.id, comment_id=comment.id, length=len(body))
    return comment


def suppression_scope(group: AlertGroup, track: str, network: str = "") -> str:
    """The `ip` of the suppression: the group's address for the track, or `network` (a CIDR holding that address).

    The network is read with ipaddress (host bits are cleared: 198.18.20.7/24 is 198.18.20.0/24); it must
    contain the group's source (by_src) or destination (by_dst) address and be no wider than IPv4 /8 or
    IPv6 /32. A network of one address is that address. ValidationFailed("network", ...) otherwise.
    """
    own = group.src_ip if track == "by_src" else group.dest_ip
    text = (network or "").strip()
    if not text:
        return own
    side = "source" if track == "by_src" else "destination"
    try:
        address = ipaddress.ip_address(own)
    except ValueError:
        raise ValidationFailed("network", f"the group's {side} address {own!r} is not an IP address") from None
    if len(text) > 64:
        raise ValidationFailed("network", "is not an IPv4 or IPv6 network in CIDR form (e.g. 198.18.20.0/24)")
    try:
        found = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValidationFailed("network", f"{text!r} is not an IPv4 or IPv6 network in CIDR form "
                                          "(e.g. 198.18.20.0/24)") from None
    if found.version != address.version or address not in found:
        raise ValidationFailed("network", f"{found} does not contain the group's {side} address {address}")
    if found.prefixlen < MIN_PREFIX[found.version]:
        raise ValidationFailed("network", f"{found} is too wide: at most /{MIN_PREFIX[found.version]} for "
                                          f"IPv{found.version}")
    return str(found.network_address) if found.num_addresses == 1 else str(found)


def suppression_line(group: AlertGroup, kind: str, track: str, network: str = "") -> str:
    if kind == "disable":
        return f"disable sid {group.sid}"
    ip = suppression_scope(group, track, network)
    return f"suppress gen_id {group.gid}, sig_id {group.sid}, track {track}, ip {ip}"


def propose_false_positive(session: Session, actor: Actor, group_id: int, kind: str = "suppress",
                           track: str = "by_src", network: str = "") -> AlertGroup:
    """Mark the group a false positive and keep the suppression (or disable) it proposes, unconfirmed.

    A suppression covers the group's address for the track, or `network` (suppression_scope).
    """
    require(actor, "alerts.triage")
    if kind not in ("suppress", "disable"):
        raise ValidationFailed("kind", "must be suppress or disable")
    if track not in TRACKS:
        raise ValidationFailed("track", "must be by_src or by_dst")
    group = get_group(session, group_id)
    if group.fp_status == "applied":
        raise Conflict(f"group {group.id} already has an applied suppression")
    proposal = suppression_line(group, kind, track, network if kind == "suppress" else "")
    group.false_positive, group.fp_kind, group.fp_status = True, kind, "proposed"
    group.fp_proposal, group.fp_message, group.fp_version = proposal, "", None
    group.updated_at = utcnow()
    audit.record(session, actor, "alerts.false_positive.propose", "alert_group", group.id, proposal=group.fp_proposal)
    return group


def mark_confirm_pending(session: Session, actor: Actor, group_id: int) -> AlertGroup:
    """Check the group has a proposal to confirm and mark it pending: the console confirms in a task (alerts/tasks.py)."""
    require(actor, "alerts.triage")
    group = get_group(session, group_id)
    if group.fp_status not in ("proposed", "pending", "failed"):
        raise Conflict(f"group {group.id} has no proposal to confirm")
    group.fp_status, group.updated_at = "pending", utcnow()
    return group


def confirm_false_positive(session: Session, actor: Actor, group_id: int, reason: str = "") -> AlertGroup:
    """Send the proposal to the rule manager; store its outcome and the version carrying it."""
    require(actor, "alerts.triage")
    group = get_group(session, group_id)
    if group.fp_status not in ("proposed", "pending", "failed"):
        raise Conflict(f"group {group.id} has no proposal to confirm")
    proposed = _PROPOSED_IP.search(group.fp_proposal or "")
    track = proposed.group(1) if proposed else "by_dst" if "track by_dst" in group.fp_proposal else "by_src"
    ip = proposed.group(2) if proposed else group.src_ip if track == "by_src" else group.dest_ip
    why = (reason or "").strip()[:500] or f"false positive: alert group {group.id} ({group.signature})"
    outcome = alert_feedback.apply(session, actor, group.fp_kind, group.sid, track, ip, why)
    group.fp_status, group.fp_version = outcome.status, outcome.version_number
    group.fp_message = "; ".join(outcome.messages)[:1000]
    if outcome.status == "applied" and group.status != AlertStatus.closed.value:
        group.status = AlertStatus.closed.value
    group.updated_at = utcnow()
    audit.record(session, actor, "alerts.false_positive.confirm", "alert_group", group.id,
                 outcome="success" if outcome.status != "failed" else "failure", proposal=group.fp_proposal,
                 fp_status=outcome.status, version=outcome.version_number, messages=group.fp_message)
    return group
