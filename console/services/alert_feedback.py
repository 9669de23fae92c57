"""The one door from alert triage to the rule manager (another part, `console.services.rules`).

The rule manager is imported lazily: where it is not installed, the
proposal stays pending with the message "rule manager not installed" and
nothing else changes. Its interface, as agreed:
  rules.suppress(session, actor, sid=int, track="by_src"|"by_dst", ip=str, reason=str)
  rules.disable(session, actor, sid=int, reason=str)
  -> outcome with .ok: bool, .version_number: int | None, .messages: list[str]
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from console.services.actor import Actor

NOT_INSTALLED = "rule manager not installed"


@dataclass
class FeedbackOutcome:
    status: str  # applied, failed or pending
    version_number: int | None = None
    messages: list[str] = field(default_factory=list)


def _rules_service():
    try:
        from console.services import rules as rules_service
    except ImportError:
        return None
    return rules_service


def apply(session: Session, actor: Actor, kind: str, sid: int, track: str, ip: str, reason: str) -> FeedbackOutcome:
    """Ask the rule manager for a suppression (kind "suppress") or a disable; it validates, versions, deploys."""
    rules_service = _rules_service()
    if rules_service is None:
        return FeedbackOutcome("pending", None, [NOT_INSTALLED])
    if kind == "suppress":
        outcome = rules_service.suppress(session, actor, sid=sid, track=track, ip=ip, reason=reason)
    else:
        outcome = rules_service.disable(session, actor, sid=sid, reason=reason)
    messages = [str(message) for message in (outcome.messages or [])]
    return FeedbackOutcome("applied" if outcome.ok else "failed", outcome.version_number, messages)
