"""The lab's network: a bridge in the root namespace, one namespace per host joined by a veth pair.

Each lab takes its own /24 of 198.19.0.0/16 (the first free one: 198.19.0.0/24
for the first lab), so several labs (the demo, a test, a benchmark) can be up
at once. The bridge holds .1, where the console listens for the lab's
agents; hosts are .11, .12, ...
"""

from __future__ import annotations

import fcntl
import ipaddress
import json
import os
import signal
import time
from contextlib import contextmanager
from pathlib import Path

from console.lab.commands import run
from console.lab.errors import LabError
from console.lab.state import LabHost, LabState

LAB_NETWORK = ipaddress.ip_network("198.19.0.0/16")
FIRST_HOST_OCTET = 11
MAX_HOSTS = 100
# Segmentation and receive offloads of the root-namespace end of each host's veth pair, turned off.
ROOT_END_OFFLOADS = ("generic-receive-offload", "tcp-segmentation-offload", "generic-segmentation-offload")
LOCK_FILE = Path("/run/lock/ops-console-lab.lock") if Path("/run/lock").is_dir() else Path("/tmp/ops-console-lab.lock")


@contextmanager
def allocation_lock():
    """Held while a lab picks its subnet and puts the address on its bridge."""
    with open(LOCK_FILE, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def used_subnets() -> set[int]:
    """Third octets of the 198.19.x.0/24 subnets with an address in the root namespace."""
    links = json.loads(run("ip", "-j", "-4", "addr", "show").stdout or "[]")
    used = set()
    for link in links:
        for info in link.get("addr_info", []):
            address = ipaddress.ip_address(info.get("local", "0.0.0.0"))
            if address in LAB_NETWORK:
                used.add(address.packed[2])
    return used


def free_subnet() -> int:
    used = used_subnets()
    for index in range(256):
        if index not in used:
            return index
    raise LabError("every 198.19.x.0/24 subnet is in use; remove a lab with `ops lab down`")


def host_address(subnet_index: int, number: int) -> str:
    return f"198.19.{subnet_index}.{FIRST_HOST_OCTET + number - 1}"


def veth_name(link_prefix: str, number: int) -> str:
    """The root-namespace end of host `number`'s veth pair (12 characters)."""
    return f"{link_prefix}v{number:03d}"


def peer_name(veth: str) -> str:
    """The other end, renamed eth0 once it is inside the host's namespace."""
    return veth[:-4] + "p" + veth[-3:]


def create_bridge(state: LabState) -> None:
    run("ip", "link", "add", state.bridge, "type", "bridge")
    run("ip", "addr", "add", f"{state.gateway}/{state.prefix_length}", "dev", state.bridge)
    run("ip", "link", "set", state.bridge, "up")


def create_host(state: LabState, host: LabHost) -> None:
    """The host's namespace with eth0 on the bridge and loopback up."""
    peer = peer_name(host.veth)
    run("ip", "netns", "add", host.namespace)
    run("ip", "link", "add", host.veth, "type", "veth", "peer", "name", peer)
    run("ip", "link", "set", peer, "netns", host.namespace)
    run("ip", "link", "set", host.veth, "master", state.bridge, "up")
    # What the bridge hands to the host arrives segmented as on a wire: a sensor capturing on the host's eth0
    # sees no frame larger than the MTU (the ops_ids_sensor role turns eth0's own offloads off).
    run("ethtool", "--features", host.veth, *[word for feature in ROOT_END_OFFLOADS for word in (feature, "off")])
    run("ip", "-n", host.namespace, "link", "set", peer, "name", "eth0")
    run("ip", "-n", host.namespace, "addr", "add", f"{host.address}/{state.prefix_length}", "dev", "eth0")
    run("ip", "-n", host.namespace, "link", "set", "eth0", "up")
    run("ip", "-n", host.namespace, "link", "set", "lo", "up")


def namespace_pids(namespace: str) -> list[int]:
    result = run("ip", "netns", "pids", namespace, check=False)
    return [int(pid) for pid in result.stdout.split() if pid.isdigit()]


def kill_namespace_processes(namespace: str, grace_seconds: float = 5) -> None:
    """SIGTERM every process in the namespace (sshd, agents, sensors), SIGKILL what is left."""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        pids = namespace_pids(namespace)
        for pid in pids:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace_seconds
        while pids and time.monotonic() < deadline:
            time.sleep(0.1)
            pids = namespace_pids(namespace)
        if not pids:
            return


def namespaces(prefix: str) -> list[str]:
    listed = run("ip", "netns", "list", check=False).stdout.splitlines()
    return [line.split()[0] for line in listed if line.startswith(prefix)]


def links(prefix: str) -> list[str]:
    listed = json.loads(run("ip", "-j", "link", "show").stdout or "[]")
    return [link["ifname"] for link in listed if link.get("ifname", "").startswith(prefix)]


def remove(namespace_prefix: str, link_prefix: str) -> list[str]:
    """Remove every namespace and link whose name starts with the lab's prefixes; returns what went."""
    removed = []
    for namespace in namespaces(namespace_prefix):
        kill_namespace_processes(namespace)
        run("ip", "netns", "delete", namespace, check=False)
        removed.append(namespace)
    for link in links(link_prefix):
        run("ip", "link", "delete", link, check=False)
        removed.append(link)
    return removed
