"""Bulk policy changes from the rule search: disable, enable or drop many rules, with a reason, in one build.

The rules are chosen by sid or by the search filter (`RuleFilter`, the same one the search page and
its API read), in the active version. Every chosen sid is written into the action's policy file
(disable.conf, enable.conf or drop.conf, suricata-update's formats) in ONE edit, under one comment line
naming the actor and the reason, and then ONE build (`service.build_version`) makes one new version that
carries them all. A build that Suricata refuses takes every file back to what it was, as a single
disable or suppress does.

A disable also comments out the enable.conf lines that name exactly one of its sids (enable is applied
after disable, suricata-update's order, so such a line would win). Rules that another policy line still
decides (a `group:` or `re:` line in enable.conf, a flowbit) are named in a warning after the build.

Same conventions as console/ruleset/service.py: Session and Actor in, rules.manage checked first, an
audit record (`rules.bulk`: change, count, reason, version), the caller commits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from console.access import audit
from console.access.actor import Actor
from console.access.permissions import require
from console.errors import Conflict, NotFound, ValidationFailed
from console.models.base import utcnow
from console.ruleset import service
from console.ruleset.operations import search_rules
from rules import versions
from rules.build import read_manifest
from rules.config import RulesConfig
from rules.files import atomic_write

ACTIONS = {"disable": "disable.conf", "enable": "enable.conf", "drop": "drop.conf"}
MAX_SIDS = 50_000  # per action: a larger choice is refused (narrow the filter)
MAX_SID = 2**32 - 1
_SID_LINE = re.compile(r"^(?:(\d+):)?(\d+)$")


@dataclass(frozen=True)
class RuleFilter:
    """The rule search's filter: every given field must hold (empty: every rule of the version)."""

    sid: int | None = None
    text: str = ""
    classtype: str = ""
    enabled: bool | None = None
    source: str = ""

    def as_args(self) -> dict:
        """The search page's query arguments for this filter (links, hidden form fields)."""
        return {"sid": "" if self.sid is None else str(self.sid), "q": self.text, "classtype": self.classtype,
                "source": self.source, "enabled": {True: "yes", False: "no"}.get(self.enabled, "")}

    def as_dict(self) -> dict:
        return {key: value for key, value in self.as_args().items() if value}


def parse_filter(args: Mapping) -> RuleFilter:
    """The search page's query arguments (sid, q, classtype, source, enabled=yes|no), read as the page reads them.

    Lenient, as the page always was: a sid that is not a number and an unknown `enabled` are no filter.
    """
    sid = str(args.get("sid", "") or "").strip()
    return RuleFilter(sid=int(sid) if sid.isdigit() and 0 < int(sid) <= MAX_SID else None,
                      text=str(args.get("q", "") or "")[:200], classtype=str(args.get("classtype", "") or "")[:64],
                      source=str(args.get("source", "") or "")[:64],
                      enabled={"yes": True, "no": False}.get(str(args.get("enabled", "") or "")))


def filter_from_json(value) -> RuleFilter:
    """The API's `filter` object, checked strictly (ValidationFailed names the field)."""
    if not isinstance(value, dict):
        raise ValidationFailed("filter", "must be an object with sid, q, classtype, source or enabled")
    sid = value.get("sid")
    if sid is not None and (isinstance(sid, bool) or not isinstance(sid, int) or not 0 < sid <= MAX_SID):
        raise ValidationFailed("filter.sid", f"must be a whole number from 1 to {MAX_SID}")
    texts = {}
    for name in ("q", "classtype", "source", "enabled"):
        text = value.get(name, "")
        if not isinstance(text, str):
            raise ValidationFailed(f"filter.{name}", "must be a string (or left out)")
        texts[name] = text
    if texts["enabled"] not in ("", "yes", "no"):
        raise ValidationFailed("filter.enabled", "must be yes or no")
    return RuleFilter(sid=sid, text=texts["q"][:200], classtype=texts["classtype"][:64],
                      source=texts["source"][:64], enabled={"yes": True, "no": False}.get(texts["enabled"]))


@dataclass
class BulkOutcome:
    ok: bool
    action: str
    changed: int  # sids written into the policy file
    skipped: int  # chosen rules already in that state, left as they were
    version_number: int | None = None
    messages: list[str] = field(default_factory=list)


@dataclass
class BulkPlan:
    """A checked bulk change: the rules it changes and those already in that state (`plan`)."""

    action: str
    why: str
    cfg: RulesConfig
    wanted: list[dict]
    skipped: int
    rule_filter: RuleFilter | None


def plan(session: Session, actor: Actor, *, action: str, reason: str, sids: list[int] | None = None,
         rule_filter: RuleFilter | None = None, expected: int | None = None,
         config: RulesConfig | None = None) -> BulkPlan:
    """Check a bulk change and choose its rules, changing nothing: what a request answers before it queues the build.

    Raises as bulk_change does (ValidationFailed, NotFound, Conflict); fast (no build).
    """
    require(actor, "rules.manage")
    if action not in ACTIONS:
        raise ValidationFailed("action", "must be disable, enable or drop")
    why = " ".join("".join(c if c.isprintable() or c.isspace() else "\ufffd" for c in str(reason or "")).split())
    if not why:
        raise ValidationFailed("reason", "is required: say why these rules change")
    if (sids is None) == (rule_filter is None):
        raise ValidationFailed("sids", "choose the rules by sids or by filter (one of them)")
    if sids is not None:
        sids = _checked_sids(sids)
    cfg = service.rules_config(session, config)
    active = service.active_version(session)
    if active is None:
        raise Conflict("no active ruleset version: build one first")
    chosen = _chosen(session, cfg, active.number, sids, rule_filter, expected)
    wanted = [rule for rule in chosen if not _in_state(rule, action)]
    skipped = len(chosen) - len(wanted)
    if not wanted:
        raise Conflict(f"all {len(chosen)} chosen rules are already {_STATE[action]}: nothing to change")
    return BulkPlan(action, why, cfg, wanted, skipped, rule_filter)


def bulk_change(session: Session, actor: Actor, *, action: str, reason: str, sids: list[int] | None = None,
                rule_filter: RuleFilter | None = None, expected: int | None = None,
                config: RulesConfig | None = None) -> BulkOutcome:
    """Disable, enable or drop the chosen rules of the active version in one policy edit and one build.

    Choose by `sids` or by `rule_filter` (not both). With `expected`, a filter that now matches another
    number of rules than the page showed is refused (Conflict) rather than applied to rules nobody saw.
    The console runs this in a background task ("rules.bulk", console/ruleset/tasks.py): the build runs
    suricata -T.
    """
    checked = plan(session, actor, action=action, reason=reason, sids=sids, rule_filter=rule_filter,
                   expected=expected, config=config)
    action, why, cfg, wanted, skipped = checked.action, checked.why, checked.cfg, checked.wanted, checked.skipped
    outcome = _apply(session, actor, cfg, action, wanted, why)
    messages = list(outcome.messages)
    if skipped:
        messages.insert(0, f"info: {skipped} of the chosen rules were already {_STATE[action]} "
                           "and left as they were")
    if outcome.ok:
        messages.extend(_not_in_state(cfg, outcome.version_number, action, {r["sid"] for r in wanted}))
    selection = {"sids": [r["sid"] for r in wanted[:100]]} if rule_filter is None else {
        "filter": rule_filter.as_dict()}
    audit.record(session, actor, "rules.bulk", "ruleset_version",
                 outcome.version_number if outcome.version_number is not None else "",
                 outcome="success" if outcome.ok else "failure", change=action, count=len(wanted),
                 skipped=skipped, reason=why[:200], version=outcome.version_number,
                 chosen_by="sids" if rule_filter is None else "filter", **selection)
    return BulkOutcome(outcome.ok, action, len(wanted), skipped, outcome.version_number, messages)


_STATE = {"disable": "disabled", "enable": "enabled", "drop": "drop rules"}


def _checked_sids(sids) -> list[int]:
    if not isinstance(sids, list) or not sids:
        raise ValidationFailed("sids", "choose at least one rule")
    for sid in sids:
        if isinstance(sid, bool) or not isinstance(sid, int) or not 0 < sid <= MAX_SID:
            raise ValidationFailed("sids", f"each sid must be a whole number from 1 to {MAX_SID} (got {sid!r:.40})")
    unique = sorted(set(sids))
    if len(unique) > MAX_SIDS:
        raise ValidationFailed("sids", f"{len(unique)} rules chosen; at most {MAX_SIDS} at once")
    return unique


def _chosen(session: Session, cfg: RulesConfig, number: int, sids: list[int] | None,
            rule_filter: RuleFilter | None, expected: int | None) -> list[dict]:
    if rule_filter is not None:
        found, total = search_rules(session, sid=rule_filter.sid, text=rule_filter.text,
                                    classtype=rule_filter.classtype, enabled=rule_filter.enabled,
                                    source=rule_filter.source, number=number, limit=MAX_SIDS + 1, config=cfg)
        if total > MAX_SIDS:
            raise ValidationFailed("filter", f"matches {total} rules; at most {MAX_SIDS} at once: narrow the filter")
        if not found:
            raise NotFound("no rule of the active version matches the filter")
        if expected is not None and expected != total:
            raise Conflict(f"the filter now matches {total} rules, not {expected}: search again")
        return found
    rules = {}
    for rule in read_manifest(versions.folder(cfg.var_dir, number))["rules"]:
        rules.setdefault(rule["sid"], rule)
    unknown = [sid for sid in sids if sid not in rules]
    if unknown:
        shown = ", ".join(str(s) for s in unknown[:10])
        shown += f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        raise NotFound(f"no rule with sid {shown} in the active version {number}")
    return [rules[sid] for sid in sids]


def _in_state(rule: dict, action: str) -> bool:
    if action == "disable":
        return not rule["enabled"]
    if action == "enable":
        return rule["enabled"] and not rule["noalert"]
    return rule["action"] == "drop"


def _key(rule: dict) -> str:
    return str(rule["sid"]) if rule["gid"] == 1 else f"{rule['gid']}:{rule['sid']}"


def _apply(session: Session, actor: Actor, cfg: RulesConfig, action: str, rules: list[dict],
           why: str) -> service.BuildOutcome:
    """One edit of the policy files, one build; every file back as it was if the build is refused."""
    stamp = f"{why[:200]} (by {actor.username}, {utcnow():%Y-%m-%d %H:%M} UTC)"
    target = cfg.policy_dir / ACTIONS[action]
    existed = {target: target.exists()}
    before = {target: _read(target)}
    block = f"# bulk {action} of {len(rules)} rules: {stamp}\n" + "".join(f"{_key(r)}\n" for r in rules)
    edits = {target: _append(_text(before[target]), block)}
    if action == "disable":
        enable = cfg.policy_dir / "enable.conf"
        existed[enable], before[enable] = enable.exists(), _read(enable)
        taken = _comment_out(_text(before[enable]), {(r["gid"], r["sid"]) for r in rules},
                             f"taken out by bulk disable: {stamp}")
        if taken != _text(before[enable]):
            edits[enable] = taken
    for path, text in edits.items():
        atomic_write(path, text.encode())
    outcome = service.build_version(session, actor, config=cfg,
                                    reason=f"bulk {action} of {len(rules)} rules: {why}"[:200])
    if not outcome.ok:
        for path in edits:
            if existed[path]:
                atomic_write(path, before[path])
            else:
                path.unlink(missing_ok=True)
        outcome.messages.append(f"info: {', '.join(p.name for p in edits)} left as they were, "
                                "since the build was refused")
    return outcome


def _read(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _append(text: str, block: str) -> str:
    return text + ("" if not text or text.endswith("\n") else "\n") + block


def _comment_out(text: str, keys: set[tuple[int, int]], note: str) -> str:
    """enable.conf's text with the lines naming exactly one of `keys` commented out, each with `note`."""
    out = []
    for line in text.splitlines(keepends=True):
        found = _SID_LINE.match(line.split(" #", 1)[0].strip())
        if found and (int(found.group(1) or 1), int(found.group(2))) in keys:
            line = f"# {line.rstrip(chr(10))}  # {note}\n"
        out.append(line)
    return "".join(out)


def _not_in_state(cfg: RulesConfig, number: int | None, action: str, sids: set[int]) -> list[str]:
    if number is None:
        return []
    stuck = sorted(r["sid"] for r in read_manifest(versions.folder(cfg.var_dir, number))["rules"]
                   if r["sid"] in sids and not _in_state(r, action))
    if not stuck:
        return []
    shown = ", ".join(str(s) for s in stuck[:20]) + (" ..." if len(stuck) > 20 else "")
    return [f"warning: {len(stuck)} of the chosen rules are still not {_STATE[action]}: another policy line or a "
            f"flowbit decides them (sids {shown})"]
