"""The console's host list: queries other areas and the web layers use (the inventory sync writes it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from console.common.time import iso
from console.errors import NotFound, ValidationFailed
from console.models.inventory import Host, HostStatus, InventoryGroup, host_groups

__all__ = ["HostFilter", "active_host", "active_host_addresses", "active_host_names", "active_hosts", "filtered_hosts",
           "get_host", "host_name_at", "host_names_at", "host_units", "list_hosts", "unit_labels", "unit_names"]

STATUSES = tuple(status.value for status in HostStatus)


@dataclass(frozen=True)
class HostFilter:
    """What the hosts listing is narrowed to, parsed the same way for the Hosts page, GET /api/v1/hosts and
    `ops fleet list`: unit (its inventory group), role (a role_* group), status (active, retired; None: both) and
    search (part of the name or address)."""

    unit: str | None = None
    role: str | None = None
    status: str | None = None
    search: str | None = None

    @classmethod
    def parse(cls, args: Mapping[str, str | None], default_status: str | None = None) -> "HostFilter":
        """From query arguments (unit, role, status, q). A listing with a default status (the page's and the CLI's
        "active") takes status "all" for both; an unknown status is a ValidationFailed naming the field."""
        status = args.get("status") or default_status
        if status == "all" and default_status is not None:
            status = None
        elif status is not None and status not in STATUSES:
            raise ValidationFailed("status", f"must be {' or '.join(STATUSES)}")
        return cls(unit=args.get("unit") or None, role=args.get("role") or None, status=status,
                   search=args.get("q") or None)


def filtered_hosts(session: Session, host_filter: HostFilter, after_name: str | None = None,
                   limit: int = 100) -> list[Host]:
    """list_hosts narrowed by a parsed HostFilter."""
    return list_hosts(session, unit=host_filter.unit, role=host_filter.role, status=host_filter.status,
                      search=host_filter.search, after_name=after_name, limit=limit)


def list_hosts(session: Session, unit=None, role=None, status=None, search=None, after_name=None, limit=100):
    """Hosts ordered by name, keyset-paginated (pass the last name seen as after_name).

    An unknown status is the caller's input error (ValidationFailed), not a crash.
    """
    query = select(Host).options(selectinload(Host.groups)).order_by(Host.name).limit(limit)
    if unit:
        query = query.where(Host.unit == unit)
    if role:
        query = query.where(Host.groups.any(InventoryGroup.name == role))
    if status:
        query = query.where(Host.status == _status(status))
    if search:
        needle = search.lower()
        query = query.where(func.lower(Host.name).contains(needle, autoescape=True)
                            | func.lower(Host.address).contains(needle, autoescape=True))
    if after_name:
        query = query.where(Host.name > after_name)
    return list(session.scalars(query))


def _status(value) -> HostStatus:
    try:
        return HostStatus(value)
    except ValueError:
        raise ValidationFailed("status", f"must be {' or '.join(STATUSES)}") from None


def get_host(session: Session, name: str) -> Host:
    host = session.scalar(select(Host).options(selectinload(Host.groups)).where(Host.name == name))
    if host is None:
        raise NotFound(f"no host {name!r}")
    return host


def unit_counts(session: Session) -> list[tuple[str, int]]:
    """Active hosts per unit, for the overview chart."""
    query = (select(Host.unit, func.count()).where(Host.status == HostStatus.active)
             .group_by(Host.unit).order_by(Host.unit))
    return [(unit or "-", count) for unit, count in session.execute(query)]


def host_counts(session: Session) -> dict[HostStatus, int]:
    """How many hosts are active and retired, for the overview."""
    rows = session.execute(select(Host.status, func.count()).group_by(Host.status)).all()
    return {status: count for status, count in rows}


def active_host(session: Session, name: str) -> Host | None:
    """The active inventory host of that name, or None (for parts that must refuse unknown hosts)."""
    return session.scalar(select(Host).where(Host.name == name, Host.status == HostStatus.active))


def active_host_addresses(session: Session) -> list[tuple[str, str]]:
    """(name, address) of every active host, ordered by name: two columns in one query, for a lookup by address
    that needs no host objects (alert enrichment builds one on every alerts call)."""
    query = select(Host.name, Host.address).where(Host.status == HostStatus.active).order_by(Host.name)
    return [(name, address) for name, address in session.execute(query)]


def active_host_names(session: Session) -> set[str]:
    """The names of every active inventory host (one query, for checks over many names)."""
    return set(session.scalars(select(Host.name).where(Host.status == HostStatus.active)))


def host_units(session: Session) -> dict[str, str]:
    """{host name: unit} for every host the inventory has known."""
    return {name: unit or "" for name, unit in session.execute(select(Host.name, Host.unit))}


def unit_names(session: Session) -> set[str]:
    """The units (unit groups) present in the inventory."""
    return set(session.scalars(select(InventoryGroup.name).where(InventoryGroup.kind == "unit",
                                                                 InventoryGroup.present)))


def host_name_at(session: Session, address: str) -> str | None:
    """The name of the host with this address, if the inventory has one."""
    return session.scalar(select(Host.name).where(Host.address == address).limit(1))


def host_names_at(session: Session, addresses: set[str]) -> dict[str, str]:
    """{address: host name} for those of `addresses` the inventory has, in one query."""
    wanted = [address for address in addresses if address]
    if not wanted:
        return {}
    return {address: name for address, name in session.execute(
        select(Host.address, Host.name).where(Host.address.in_(wanted)).order_by(Host.name.desc()))}


@dataclass(frozen=True)
class ActiveHost:
    """An active host as compliance evaluates it: its id, name, unit, roles, variables and group names."""

    id: int
    name: str
    unit: str
    roles: list
    variables: dict
    groups: frozenset


def active_hosts(session: Session, only: list[str] | None = None) -> list[ActiveHost]:
    """Every active host (or those named in `only`) with its groups and variables, ordered by name
    (two queries, whatever the count)."""
    names: dict[int, set[str]] = {}
    query = select(host_groups.c.host_id, InventoryGroup.name).join(InventoryGroup,
                                                                     InventoryGroup.id == host_groups.c.group_id)
    hosts = select(Host.id, Host.name, Host.unit, Host.roles, Host.variables).where(Host.status == HostStatus.active)
    if only is not None:
        query = query.join(Host, Host.id == host_groups.c.host_id).where(Host.name.in_(only))
        hosts = hosts.where(Host.name.in_(only))
    for host_id, group in session.execute(query):
        names.setdefault(host_id, set()).add(group)
    rows = session.execute(hosts.order_by(Host.name))
    return [ActiveHost(host_id, name, unit or "", list(roles or []), variables or {},
                       frozenset(names.get(host_id, set())))
            for host_id, name, unit, roles, variables in rows]


def unit_labels(session: Session, locale: str) -> dict[str, str]:
    """Each unit's display name in this language (ops_unit_name_vi / _en), else its group name."""
    return _group_labels(session, "unit", locale)


def role_labels(session: Session, locale: str) -> dict[str, str]:
    """Each role's display name in this language (ops_role_name_vi / _en), else its group name."""
    return _group_labels(session, "role", locale)


def _group_labels(session: Session, kind: str, locale: str) -> dict[str, str]:
    query = select(InventoryGroup.name, InventoryGroup.variables).where(InventoryGroup.kind == kind,
                                                                        InventoryGroup.present)
    return {name: str((variables or {}).get(f"ops_{kind}_name_{locale}") or name)
            for name, variables in session.execute(query)}


def host_as_dict(host: Host) -> dict:
    return {
        "name": host.name,
        "address": host.address,
        "unit": host.unit,
        "roles": host.roles,
        "groups": sorted(group.name for group in host.groups),
        "status": host.status.value,
        "variables": host.variables,
        "first_synced_at": host.first_synced_at.isoformat(),
        "updated_at": host.updated_at.isoformat(),
        "retired_at": iso(host.retired_at),
    }


def active_host_ids(session: Session) -> list[int]:
    """The ids of every active host (one column query; the overview counts their health)."""
    return list(session.connection().execute(select(Host.id).where(Host.status == HostStatus.active)).scalars())
