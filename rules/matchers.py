"""Which rules a policy line names: suricata-update's matchers, and three of ours.

suricata-update reads a sid (`2000001`, `1:2000001`, `2000001,2000002`), a
group (`group:emerging-scan`, `emerging-scan.rules`), a file name
(`filename:et-open/rules/*.rules`), a regular expression on the whole rule
(`re:...`) and `*`. We add `classtype:<name>`, `msg:<regular expression>`
(on the msg only, case-insensitive) and a `metadata:<key> <value>` matcher
that does not print to stdout as suricata-update 1.3's does. Every matcher
has the suricata-update shape: `parse(text)` returns one or None, `match(rule)`.
"""

from __future__ import annotations

import contextlib
import io
import re

from suricata.update import matchers as su_matchers


class ClasstypeMatcher:
    def __init__(self, classtype: str):
        self.classtype = classtype.lower()

    def match(self, rule) -> bool:
        return (rule.classtype or "").lower() == self.classtype

    @classmethod
    def parse(cls, text: str):
        if text.startswith("classtype:"):
            value = text.split(":", 1)[1].strip()
            return cls(value) if re.fullmatch(r"[A-Za-z0-9_-]+", value) else None
        return None


class MsgMatcher:
    def __init__(self, pattern: re.Pattern):
        self.pattern = pattern

    def match(self, rule) -> bool:
        return bool(self.pattern.search(rule.msg or ""))

    @classmethod
    def parse(cls, text: str):
        if text.startswith("msg:"):
            try:
                return cls(re.compile(text.split(":", 1)[1].strip(), re.I))
            except re.error:
                return None
        return None


class MetadataMatcher:
    """`metadata:signature_severity major` matches a rule carrying that key and value (any case)."""

    def __init__(self, key: str, value: str):
        self.key, self.value, self.wanted = key, value, f"{key} {value}"

    def match(self, rule) -> bool:
        wanted = self.wanted
        return any(" ".join(entry.split()).lower() == wanted for entry in rule["metadata"])

    @classmethod
    def parse(cls, text: str):
        if text.startswith("metadata:"):
            parts = text.split(":", 1)[1].strip().split(" ", 1)
            if len(parts) == 2 and parts[1].strip():
                return cls(parts[0].strip().lower(), parts[1].strip().lower())
        return None


OURS = (ClasstypeMatcher, MsgMatcher, MetadataMatcher)


def parse_match(text: str):
    """A matcher for `text`, or None when no matcher reads it."""
    text = text.strip()
    for kind in OURS:
        matcher = kind.parse(text)
        if matcher is not None:
            return matcher
    if text.startswith(("metadata:", "classtype:", "msg:")):
        return None
    with contextlib.redirect_stdout(io.StringIO()):  # suricata-update's metadata parser prints
        return su_matchers.parse_rule_match(text)


def sid_keys(matcher) -> list[tuple[int, int]] | None:
    """(gid, sid) pairs for a sid matcher, so the policy can look rules up instead of scanning."""
    if isinstance(matcher, su_matchers.IdRuleMatcher):
        return list(matcher.signatureIds)
    return None
