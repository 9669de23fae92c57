"""The policy: enable.conf, disable.conf, drop.conf, modify.conf (suricata-update's formats).

Applied in suricata-update's order: disable, enable, drop, modify. A line no
matcher reads is an error naming file and line (the build stops: a typo in
the policy must not pass unseen); a line that matches no rule is a warning
naming file and line. Sid lines are looked up in a dictionary, so a policy of
hundreds of sids costs no more than a few.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from suricata.update import matchers as su_matchers
from suricata.update import rule as rule_mod

from rules.errors import RulesetError, where
from rules.files import atomic_write
from rules.matchers import parse_match, sid_keys

FILES = ("enable.conf", "disable.conf", "drop.conf", "modify.conf")
MAX_POLICY_BYTES = 4 * 1024 * 1024


@dataclass
class PolicyLine:
    path: Path
    line: int
    text: str
    action: str  # enable, disable, drop, modify
    matcher: object
    run: object = None  # drop/modify: suricata-update's filter
    hits: int = 0


@dataclass
class Policy:
    lines: list[PolicyLine] = field(default_factory=list)
    by_sid: dict = field(default_factory=dict)  # action -> {(gid, sid): [PolicyLine]}
    scans: dict = field(default_factory=dict)  # action -> [PolicyLine] that must look at every rule

    def add(self, entry: PolicyLine) -> None:
        self.lines.append(entry)
        keys = sid_keys(entry.matcher)
        if keys is None:
            if isinstance(entry.matcher, (su_matchers.GroupMatcher, su_matchers.FilenameMatcher)):
                entry.matcher = ByFile(entry.matcher)
            self.scans.setdefault(entry.action, []).append(entry)
            return
        index = self.by_sid.setdefault(entry.action, {})
        for key in keys:
            index.setdefault(key, []).append(entry)

    def matching(self, action: str, rule) -> list[PolicyLine]:
        index, scans = self.by_sid.get(action), self.scans.get(action)
        if not index and not scans:
            return []
        found = list(index.get((rule["gid"], rule["sid"]), ())) if index else []
        if scans:
            found += [entry for entry in scans if entry.matcher.match(rule)]
        for entry in found:
            entry.hits += 1
        return found

    def unmatched_warnings(self) -> list[str]:
        return [f"warning: {where(e.path, e.line)}policy line matches no rule: {e.text}" for e in self.lines
                if e.hits == 0]


class ByFile:
    """A group or filename matcher asked once per rule file, not once per rule: same answer for the file."""

    def __init__(self, matcher):
        self.matcher, self.answers = matcher, {}

    def match(self, rule) -> bool:
        group = rule["group"]
        if group not in self.answers:
            self.answers[group] = self.matcher.match(rule)
        return self.answers[group]


def load_policy(policy_dir: Path) -> Policy:
    policy = Policy()
    for name in FILES:
        path = policy_dir / name
        if path.exists():
            for number, text in policy_lines(path):
                policy.add(parse_line(path, number, text, name.split(".")[0]))
    return policy


def policy_lines(path: Path):
    """(line number, text) of each line that is not blank or a comment, trailing ' # comment' cut."""
    data = path.read_bytes()
    if len(data) > MAX_POLICY_BYTES:
        raise RulesetError(f"larger than {MAX_POLICY_BYTES} bytes", path)
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            line = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise RulesetError("not UTF-8 text", path, number) from None
        if line and not line.startswith("#"):
            yield number, line.split(" #", 1)[0].strip()


def parse_line(path: Path, number: int, text: str, action: str) -> PolicyLine:
    """One policy line as a PolicyLine; RulesetError (file:line) when it cannot be read."""
    if action == "modify":
        matcher, run = _modify_filter(path, number, text)
        return PolicyLine(path, number, text, action, matcher, run)
    matcher = parse_match(text)
    if matcher is None:
        raise RulesetError(f"not a rule match (use a sid, group:, filename:, re:, msg:, classtype:, metadata: "
                           f"or *): {text[:120]}", path, number)
    run = su_matchers.DropRuleFilter(matcher) if action == "drop" else None
    return PolicyLine(path, number, text, action, matcher, run)


def _modify_filter(path: Path, number: int, text: str):
    try:
        tokens = shlex.split(re.sub(r"\\\$", "$", text))
    except ValueError as exc:
        raise RulesetError(f"cannot split line: {exc}", path, number) from None
    if len(tokens) != 3:
        raise RulesetError("expected: <match> \"<regular expression>\" \"<replacement>\"", path, number)
    matcher = parse_match(tokens[0])
    if matcher is None:
        raise RulesetError(f"not a rule match: {tokens[0][:120]}", path, number)
    try:
        pattern = re.compile(tokens[1])
    except re.error as exc:
        raise RulesetError(f"bad regular expression: {exc}", path, number) from None
    replacement = re.sub(r"\$\{(\d+)\}", r"\\\1", tokens[2])
    return matcher, su_matchers.ModifyRuleFilter(matcher, pattern, replacement)


def apply(policy: Policy, rulemap: dict) -> list[str]:
    """Change the rules in `rulemap` (gid, sid -> rule) in place; return the messages."""
    messages = []
    for key, rule in list(rulemap.items()):
        if policy.matching("disable", rule) and rule.enabled:
            rule.enabled = False
        if policy.matching("enable", rule) and not rule.enabled:
            rule.enabled = True
        for entry in policy.matching("drop", rule):
            if not rule.noalert:
                rule = _keep_origin(rule, entry.run.run(rule))
        for entry in policy.matching("modify", rule):
            changed = entry.run.run(rule)
            if changed is rule:
                messages.append(f"error: {where(entry.path, entry.line, rule.sid)}the modification does not "
                                "give a valid rule; rule left unchanged")
            rule = _keep_origin(rule, changed)
        rulemap[key] = rule
    return messages + policy.unmatched_warnings()


def _keep_origin(old, new):
    for key in ("ops_source", "ops_line"):
        new[key] = old.get(key)
    new["group"] = old["group"]
    new.enabled = old.enabled
    return new


def resolve_flowbits(rulemap: dict) -> list:
    """Enable (as noalert) the rules that set flowbits enabled rules check: suricata-update's resolver."""
    resolver, enabled = rule_mod.FlowbitResolver(), []
    while True:
        required = resolver.get_required_flowbits(rulemap)
        needed = resolver.get_required_rules(rulemap, required)
        if not needed:
            return enabled
        for rule in needed:
            rule.enabled = True
            rule.noalert = True
            enabled.append(rule)


def check_text(path: Path, action: str, text: str) -> None:
    """Raise RulesetError (file:line) if any line of a policy file's new text cannot be read."""
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            parse_line(path, number, line.split(" #", 1)[0].strip(), action)


def write_text(path: Path, action: str, text: str) -> None:
    if len(text.encode()) > MAX_POLICY_BYTES:
        raise RulesetError(f"larger than {MAX_POLICY_BYTES} bytes", path)
    check_text(path, action, text)
    atomic_write(path, text.replace("\r\n", "\n").encode())
