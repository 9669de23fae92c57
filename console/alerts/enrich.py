"""Naming alert addresses: the inventory host an address belongs to, and internal or external.

Built once per request or export from the inventory's public functions; a
lookup is then a dictionary access.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from sqlalchemy.orm import Session

from console.models.alerts import AlertGroup
from console.inventory.hosts import active_host_addresses


# RFC 1918, loopback, link-local, IPv6 unique-local; everything else is external unless configured.
PRIVATE = tuple(ipaddress.ip_network(net) for net in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16", "::1/128", "fc00::/7",
    "fe80::/10"))


class Enricher:
    def __init__(self, session: Session, internal_networks: list[str] | tuple[str, ...] = ()):
        self.hosts: dict[str, str] = {}
        for name, address in active_host_addresses(session):
            address = _normal(address)
            if address:
                self.hosts.setdefault(address, name)
        self.networks = _networks(tuple(internal_networks))

    def host_for(self, address: str) -> str | None:
        return self.hosts.get(_normal(address) or "")

    def is_internal(self, address: str) -> bool:
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(parsed in network for network in PRIVATE + self.networks if parsed.version == network.version)

    def side(self, address: str) -> dict:
        return {"ip": address, "host": self.host_for(address), "internal": self.is_internal(address)}

    def group(self, group: AlertGroup) -> dict:
        return {"src": self.side(group.src_ip), "dest": self.side(group.dest_ip)}


@lru_cache(maxsize=32)
def _networks(items: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(item, strict=False) for item in items)


def _normal(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address((address or "").strip()))
    except ValueError:
        return None
