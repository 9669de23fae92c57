"""Test traffic as a pcap, made with scapy: whole TCP conversations or UDP datagrams.

TCP flows get a real three-way handshake, sequence and acknowledgement
numbers that add up, an ACK for every data segment and a FIN exchange, so
Suricata's stream engine reassembles them as it would live traffic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# scapy is imported where a packet is made, not here: importing it costs about a second, which every
# `ops` command paid (the CLI reaches this module through the rule manager) though few make a pcap.

CLIENT_MAC, SERVER_MAC = "02:00:00:00:0a:01", "02:00:00:00:0a:02"


@dataclass
class Flow:
    """One conversation: client and server addresses, ports, and payloads in order."""

    proto: str  # tcp or udp
    client: str
    server: str
    client_port: int
    server_port: int
    payloads: list[tuple[str, bytes]] = field(default_factory=list)  # ("client"|"server", data)


class PcapWriter:
    def __init__(self):
        self.packets, self.clock = [], 1_700_000_000.0

    def _add(self, packet) -> None:
        self.clock += 0.001
        packet.time = self.clock
        self.packets.append(packet)

    def add(self, flow: Flow) -> None:
        if flow.proto == "udp":
            from scapy.layers.inet import UDP

            for side, data in flow.payloads:
                self._add(self._frame(flow, side) / UDP(sport=self._ports(flow, side)[0],
                                                        dport=self._ports(flow, side)[1]) / data)
            return
        self._tcp(flow)

    def _tcp(self, flow: Flow) -> None:
        seq = {"client": 1000, "server": 5000}
        self._segment(flow, "client", "S", seq, b"")
        seq["client"] += 1
        self._segment(flow, "server", "SA", seq, b"")
        seq["server"] += 1
        self._segment(flow, "client", "A", seq, b"")
        for side, data in flow.payloads:
            for start in range(0, len(data), 1400):
                chunk = data[start:start + 1400]
                self._segment(flow, side, "PA", seq, chunk)
                seq[side] += len(chunk)
                self._segment(flow, _other(side), "A", seq, b"")
        self._segment(flow, "client", "FA", seq, b"")
        seq["client"] += 1
        self._segment(flow, "server", "FA", seq, b"")
        seq["server"] += 1
        self._segment(flow, "client", "A", seq, b"")

    def _segment(self, flow: Flow, side: str, flags: str, seq: dict, data: bytes) -> None:
        from scapy.layers.inet import TCP

        sport, dport = self._ports(flow, side)
        ack = seq[_other(side)] if "A" in flags else 0
        self._add(self._frame(flow, side) / TCP(sport=sport, dport=dport, flags=flags, seq=seq[side], ack=ack,
                                                window=65535) / data)

    @staticmethod
    def _frame(flow: Flow, side: str):
        from scapy.layers.inet import IP
        from scapy.layers.l2 import Ether

        if side == "client":
            return Ether(src=CLIENT_MAC, dst=SERVER_MAC) / IP(src=flow.client, dst=flow.server)
        return Ether(src=SERVER_MAC, dst=CLIENT_MAC) / IP(src=flow.server, dst=flow.client)

    @staticmethod
    def _ports(flow: Flow, side: str) -> tuple[int, int]:
        return (flow.client_port, flow.server_port) if side == "client" else (flow.server_port, flow.client_port)

    def write(self, path: Path) -> None:
        from scapy.utils import wrpcap

        wrpcap(str(path), self.packets)


def _other(side: str) -> str:
    return "server" if side == "client" else "client"
