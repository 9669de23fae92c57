"""The firewall collector against real nftables and iptables in network namespaces the test creates."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest

from probes.collectors import CollectorFailed
from probes.collectors.firewall import FirewallCollector, parse_ss
from probes.report import Firewall

DEFAULT_DENY = """
table inet filter {
  chain input { type filter hook input priority 0; policy drop;
    iifname "lo" accept
    ct state established,related accept
    tcp dport 22 accept
    tcp dport { 80, 443 } accept
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
import socket, sys, time
socks = []
for proto, port in (("tcp", 22), ("tcp", 80), ("tcp", 8080), ("tcp", 9000), ("udp", 5005), ("udp", 6000)):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    if proto == "tcp":
        s.listen()
    socks.append(s)
local = socket.socket(); local.bind(("127.0.0.1", 8443)); local.listen(); socks.append(local)
print("ready", flush=True)
time.sleep(60)
"""


@pytest.fixture
def namespace():
    name = f"opsfw-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"], check=True)
    listener = subprocess.Popen(["ip", "netns", "exec", name, sys.executable, "-c", LISTENER],
                                stdout=subprocess.PIPE, text=True)
    try:
        assert listener.stdout.readline().strip() == "ready"
        yield name
    finally:
        listener.kill()
        listener.wait()
        listener.stdout.close()
        subprocess.run(["ip", "netns", "del", name], check=True)


def load(namespace: str, ruleset: str) -> None:
    subprocess.run(["ip", "netns", "exec", namespace, "nft", "-f", "-"], input=ruleset, text=True, check=True)


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
    assert status["rule_count"] == 6
    assert ports(status) == {("tcp", 22), ("tcp", 80), ("udp", 5005)}
    assert status["unparsed_rules"] == 1  # the source-restricted rule for 9000 is counted, not guessed


def test_accept_policy_with_one_drop_leaves_the_rest_open(namespace):
    load(namespace, OPEN_BUT_ONE)
    status = collect(namespace)
    assert status["input_policy"] == "accept"
    assert ports(status) == {("tcp", 22), ("tcp", 80), ("tcp", 9000), ("udp", 5005), ("udp", 6000)}


def test_no_ruleset_means_everything_listening_is_open(namespace):
    status = collect(namespace)
    assert status["backend"] == "none" and status["input_policy"] == "accept"
    assert ("tcp", 8080) in ports(status) and ("tcp", 8443) not in ports(status)  # loopback-only stays closed


def test_iptables_rules_are_read_too(namespace):
    run = ["ip", "netns", "exec", namespace]
    subprocess.run([*run, "iptables", "-P", "INPUT", "DROP"], check=True)
    subprocess.run([*run, "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"], check=True)
    status = collect(namespace)
    # Debian's iptables is iptables-nft: its rules appear in nft's ruleset as table ip filter.
    assert status["input_policy"] == "drop" and ports(status) == {("tcp", 22)}


def test_iptables_save_fallback_where_nft_is_missing(namespace):
    run = ["ip", "netns", "exec", namespace]
    subprocess.run([*run, "iptables", "-P", "INPUT", "DROP"], check=True)
    subprocess.run([*run, "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "80", "-j", "ACCEPT"], check=True)

    def without_nft(command, **kwargs):
        if "nft" in command:
            raise FileNotFoundError("nft")
        return subprocess.run(command, **kwargs)

    status = FirewallCollector(run=without_nft, command_prefix=run).collect()
    assert status["backend"] == "iptables" and status["input_policy"] == "drop"
    assert ports(status) == {("tcp", 80)}


def test_garbage_from_nft_is_a_clear_error():
    def garbage(command, **kwargs):
        return subprocess.CompletedProcess(command, 0, stdout="{not json", stderr="")

    with pytest.raises(CollectorFailed, match="nft -j list ruleset"):
        FirewallCollector(run=garbage, listening=lambda: []).collect()


def test_ss_lines_are_parsed():
    text = ('tcp   LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=1,fd=3))\n'
            'udp   UNCONN 0 0 [::]:53 [::]:*\n'
            'tcp   LISTEN 0 5 127.0.0.53%lo:53 0.0.0.0:*\n')
    assert parse_ss(text) == [
        {"proto": "tcp", "address": "0.0.0.0", "port": 22, "process": "sshd"},
        {"proto": "udp", "address": "[::]", "port": 53, "process": None},
        {"proto": "tcp", "address": "127.0.0.53", "port": 53, "process": None},
    ]
