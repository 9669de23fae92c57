"""Endpoints from Kaspersky Security Center: sync, listing, history.

- `sync(session, settings, actor)`: read every host KSC manages, check the
  whole answer, then write it in the caller's transaction. Any problem with
  the answer (KSC unreachable, wrong shape, a host without a name, the same
  name in two groups, an answer over the size limit) stores only a 'failed'
  EndpointSync row with the reason naming the field and host: the endpoints
  stay as the previous sync left them. Never half a sync.
- `sync_due(session, settings)`: the scheduler's call, every minute; syncs
  when [endpoints] interval_seconds has passed since the last attempt.
- `list_endpoints(session, EndpointFilter)`, `parse_filter(args)`: the one
  filter of the page, the API and the CLI.
- `get_endpoint`, `history`, `last_sync`, `endpoint_as_dict`.

Coverage (what KSC misses, what the IDS saw) is in `coverage.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.access import audit
from console.access.actor import Actor, Role
from console.access.permissions import require
from console.common.time import iso
from console.endpoints import ksc
from console.errors import NotFound, ValidationFailed
from console.inventory.hosts import active_host_names, host_names_at, host_units
from console.models.base import utcnow
from console.models.endpoints import Endpoint, EndpointObservation, EndpointSync

__all__ = ["last_ok_sync", "last_sync", "present_endpoints", "RTP_RUNNING"]

SCHEDULER = Actor(username="system:endpoints", role=Role.admin, client_addr="local", via="scheduler")
STATES = ("ok", "protection_off", "bases_old", "not_seen")
RTP_RUNNING = frozenset({4, 5, 6, 7, 8})  # "Global RTP State enum": the Running states
TRACKED = ("state", "rtp_state", "bases_at", "status_id", "status_mask", "av_version")
PAGE_SIZE = 100


@dataclass
class SyncResult:
    status: str  # ok, failed
    reason: str | None = None
    host_count: int = 0
    added: int = 0
    changed: int = 0
    gone: int = 0
    sync_id: int | None = None

    def summary(self) -> str:
        if self.status != "ok":
            return f"failed: {self.reason}"
        return f"{self.host_count} endpoints: {self.added} new, {self.changed} changed, {self.gone} gone"


def problems(rtp_state, bases_at, last_visible_at, config, now: datetime) -> list[str]:
    """What is wrong with one endpoint's protection, worst first: protection_off, bases_old, not_seen."""
    found = []
    if rtp_state not in RTP_RUNNING:
        found.append("protection_off")
    if bases_at is None or now - bases_at > timedelta(hours=config.bases_max_age_hours):
        found.append("bases_old")
    if last_visible_at is None or now - last_visible_at > timedelta(days=config.stale_days):
        found.append("not_seen")
    return found


def sync(session: Session, settings, actor: Actor = SCHEDULER, now: datetime | None = None) -> SyncResult:
    """One sync from KSC; a failed read is a 'failed' result (and row), never an exception, never a change."""
    require(actor, "endpoints.sync")
    config = settings.endpoints
    if not config.configured:
        raise ValidationFailed("endpoints.address", "no Kaspersky Security Center is configured in ops.toml")
    started = utcnow()
    try:
        hosts, groups = ksc.read_hosts(config)
        check_names(hosts, groups)
    except ksc.KscError as exc:
        result = SyncResult("failed", str(exc)[:500])
    else:
        result = _store(session, config, hosts, groups, now or utcnow())
    row = EndpointSync(started_at=started, finished_at=utcnow(), status=result.status, reason=result.reason,
                       host_count=result.host_count, actor=actor.username[:64])
    session.add(row)
    session.flush()
    result.sync_id = row.id
    audit.record(session, actor, "endpoints.sync", "endpoint_sync", str(row.id), status=result.status,
                 hosts=result.host_count, added=result.added, changed=result.changed, gone=result.gone,
                 reason=result.reason)
    return result


def sync_due(session: Session, settings, now: datetime | None = None) -> SyncResult | None:
    """sync() when KSC is configured and interval_seconds has passed since the last attempt; else None."""
    config = settings.endpoints
    if not config.configured:
        return None
    now = now or utcnow()
    last = session.scalar(select(func.max(EndpointSync.started_at)))
    if last is not None and now - last < timedelta(seconds=config.interval_seconds):
        return None
    return sync(session, settings, SCHEDULER)


def check_names(hosts: list[ksc.KscHost], groups: dict[int, str]) -> None:
    """The same name (KLHST_WKS_DN) in two administration groups is refused: which one is the endpoint?"""
    seen: dict[str, ksc.KscHost] = {}
    for host in hosts:
        other = seen.setdefault(host.name.lower(), host)
        if other is not host and other.group_id != host.group_id:
            raise ksc.KscError(f"KSC host {host.ksc_id}: field KLHST_WKS_DN {host.name!r} is also host "
                               f"{other.ksc_id} in group {groups.get(other.group_id, other.group_id)!r} "
                               f"(this one in {groups.get(host.group_id, host.group_id)!r})")


def _store(session: Session, config, hosts: list[ksc.KscHost], groups: dict[int, str], now: datetime) -> SyncResult:
    rows = {row.ksc_id: row for row in session.scalars(select(Endpoint))}
    matched = _matches(session, hosts)
    units = host_units(session)
    result = SyncResult("ok", host_count=len(hosts))
    for host in hosts:
        group = groups.get(host.group_id, "") if host.group_id is not None else ""
        host_name = matched.get(host.ksc_id)
        found = problems(host.rtp_state, host.bases_at, host.last_visible_at, config, now)
        wanted = {"name": host.name, "fqdn": host.fqdn, "address": host.address, "ksc_group": group[:255],
                  "unit": (config.unit_of(group) or units.get(host_name or "", ""))[:64], "host_name": host_name,
                  "os_name": host.os_name, "nag_version": host.nag_version, "av_version": host.av_version,
                  "rtp_state": host.rtp_state, "bases_at": host.bases_at, "last_visible_at": host.last_visible_at,
                  "status_id": host.status_id, "status_mask": host.status_mask,
                  "state": found[0] if found else "ok", "present": True}
        row = rows.get(host.ksc_id)
        if row is None:
            row = Endpoint(ksc_id=host.ksc_id, first_synced_at=now, updated_at=now, **wanted)
            session.add(row)
            result.added += 1
            _observe(session, row, now)
            continue
        tracked_changed = any(getattr(row, key) != wanted[key] for key in TRACKED) or not row.present
        if any(getattr(row, key) != value for key, value in wanted.items()):
            for key, value in wanted.items():
                setattr(row, key, value)
            row.updated_at = now
            result.changed += 1
        if tracked_changed:
            _observe(session, row, now)
    reported = {host.ksc_id for host in hosts}
    for ksc_id, row in rows.items():
        if ksc_id not in reported and row.present:
            row.present, row.updated_at = False, now
            result.gone += 1
    session.flush()
    return result


def _observe(session: Session, row: Endpoint, now: datetime) -> None:
    session.add(EndpointObservation(endpoint=row, observed_at=now, **{key: getattr(row, key) for key in TRACKED}))


def _matches(session: Session, hosts: list[ksc.KscHost]) -> dict[str, str]:
    """{ksc_id: inventory host name}: by name (KLHST_WKS_DN or the FQDN's first label), else by address."""
    names = {name.lower(): name for name in active_host_names(session)}
    by_address = host_names_at(session, {host.address for host in hosts if host.address})
    found = {}
    for host in hosts:
        name = names.get(host.name.lower()) or names.get(host.fqdn.split(".")[0].lower() if host.fqdn else "")
        name = name or by_address.get(host.address)
        if name:
            found[host.ksc_id] = name
    return found


# --- listing -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EndpointFilter:
    unit: str = ""
    state: str = ""
    product: str = ""
    search: str = ""
    after: str = ""
    limit: int = PAGE_SIZE
    present: bool = True

    def args(self, **changes) -> dict:
        values = {"unit": self.unit, "state": self.state, "product": self.product, "q": self.search, **changes}
        return {key: value for key, value in values.items() if value}


def parse_filter(args) -> EndpointFilter:
    """The listing's query arguments (unit, state, product, q, after, limit); ValidationFailed naming the argument."""
    state = (args.get("state") or "").strip()
    if state and state not in STATES:
        raise ValidationFailed("state", f"must be one of {', '.join(STATES)}")
    values = {}
    for key, size in (("unit", 64), ("product", 64), ("q", 255), ("after", 300)):
        value = (args.get(key) or "").strip()
        if len(value) > size:
            raise ValidationFailed(key, f"at most {size} characters")
        values[key] = value
    try:
        limit = int(args.get("limit") or PAGE_SIZE)
    except (TypeError, ValueError):
        raise ValidationFailed("limit", "must be a whole number") from None
    if not 1 <= limit <= 500:
        raise ValidationFailed("limit", "must be between 1 and 500")
    return EndpointFilter(values["unit"], state, values["product"], values["q"], values["after"], limit)


def list_endpoints(session: Session, wanted: EndpointFilter) -> list[Endpoint]:
    """Endpoints by name, keyset-paged: `after` is the last row's "name|id"."""
    query = select(Endpoint).where(Endpoint.present.is_(wanted.present)).order_by(Endpoint.name, Endpoint.id)
    if wanted.unit:
        query = query.where(Endpoint.unit == wanted.unit)
    if wanted.state:
        query = query.where(Endpoint.state == wanted.state)
    if wanted.product:
        query = query.where(Endpoint.av_version == wanted.product)
    if wanted.search:
        needle = wanted.search.lower()
        query = query.where(func.lower(Endpoint.name).contains(needle, autoescape=True)
                            | Endpoint.address.contains(needle, autoescape=True))
    if wanted.after:
        name, _, last_id = wanted.after.rpartition("|")
        if re.fullmatch(r"[0-9]{1,18}", last_id):
            query = query.where((Endpoint.name > name) | ((Endpoint.name == name) & (Endpoint.id > int(last_id))))
        else:  # a bare name: the endpoints after it
            query = query.where(Endpoint.name > wanted.after)
    return list(session.scalars(query.limit(wanted.limit)))


def cursor(row: Endpoint) -> str:
    return f"{row.name}|{row.id}"


def choices(session: Session) -> dict[str, list[str]]:
    """The units and product versions present endpoints have, for the page's filters."""
    def distinct(column):
        return [value for value in session.scalars(select(column).where(Endpoint.present.is_(True))
                                                   .distinct().order_by(column)) if value]
    return {"units": distinct(Endpoint.unit), "products": distinct(Endpoint.av_version), "states": list(STATES)}


def get_endpoint(session: Session, endpoint_id: int) -> Endpoint:
    row = session.get(Endpoint, endpoint_id)
    if row is None:
        raise NotFound(f"no endpoint {endpoint_id}")
    return row


def history(session: Session, row: Endpoint, limit: int = 100) -> list[EndpointObservation]:
    return list(session.scalars(select(EndpointObservation).where(EndpointObservation.endpoint_id == row.id)
                                .order_by(EndpointObservation.id.desc()).limit(limit)))


def last_sync(session: Session) -> EndpointSync | None:
    return session.scalar(select(EndpointSync).order_by(EndpointSync.id.desc()).limit(1))


def endpoint_as_dict(row: Endpoint) -> dict:
    return {"id": row.id, "ksc_id": row.ksc_id, "name": row.name, "fqdn": row.fqdn, "address": row.address,
            "ksc_group": row.ksc_group, "unit": row.unit, "host_name": row.host_name, "os_name": row.os_name,
            "nag_version": row.nag_version, "av_version": row.av_version, "rtp_state": row.rtp_state,
            "bases_at": iso(row.bases_at), "last_visible_at": iso(row.last_visible_at), "status_id": row.status_id,
            "status_mask": row.status_mask, "status_reasons": status_reasons(row.status_mask), "state": row.state,
            "present": row.present, "first_synced_at": iso(row.first_synced_at), "updated_at": iso(row.updated_at)}


def observation_as_dict(row: EndpointObservation) -> dict:
    return {"observed_at": iso(row.observed_at), "state": row.state, "rtp_state": row.rtp_state,
            "bases_at": iso(row.bases_at), "status_id": row.status_id, "status_mask": row.status_mask,
            "av_version": row.av_version}


# Bits of KLHST_WKS_STATUS_MASK_0 ("the extended status mask", KSCAPI KSC 13 page a00008).
STATUS_BITS = {0: "agent_inactive", 1: "rtp_not_running", 2: "av_not_running", 3: "many_viruses",
               4: "rtp_differs", 5: "av_not_installed", 6: "full_scan_old", 7: "bases_old", 8: "agent_silent",
               9: "license_old", 10: "uncured_objects", 11: "reboot_required", 12: "incompatible_apps",
               13: "vulnerabilities", 14: "os_updates_search_old"}


def status_reasons(mask: int | None) -> list[str]:
    if not mask:
        return []
    return [name for bit, name in STATUS_BITS.items() if mask & (1 << bit)]



def last_ok_sync(session: Session) -> EndpointSync | None:
    """The newest sync that read KSC whole: the time the stored endpoints are as of."""
    return session.scalar(select(EndpointSync).where(EndpointSync.status == "ok")
                          .order_by(EndpointSync.id.desc()).limit(1))


def present_endpoints(session: Session) -> list[Endpoint]:
    return list(session.scalars(select(Endpoint).where(Endpoint.present.is_(True)).order_by(Endpoint.name)))
