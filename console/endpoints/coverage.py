"""Antivirus coverage, from three sources side by side: the inventory, KSC, and what the IDS saw.

- inventory servers KSC does not manage (no endpoint matched to them);
- KSC endpoints with real-time protection off, bases older than
  [endpoints] bases_max_age_hours, or not seen for stale_days;
- internal addresses in the IDS's flow and DHCP events that are neither an
  inventory host's nor an endpoint's address: unmanaged devices, with the
  first and last time they were seen (within unmanaged_days).

The figure: protected (endpoints with none of the three problems) out of
every device known to exist (endpoints, inventory servers KSC misses, and
unmanaged addresses). This is what makes "100 % have antivirus" provable
or not: a device the antivirus console does not know still counts.

`refresh_seen(session, settings)` feeds SeenAddress from the alerts area's
context events (console.alerts.store.addresses_seen), from where it stopped.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.alerts.store import addresses_seen
from console.common.time import iso
from console.endpoints.config import EndpointsSettings
from console.endpoints.service import problems
from console.inventory.hosts import active_hosts, host_names_at
from console.models.base import utcnow
from console.models.endpoints import AddressFeedMark, Endpoint, SeenAddress

__all__ = ["coverage", "overview"]

FEED = "eve"
FEED_BATCH = 50000
FEED_ROUNDS = 20
MAX_LISTED = 1000
LIMITED_BROADCAST = ipaddress.IPv4Address("255.255.255.255")


def is_internal(address: str, networks: tuple) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    if parsed.is_link_local or parsed.is_multicast or parsed.is_unspecified or parsed.is_loopback:
        return False  # a link's own traffic (IPv6 neighbour discovery, DHCP's 0.0.0.0), not a device to account for
    if parsed == LIMITED_BROADCAST:
        return False
    return parsed.is_private or any(parsed in network for network in networks)


def refresh_seen(session: Session, settings) -> int:
    """Read the flow and DHCP events stored since the last refresh into SeenAddress; how many events were read.

    Bounded: at most FEED_ROUNDS batches of FEED_BATCH events per call (the next call goes on from there).
    """
    networks = tuple(ipaddress.ip_network(item, strict=False) for item in settings.alerts.internal_networks)
    mark = session.get(AddressFeedMark, FEED)
    if mark is None:
        mark = AddressFeedMark(name=FEED, last_event_id=0)
        session.add(mark)
    read = 0
    for _ in range(FEED_ROUNDS):
        batch = addresses_seen(session, mark.last_event_id, FEED_BATCH)
        read += batch.events
        _upsert_seen(session, {address: seen for address, seen in batch.addresses.items()
                               if is_internal(address, networks)})
        mark.last_event_id, mark.updated_at = batch.last_event_id, utcnow()
        if batch.events < FEED_BATCH:
            break
    session.flush()
    return read


def _upsert_seen(session: Session, found: dict) -> None:
    if not found:
        return
    rows = {row.address: row for row in session.scalars(select(SeenAddress).where(SeenAddress.address.in_(list(found))))}
    for address, (first, last, sensor, event_type) in found.items():
        row = rows.get(address)
        if row is None:
            session.add(SeenAddress(address=address[:45], first_seen_at=first, last_seen_at=last,
                                    sensor=(sensor or "")[:255], event_type=event_type[:32]))
            continue
        row.first_seen_at = min(row.first_seen_at, first)
        if last >= row.last_seen_at:
            row.last_seen_at, row.sensor, row.event_type = last, (sensor or "")[:255], event_type[:32]


def _config(settings) -> EndpointsSettings:
    """[endpoints] of the settings (or the section itself); the defaults when there are none (a report's caller)."""
    if settings is None:
        return EndpointsSettings()
    return getattr(settings, "endpoints", settings)


def unmanaged(session: Session, settings=None, now: datetime | None = None) -> list[SeenAddress]:
    """Internal addresses seen within unmanaged_days that are neither an inventory host's nor an endpoint's."""
    since = (now or utcnow()) - timedelta(days=_config(settings).unmanaged_days)
    seen = list(session.scalars(select(SeenAddress).where(SeenAddress.last_seen_at >= since)
                                .order_by(SeenAddress.last_seen_at.desc())))
    if not seen:
        return []
    known = set(host_names_at(session, {row.address for row in seen}))
    known |= set(session.scalars(select(Endpoint.address).where(Endpoint.present.is_(True),
                                                                Endpoint.address.in_([row.address for row in seen]))))
    return [row for row in seen if row.address not in known]


def coverage(session: Session, settings=None, now: datetime | None = None) -> dict:
    """The figure and the lists behind it (each list at most MAX_LISTED long, with its full count)."""
    now = now or utcnow()
    config = _config(settings)
    endpoints = list(session.scalars(select(Endpoint).where(Endpoint.present.is_(True)).order_by(Endpoint.name)))
    managed_hosts = {row.host_name for row in endpoints if row.host_name}
    servers = [host for host in active_hosts(session) if host.name not in managed_hosts]
    found = {"protection_off": [], "bases_old": [], "not_seen": []}
    protected = 0
    for row in endpoints:
        wrong = problems(row.rtp_state, row.bases_at, row.last_visible_at, config, now)
        for problem in wrong:
            found[problem].append(row)
        protected += not wrong
    strangers = unmanaged(session, settings, now)
    exist = len(endpoints) + len(servers) + len(strangers)
    return {
        "computed_at": iso(now),
        "protected": protected,
        "endpoints": len(endpoints),
        "servers_without_ksc": len(servers),
        "unmanaged": len(strangers),
        "exist": exist,
        "percent": round(100.0 * protected / exist, 1) if exist else None,
        "thresholds": {"bases_max_age_hours": config.bases_max_age_hours, "stale_days": config.stale_days,
                       "unmanaged_days": config.unmanaged_days},
        "counts": {key: len(rows) for key, rows in found.items()},
        "missing": {
            "servers_without_ksc": [{"name": host.name, "unit": host.unit} for host in servers[:MAX_LISTED]],
            **{key: [_brief(row) for row in rows[:MAX_LISTED]] for key, rows in found.items()},
            "unmanaged": [seen_as_dict(row) for row in strangers[:MAX_LISTED]],
        },
    }


def _brief(row: Endpoint) -> dict:
    return {"id": row.id, "name": row.name, "unit": row.unit, "address": row.address, "rtp_state": row.rtp_state,
            "bases_at": iso(row.bases_at), "last_visible_at": iso(row.last_visible_at)}


def seen_as_dict(row: SeenAddress) -> dict:
    return {"address": row.address, "first_seen_at": iso(row.first_seen_at), "last_seen_at": iso(row.last_seen_at),
            "sensor": row.sensor, "event_type": row.event_type}


def overview(session: Session, settings=None) -> dict:
    """The figure alone, for the Overview, the run report, the dossier and the annual report."""
    full = coverage(session, settings)
    return {key: full[key] for key in ("computed_at", "protected", "endpoints", "servers_without_ksc", "unmanaged",
                                       "exist", "percent", "counts", "thresholds")}
