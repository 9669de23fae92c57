"""Host health from psutil: CPU, load, memory, disks, listening sockets, services, clock.

Services are checked by process name (what the inventory's
ops_base_services and ops_role_services list), so the check works with
or without systemd. With scope "netns" only processes in the agent's own
network namespace count (their /proc/<pid>/ns/net is the agent's): lab
hosts are network namespaces of one machine and see each other's
processes. The clock offset comes from `chronyc tracking` when chrony
runs; where it cannot be told, it is reported as unknown, never 0.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import psutil

SKIPPED_MOUNTS = ("/run/netns", "/proc", "/sys", "/dev")
PSEUDO_FS = {"tmpfs", "devtmpfs", "squashfs", "overlay", "proc", "sysfs", "nsfs", "autofs", "ramfs"}
# Process names differ from service names for a few common daemons.
PROCESS_NAMES = {"ssh": ("sshd",), "chrony": ("chronyd",), "postgresql": ("postgres",), "nginx": ("nginx",),
                 "auditd": ("auditd",), "smbd": ("smbd",), "unbound": ("unbound",), "suricata": ("Suricata-Main", "suricata")}


class HealthCollector:
    name = "health"

    def __init__(self, required_services: list[str] | None = None, run: Callable = subprocess.run,
                 cpu_interval: float = 0.2, services_scope: str = "all"):
        if services_scope not in ("all", "netns"):
            raise ValueError(f"services_scope must be all or netns (got {services_scope!r})")
        self.required_services = required_services or []
        self.run = run
        self.cpu_interval = cpu_interval
        self.services_scope = services_scope

    def collect(self) -> dict:
        memory, swap = psutil.virtual_memory(), psutil.swap_memory()
        offset, source = self._clock_offset()
        return {
            "cpu_percent": psutil.cpu_percent(interval=self.cpu_interval),
            "cpu_count": psutil.cpu_count() or 1,
            "load_average": [round(value, 2) for value in psutil.getloadavg()],
            "memory_total_bytes": memory.total,
            "memory_used_percent": memory.percent,
            "swap_total_bytes": swap.total,
            "swap_used_percent": swap.percent,
            "disks": self._disks(),
            "boot_time": datetime.fromtimestamp(psutil.boot_time(), timezone.utc).isoformat(),
            "listening": listening_sockets(),
            "services": self._services(),
            "clock_offset_seconds": offset,
            "clock_source": source,
        }

    def _disks(self) -> list[dict]:
        disks, seen = [], set()
        for part in psutil.disk_partitions(all=False):
            if part.fstype in PSEUDO_FS or part.mountpoint in seen or part.mountpoint.startswith(SKIPPED_MOUNTS):
                continue
            seen.add(part.mountpoint)
            try:
                usage = psutil.disk_usage(part.mountpoint)
            except OSError:
                continue
            disks.append({"mount": part.mountpoint, "device": part.device, "fstype": part.fstype,
                          "total_bytes": usage.total, "used_bytes": usage.used, "percent": usage.percent})
        return disks

    def _services(self) -> list[dict]:
        running = set()
        netns_only = self.services_scope == "netns"
        for process in psutil.process_iter(["name"]):
            if netns_only and not same_network_namespace(process.pid):
                continue
            running.add(process.info["name"] or "")
        return [{"name": service, "running": any(n in running for n in PROCESS_NAMES.get(service, (service,)))}
                for service in self.required_services]

    def _clock_offset(self) -> tuple[float | None, str | None]:
        try:
            result = self.run(["chronyc", "-n", "tracking"], capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.SubprocessError):
            return None, None
        return parse_chrony_offset(result.stdout) if result.returncode == 0 else (None, None)


def same_network_namespace(pid: int, proc: Path | str = "/proc") -> bool:
    """Whether process pid is in this process's network namespace; False when that cannot be read."""
    proc = Path(proc)
    try:
        return os.readlink(proc / str(pid) / "ns" / "net") == os.readlink(proc / "self" / "ns" / "net")
    except OSError:
        return False


def parse_chrony_offset(output: str) -> tuple[float | None, str | None]:
    """'System time : 0.000012 seconds slow of NTP time' -> (-0.000012, 'chrony')."""
    found = re.search(r"^System time\s*:\s*([0-9.]+) seconds (slow|fast)", output, re.MULTILINE)
    if not found:
        return None, None
    value = float(found.group(1))
    return (-value if found.group(2) == "slow" else value), "chrony"


def listening_sockets() -> list[dict]:
    """Listening TCP and bound UDP sockets with the owning process where it can be read."""
    names: dict[int, str] = {}
    sockets = []
    for conn in psutil.net_connections(kind="inet"):
        is_tcp = conn.type == socket.SOCK_STREAM
        if (is_tcp and conn.status != psutil.CONN_LISTEN) or not conn.laddr:
            continue
        family6 = conn.family == socket.AF_INET6
        proto = ("tcp" if is_tcp else "udp") + ("6" if family6 else "")
        sockets.append({"proto": proto, "address": conn.laddr.ip, "port": conn.laddr.port, "pid": conn.pid,
                        "process": _process_name(conn.pid, names)})
    return sorted(sockets, key=lambda s: (s["proto"], s["port"], s["address"]))


def _process_name(pid: int | None, cache: dict[int, str]) -> str | None:
    if pid is None:
        return None
    if pid not in cache:
        try:
            cache[pid] = psutil.Process(pid).name()
        except psutil.Error:
            cache[pid] = None
    return cache[pid]
