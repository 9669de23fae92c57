"""`[auth.ldap]` of ops.toml: where the directory is, how to find a user, which groups give which role.

The service account's password is a reference (`env:NAME`, `file:/path`),
never the password, as for devices and notification channels. Passwords only
ever cross the network inside TLS: `ldaps://`, or `ldap://` with
`start_tls = true`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from console.common.secrets import check_reference
from console.models.users import Role

URL = re.compile(r"(ldaps?)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]{1,253})(?::(\d{1,5}))?/?")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _balanced(value: str) -> bool:
    depth = 0
    for char in value.replace("\\(", "").replace("\\)", ""):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _check_filter(value: str, placeholder: str) -> str:
    if not (value.startswith("(") and value.endswith(")") and _balanced(value)):
        raise ValueError("must be an LDAP filter in parentheses, e.g. (&(objectClass=person)(uid={username}))")
    if placeholder not in value:
        raise ValueError(f"must contain {placeholder}, where the escaped value goes")
    return value


class LdapSettings(_Strict):
    enabled: bool = False
    url: str = ""
    start_tls: bool = False
    ca_file: Path | None = None
    bind_dn: str = Field("", max_length=1024)
    bind_password: str = ""
    user_base: str = Field("", max_length=1024)
    user_filter: str = "(&(objectClass=person)(uid={username}))"
    display_name_attribute: str = Field("displayName", pattern=r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
    group_mode: Literal["memberof", "in_chain", "search"] = "memberof"
    group_base: str = Field("", max_length=1024)
    group_filter: str = "(&(objectClass=groupOfNames)(member={dn}))"
    nested_depth: int = Field(5, ge=0, le=20)
    role_groups: dict[Role, list[str]] = {}
    timeout_seconds: int = Field(5, ge=1, le=60)
    recheck_minutes: int = Field(15, ge=1, le=1440)

    _reference = field_validator("bind_password")(check_reference)

    @field_validator("ca_file", mode="before")
    @classmethod
    def _no_file(cls, value):
        return None if value in ("", None) else value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not URL.fullmatch(value):
            raise ValueError("must be ldaps://host[:port] or ldap://host[:port]")
        if value and URL.fullmatch(value).group(3) and not 1 <= int(URL.fullmatch(value).group(3)) <= 65535:
            raise ValueError("port must be between 1 and 65535")
        return value

    @field_validator("user_filter")
    @classmethod
    def _user_filter(cls, value: str) -> str:
        return _check_filter(value, "{username}")

    @field_validator("group_filter")
    @classmethod
    def _group_filter(cls, value: str) -> str:
        return _check_filter(value, "{dn}")

    @model_validator(mode="after")
    def _complete(self) -> "LdapSettings":
        if not self.enabled:
            return self
        if not self.url:
            raise ValueError("url must be set when enabled = true")
        if self.url.startswith("ldap://") and not self.start_tls:
            raise ValueError("ldap:// without start_tls = true would send passwords in clear: "
                             "use ldaps:// or set start_tls = true")
        if self.url.startswith("ldaps://") and self.start_tls:
            raise ValueError("start_tls is for ldap:// URLs; ldaps:// is TLS already")
        if not self.user_base:
            raise ValueError("user_base must be set when enabled = true")
        if bool(self.bind_dn) != bool(self.bind_password):
            raise ValueError("bind_dn and bind_password go together (the service account that searches)")
        if self.group_mode in ("in_chain", "search") and not self.group_base:
            raise ValueError(f"group_base must be set for group_mode = {self.group_mode!r}")
        if not any(self.role_groups.values()):
            raise ValueError("role_groups must map at least one group to a role, e.g. admin = [\"cn=ops-admins,...\"]")
        return self

    @property
    def host_port(self) -> tuple[str, int, bool]:
        """(host, port, use_ssl) from the URL."""
        found = URL.fullmatch(self.url)
        scheme, host, port = found.group(1), found.group(2).strip("[]"), found.group(3)
        return host, int(port) if port else (636 if scheme == "ldaps" else 389), scheme == "ldaps"


class AuthSettings(_Strict):
    ldap: LdapSettings = LdapSettings()

    def resolved(self, base: Path) -> "AuthSettings":
        """ca_file relative to ops.toml's folder, as every other path."""
        ca_file = self.ldap.ca_file
        if ca_file is None or ca_file.is_absolute():
            return self
        return self.model_copy(update={"ldap": self.ldap.model_copy(update={"ca_file": (base / ca_file).resolve()})})
