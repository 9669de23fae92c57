"""A candidate ruleset from the sources and the policy: read, parse, apply, resolve, write.

`build` reads every enabled source and rules/local/, parses them with
suricata-update's parser (through a ParseCache), keeps one rule per gid:sid
(the higher rev; a warning names both places), disables the rules of what
the sensor's suricata.yaml turns off (protocols.py: app-layer protocols
before the policy, ja3 after it, as suricata-update), applies the policy, enables
what flowbits need, expands threshold.config and writes the candidate folder
in one rename: ops.rules (disabled rules commented out, as suricata-update
writes them), threshold.config and manifest.json (every rule with its source
file and line, and the line it has in ops.rules). Nothing is validated here:
validate.py runs Suricata over the candidate.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from rules import bundled, download, policy, protocols, sources, threshold
from rules.config import RulesConfig
from rules.errors import RulesetError, where
from rules.files import atomic_symlink
from rules.parse import ParseCache, digest

RULES_FILE, THRESHOLD_FILE, MANIFEST_FILE = "ops.rules", "threshold.config", "manifest.json"
IGNORED = ("deleted.rules",)  # suricata-update's default ignore: ET's list of retired rules


@dataclass
class Candidate:
    folder: Path
    rules: list[dict]
    messages: list[str] = field(default_factory=list)
    left_out: list[dict] = field(default_factory=list)  # lines of the sources that are not in the candidate

    @property
    def refused(self) -> list[dict]:
        """Rules left out for their content (not for their encoding): the service refuses these unless allowed."""
        return [entry for entry in self.left_out if entry["kind"] == "refused"]

    @property
    def rules_path(self) -> Path:
        return self.folder / RULES_FILE

    @property
    def threshold_path(self) -> Path:
        return self.folder / THRESHOLD_FILE

    @property
    def enabled(self) -> int:
        return sum(1 for r in self.rules if r["enabled"])


def source_files(config: RulesConfig, offline: bool = False, cache: ParseCache | None = None,
                 messages: list[str] | None = None) -> list[sources.SourceFile]:
    """The rule files of rules/local/ and of every enabled source; `messages` gets what the build should say."""
    files = []
    messages = [] if messages is None else messages
    if config.local_dir.is_dir():
        files += sources.read_directory(sources.LOCAL, config.local_dir, config.max_source_bytes)
    for source in sources.read_sources(config.sources_file):
        if source.enabled:
            files += _read_source(config, source, offline, cache or ParseCache(), messages)
    return files


def _read_source(config: RulesConfig, source: sources.Source, offline: bool, cache: ParseCache,
                 messages: list[str]):
    if source.kind == sources.BUNDLED:
        files, said = bundled.read(source.location, config.suricata, config.max_source_bytes)
        messages += said
        return files
    if source.kind == "directory":
        return sources.read_directory(source.name, Path(source.location), config.max_source_bytes)
    if source.kind == "file":
        return _read_archive(cache, source.name, Path(source.location), source.location, config.max_source_bytes)
    cached = config.var_dir / "downloads" / f"{source.name}.download"
    if not offline or not cached.exists():
        cached = download.download(source.name, source.location, cached.parent, config.max_source_bytes)
    return _read_archive(cache, source.name, cached, source.location.rsplit("/", 1)[-1], config.max_source_bytes)


def _read_archive(cache: ParseCache, source: str, path: Path, name: str, max_bytes: int) -> list[sources.SourceFile]:
    """A tarball, zip or .rules file, unpacked once per (path, mtime, size) while the cache lives."""
    try:
        stat = path.stat()
    except OSError:
        return sources.read_file(source, path, max_bytes)  # names the missing file
    key = (source, str(path), name, stat.st_mtime_ns, stat.st_size)
    if key not in cache.archives:
        if name.endswith(".rules"):
            files = [sources.SourceFile(source, f"{source}/{name}", path.read_bytes())]
        else:
            files = sources.read_file(source, path, max_bytes)
        cache.archives = {k: v for k, v in cache.archives.items() if k[0] != source}
        cache.archives[key] = files
    return cache.archives[key]


def build(config: RulesConfig, cache: ParseCache | None = None, offline: bool = False) -> Candidate:
    """Write var/rules/candidate; raise RulesetError when a source or the policy cannot be used.

    The cyclic garbage collector is paused while it runs: a build makes tens of
    thousands of small dicts and lists, none of them cyclic, and full
    collections over the cached rules took a third of a rebuild's time.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        return _build(config, cache or ParseCache(), offline)
    finally:
        if paused:
            gc.enable()


def _build(config: RulesConfig, cache: ParseCache, offline: bool) -> Candidate:
    messages, parsed, bundled_count, left_out = [], [], 0, []
    for source_file in source_files(config, offline, cache, messages):
        if source_file.label.endswith(IGNORED):
            continue
        result = cache.parse(source_file)
        messages += [f"error: {p}" for p in result.problems]
        left_out += result.left_out
        parsed += result.rules
        bundled_count += len(result.rules) if source_file.source == sources.BUNDLED else 0
    if bundled_count:
        messages.append(f"info: {bundled_count} rules from source {sources.BUNDLED} (Suricata's bundled rules)")
    rulemap = _rule_map(parsed, messages)
    # suricata-update's order (suricata.update.main._main): protocols turned off join disable.conf, before
    # enable.conf; ja3 after the policy; flowbits last
    suriconf, said = protocols.load(config.suricata, config.suricata_yaml, cache.suricata_conf)
    messages += said + protocols.disable_app_layer(suriconf, rulemap, config.suricata_yaml)
    rules_policy = policy.load_policy(config.policy_dir)
    messages += policy.apply(rules_policy, rulemap)
    messages += protocols.disable_ja3(suriconf, rulemap, config.suricata_yaml)
    flowbit_rules = policy.resolve_flowbits(rulemap)
    if flowbit_rules:
        messages.append(f"info: {len(flowbit_rules)} rules enabled (noalert) for flowbits other rules check")
    threshold_text, warnings = threshold.expand(config.threshold_file, rulemap)
    return _write(config.var_dir, list(rulemap.values()), threshold_text, messages + warnings, left_out)


def _rule_map(parsed: list, messages: list[str]) -> dict:
    rulemap = {}
    for rule in parsed:
        key = (rule["gid"], rule["sid"])
        seen = rulemap.get(key)
        if seen is None:
            rulemap[key] = rule
            continue
        keep = rule if rule.rev > seen.rev else seen
        messages.append(f"warning: {where(rule.group, rule['ops_line'], rule.sid)}duplicate sid {rule.gid}:{rule.sid}, "
                        f"also at {seen.group}:{seen['ops_line']}; keeping rev {keep.rev} from "
                        f"{keep.group}:{keep['ops_line']}")
        rulemap[key] = keep
    return rulemap


def _write(var_dir: Path, rules: list, threshold_text: str, messages: list[str], left_out: list[dict]) -> Candidate:
    var_dir.mkdir(parents=True, exist_ok=True)
    staging = var_dir / f".candidate-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        lines, manifest = [], []
        for number, rule in enumerate(rules, start=1):
            text = rule.format()
            lines.append(text)
            manifest.append(manifest_entry(rule, number))
        (staging / RULES_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
        (staging / THRESHOLD_FILE).write_text(threshold_text, encoding="utf-8")
        (staging / MANIFEST_FILE).write_text(json.dumps({"rules": manifest, "messages": messages,
                                                                  "left_out": left_out}), encoding="utf-8")
        target = var_dir / "candidate"
        publish(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Candidate(target, manifest, messages, left_out)


def manifest_entry(rule, out_line: int) -> dict:
    # enabled and noalert are read as attributes: suricata-update sets them that way
    return {"gid": rule["gid"], "sid": rule["sid"], "rev": rule["rev"], "enabled": bool(rule.enabled),
            "noalert": bool(rule.noalert), "action": rule["action"], "msg": rule["msg"] or "",
            "classtype": rule.get("classtype") or "", "source": rule.get("ops_source") or "",
            "file": rule["group"] or "", "line": rule.get("ops_line"), "out_line": out_line,
            "digest": rule["ops_digest"] if "ops_digest" in rule else digest(rule["raw"])}


def publish(folder: Path, link: Path) -> None:
    """Point the symlink `link` at `folder` in one rename, then remove what it pointed at before."""
    old = link.parent / os.readlink(link) if link.is_symlink() else None
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)
    atomic_symlink(folder.name, link)
    if old is not None and old.resolve() != folder.resolve():
        shutil.rmtree(old, ignore_errors=True)


def read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RulesetError(f"cannot read manifest: {exc}", path) from None
