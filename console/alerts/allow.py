"""A false block is urgent: one action from a blocked alert group lets that traffic through on the IPS sensors.

The allow is a `pass` rule in the local rules folder (ops-allow.rules), for the group's source, destination,
or a network holding one of them, in both directions. Not a suppression: Suricata 7 still drops a packet
whose drop rule is suppressed in threshold.config, it only stops alerting on it (tests/console/lab/
test_inline_ips.py shows both). `pass` comes first in Suricata's action order, and a flow it passes is not
inspected further.

`allow_and_deploy` is the background task (console.tasks, kind "alerts.allow"): write the rule, build and
validate a version (Suricata -T and the rule tests; a refused build leaves the file as it was), deploy it
to every IPS sensor, and record on the group when it went live.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm import Session

from console.access import audit
from console.access.actor import Actor
from console.access.permissions import require
from console.alerts.query import get_group
from console.alerts.triage import suppression_scope
from console.errors import Conflict, ValidationFailed
from console.models.alerts import AlertGroup
from console.models.base import utcnow
from console.ruleset import operations
from console.ruleset import service
from rules.config import RulesConfig
from rules.files import atomic_write

ALLOW_FILE = "ops-allow.rules"
FIRST_SID = 9_180_001  # the console's own allow rules: 9180001-9189999
LAST_SID = 9_189_999
SCOPES = {"source": "by_src", "destination": "by_dst"}
SID = re.compile(r"\bsid\s*:\s*(\d+)")


def allow_rule(group: AlertGroup, scope: str, network: str, sid: int) -> str:
    """The pass rule for the group's source or destination (or `network` holding it), both directions."""
    if scope not in SCOPES:
        raise ValidationFailed("scope", "must be source or destination")
    address = suppression_scope(group, SCOPES[scope], network)
    return (f'pass ip {address} any <> any any (msg:"OPS allow {scope} {address}: false block of alert group '
            f'{group.id} (sid {group.sid})"; sid:{sid}; rev:1;)')


def _next_sid(text: str) -> int:
    used = [int(n) for n in SID.findall(text) if FIRST_SID <= int(n) <= LAST_SID]
    sid = max(used, default=FIRST_SID - 1) + 1
    if sid > LAST_SID:
        raise Conflict(f"{ALLOW_FILE} has no free sid left in {FIRST_SID}-{LAST_SID}: tidy it")
    return sid


def allow(session: Session, actor: Actor, group_id: int, scope: str, network: str = "", *,
          config: RulesConfig | None = None) -> tuple[AlertGroup, object]:
    """Add the pass rule and build a version; returns (group, the build's outcome). The caller commits."""
    require(actor, "rules.manage")
    group = get_group(session, group_id)
    cfg = service.rules_config(session, config)
    path = cfg.local_dir / ALLOW_FILE
    before = path.read_bytes() if path.exists() else b""
    text = before.decode("utf-8", "replace")
    rule = allow_rule(group, scope, network, _next_sid(text))
    atomic_write(path, (text + ("" if not text or text.endswith("\n") else "\n") +
                        f"# by {actor.username}, {utcnow():%Y-%m-%d %H:%M} UTC\n{rule}\n").encode())
    outcome = service.build_version(session, actor, config=cfg, reason=f"allow: false block of alert group {group.id}")
    if not outcome.ok:
        atomic_write(path, before)
    group.fp_kind, group.fp_proposal = "allow", rule[:255]
    group.fp_status, group.fp_version = ("pending" if outcome.ok else "failed"), outcome.version_number
    group.fp_message = "" if outcome.ok else "; ".join(outcome.messages)[:1000]
    group.updated_at = utcnow()
    audit.record(session, actor, "alerts.allow", "alert_group", group.id, outcome="success" if outcome.ok else "failure",
                 rule=rule, version=outcome.version_number)
    return group, outcome


def allow_and_deploy(factory, actor: Actor, group_id: int, scope: str, network: str = "",
                     config: RulesConfig | None = None, progress=None) -> dict:
    """The task: allow, then deploy to the IPS sensors; the group says when the allow went live."""
    from console.db import session_scope

    with session_scope(factory) as session:
        group, outcome = allow(session, actor, group_id, scope, network, config=config)
        if not outcome.ok:
            return {"failure": "the build was refused: " + "; ".join(
                m for m in outcome.messages if m.startswith("error"))[:1500], "version": None}
        number, sensors = outcome.version_number, [s.name for s in service.rules_config(session, config).sensors
                                                   if s.mode == "ips"]
    if progress is not None:
        progress(f"version {number} built; deploying to {', '.join(sensors) or 'no IPS sensor'}")
    with session_scope(factory) as session:
        results = operations.deploy_active(session, actor, sensors=sensors, config=config) if sensors else []
    failed = [f"{r.sensor}: {r.message}" for r in results if not r.ok]
    with session_scope(factory) as session:
        group = get_group(session, group_id)
        group.fp_status = "failed" if failed else "live"
        group.fp_message = ("; ".join(failed) if failed else f"live on {', '.join(sensors)}")[:1000]
        group.updated_at = live_at = utcnow()
    found = {"version": number, "sensors": [r.sensor for r in results], "live_at": _iso(live_at)}
    if failed:
        found["failure"] = "; ".join(failed)
    return found


def _iso(at: datetime) -> str:
    return at.isoformat()
