"""The firewall collector against real nftables and iptables in network namespaces the test creates."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

from probes.collectors import CollectorFailed
from probes.collectors.firewall import FirewallCollector, parse_ss
from probes.report import Firewall

DEFAULT_DENY = """
table inet filter {
  set web { type inet_service; elements = { 8080 } }
  chain input { type filter hook input priority 0; policy drop;
    iifname "lo" accept
    ct state established,related accept
    ct state invalid drop
    meta l4proto icmp accept
    tcp dport 22 counter accept
    tcp dport { 80, 443 } accept
    ct state new tcp dport @web accept
    udp dport 5000-5010 accept
    ip saddr 198.18.0.0/24 tcp dport 9000 accept
  }
  chain forward { type filter hook forward priority 0; policy drop; }
}
"""

OPEN_BUT_ONE = """
table inet filter {
  chain input { type filter hook input priority 0; policy accept;
    tcp dport 8080 drop
  }
}
"""

LISTENER = """
import socket, time
socks = []
for family, kind, address, port in (
        (socket.AF_INET, socket.SOCK_STREAM, "0.0.0.0", 22), (socket.AF_INET, socket.SOCK_STREAM, "0.0.0.0", 80),
        (socket.AF_INET, socket.SOCK_STREAM, "0.0.0.0", 8080), (socket.AF_INET, socket.SOCK_STREAM, "0.0.0.0", 9000),
        (socket.AF_INET, socket.SOCK_DGRAM, "0.0.0.0", 5005), (socket.AF_INET, socket.SOCK_DGRAM, "0.0.0.0", 6000),
        (socket.AF_INET, socket.SOCK_STREAM, "127.0.0.1", 8443), (socket.AF_INET6, socket.SOCK_STREAM, "::", 7000)):
    s = socket.socket(family, kind)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((address, port))
    if kind == socket.SOCK_STREAM:
        s.listen()
    socks.append(s)
print("ready", flush=True)
time.sleep(60)
"""


@pytest.fixture
def namespace():
    """A fresh network namespace with listeners on LISTENER's ports; always deleted afterwards."""
    name = f"opstest-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    listener = None
    try:
        subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"], check=True)
        listener = subprocess.Popen(["ip", "netns", "exec", name, sys.executable, "-c", LISTENER],
                                    stdout=subprocess.PIPE, text=True)
        assert listener.stdout.readline().strip() == "ready"
        yield name
    finally:
        if listener:
            listener.kill()
            listener.wait()
            listener.stdout.close()
        subprocess.run(["ip", "netns", "del", name], check=True)


def load(namespace: str, ruleset: str) -> None:
    subprocess.run(["ip", "netns", "exec", namespace, "nft", "-f", "-"], input=ruleset, text=True, check=True)


def iptables(namespace: str, *args: str, tool: str = "iptables") -> None:
    subprocess.run(["ip", "netns", "exec", namespace, tool, *args], check=True)


def collect(namespace: str) -> dict:
    status = FirewallCollector(command_prefix=["ip", "netns", "exec", namespace]).collect()
    Firewall.model_validate(status)
    return status


def ports(status: dict) -> set[tuple[str, int]]:
    return {(p["proto"], p["port"]) for p in status["open_ports"]}


def test_default_deny_ruleset_leaves_only_allowed_ports_open(namespace):
    load(namespace, DEFAULT_DENY)
    status = collect(namespace)
    assert (status["backend"], status["input_policy"], status["forward_policy"]) == ("nftables", "drop", "drop")
    assert status["rule_count"] == 9 and status["input_chains"] == ["inet filter input"]
    assert ports(status) == {("tcp", 22), ("tcp", 80), ("tcp", 8080), ("udp", 5005)}
    assert status["unparsed_rules"] == 1  # the source-restricted rule for 9000 is counted, not guessed
    assert all(port["process"] for port in status["open_ports"])


def test_accept_policy_with_one_drop_leaves_the_rest_open(namespace):
    load(namespace, OPEN_BUT_ONE)
    status = collect(namespace)
    assert (status["input_policy"], status["forward_policy"], status["rule_count"]) == ("accept", "accept", 1)
    assert ports(status) == {("tcp", 22), ("tcp", 80), ("tcp", 7000), ("tcp", 9000), ("udp", 5005), ("udp", 6000)}


def test_no_ruleset_means_everything_listening_is_open(namespace):
    status = collect(namespace)
    assert status["backend"] == "none" and status["input_policy"] == "accept" and status["rule_count"] == 0
    assert ("tcp", 8080) in ports(status) and ("tcp", 8443) not in ports(status)  # loopback-only stays closed


def test_iptables_nft_rules_show_in_nft_and_xt_matches_are_read_from_iptables_save(namespace):
    iptables(namespace, "-P", "INPUT", "DROP")
    iptables(namespace, "-A", "INPUT", "-i", "lo", "-j", "ACCEPT")
    iptables(namespace, "-A", "INPUT", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT")
    iptables(namespace, "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT")
    iptables(namespace, "-A", "INPUT", "-p", "tcp", "-m", "multiport", "--dports", "80,9000", "-j", "ACCEPT")
    status = collect(namespace)
    # Debian's iptables is iptables-nft: nft lists these rules as table ip filter, the
    # conntrack and multiport matches only as opaque "xt" expressions.
    assert status["backend"] == "nftables" and status["read_with"] == ["nft", "iptables-save"]
    assert (status["input_policy"], status["rule_count"], status["unparsed_rules"]) == ("drop", 4, 0)
    assert status["input_chains"] == ["ip filter INPUT"]
    # iptables filters IPv4 only: the IPv6 listener on 7000 stays reachable.
    assert ports(status) == {("tcp", 22), ("tcp", 80), ("tcp", 9000), ("tcp", 7000)}


def test_legacy_iptables_rules_that_nft_cannot_see_are_read_with_iptables_legacy_save(namespace):
    iptables(namespace, "-P", "INPUT", "DROP", tool="iptables-legacy")
    iptables(namespace, "-A", "INPUT", "-p", "tcp", "--dport", "80", "-j", "ACCEPT", tool="iptables-legacy")
    status = collect(namespace)
    assert (status["backend"], status["read_with"], status["input_policy"]) == ("iptables", ["iptables-legacy-save"], "drop")
    assert ports(status) == {("tcp", 80), ("tcp", 7000)}


def test_iptables_save_fallback_where_nft_is_missing(namespace):
    iptables(namespace, "-P", "INPUT", "DROP")
    iptables(namespace, "-A", "INPUT", "-p", "udp", "--dport", "5005", "-j", "REJECT")

    def without_nft(command, **kwargs):
        if "nft" in command:
            raise FileNotFoundError("nft")
        return subprocess.run(command, **kwargs)

    status = FirewallCollector(run=without_nft, command_prefix=["ip", "netns", "exec", namespace]).collect()
    assert (status["backend"], status["input_policy"], status["rule_count"]) == ("iptables", "drop", 1)
    assert ports(status) == {("tcp", 7000)}


def answering(stdout: str = "", rc: int = 0, stderr: str = ""):
    def run(command, **kwargs):
        return subprocess.CompletedProcess(command, rc, stdout=stdout, stderr=stderr)
    return run


@pytest.mark.parametrize("stdout", ["{not json", '{"nftables": 5}', "[1, 2]", "[" * 100000])
def test_garbage_from_nft_is_a_clear_error(stdout):
    with pytest.raises(CollectorFailed, match="nft -j list ruleset"):
        FirewallCollector(run=answering(stdout), listening=lambda: []).collect()


def test_failing_commands_are_an_error_not_an_open_firewall():
    run = answering(rc=1, stderr="Operation not permitted")
    with pytest.raises(CollectorFailed, match=r"nft -j list ruleset failed \(rc 1\): Operation not permitted"):
        FirewallCollector(run=run, listening=lambda: []).collect()


def test_hostile_rules_are_counted_unparsed_not_guessed():
    ruleset = {"nftables": [
        {"chain": {"family": "inet", "table": "t", "name": "in", "hook": "input", "policy": "drop"}},
        *({"rule": {"family": "inet", "table": "t", "chain": "in", "expr": expr}} for expr in (
            5, [7], [{"jump": {"target": "x"}}], [{"match": {"op": "==", "left": {"payload": {
                "protocol": "tcp", "field": "dport"}}, "right": {"set": [True, "ssh"]}}}, {"accept": None}])),
    ]}
    listening = [{"proto": "tcp", "address": "0.0.0.0", "port": 1, "process": None}]
    status = FirewallCollector(run=answering(json.dumps(ruleset)), listening=lambda: listening).collect()
    assert (status["unparsed_rules"], status["open_ports"], status["rule_count"]) == (4, [], 4)


def test_ss_lines_are_parsed():
    text = ('tcp   LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=1,fd=3))\n'
            'udp   UNCONN 0 0 [::]:53 [::]:*\n'
            'tcp   LISTEN 0 5 127.0.0.53%lo:53 0.0.0.0:*\n'
            'udp   UNCONN 0 0 [fe80::1%eth0]:546 [::]:*\n'
            'garbage\ntcp LISTEN 0 5 0.0.0.0:99999 0.0.0.0:*\n')
    assert parse_ss(text) == [
        {"proto": "tcp", "address": "0.0.0.0", "port": 22, "process": "sshd"},
        {"proto": "udp", "address": "[::]", "port": 53, "process": None},
        {"proto": "tcp", "address": "127.0.0.53", "port": 53, "process": None},
        {"proto": "udp", "address": "[fe80::1]", "port": 546, "process": None},
    ]
