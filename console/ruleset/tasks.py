"""The rule manager's background work, registered with the task queue (console/tasks).

A build runs `suricata -T` (about 15 s, up to a minute), so the console never builds inside a request:
"Build and validate" (rules.build), a bulk edit from the rule search (rules.bulk), a deploy (rules.deploy)
and the scheduled update (rules.update) are tasks; the page follows the task, the API answers 202.
A refused build fails its task with suricata -T's own messages (file, line, sid) as the reason, and
the result keeps every message.
"""

from __future__ import annotations

from dataclasses import asdict

from console.db import session_scope
from console.tasks.registry import register


def refusal(messages: list[str]) -> str:
    """A refused build's reason: its error lines (suricata -T's, the parser's), else a plain sentence."""
    return "; ".join(line for line in messages if line.startswith("error"))[:2000] or "the build was refused"


def rules_build(settings, factory, actor, params: dict, progress) -> dict:
    """Build and validate (suricata -T); activate on success. A refused build is on record, the active one stays."""
    from console.ruleset import service

    progress("building and validating with suricata -T", final=True)
    with session_scope(factory) as session:
        outcome = service.build_version(session, actor, reason=str(params.get("reason", ""))[:200],
                                        offline=bool(params.get("offline")),
                                        allow_refused=bool(params.get("allow_refused")))
    found = asdict(outcome)
    if not outcome.ok:
        found["failure"] = refusal(outcome.messages)
    return found


def rules_bulk(settings, factory, actor, params: dict, progress) -> dict:
    """A bulk disable, enable or drop (console/ruleset/bulk.py): checked again here, one edit, one build."""
    from console.ruleset import bulk

    rule_filter = bulk.parse_filter(params["filter"]) if params.get("filter") is not None else None
    progress("building and validating with suricata -T", final=True)
    with session_scope(factory) as session:
        outcome = bulk.bulk_change(session, actor, action=params.get("action", ""), reason=params.get("reason", ""),
                                   sids=params.get("sids"), rule_filter=rule_filter,
                                   expected=params.get("expected"))
    found = asdict(outcome)
    if not outcome.ok:
        found["failure"] = refusal(outcome.messages)
    return found


def rules_deploy(settings, factory, actor, params: dict, progress) -> dict:
    from console.ruleset import operations

    with session_scope(factory) as session:
        results = operations.deploy_active(session, actor, sensors=params.get("sensors"),
                                           progress=lambda text: progress(text, final=True))
    found = {"sensors": [asdict(r) for r in results]}
    failed = [f"{r.sensor}: {r.message}" for r in results if not r.ok]
    if not results:
        found["failure"] = "no sensors are configured in [rules] sensors"
    elif failed:
        found["failure"] = "; ".join(failed)
    return found


def rules_update(settings, factory, actor, params: dict, progress) -> dict:
    """The scheduled update: download the url sources, build and check; a changed ruleset is activated and deployed.

    A build that fails validation keeps the active version; the failure is the task's reason and, through
    the build's own transaction, a rules.build_refused notification.
    """
    from console.ruleset import operations
    from console.ruleset import service as ruleset

    progress("building", final=False)
    with session_scope(factory) as session:
        before = ruleset.active_version(session)
        outcome = ruleset.build_version(session, actor, reason="scheduled update", skip_unchanged=True)
    if not outcome.ok:
        return {"failure": refusal(outcome.messages), "messages": outcome.messages[-20:]}
    changed = before is None or outcome.version_number != before.number
    found = {"version": outcome.version_number, "changed": changed, "messages": outcome.messages[-20:]}
    if changed and settings.rules.sensors:
        with session_scope(factory) as session:
            results = operations.deploy_active(session, actor, progress=lambda text: progress(text, final=True))
        found["sensors"] = [asdict(r) for r in results]
        failed = [f"{r.sensor}: {r.message}" for r in results if not r.ok]
        if failed:
            found["failure"] = "; ".join(failed)
    return found


register("rules.deploy", "rules.manage", "deploy the active ruleset to sensors", rules_deploy)
register("rules.update", "rules.manage", "update the url sources, build, validate and deploy a changed ruleset",
         rules_update)
register("rules.build", "rules.manage", "build a ruleset version and validate it with suricata -T", rules_build)
register("rules.bulk", "rules.manage", "disable, enable or drop many rules in one build", rules_bulk)
