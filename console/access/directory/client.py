"""The directory through ldap3: find a user as the service account, check their password by binding as them.

Every connection has a connect timeout and a receive timeout
(`timeout_seconds`, 5 s by default) and every search a server-side time
limit, so a directory that hangs costs a sign-in at most a few timeouts. TLS
always verifies the server's certificate (against `ca_file`, else the
system's CAs) and its name. Values put into filters are escaped with
ldap3's `escape_filter_chars` (RFC 4515); the caller also refuses user
names holding filter characters before it gets here.

Groups, by `group_mode`:
- `memberof`: the user's `memberOf` (AD; OpenLDAP with the memberof
  overlay), then the groups' own `memberOf`, up to `nested_depth` levels;
- `in_chain`: AD's LDAP_MATCHING_RULE_IN_CHAIN, one search under
  `group_base` for `(member:1.2.840.113556.1.4.1941:=<user DN>)`, which AD
  answers with every group the user is in, nested ones included;
- `search`: `group_filter` under `group_base` for the user's DN, then for the
  groups found, up to `nested_depth` levels (OpenLDAP without memberof).
A group seen once is not followed again, so cycles end.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field

from ldap3 import BASE, NONE, SIMPLE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from console.access.directory.config import LdapSettings
from console.common.secrets import SecretError, resolve
from console.errors import OpsError

IN_CHAIN = "1.2.840.113556.1.4.1941"  # LDAP_MATCHING_RULE_IN_CHAIN (Microsoft, [MS-ADTS] 3.1.1.3.4.4.4)
ACCOUNTDISABLE = 0x2  # userAccountControl bit ([MS-ADTS] 2.2.16)
MAX_GROUPS = 1000


class DirectoryError(OpsError):
    """The directory could not answer (down, TLS refused, the service account refused); never names a password."""

    http_status = 503


@dataclass
class DirectoryUser:
    dn: str
    display_name: str = ""
    groups: list[str] = field(default_factory=list)
    disabled: bool = False  # AD: userAccountControl has ACCOUNTDISABLE


def user_filter(template: str, username: str) -> str:
    """The configured filter with the escaped user name in place of {username}."""
    return template.replace("{username}", escape_filter_chars(username))


def in_chain_filter(user_dn: str) -> str:
    return f"(member:{IN_CHAIN}:={escape_filter_chars(user_dn)})"


def group_search_filter(template: str, member_dns: list[str]) -> str:
    """One search for the groups holding any of these DNs: `group_filter` per DN, OR-ed."""
    parts = [template.replace("{dn}", escape_filter_chars(dn)) for dn in member_dns]
    return parts[0] if len(parts) == 1 else "(|" + "".join(parts) + ")"


class Directory:
    """One configured directory; each call opens its own connections and closes them (no state between calls)."""

    def __init__(self, config: LdapSettings, environ=None):
        self.config, self.environ = config, environ

    def _server(self) -> Server:
        host, port, use_ssl = self.config.host_port
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(self.config.ca_file) if self.config.ca_file else None)
        return Server(host, port=port, use_ssl=use_ssl, tls=tls, get_info=NONE,
                      connect_timeout=self.config.timeout_seconds)

    def _connect(self, user: str | None, password: str | None) -> Connection:
        """An open, TLS-protected connection, bound as `user` (or anonymous when None): DirectoryError if not."""
        connection = Connection(self._server(), user=user, password=password,
                                authentication=SIMPLE if user else None, read_only=True, auto_referrals=False,
                                receive_timeout=self.config.timeout_seconds, raise_exceptions=False)
        try:
            connection.open()
            if self.config.start_tls and not connection.start_tls():
                _close(connection)
                raise DirectoryError(f"StartTLS refused: {connection.result.get('description')}")
            connection.bind()
        except LDAPException as exc:
            _close(connection)
            raise DirectoryError(f"directory unreachable at {self.config.url}: {type(exc).__name__}: {exc}") from None
        return connection

    def _service(self) -> Connection:
        password = None
        if self.config.bind_dn:
            try:
                password = resolve(self.config.bind_password, self.environ)
            except SecretError as exc:
                raise DirectoryError(str(exc)) from None
        connection = self._connect(self.config.bind_dn or None, password)
        if not connection.bound:
            description = connection.result.get("description")
            connection.unbind()
            raise DirectoryError(f"the service account's bind was refused: {description}")
        return connection

    def find(self, username: str) -> DirectoryUser | None:
        """The user's entry and groups, searched as the service account; None when no entry matches.

        DirectoryError when the directory does not answer, or the filter matches more than one entry
        (a filter that is not specific enough must not pick one at random).
        """
        connection = self._service()
        try:
            attributes = [self.config.display_name_attribute, "userAccountControl"]
            if self.config.group_mode == "memberof":
                attributes.append("memberOf")
            entries = self._search(connection, self.config.user_base, user_filter(self.config.user_filter, username),
                                   attributes, size_limit=2)
            if not entries:
                return None
            if len(entries) > 1:
                raise DirectoryError(f"user_filter matches more than one entry for {username!r}")
            dn, values = entries[0]
            user = DirectoryUser(dn=dn, display_name=_first(values.get(self.config.display_name_attribute)),
                                 disabled=_disabled(values.get("userAccountControl")))
            user.groups = self._groups(connection, dn, _all(values.get("memberOf")))
            return user
        except LDAPException as exc:
            raise DirectoryError(f"directory search failed: {type(exc).__name__}: {exc}") from None
        finally:
            connection.unbind()

    def check_password(self, dn: str, password: str) -> bool:
        """Whether binding as `dn` with this password works. An empty password never reaches the directory:
        a simple bind with a DN and no password is an anonymous bind that "succeeds" (RFC 4513 5.1.2)."""
        if not password:
            return False
        connection = self._connect(dn, password)
        try:
            if connection.bound:
                return True
            if connection.result.get("description") in ("invalidCredentials", "unwillingToPerform",
                                                         "inappropriateAuthentication"):
                return False
            raise DirectoryError(f"the directory did not check the password: {connection.result.get('description')}")
        finally:
            connection.unbind()

    def _search(self, connection: Connection, base: str, search_filter: str, attributes: list[str],
                scope=SUBTREE, size_limit: int = 0) -> list[tuple[str, dict]]:
        ok = connection.search(base, search_filter, search_scope=scope, attributes=attributes,
                               size_limit=size_limit, time_limit=self.config.timeout_seconds)
        description = connection.result.get("description")
        if not ok and description not in ("success", "noSuchObject", "sizeLimitExceeded"):
            raise DirectoryError(f"directory search failed: {description}")
        return [(item["dn"], item.get("attributes", {})) for item in connection.response or []
                if item.get("type") == "searchResEntry"]

    def _groups(self, connection: Connection, user_dn: str, member_of: list[str]) -> list[str]:
        if self.config.group_mode == "in_chain":
            return [dn for dn, _ in self._search(connection, self.config.group_base, in_chain_filter(user_dn), [],
                                                 size_limit=MAX_GROUPS)]
        if self.config.group_mode == "memberof":
            return self._walk(member_of, lambda dns: [up for dn in dns for up in self._member_of(connection, dn)])
        first = self._group_level(connection, [user_dn])
        return self._walk(first, lambda dns: self._group_level(connection, dns))

    def _walk(self, first: list[str], parents_of) -> list[str]:
        """Breadth-first up the group tree from `first`, `nested_depth` levels at most, each group once."""
        seen, order, level = set(), [], first
        for depth in range(self.config.nested_depth + 1):
            fresh = []
            for dn in level:
                if dn.lower() not in seen and len(order) < MAX_GROUPS:
                    seen.add(dn.lower())
                    order.append(dn)
                    fresh.append(dn)
            if not fresh or depth == self.config.nested_depth:
                break
            level = parents_of(fresh)
        return order

    def _member_of(self, connection: Connection, group_dn: str) -> list[str]:
        found = self._search(connection, group_dn, "(objectClass=*)", ["memberOf"], scope=BASE)
        return _all(found[0][1].get("memberOf")) if found else []

    def _group_level(self, connection: Connection, member_dns: list[str]) -> list[str]:
        search_filter = group_search_filter(self.config.group_filter, member_dns)
        return [dn for dn, _ in self._search(connection, self.config.group_base, search_filter, [],
                                             size_limit=MAX_GROUPS)]


def _close(connection: Connection) -> None:
    """Unbind, and close the socket too: after a timeout in the TLS handshake ldap3 leaves it open."""
    try:
        connection.unbind()
    except LDAPException:
        pass
    if connection.socket is not None:
        connection.socket.close()


def _all(value) -> list[str]:
    if value is None:
        return []
    return [str(item) for item in value] if isinstance(value, (list, tuple)) else [str(value)]


def _first(value) -> str:
    values = _all(value)
    return values[0] if values else ""


def _disabled(value) -> bool:
    try:
        return bool(int(_first(value) or 0) & ACCOUNTDISABLE)
    except ValueError:
        return False
