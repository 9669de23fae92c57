"""Live IDS traffic for a lab's sensor: scapy-made packets put on the wire the sensor listens to.

The lab's IDS sensor (the host in role_ids_sensor, lab-host-01) runs a real
Suricata on its eth0, with HOME_NET the lab's own /24 (console.lab.inventory).
`inject` writes frames into the root-namespace end of that host's veth pair,
so they arrive on the sensor's eth0 exactly as a switch's mirror port would
deliver them. They are addressed to a server address no lab host holds
(`SERVER_OCTET`), so no kernel answers them; only Suricata sees them.

Each round fires three of the department's own rules (rules/local):

- sid 9100001, an HTTP request for /landdb/admin from outside;
- sid 9100004, an SNMP GetRequest with community "public" from outside;
- sid 9100002, five SYNs to port 22 within a minute from one source (a
  threshold rule: at most one alert a minute per source).

A round also carries a DHCP exchange of a laptop nobody enrolled, and the
flows of every conversation, which the sensor logs as EVE flow and dhcp
events. Clients "outside" are in console.lab.traffic.OUTSIDE_NETWORK
(198.18.200.0/24), which no host of the inventory or of a lab holds; every
address is in 198.18.0.0/15. Raw sockets need root, as the lab does.
"""

from __future__ import annotations

import ipaddress
import random
import time
from dataclasses import dataclass

from console.lab.errors import LabError
from console.lab.state import LabState
from console.lab.traffic import CLIENTS, tcp_session

OUTSIDE_CLIENTS = tuple(CLIENTS)  # in console.lab.traffic.OUTSIDE_NETWORK, as the offline traffic's
SERVER_OCTET = 250      # the land database's web front, as the sensor sees it: no lab host holds it
LAPTOP_OCTET = 240      # a laptop that asks for an address over DHCP and is in no inventory
LAPTOP_MAC = "02:00:5e:10:00:f0"
SENSOR_ROLE_HOST = "lab-host-01"
SIDS = {"http_admin": 9100001, "ssh_syn": 9100002, "snmp_public": 9100004}


@dataclass(frozen=True)
class Round:
    """What one round sends: who talks to whom, for the caller to print and the tests to check."""

    server: str
    laptop: str
    http_client: str
    snmp_client: str
    ssh_client: str
    packets: int


def lab_addresses(state: LabState) -> tuple[str, str]:
    """The sensor-watched server address and the unmanaged laptop's address in this lab's /24."""
    network = ipaddress.ip_network(f"198.19.{state.subnet_index}.0/{state.prefix_length}")
    return str(network[SERVER_OCTET]), str(network[LAPTOP_OCTET])


def build_round(server: str, laptop: str, gateway: str, *, http_client: str = OUTSIDE_CLIENTS[0],
                snmp_client: str = OUTSIDE_CLIENTS[1], ssh_client: str = OUTSIDE_CLIENTS[2],
                now: float | None = None) -> list:
    """The frames of one round, in order, each conversation with ports of its own."""
    from scapy.all import BOOTP, DHCP, IP, SNMP, TCP, UDP, Ether, SNMPget, SNMPvarbind, ASN1_OID

    now = time.time() if now is None else now
    rng = random.Random(int(now * 1000))
    port = rng.randrange(20000, 60000)
    frames: list = []
    request = (b"GET /landdb/admin/users HTTP/1.1\r\nHost: landdb.lab\r\nUser-Agent: Mozilla/5.0\r\n"
               b"Accept: */*\r\n\r\n")
    answer = b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nforbidden"
    frames += tcp_session(http_client, server, port, 80, request, answer, now)
    frames += tcp_session(http_client, server, port + 1, 80,
                          b"GET /index.html HTTP/1.1\r\nHost: landdb.lab\r\n\r\n",
                          b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", now)
    snmp = SNMP(community="public", PDU=SNMPget(id=rng.randrange(1, 2**31),
                                                 varbindlist=[SNMPvarbind(oid=ASN1_OID("1.3.6.1.2.1.1.1.0"))]))
    frames.append(Ether(src="02:00:5e:14:00:0b", dst="02:00:5e:13:00:fa")
                  / IP(src=snmp_client, dst=server) / UDP(sport=port + 2, dport=161) / snmp)
    for attempt in range(6):
        frames.append(Ether(src="02:00:5e:14:00:0c", dst="02:00:5e:13:00:fa")
                      / IP(src=ssh_client, dst=server) / TCP(sport=port + 10 + attempt, dport=22, flags="S",
                                                             seq=rng.randrange(1, 2**31)))
    xid = rng.randrange(1, 2**31)
    chaddr = bytes.fromhex(LAPTOP_MAC.replace(":", ""))
    frames.append(Ether(src=LAPTOP_MAC, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255")
                  / UDP(sport=68, dport=67) / BOOTP(chaddr=chaddr, xid=xid, flags=0x8000)
                  / DHCP(options=[("message-type", "request"), ("requested_addr", laptop),
                                  ("hostname", b"laptop-khong-ro"), "end"]))
    frames.append(Ether(src="02:00:5e:13:00:01", dst=LAPTOP_MAC) / IP(src=gateway, dst=laptop)
                  / UDP(sport=67, dport=68) / BOOTP(op=2, chaddr=chaddr, xid=xid, yiaddr=laptop, siaddr=gateway)
                  / DHCP(options=[("message-type", "ack"), ("server_id", gateway), ("lease_time", 3600),
                                  ("subnet_mask", "255.255.255.0"), ("router", gateway), "end"]))
    return frames


def sensor_veth(state: LabState, host_name: str = SENSOR_ROLE_HOST) -> str:
    """The root-namespace end of the sensor host's veth: what is written there arrives on its eth0."""
    host = next((h for h in state.hosts if h.name == host_name), None)
    if host is None:
        raise LabError(f"lab {state.name!r} has no host {host_name!r} (the IDS sensor is the first host)")
    return host.veth


def inject(state: LabState, host_name: str = SENSOR_ROLE_HOST, **clients) -> Round:
    """Send one round to the sensor's wire; returns what was sent."""
    from scapy.all import sendp

    server, laptop = lab_addresses(state)
    frames = build_round(server, laptop, state.gateway, **clients)
    iface = sensor_veth(state, host_name)
    try:
        sendp(frames, iface=iface, inter=0.002, verbose=False)
    except PermissionError:
        raise LabError("sending raw frames needs root (CAP_NET_RAW), as the lab does") from None
    except OSError as exc:
        raise LabError(f"cannot send on {iface}: {exc} (is lab {state.name!r} up?)") from None
    return Round(server, laptop, clients.get("http_client", OUTSIDE_CLIENTS[0]),
                 clients.get("snmp_client", OUTSIDE_CLIENTS[1]), clients.get("ssh_client", OUTSIDE_CLIENTS[2]),
                 len(frames))
