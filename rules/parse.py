"""Rule files to rules, with suricata-update's parser, keeping where each rule came from.

suricata-update's `rule.parse` reads one rule; this module feeds it line by
line (joining lines continued with a backslash) so that every rule knows its
file and line, and every line it cannot use becomes a message naming file,
line and, where one can be read, the sid. Such lines are left out, and each
is listed in `ParsedFile.left_out` with its kind:

- "encoding": a line that is not UTF-8. suricata-update logs it and goes on
  without it; so does a build (docs/rules.md).
- "refused": a line that is text but not a rule we can use (longer than
  MAX_RULE_CHARS, a syntax error, a rule suricata-update's parser rejects).
  The service refuses a build that leaves such a rule out, unless the caller
  allows it (`ops rules update --allow-refused`): a rule dropped without
  anyone deciding it is a detection lost.

Suricata's own check (validate.py) has the last word on the rules that remain.

Parsed files are kept in a `ParseCache` by content digest, so a rebuild after
a policy change does not parse 30,000 rules again.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from suricata.update import rule as rule_mod

from rules.errors import where
from rules.sources import SourceFile

ACTION_START = re.compile(r"^#?\s*(alert|drop|pass|reject|rejectsrc|rejectdst|rejectboth|log|sdrop)\s+\S+")
SID = re.compile(r"\bsid\s*:\s*(\d+)")
MAX_RULE_CHARS = 64 * 1024


LEFT_OUT_KINDS = ("encoding", "refused")


@dataclass
class ParsedFile:
    rules: list = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    left_out: list[dict] = field(default_factory=list)  # {file, line, sid, kind, reason}, one per problem

    def leave_out(self, label: str, line: int, sid: int | None, kind: str, reason: str) -> None:
        self.problems.append(f"{where(label, line, sid)}{reason}")
        self.left_out.append({"file": label, "line": line, "sid": sid, "kind": kind, "reason": reason})


class ParseCache:
    """Parsed files by (label, sha256 of content); callers get fresh copies of the rules."""

    def __init__(self):
        self.entries: dict[tuple[str, str], ParsedFile] = {}
        self.archives: dict[tuple, list] = {}  # (path, mtime, size) -> SourceFiles read from it
        self.suricata_conf: dict[tuple, tuple] = {}  # suricata.yaml as dumped by Suricata (protocols.load)

    def parse(self, source_file: SourceFile) -> ParsedFile:
        key = (source_file.label, hashlib.sha256(source_file.content).hexdigest())
        parsed = self.entries.get(key)
        if parsed is None:
            parsed = parse_file(source_file)
            self.entries = {k: v for k, v in self.entries.items() if k[0] != source_file.label}
            self.entries[key] = parsed
        return ParsedFile([clone(r) for r in parsed.rules], list(parsed.problems), [dict(e) for e in parsed.left_out])


def digest(raw: str) -> str:
    """A short digest of a rule's text: the diff calls a rule modified when it changes."""
    return hashlib.sha1(raw.encode()).hexdigest()[:16]


def clone(rule):
    """A copy the policy may change without touching the cached rule."""
    copy = dict.__new__(rule_mod.Rule)
    dict.update(copy, rule)
    return copy


def parse_file(source_file: SourceFile) -> ParsedFile:
    result = ParsedFile()
    pending, start = "", 0
    for number, raw in enumerate(source_file.content.split(b"\n"), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            sid = _sid(raw.decode("utf-8", "replace"))
            result.leave_out(source_file.label, number, sid, "encoding", _not_utf8(raw, exc))
            pending = ""
            continue
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        text, pending = pending + line, ""
        _parse_line(source_file, start, text, result)
    return result


def _parse_line(source_file: SourceFile, number: int, text: str, result: ParsedFile) -> None:
    stripped = text.strip()
    if not stripped or (stripped.startswith("#") and not ACTION_START.match(stripped)):
        return
    sid = _sid(stripped)
    if len(stripped) > MAX_RULE_CHARS:
        result.leave_out(source_file.label, number, sid, "refused", f"rule longer than {MAX_RULE_CHARS} characters")
        return
    try:
        parsed = rule_mod.parse(stripped, source_file.label)
    except Exception as exc:  # the parser raises bare Exceptions of several kinds
        result.leave_out(source_file.label, number, sid, "refused", f"cannot parse rule: {exc or type(exc).__name__}")
        return
    if parsed is None:
        if not stripped.startswith("#"):
            result.leave_out(source_file.label, number, sid, "refused", f"not a rule (syntax error): {stripped[:120]}")
        return
    parsed["ops_source"] = source_file.source
    parsed["ops_line"] = number
    parsed["ops_digest"] = digest(parsed["raw"])
    result.rules.append(parsed)


def _sid(text: str) -> int | None:
    found = SID.search(text)
    return int(found.group(1)) if found else None


def _not_utf8(raw: bytes, exc: UnicodeDecodeError) -> str:
    return f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); line left out"
