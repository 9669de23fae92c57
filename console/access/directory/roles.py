"""From the directory's groups to one console role: pure, so it is tested without a server.

Group DNs are compared the way LDAP compares them for these attribute types
(case-insensitive, spaces around `,` and `=` not significant): the DN in
ops.toml does not have to be spelt exactly as the server returns it.
"""

from __future__ import annotations

from ldap3.core.exceptions import LDAPInvalidDnError
from ldap3.utils.dn import parse_dn

from console.models.users import Role

# Highest first: a user in several mapped groups gets the first of these they qualify for.
RANK = (Role.admin, Role.security_officer, Role.it_staff, Role.auditor)


def normal_dn(dn: str) -> str:
    """`CN=Ops Admins, OU=Groups,DC=example,DC=org` -> `cn=ops admins,ou=groups,dc=example,dc=org`."""
    try:
        parts = parse_dn(dn, escape=False, strip=True)
    except LDAPInvalidDnError:
        return dn.strip().lower()
    return ",".join(f"{attr.strip().lower()}={value.strip().lower()}" for attr, value, _sep in parts)


def role_for(groups: list[str], role_groups: dict[Role, list[str]]) -> tuple[Role | None, list[str]]:
    """(the highest role any of the groups gives, the mapped groups that matched); (None, []) for none."""
    have = {normal_dn(group) for group in groups}
    matched, best = [], None
    for role in RANK:
        hits = [group for group in role_groups.get(role, []) if normal_dn(group) in have]
        if hits and best is None:
            best = role
        matched += hits
    return best, matched
