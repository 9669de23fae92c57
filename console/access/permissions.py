"""Which role may do what: the one table every view, API call and CLI command checks.

auditor is read-only. Areas that later issues build (alerts, rules, jobs,
compliance) have their permissions here already so that the navigation and
the API can ask the same question everywhere.
"""

from __future__ import annotations

from console.errors import PermissionDenied
from console.models.users import Role
from console.access.actor import Actor

__all__ = ["require"]

ALL = frozenset(Role)

PERMISSIONS: dict[str, frozenset[Role]] = {
    "view": ALL,
    "profile.edit": ALL,
    "audit.view": frozenset({Role.admin, Role.auditor, Role.security_officer}),
    "users.view": frozenset({Role.admin, Role.auditor}),
    "users.manage": frozenset({Role.admin}),
    "tokens.manage": ALL,  # a token carries its owner's role: an auditor's reads only
    "inventory.sync": frozenset({Role.admin, Role.it_staff}),
    "agents.manage": frozenset({Role.admin, Role.it_staff}),
    "devices.poll": frozenset({Role.admin, Role.it_staff}),
    "endpoints.sync": frozenset({Role.admin, Role.it_staff}),
    "alerts.triage": frozenset({Role.admin, Role.security_officer}),
    "rules.manage": frozenset({Role.admin, Role.security_officer}),
    "jobs.run": frozenset({Role.admin, Role.it_staff}),
    # Fix with Ansible: start a check job and apply it; a critical control's approval may also come from
    # a security officer (never from the person who started it or applies it: console.remediation.service).
    "remediation.run": frozenset({Role.admin, Role.it_staff}),
    "remediation.approve": frozenset({Role.admin, Role.it_staff, Role.security_officer}),
    "compliance.run": frozenset({Role.admin, Role.it_staff, Role.security_officer}),
    "compliance.waive": frozenset({Role.admin}),
    "compliance.evidence": frozenset({Role.admin, Role.security_officer}),
    "systems.manage": frozenset({Role.admin}),
    "incidents.manage": frozenset({Role.admin, Role.security_officer}),
    "notify.manage": frozenset({Role.admin}),
    "vulns.import": frozenset({Role.admin, Role.it_staff, Role.security_officer}),  # Debian's tracker data
    "vulns.waive": frozenset({Role.admin}),  # test messages, retries; channels and rules live in ops.toml
}


def allowed(role: Role | None, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return role is not None and role in PERMISSIONS[permission]


class Denied(PermissionDenied):
    """Carries who was refused what, so the one handler can audit-log it."""

    def __init__(self, actor: Actor, permission: str):
        self.actor, self.permission = actor, permission
        role = actor.role.value if actor.role else "anonymous"
        super().__init__(f"role {role} may not {permission}")


def require(actor: Actor, permission: str) -> None:
    if not allowed(actor.role, permission):
        raise Denied(actor, permission)
