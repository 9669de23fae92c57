"""A router in a network namespace with two uplinks, each a veth pair to an ISP namespace, and Debian's snmpd
(net-snmp) inside it reporting the real interfaces' IF-MIB counters. The uplink tests' router and the demo's
(`ops lab uplinks up`, console/lab/uplinks.py) are this one.

    router (netns <p>r, forwarding)        root namespace (the console)
      mgmt  M.2/30  <-- veth -->  <p>m M.1/30     snmpd listens on the router's mgmt address M.2
      wan1  A.1/30  <-- veth -->  isp1 (netns <p>i1) eth0 A.2, the ISP's gateway (default route via A.1)
      wan2  B.1/30  <-- veth -->  isp2 (netns <p>i2) eth0 B.2
    root namespace: routes to A/30 and B/30 via M.2, so the console pings the ISP gateways over the uplinks

Both ISPs also hold the same "internet" address I (on their loopback). The router's default routes go to
ISP 1 (metric 10) and ISP 2 (metric 20), and it ignores routes whose link is down
(net.ipv4.conf.*.ignore_routes_with_linkdown), so traffic to I takes uplink 1 while its line is up and
uplink 2 when it is cut: a real failover. `carrier_traffic()` keeps a ping to I running in the router.

Names start with "u" + 6 hex digits (or the prefix given), so pytest-xdist workers never collide; the /30s
are picked at random in 198.18.0.0/16 (the labs take 198.19.0.0/16) among those no address or route of the
root namespace uses (under the lab's allocation lock). The ISP side of a line going down
(`isp_link(1, up=False)`) makes the router's interface lowerLayerDown, as a cut line does;
`traffic(1, count)` sends real ICMP over it.

Programs: ip and ping (iproute2, iputils-ping), snmpd (snmpd), snmpget (snmp): the base package list.
"""

from __future__ import annotations

import ipaddress
import json
import os
import random
import signal
import subprocess
import time
import uuid
from pathlib import Path

from console.lab.errors import LabError
from console.lab.network import allocation_lock

COMMUNITY = "public-router"
SNMPD = "/usr/sbin/snmpd"


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        raise LabError("ip: not installed (iproute2, scripts/install-debian-packages.sh base)") from None
    if check and done.returncode != 0:
        raise LabError(f"ip {' '.join(args)}: {done.stderr.strip() or f'exit code {done.returncode}'}")
    return done


def _free_net(taken: list) -> ipaddress.IPv4Network:
    """A /30 of 198.18.0.0/16 that no address or route of the root namespace (nor `taken`) overlaps."""
    used = list(taken)
    for link in json.loads(_ip("-j", "-4", "addr", "show").stdout or "[]"):
        for info in link.get("addr_info", []):
            used.append(ipaddress.ip_interface(f"{info['local']}/{info['prefixlen']}").network)
    for route in json.loads(_ip("-j", "-4", "route", "show").stdout or "[]"):
        if route.get("dst", "default") != "default":
            used.append(ipaddress.ip_network(route["dst"] if "/" in route["dst"] else f"{route['dst']}/32",
                                             strict=False))
    space = ipaddress.ip_network("198.18.0.0/16")  # 198.19.0.0/16 is the labs'
    while True:
        net = ipaddress.ip_network(f"{space.network_address + 4 * random.randrange(2**14)}/30")
        if not any(net.overlaps(other) for other in used):
            return net


_CHILDREN: dict[int, subprocess.Popen] = {}  # the processes this process started: their exit status is collected


def spawn(command: list[str], log_file: Path, env: dict | None = None) -> int:
    """A process in a session of its own (it outlives a CLI that started it), its output in `log_file`."""
    with open(log_file, "ab") as log:
        try:
            process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as exc:
            raise LabError(f"cannot start {command[0]}: {exc.strerror or exc}") from None
    _CHILDREN[process.pid] = process
    return process.pid


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del _CHILDREN[pid]
        return False
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def terminate(pid: int | None, grace_seconds: float = 10) -> None:
    """SIGTERM, then SIGKILL if it has not exited within the grace time (bounded)."""
    for signum, wait in ((signal.SIGTERM, grace_seconds), (signal.SIGKILL, 5)):
        if not _alive(pid):
            return
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.05)


class Router:
    def __init__(self, folder: Path, prefix: str | None = None):
        self.folder = Path(folder)
        self.prefix = prefix or f"u{uuid.uuid4().hex[:6]}"
        if len(self.prefix) > 12:
            raise LabError(f"router prefix {self.prefix!r}: at most 12 characters (interface names)")
        self.router, self.isps = f"{self.prefix}r", {1: f"{self.prefix}i1", 2: f"{self.prefix}i2"}
        self.root_link = f"{self.prefix}m"
        self.address, self.mgmt_net, self.uplink_nets, self.internet = "", "", {}, ""
        self.pids: dict[str, int] = {}

    # --- recorded, so that another process (`ops lab uplinks down`) finds what one made ---
    def as_dict(self) -> dict:
        return {"folder": str(self.folder), "prefix": self.prefix, "address": self.address,
                "mgmt_net": self.mgmt_net, "uplink_nets": {str(k): v for k, v in self.uplink_nets.items()},
                "internet": self.internet, "pids": self.pids}

    @classmethod
    def from_dict(cls, data: dict) -> "Router":
        router = cls(Path(data["folder"]), data["prefix"])
        router.address, router.mgmt_net, router.internet = data["address"], data["mgmt_net"], data["internet"]
        router.uplink_nets = {int(k): v for k, v in data["uplink_nets"].items()}
        router.pids = {name: int(pid) for name, pid in data.get("pids", {}).items()}
        return router

    def start(self) -> "Router":
        if not Path(SNMPD).is_file():
            raise LabError(f"{SNMPD}: not installed (Debian package snmpd, scripts/install-debian-packages.sh base)")
        self.folder.mkdir(parents=True, exist_ok=True)
        _ip("netns", "add", self.router)
        _ip("-n", self.router, "link", "set", "lo", "up")
        for setting in ("net.ipv4.ip_forward=1", "net.ipv4.conf.all.ignore_routes_with_linkdown=1",
                        "net.ipv4.conf.default.ignore_routes_with_linkdown=1"):
            self._in(self.router, "sysctl", "-q", "-w", setting)
        with allocation_lock():
            mgmt = _free_net([])
            self.uplink_nets = {1: str(_free_net([mgmt]))}
            self.uplink_nets[2] = str(_free_net([mgmt, ipaddress.ip_network(self.uplink_nets[1])]))
            internet = _free_net([mgmt, *map(ipaddress.ip_network, self.uplink_nets.values())])
            self.internet = str(list(internet.hosts())[0])
            hosts = list(mgmt.hosts())
            self.address, self.mgmt_net = str(hosts[1]), str(mgmt)
            _ip("link", "add", self.root_link, "type", "veth", "peer", "name", f"{self.prefix}mr")
            _ip("addr", "add", f"{hosts[0]}/30", "dev", self.root_link)
            _ip("link", "set", self.root_link, "up")
            for net in self.uplink_nets.values():
                _ip("route", "add", net, "via", self.address, "dev", self.root_link, "onlink")
        _ip("link", "set", f"{self.prefix}mr", "netns", self.router)
        _ip("-n", self.router, "link", "set", f"{self.prefix}mr", "name", "mgmt")
        _ip("-n", self.router, "addr", "add", f"{self.address}/30", "dev", "mgmt")
        _ip("-n", self.router, "link", "set", "mgmt", "up")
        for number, isp in self.isps.items():
            near, far = list(ipaddress.ip_network(self.uplink_nets[number]).hosts())
            _ip("netns", "add", isp)
            _ip("-n", isp, "link", "set", "lo", "up")
            _ip("-n", isp, "addr", "add", f"{self.internet}/32", "dev", "lo")
            _ip("-n", self.router, "link", "add", f"wan{number}", "type", "veth", "peer", "name", "eth0",
                "netns", isp)
            _ip("-n", self.router, "addr", "add", f"{near}/30", "dev", f"wan{number}")
            _ip("-n", isp, "addr", "add", f"{far}/30", "dev", "eth0")
            _ip("-n", self.router, "link", "set", f"wan{number}", "up")
            _ip("-n", isp, "link", "set", "eth0", "up")
            _ip("-n", isp, "route", "add", "default", "via", str(near))
            _ip("-n", self.router, "route", "add", "default", "via", str(far), "dev", f"wan{number}",
                "metric", str(10 * number))
        self._start_snmpd()
        return self

    def _in(self, namespace: str, *command: str) -> None:
        done = subprocess.run(["ip", "netns", "exec", namespace, *command], capture_output=True, text=True,
                              timeout=30)
        if done.returncode != 0:
            raise LabError(f"{' '.join(command)} in {namespace}: {done.stderr.strip()}")

    def gateway(self, number: int) -> str:
        """The ISP's gateway address on uplink `number` (the far end of its line)."""
        return str(list(ipaddress.ip_network(self.uplink_nets[number]).hosts())[1])

    def _spawn(self, name: str, command: list[str], env: dict | None = None) -> int:
        """A process of its own session (it outlives a CLI that started it), output in <name>.log."""
        self.pids[name] = spawn(["ip", "netns", "exec", self.router, *command], self.folder / f"{name}.log", env)
        return self.pids[name]

    def _start_snmpd(self) -> None:
        persist = self.folder / "persist"
        persist.mkdir(exist_ok=True)
        conf = self.folder / "snmpd.conf"
        conf.write_text(f"agentaddress udp:{self.address}:161\nrocommunity {COMMUNITY} {self.mgmt_net}\n")
        env = {**os.environ, "SNMP_PERSISTENT_DIR": str(persist)}
        pid = self._spawn("snmpd", [SNMPD, "-f", "-Lo", "-C", "-c", str(conf), "-M", str(self.folder), "-m", ""],
                          env)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if not _alive(pid):
                raise LabError(f"snmpd exited: {(self.folder / 'snmpd.log').read_text()[-500:]}")
            if self.snmpget("1.3.6.1.2.1.1.3.0") is not None:
                return
            time.sleep(0.2)
        raise LabError("snmpd in the router namespace did not answer within 20 s")

    def carrier_traffic(self, interval: float = 0.2, size: int = 1000) -> int:
        """A ping to the internet address kept running in the router: it takes the uplink the routes choose."""
        return self._spawn("traffic", ["ping", "-q", "-i", str(interval), "-s", str(size), self.internet])

    def snmpget(self, oid: str) -> str | None:
        try:
            probe = subprocess.run(["snmpget", "-v2c", "-c", COMMUNITY, "-t", "0.5", "-r", "0", "-Oqv",
                                    f"{self.address}:161", oid], capture_output=True, text=True, timeout=10)
        except FileNotFoundError:
            raise LabError("snmpget: not installed (Debian package snmp, scripts/install-debian-packages.sh base)") \
                from None
        return probe.stdout.strip() if probe.returncode == 0 else None

    def isp_link(self, number: int, up: bool) -> None:
        """The ISP's end of uplink `number` down or up: the router's wanN loses or regains its carrier."""
        _ip("-n", self.isps[number], "link", "set", "eth0", "up" if up else "down")

    def line_up(self, number: int) -> bool:
        shown = json.loads(_ip("-n", self.isps[number], "-j", "link", "show", "eth0").stdout or "[]")
        return bool(shown) and "UP" in shown[0].get("flags", [])

    def traffic(self, number: int, count: int = 300, size: int = 1200) -> None:
        """`count` real echo requests of `size` bytes over uplink `number`, flooded (bounded in count and time)."""
        subprocess.run(["ip", "netns", "exec", self.router, "ping", "-q", "-f", "-c", str(count), "-s", str(size),
                        "-w", "20", self.gateway(number)], capture_output=True, timeout=30)

    def wait_for(self, oid: str, condition, seconds: float = 30) -> str:
        """snmpd caches interface data a few seconds: poll until `condition(value)` holds (bounded)."""
        deadline = time.monotonic() + seconds
        value = None
        while time.monotonic() < deadline:
            value = self.snmpget(oid)
            if value is not None and condition(value):
                return value
            time.sleep(0.3)
        raise AssertionError(f"{oid} never met the condition within {seconds} s (last {value!r})")

    def exists(self) -> bool:
        return self.router in _ip("netns", "list").stdout.split()

    def stop(self) -> list[str]:
        """Its processes stopped, its namespaces and link removed; returns what went."""
        removed = []
        for name, pid in list(self.pids.items()):
            if _alive(pid):
                terminate(pid)
                removed.append(f"{name} (pid {pid})")
        for namespace in (self.router, *self.isps.values()):
            if _ip("netns", "delete", namespace, check=False).returncode == 0:
                removed.append(namespace)
        if _ip("link", "delete", self.root_link, check=False).returncode == 0:
            removed.append(self.root_link)
        return removed
