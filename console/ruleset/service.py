"""The rule manager's service layer: builds become versions, policy changes, rollback, status.

Every function that changes something takes a Session and an Actor, checks
`rules.manage`, writes an audit record and leaves the commit to the caller.
The paths come from the [rules] settings: pass `config=`, or the service finds
them in the Flask app's settings, else in ops.toml (OPS_CONFIG).

Builds are refused, and the active version stays in force, when a source or
the policy cannot be read or when `suricata -T` refuses any rule; the
outcome's messages then name file, line and sid. A suppress or disable whose
build is refused is taken back out of the policy file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.common.time import iso
from console.errors import NotFound, OpsError
from console.models.rules import RuleDeployment, RulesetChange, RulesetVersion
from console.models.base import utcnow
from console.access import audit
from console.notify import events as notify_events
from console.access.actor import Actor
from console.access.permissions import require
from rules import build, threshold, validate, versions
from rules.config import RulesConfig
from rules.errors import RulesetError, where
from rules.files import atomic_write
from rules.parse import ParseCache

__all__ = ["build_version", "disable", "rules_config", "ruleset_status", "suppress"]

PARSE_CACHE = ParseCache()  # per process: parsed source files by content digest


@dataclass
class BuildOutcome:
    ok: bool
    version_number: int | None = None
    messages: list[str] = field(default_factory=list)


def rules_config(session: Session | None = None, config: RulesConfig | None = None) -> RulesConfig:
    """The [rules] settings: given, else the session's (make_session_factory(engine, settings) in console, CLI and jobs).

    Never a guess from the working directory: a caller without settings gets
    an error rather than a ruleset written into some other folder.
    """
    if config is not None:
        return config
    if session is not None and "ops_settings" in session.info:
        return session.info["ops_settings"].rules
    raise RulesetError("the rule manager was called without [rules] settings: pass config= or open the session "
                       "with console.db.make_session_factory(engine, settings)")


def build_version(session: Session, actor: Actor, *, config: RulesConfig | None = None, offline: bool = False,
                  reason: str = "", skip_unchanged: bool = False, allow_refused: bool = False) -> BuildOutcome:
    """Build, validate with suricata -T, and on success store and activate a new numbered version.

    With skip_unchanged (the scheduled update), a build whose rules are those of the active version stores
    nothing: BuildOutcome(ok, the active number, ["no change ..."]).

    A source rule the parser refused (too long, a syntax error: rules/parse.py) refuses the build, unless
    `allow_refused` or the active version was built without that same rule already (someone allowed it then;
    a suppression must not fail on it afterwards). Lines that are not UTF-8 are left out as suricata-update
    leaves them out and never refuse a build. Either way the version records what it was built without.
    """
    require(actor, "rules.manage")
    cfg = rules_config(session, config)
    try:
        candidate = build.build(cfg, PARSE_CACHE, offline=offline)
        _refuse_left_out(session, candidate, allow_refused)
        verdict = validate.validate(cfg.suricata, cfg.suricata_yaml, candidate.folder, candidate.rules,
                                    cfg.validate_timeout_seconds)
    except RulesetError as exc:
        audit.record(session, actor, "rules.build", "ruleset", "", outcome="failure", error=str(exc)[:500])
        _announce_refused(session, str(exc), list(exc.details))
        return BuildOutcome(False, None, [f"error: {exc}", *exc.details])
    if not verdict.ok:
        errors = [f"error: {e}" for e in verdict.errors]
        audit.record(session, actor, "rules.build", "ruleset", "", outcome="failure", errors=errors[:20],
                     failed_sids=verdict.failed_sids[:50])
        _announce_refused(session, verdict.errors[0] if verdict.errors else "suricata -T failed", errors)
        return BuildOutcome(False, None, candidate.messages + errors)
    active = active_version(session) if skip_unchanged else None
    if active is not None and not versions.diff(versions.manifest_rules(cfg.var_dir, active.number), candidate.rules):
        audit.record(session, actor, "rules.build", "ruleset_version", active.number, outcome="success",
                     unchanged=True, reason=reason[:200])
        return BuildOutcome(True, active.number, [*candidate.messages,
                                                  f"no change: version {active.number} stays active"])
    row = _store_version(session, actor, cfg, candidate, reason)
    audit.record(session, actor, "rules.build", "ruleset_version", row.number, total=row.rules_total,
                 enabled=row.rules_enabled, added=row.rules_added, removed=row.rules_removed,
                 modified=row.rules_modified, reason=reason[:200])
    return BuildOutcome(True, row.number, candidate.messages)


def _left_out_key(entry: dict) -> tuple:
    return entry["file"], entry["sid"] if entry.get("sid") is not None else entry["line"], entry["reason"]


def _refuse_left_out(session: Session, candidate, allow_refused: bool) -> None:
    """RulesetError naming each refused rule that no one allowed (see build_version)."""
    active = active_version(session)
    allowed_before = {_left_out_key(e) for e in (active.left_out or [])} if active is not None else set()
    refused = [e for e in candidate.refused if _left_out_key(e) not in allowed_before]
    if refused and not allow_refused:
        details = [f"error: {where(e['file'], e['line'], e['sid'])}{e['reason']}" for e in refused]
        raise RulesetError(f"{len(refused)} rule(s) refused and left out; fix the source, or build without them "
                           "with --allow-refused (API: allow_refused)", details=details)


def _announce_refused(session: Session, reason: str, details: list[str]) -> None:
    """A build that was not activated told to people (console/notify), in the transaction of its audit record."""
    active = active_version(session)
    notify_events.emit(session, notify_events.Event(
        "rules.build_refused", "ruleset", "high",
        {"reason": reason[:300], "active_version": active.number if active else "-"}, "/rules/",
        lines=[str(line)[:300] for line in details[:20]]))


def _store_version(session: Session, actor: Actor, cfg: RulesConfig, candidate, reason: str) -> RulesetVersion:
    latest = session.scalar(select(RulesetVersion).order_by(RulesetVersion.number.desc()).limit(1))
    number = (latest.number if latest else 0) + 1
    stale = versions.folder(cfg.var_dir, number)
    if stale.exists():  # left by a build whose transaction was rolled back
        import shutil

        shutil.rmtree(stale)
    previous = versions.manifest_rules(cfg.var_dir, latest.number) if latest else None
    changes = versions.diff(previous, candidate.rules)
    counts = versions.counts(candidate.rules, changes)
    versions.store(cfg.var_dir, candidate.folder, number)
    row = RulesetVersion(number=number, built_by=actor.username[:64], rules_total=counts.total,
                         rules_enabled=counts.enabled, rules_added=counts.added, rules_removed=counts.removed,
                         rules_modified=counts.modified, note=reason[:255], messages=candidate.messages[:500],
                         left_out=candidate.left_out[:1000])
    row.changes = [RulesetChange(gid=c.gid, sid=c.sid, kind=c.kind, msg=c.msg, source=c.source) for c in changes]
    session.add(row)
    _activate(session, cfg, row)
    return row


def _activate(session: Session, cfg: RulesConfig, row: RulesetVersion) -> None:
    for other in session.scalars(select(RulesetVersion).where(RulesetVersion.is_active.is_(True))):
        other.is_active = False
    row.is_active, row.activated_at = True, utcnow()
    session.flush()
    versions.activate(cfg.var_dir, row.number)


def rollback(session: Session, actor: Actor, number: int, *, config: RulesConfig | None = None) -> RulesetVersion:
    """Make version `number` the active one again (its files are kept unchanged)."""
    require(actor, "rules.manage")
    cfg = rules_config(session, config)
    row = get_version(session, number)
    before = active_version(session)
    _activate(session, cfg, row)
    audit.record(session, actor, "rules.rollback", "ruleset_version", number,
                 previous=before.number if before else None)
    return row


def suppress(session: Session, actor: Actor, *, sid: int, track: str, ip: str, reason: str,
             config: RulesConfig | None = None) -> BuildOutcome:
    """Append a suppress line to threshold.config, then build and validate a new version."""
    require(actor, "rules.manage")
    cfg = rules_config(session, config)
    line = threshold.suppress_line(sid, track, ip)
    outcome = _change_policy_file(session, actor, cfg, cfg.threshold_file, f"# {_comment(actor, reason)}\n{line}\n",
                                  reason)
    audit.record(session, actor, "rules.suppress", "rule", sid, outcome="success" if outcome.ok else "failure",
                 track=track, ip=str(ip)[:64], reason=reason[:200], version=outcome.version_number)
    return outcome


def disable(session: Session, actor: Actor, *, sid: int, reason: str,
            config: RulesConfig | None = None) -> BuildOutcome:
    """Add the sid to disable.conf with the reason as a comment, then build and validate."""
    require(actor, "rules.manage")
    if isinstance(sid, bool) or not isinstance(sid, int) or not 0 < sid < 2**32:
        raise RulesetError(f"sid must be a whole number from 1 to {2**32 - 1} (got {sid!r})")
    cfg = rules_config(session, config)
    outcome = _change_policy_file(session, actor, cfg, cfg.policy_dir / "disable.conf",
                                  f"{sid} # {_comment(actor, reason)}\n", reason)
    audit.record(session, actor, "rules.disable", "rule", sid, outcome="success" if outcome.ok else "failure",
                 reason=reason[:200], version=outcome.version_number)
    return outcome


def _comment(actor: Actor, reason: str) -> str:
    clean = " ".join(str(reason).split())[:200] or "no reason given"
    return f"{clean} (by {actor.username}, {utcnow():%Y-%m-%d %H:%M} UTC)"


def _change_policy_file(session, actor, cfg: RulesConfig, path, addition: str, reason: str) -> BuildOutcome:
    before = path.read_bytes() if path.exists() else b""
    text = before.decode("utf-8", "replace")
    atomic_write(path, (text + ("" if not text or text.endswith("\n") else "\n") + addition).encode())
    outcome = build_version(session, actor, config=cfg, reason=reason)
    if not outcome.ok:
        atomic_write(path, before)
        outcome.messages.append(f"info: {path} left as it was, since the build was refused")
    return outcome


def get_version(session: Session, number: int) -> RulesetVersion:
    row = session.scalar(select(RulesetVersion).where(RulesetVersion.number == number))
    if row is None:
        raise NotFound(f"no ruleset version {number}")
    return row


def active_version(session: Session) -> RulesetVersion | None:
    return session.scalar(select(RulesetVersion).where(RulesetVersion.is_active.is_(True)))


def list_versions(session: Session, before: int | None = None, limit: int = 50) -> list[RulesetVersion]:
    query = select(RulesetVersion).order_by(RulesetVersion.number.desc()).limit(limit)
    if before:
        query = query.where(RulesetVersion.number < before)
    return list(session.scalars(query))


def changes_of(session: Session, number: int) -> list[RulesetChange]:
    row = get_version(session, number)
    return list(session.scalars(select(RulesetChange).where(RulesetChange.version_id == row.id)
                                .order_by(RulesetChange.sid, RulesetChange.kind)))


def diff(session: Session, old: int, new: int, *, config: RulesConfig | None = None) -> list[versions.Change]:
    """Per-sid changes from version `old` to version `new` (either order)."""
    cfg = rules_config(session, config)
    get_version(session, old), get_version(session, new)
    return versions.diff(versions.manifest_rules(cfg.var_dir, old), versions.manifest_rules(cfg.var_dir, new))


def ruleset_status(session: Session, *, config: RulesConfig | None = None) -> dict:
    """What compliance asks: the version in force, since when, and what each sensor runs."""
    active = active_version(session)
    return {"active_version": active.number if active else None,
            "active_since": active.activated_at if active else None,
            "built_at": active.built_at if active else None,
            "rules_enabled": active.rules_enabled if active else 0,
            "sensors": sensor_status(session, config=config)}


def sensor_status(session: Session, *, config: RulesConfig | None = None) -> list[dict]:
    """The newest successful deploy per sensor (configured sensors never deployed show version None)."""
    latest = select(RuleDeployment.sensor, func.max(RuleDeployment.id).label("last_id")).where(
        RuleDeployment.status == "ok").group_by(RuleDeployment.sensor).subquery()
    rows = session.scalars(select(RuleDeployment).join(latest, RuleDeployment.id == latest.c.last_id))
    found = {row.sensor: {"name": row.sensor, "version": row.version_number, "rules_loaded": row.rules_loaded,
                          "rules_failed": row.rules_failed, "deployed_at": row.deployed_at} for row in rows}
    try:
        configured = [s.name for s in rules_config(session, config).sensors]
    except (OpsError, RulesetError, OSError):  # status must answer even where settings cannot be read
        configured = []
    for name in configured:
        found.setdefault(name, {"name": name, "version": None, "rules_loaded": None, "rules_failed": None,
                                "deployed_at": None})
    return sorted(found.values(), key=lambda s: s["name"])


def version_as_dict(row: RulesetVersion) -> dict:
    return {"number": row.number, "built_at": iso(row.built_at), "built_by": row.built_by,
            "total": row.rules_total, "enabled": row.rules_enabled, "added": row.rules_added,
            "removed": row.rules_removed, "modified": row.rules_modified, "active": row.is_active,
            "activated_at": iso(row.activated_at), "note": row.note, "left_out": list(row.left_out or [])}


