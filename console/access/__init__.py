"""Who may do what: users, API tokens, roles and permissions, the acting `Actor`, and the audit log.

Other areas may call:
- `actor.Actor` (who does a change) and `permissions.require / allowed` (the one permission table);
- `audit.record` (every change and every refusal goes through it) and `audit.list_events`;
- `users` (accounts, sign-in, `usernames`) and `tokens` (bearer tokens);
- `directory` (sign-in with LDAP / Active Directory, roles from its groups; `accounts.recheck_all` for the scheduler).
The models in `console.models.users` and `console.models.audit` are this area's own.
"""

__all__ = ["actor", "audit", "permissions", "users"]
