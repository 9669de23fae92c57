"""The lab's attackers come from addresses no host or network of the shipped inventory, nor any lab, holds.

Were an attacking address a department server's, the demo inbox would name that server as the attacker
(issue 28: the SNMP attack "from dtnmt-vp-file-01"). The inventory declares no unit subnets as such: each
unit's servers share a /24, and the group_vars name /24s (firewall sources, UPS addresses). So the test
reads every IPv4 address and network written anywhere in inventory/ (hosts.yml, group_vars, host_vars);
an address stands for its /24, a network for itself, except the whole test range 198.18.0.0/15 (or wider),
which the firewall rules use for "anyone in the department". The lab's network (198.19.0.0/16) and the
demo KSC's unit networks are added to these.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

from console.lab import ksc, live_traffic, network, traffic

INVENTORY = Path(__file__).resolve().parents[3] / "inventory"
TEST_RANGE = ipaddress.ip_network("198.18.0.0/15")
IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(/\d{1,2})?(?![\d.])")


def inventory_networks(folder: Path = INVENTORY) -> dict[ipaddress.IPv4Network, str]:
    """{network: "file:line"} of every address (as its /24) and network (prefix /16 or longer) in the inventory."""
    found = {}
    for path in sorted(folder.rglob("*.yml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for address, prefix in IPV4.findall(line.split("#", 1)[0]):
                item = ipaddress.ip_network(address + (prefix or "/24"), strict=False)
                if item.prefixlen > TEST_RANGE.prefixlen:
                    found.setdefault(item, f"{path.relative_to(folder.parent)}:{number}")
    return found


def attacking_addresses() -> set[str]:
    """Every address the lab's traffic (offline and live) gives to the outside parties of a conversation."""
    return {*traffic.CLIENTS, traffic.WEB, traffic.DNS_SERVER, traffic.BACKDOOR, *live_traffic.OUTSIDE_CLIENTS}


def test_the_inventory_reader_sees_the_hosts_and_declared_subnets():
    networks = inventory_networks()
    # a unit's servers (dtnmt-vp-file-01, 198.18.20.11), a UPS (ups-vp-01@198.18.20.250), a firewall source
    assert ipaddress.ip_network("198.18.20.0/24") in networks
    assert ipaddress.ip_network("198.18.40.0/24") in networks
    assert {ipaddress.ip_network(f"198.18.{octet}.0/24") for octet in (10, 20, 30, 31, 32, 40)} <= set(networks)
    assert TEST_RANGE not in networks


def test_no_attacking_address_belongs_to_the_inventory_or_a_lab():
    taken = inventory_networks()
    taken[network.LAB_NETWORK] = "console/lab/network.py LAB_NETWORK"
    for unit, prefix in ksc.UNIT_NETWORKS.items():
        taken[ipaddress.ip_network(f"{prefix}.0/24")] = f"console/lab/ksc.py UNIT_NETWORKS[{unit}]"
    outside = ipaddress.ip_network(traffic.OUTSIDE_NETWORK)
    assert outside.subnet_of(TEST_RANGE)
    clashes = [f"{traffic.OUTSIDE_NETWORK} overlaps {item} ({where})" for item, where in taken.items()
               if outside.overlaps(item)]
    assert not clashes, clashes
    for address in attacking_addresses():
        assert ipaddress.ip_address(address) in outside, f"{address} is outside {traffic.OUTSIDE_NETWORK}"


def test_a_clash_is_found_by_the_same_reading(tmp_path):
    # The old attacker range, 198.18.20.0/24, is the Văn phòng Sở subnet: the reading above must see that.
    (tmp_path / "inventory").mkdir()
    (tmp_path / "inventory" / "hosts.yml").write_text(
        "all:\n  hosts:\n    dtnmt-vp-file-01: {ansible_host: 198.18.20.11}\n")
    taken = inventory_networks(tmp_path / "inventory")
    assert [str(item) for item in taken if ipaddress.ip_network("198.18.20.0/24").overlaps(item)] == ["198.18.20.0/24"]
