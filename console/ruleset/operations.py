"""The rule manager's other work: deploy to sensors, rule tests, rule search, sources and policy edits.

Same conventions as console/ruleset/service.py: Session and Actor in, rules.manage
checked for changes, an audit record for each, the caller commits.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.errors import NotFound, ValidationFailed
from console.models.rules import RuleDeployment, RuleTestRun
from console.access import audit
from console.access.actor import Actor
from console.access.permissions import require
from console.ruleset import preview
from console.ruleset.deploy_ansible import AnsibleTarget
from console.ruleset.service import active_version, get_version, rules_config
from rules import deploy, modes, policy, sources, testing, versions
from rules.build import RULES_FILE, THRESHOLD_FILE, read_manifest
from rules.config import RulesConfig
from rules.errors import RulesetError
from rules.files import atomic_write

POLICY_FILES = {"enable.conf": "enable", "disable.conf": "disable", "drop.conf": "drop", "modify.conf": "modify"}
_MANIFESTS: dict[Path, tuple[float, list[dict]]] = {}


def deploy_active(session: Session, actor: Actor, *, sensors: list[str] | None = None,
                  config: RulesConfig | None = None, progress=None) -> list[deploy.DeployResult]:
    """Push the active version to the named sensors (default: all configured) and reload each.

    The console runs this as a background task (console.tasks): an "ansible" push runs a playbook
    job, which takes minutes. `progress(text)`, when given, is told which sensor is being pushed.
    """
    require(actor, "rules.manage")
    cfg = rules_config(session, config)
    active = active_version(session)
    if active is None:
        raise RulesetError("no active ruleset version: run `ops rules update` first")
    chosen = [s for s in cfg.sensors if sensors is None or s.name in sensors]
    unknown = set(sensors or []) - {s.name for s in cfg.sensors}
    if unknown:
        raise NotFound(f"no sensor named {', '.join(sorted(unknown))} in [rules] sensors")
    # A drop that would have blocked inventory hosts' traffic on an IPS sensor waits for a second person.
    inline = {s.name for s in chosen if s.mode == "ips"}
    if inline:
        previews = [p for p in preview.would_block(session, active.number, config=cfg) if p.sensor in inline]
        preview.check_approved(session, active.number, previews)
    # Every push before any write here: an "ansible" push runs a job that writes through its own
    # sessions, which must not wait on a write lock this session holds (SQLite).
    folder = versions.folder(cfg.var_dir, active.number)
    results = []
    for index, sensor in enumerate(chosen, start=1):
        if progress is not None:
            progress(f"{index}/{len(chosen)} {sensor.name}")
        results.append(_target(sensor, session, actor).push(modes.folder_for(folder, sensor.mode), active.number))
    for sensor, result in zip(chosen, results):
        session.add(RuleDeployment(sensor=sensor.name, version_number=active.number, deployed_by=actor.username[:64],
                                   status="ok" if result.ok else "failed", rules_loaded=result.rules_loaded,
                                   rules_failed=result.rules_failed, message=result.message[:1024]))
        audit.record(session, actor, "rules.deploy", "sensor", sensor.name, outcome="success" if result.ok else "failure",
                     version=active.number, rules_loaded=result.rules_loaded, rules_failed=result.rules_failed)
    session.flush()
    return results


def _target(sensor, session: Session, actor: Actor) -> deploy.Target:
    if sensor.kind == "ansible":
        return AnsibleTarget(sensor, session, actor)
    return deploy.target_for(sensor)


def deployments(session: Session, limit: int = 50) -> list[RuleDeployment]:
    return list(session.scalars(select(RuleDeployment).order_by(RuleDeployment.id.desc()).limit(limit)))


def run_tests(session: Session, actor: Actor, *, number: int | None = None, config: RulesConfig | None = None,
              junit_path: Path | None = None) -> RuleTestRun:
    """Run every spec in tests_dir against a version (default: the active one) with real Suricata.

    The sids under test are run enabled even where the policy disables them:
    a test proves what a rule detects; whether it runs on sensors is policy.
    """
    require(actor, "rules.manage")
    cfg = rules_config(session, config)
    row = get_version(session, number) if number else active_version(session)
    if row is None:
        raise RulesetError("no ruleset version to test: run `ops rules update` first")
    folder = versions.folder(cfg.var_dir, row.number)
    cases = testing.load_specs(cfg.tests_dir)
    rules_path = cfg.var_dir / "test-results" / RULES_FILE
    atomic_write(rules_path, _enabled_for_test(folder / RULES_FILE, {c.sid for c in cases}))
    testing.run(cases, cfg.suricata, rules_path, folder / THRESHOLD_FILE, cfg.test_home_net)
    xml = testing.junit_xml(cases)
    atomic_write(cfg.var_dir / "test-results" / "junit.xml", xml)
    if junit_path is not None:
        atomic_write(junit_path, xml)
    results = testing.results(cases)
    run = RuleTestRun(version_number=row.number, ran_by=actor.username[:64], results=results,
                      passed=sum(1 for r in results if r["passed"]), failed=sum(1 for r in results if not r["passed"]))
    session.add(run)
    session.flush()
    audit.record(session, actor, "rules.test", "ruleset_version", row.number,
                 outcome="success" if run.failed == 0 else "failure", passed=run.passed, failed=run.failed)
    return run


def _enabled_for_test(rules_path: Path, sids: set[int]) -> bytes:
    lines = []
    for line in rules_path.read_text(encoding="utf-8").splitlines():
        found = re.search(r"\bsid\s*:\s*(\d+)", line)
        if line.startswith("# ") and found and int(found.group(1)) in sids:
            line = line[2:]
        lines.append(line)
    return ("\n".join(lines) + "\n").encode()


def latest_test_run(session: Session) -> RuleTestRun | None:
    return session.scalar(select(RuleTestRun).order_by(RuleTestRun.id.desc()).limit(1))


def search_rules(session: Session, *, sid: int | None = None, text: str = "", classtype: str = "",
                 enabled: bool | None = None, source: str = "", number: int | None = None, offset: int = 0,
                 limit: int = 50, config: RulesConfig | None = None) -> tuple[list[dict], int]:
    """Rules of a version (default: active) that match every given filter; (page, total matches)."""
    cfg = rules_config(session, config)
    row = get_version(session, number) if number else active_version(session)
    if row is None:
        return [], 0
    needle = text.lower()
    found = [r for r in _manifest(versions.folder(cfg.var_dir, row.number))
             if (sid is None or r["sid"] == sid) and (not needle or needle in r["msg"].lower())
             and (not classtype or r["classtype"] == classtype) and (enabled is None or r["enabled"] == enabled)
             and (not source or r["source"] == source)]
    return found[offset:offset + limit], len(found)


def _manifest(folder: Path) -> list[dict]:
    path = folder / "manifest.json"
    stamp = path.stat().st_mtime if path.exists() else 0.0
    cached = _MANIFESTS.get(folder)
    if cached is None or cached[0] != stamp:
        _MANIFESTS.clear()
        cached = _MANIFESTS[folder] = (stamp, read_manifest(folder)["rules"])
    return cached[1]


def list_sources(session: Session, *, config: RulesConfig | None = None) -> list[sources.Source]:
    return sources.read_sources(rules_config(session, config).sources_file)


def change_source(session: Session, actor: Actor, action: str, name: str, *, kind: str = "", location: str = "",
                  config: RulesConfig | None = None) -> sources.Source:
    """add, enable, disable or remove a source in sources.yaml."""
    require(actor, "rules.manage")
    path = rules_config(session, config).sources_file
    if action == "add":
        found = sources.add_source(path, sources.Source(name, kind, location))
    elif action in ("enable", "disable"):
        found = sources.set_enabled(path, name, action == "enable")
    elif action == "remove":
        found = sources.remove_source(path, name)
    else:
        raise ValidationFailed("action", "must be add, enable, disable or remove")
    audit.record(session, actor, f"rules.source.{action}", "rule_source", name, **asdict(found))
    return found


def read_policy(session: Session, name: str, *, config: RulesConfig | None = None) -> str:
    path = _policy_path(rules_config(session, config), name)
    return path.read_text(encoding="utf-8") if path.exists() else ""


def write_policy(session: Session, actor: Actor, name: str, text: str, *, config: RulesConfig | None = None) -> None:
    """Replace a policy file after every line was checked (RulesetError names the bad line)."""
    require(actor, "rules.manage")
    cfg = rules_config(session, config)
    path = _policy_path(cfg, name)
    before = read_policy(session, name, config=cfg)
    if name == "threshold.config":
        _check_threshold(path, text)
        atomic_write(path, text.replace("\r\n", "\n").encode())
    else:
        policy.write_text(path, POLICY_FILES[name], text.replace("\r\n", "\n"))
    audit.record(session, actor, "rules.policy.edit", "policy_file", name,
                 lines_before=before.count("\n"), lines_after=text.count("\n"))


def _policy_path(cfg: RulesConfig, name: str) -> Path:
    if name == "threshold.config":
        return cfg.threshold_file
    if name not in POLICY_FILES:
        raise NotFound(f"no policy file {name!r}")
    return cfg.policy_dir / name


def _check_threshold(path: Path, text: str) -> None:
    from rules.threshold import LINE

    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and " re:" not in stripped and not LINE.match(stripped):
            raise RulesetError("not a threshold, event_filter, rate_filter or suppress line", path, number)
