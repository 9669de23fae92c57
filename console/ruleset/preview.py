"""Before a drop goes live: what the new or changed drop rules would have blocked, read from stored alerts.

For an IPS sensor, the version about to go out is compared with the version the sensor runs (its newest
successful deploy): a blocking rule (drop, reject...) that is new, or whose text changed, is "new". The
alerts of the last N days ([rules] would_block_days, default 7) of those sids are what these rules would
have blocked: counted in total, by source and destination, and by the inventory hosts and information
systems those addresses belong to ("3 hosts of the one-stop-shop system, 412 requests").

A deploy to an IPS sensor whose preview touches an inventory host needs a second person's approval
(`approve_deploy`), by the four-eyes rule of console/remediation: whoever asked cannot approve, and the
approval is kept per version and sensor. IDS sensors block nothing: no preview, no approval.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.access import audit
from console.access.actor import Actor
from console.access.permissions import require
from console.errors import Conflict, NotFound, PermissionDenied
from console.inventory.hosts import host_names_at
from console.models.base import utcnow
from console.models.rules import RuleDeployApproval, RulesetChange, RulesetVersion
from console.ruleset.service import get_version, rules_config, sensor_status
from rules import modes, versions
from rules.build import read_manifest
from rules.config import RulesConfig

TOP_PAIRS = 20

# What the preview reads from the areas above the rule manager, registered by them (console/wiring.py imports
# console/alerts/tasks.py and console/compliance/tasks.py): the stored alerts by (source, destination) pair, and
# the information system of each inventory host. The rule manager imports neither area.
SOURCES: dict = {}


def register_source(name: str, function) -> None:
    """name: "alerts_by_pair" (session, sids, since, until) -> [(source, destination, alerts)], or
    "systems_by_host" (session) -> {host name: system key}."""
    if name not in ("alerts_by_pair", "systems_by_host"):
        raise ValueError(f"unknown preview source {name!r}")
    SOURCES[name] = function


def _source(name: str):
    if name not in SOURCES:
        raise RuntimeError(f"the would-have-blocked preview needs {name}, which its area registers at start "
                           "(console.wiring.register_areas)")
    return SOURCES[name]


@dataclass
class Preview:
    sensor: str
    version: int
    running: int | None  # the version the sensor runs now (None: never deployed)
    days: int
    sids: list[int]  # blocking rules new or changed against `running`
    alerts: int = 0
    pairs: list[dict] = field(default_factory=list)  # {src_ip, dest_ip, src_host, dest_host, alerts}, most first
    hosts: dict[str, int] = field(default_factory=dict)  # inventory host -> alerts to or from it
    systems: dict[str, dict] = field(default_factory=dict)  # system key -> {hosts: [...], alerts: n}

    @property
    def needs_approval(self) -> bool:
        return bool(self.hosts)

    def as_dict(self) -> dict:
        return {"sensor": self.sensor, "version": self.version, "running": self.running, "days": self.days,
                "sids": self.sids, "alerts": self.alerts, "pairs": self.pairs, "hosts": self.hosts,
                "systems": self.systems, "needs_approval": self.needs_approval}


def where_rules_block(session: Session, number: int, *, config: RulesConfig | None = None) -> dict:
    """The version's blocking rules and where they block: {sids, blocks_on: [IPS sensors], alerts_on: [IDS]}."""
    cfg = rules_config(session, config)
    folder = versions.folder(cfg.var_dir, number)
    sids = sorted(modes.blocking_sids(read_manifest(folder))) if folder.exists() else []
    return {"sids": sids, "blocks_on": [s.name for s in cfg.sensors if s.mode == "ips"],
            "alerts_on": [s.name for s in cfg.sensors if s.mode == "ids"]}


def young_rules(session: Session, sids: set[int], since: datetime) -> dict[int, datetime]:
    """{sid: when} of those sids added, changed or enabled by a version built since `since` (its newest such)."""
    if not sids:
        return {}
    rows = session.execute(select(RulesetChange.sid, RulesetVersion.built_at)
                           .join(RulesetVersion, RulesetVersion.id == RulesetChange.version_id)
                           .where(RulesetChange.sid.in_(sorted(sids)), RulesetVersion.built_at >= since,
                                  RulesetChange.kind.in_(("added", "modified", "enabled"))))
    found: dict[int, datetime] = {}
    for sid, built_at in rows:
        found[sid] = max(found.get(sid, built_at), built_at)
    return found


def new_blocking_sids(new: dict, old: dict | None) -> list[int]:
    """Sids of `new`'s blocking rules that `old` (a manifest, or None) did not block with the same text."""
    blocked_before = modes.blocking_sids(old or {})
    before = {(r["gid"], r["sid"]): r["digest"] for r in (old or {}).get("rules", []) if r["sid"] in blocked_before}
    blocking = modes.blocking_sids(new)
    return sorted({r["sid"] for r in new.get("rules", [])
                   if r["sid"] in blocking and before.get((r["gid"], r["sid"])) != r["digest"]})


def would_block(session: Session, number: int, *, config: RulesConfig | None = None,
                now: datetime | None = None) -> list[Preview]:
    """One preview per IPS sensor of [rules] sensors for deploying version `number`."""
    cfg = rules_config(session, config)
    get_version(session, number)
    new = read_manifest(versions.folder(cfg.var_dir, number))
    running = {s["name"]: s["version"] for s in sensor_status(session, config=cfg)}
    previews = []
    for sensor in (s for s in cfg.sensors if s.mode == "ips"):
        old_number = running.get(sensor.name)
        old = _manifest(cfg, old_number)
        preview = Preview(sensor.name, number, old_number, cfg.would_block_days, new_blocking_sids(new, old))
        _count(session, preview, now or datetime.now(timezone.utc))
        previews.append(preview)
    return previews


def _manifest(cfg: RulesConfig, number: int | None) -> dict | None:
    if number is None:
        return None
    folder = versions.folder(cfg.var_dir, number)
    return read_manifest(folder) if folder.exists() else None


def _count(session: Session, preview: Preview, now: datetime) -> None:
    if not preview.sids:
        return
    rows = _source("alerts_by_pair")(session, preview.sids, now - timedelta(days=preview.days), now)
    names = host_names_at(session, {address for src, dest, _ in rows for address in (src, dest)})
    hosts: Counter = Counter()
    for src, dest, count in rows:
        preview.alerts += count
        for host in {names.get(src), names.get(dest)} - {None}:
            hosts[host] += count
    ranked = sorted(rows, key=lambda row: (-row[2], row[0], row[1]))[:TOP_PAIRS]
    preview.pairs = [{"src_ip": src, "dest_ip": dest, "src_host": names.get(src), "dest_host": names.get(dest),
                      "alerts": count} for src, dest, count in ranked]
    preview.hosts = dict(sorted(hosts.items()))
    system_of = _source("systems_by_host")(session)
    for host, count in preview.hosts.items():
        key = system_of.get(host)
        if key:
            entry = preview.systems.setdefault(key, {"hosts": [], "alerts": 0})
            entry["hosts"].append(host)
            entry["alerts"] += count


def request_deploy(session: Session, actor: Actor, number: int, *, config: RulesConfig | None = None) -> list[Preview]:
    """Ask to deploy version `number`: each IPS sensor whose preview touches inventory hosts gets an approval
    request (kept once per version and sensor); returns the previews."""
    require(actor, "rules.manage")
    previews = would_block(session, number, config=config)
    for preview in previews:
        if preview.needs_approval and _approval(session, number, preview.sensor) is None:
            session.add(RuleDeployApproval(version_number=number, sensor=preview.sensor, requested_by=actor.username,
                                           alerts=preview.alerts, hosts=sorted(preview.hosts)))
            audit.record(session, actor, "rules.deploy.request", "sensor", preview.sensor, version=number,
                         alerts=preview.alerts, hosts=sorted(preview.hosts))
    session.flush()
    return previews


def approve_deploy(session: Session, actor: Actor, number: int, sensor: str) -> RuleDeployApproval:
    """The second person's approval of a drop that would have blocked inventory hosts' traffic."""
    require(actor, "remediation.approve")
    row = _approval(session, number, sensor)
    if row is None:
        raise NotFound(f"no deploy of version {number} to {sensor} waits for approval")
    if row.approved_by:
        raise Conflict(f"the deploy of version {number} to {sensor} was already approved by {row.approved_by}")
    if actor.username == row.requested_by:
        raise PermissionDenied(f"{actor.username} asked for the deploy of version {number} to {sensor}: "
                               "a second person must approve it")
    row.approved_by, row.approved_at = actor.username, utcnow()
    audit.record(session, actor, "rules.deploy.approve", "sensor", sensor, version=number, alerts=row.alerts,
                 hosts=row.hosts, requested_by=row.requested_by)
    return row


def check_approved(session: Session, number: int, previews: list[Preview]) -> None:
    """Conflict naming the sensors whose deploy of `number` would block inventory hosts and is not approved."""
    waiting = [p for p in previews if p.needs_approval
               and not getattr(_approval(session, number, p.sensor), "approved_by", "")]
    if waiting:
        names = ", ".join(f"{p.sensor} ({p.alerts} alerts of {len(p.hosts)} inventory hosts in {p.days} days)"
                          for p in waiting)
        raise Conflict(f"version {number}'s new drop rules would have blocked traffic of inventory hosts on {names}: "
                       "a second person must approve the deploy first")


def approval(session: Session, number: int, sensor: str) -> RuleDeployApproval | None:
    """The approval request of deploying version `number` to `sensor`, if one was made."""
    return _approval(session, number, sensor)


def _approval(session: Session, number: int, sensor: str) -> RuleDeployApproval | None:
    return session.scalar(select(RuleDeployApproval).where(RuleDeployApproval.version_number == number,
                                                           RuleDeployApproval.sensor == sensor))
