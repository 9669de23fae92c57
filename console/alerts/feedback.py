"""The one door from alert triage to the rule manager (`console.ruleset.service`).

A confirmed false positive becomes a suppression in threshold.config or a
disable, which the rule manager validates with suricata -T and stores as a
new ruleset version; a refusal (bad input, or a build Suricata rejects) is
kept on the group as "failed" with the rule manager's own messages, and the
active version stays in force.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from console.ruleset import service as rules_service
from console.access.actor import Actor
from rules.errors import RulesetError


@dataclass
class FeedbackOutcome:
    status: str  # applied or failed
    version_number: int | None = None
    messages: list[str] = field(default_factory=list)


def apply(session: Session, actor: Actor, kind: str, sid: int, track: str, ip: str, reason: str) -> FeedbackOutcome:
    """Ask the rule manager for a suppression (kind "suppress") or a disable; it validates and versions."""
    try:
        if kind == "suppress":
            outcome = rules_service.suppress(session, actor, sid=sid, track=track, ip=ip, reason=reason)
        else:
            outcome = rules_service.disable(session, actor, sid=sid, reason=reason)
    except RulesetError as exc:
        return FeedbackOutcome("failed", None, [str(exc)])
    messages = [str(message) for message in (outcome.messages or [])]
    return FeedbackOutcome("applied" if outcome.ok else "failed", outcome.version_number, messages)
