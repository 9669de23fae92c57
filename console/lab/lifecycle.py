"""Bringing a lab up, taking it down (also after a crash) and saying what is there."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from console.lab import inventory, network, sshd, wheel
from console.lab.errors import LabError
from console.lab.state import (LabHost, LabState, check_name, lab_dir, link_prefix, load, merged_inventory_dir,
                               namespace_prefix, recorded_labs)

DEFAULT_NAME = "lab"
# What Debian's packages would have made on a real server (openssh-server,
# chrony, apt, auditd, clamav, nut-client, suricata, systemd), so the roles,
# like on a real server, only write their files into them.
DEBIAN_FOLDERS = ("etc/ssh/sshd_config.d", "etc/chrony/conf.d", "etc/apt/apt.conf.d", "etc/audit/rules.d",
                  "etc/clamav", "etc/nut", "etc/suricata", "etc/systemd/system", "var/lib/suricata",
                  "var/log/suricata", "run/suricata", "run/clamav")
# Unix socket paths (Suricata's command socket) hold at most 107 bytes.
LONGEST_SOCKET = "/hosts/lab-host-100/run/suricata/suricata-command.socket"


def host_name(number: int) -> str:
    return f"lab-host-{number:02d}"


def up(var_dir: Path, count: int, name: str = DEFAULT_NAME, estate_inventory: Path = Path("inventory"),
       console_port: int | None = None) -> LabState:
    """Make `count` hosts, start their sshd, write inventory and known_hosts; returns the state.

    On any failure everything made so far is removed again before LabError propagates.
    """
    check_name(name)
    if not 1 <= count <= network.MAX_HOSTS:
        raise LabError(f"a lab has 1 to {network.MAX_HOSTS} hosts (asked for {count})")
    if os.geteuid() != 0:
        raise LabError("the lab makes network namespaces: run it as root")
    if load(var_dir, name) is not None or network.namespaces(namespace_prefix(name)):
        raise LabError(f"lab {name!r} is already up (or left over): `ops lab down --name {name}` first")
    if len(str(lab_dir(var_dir, name)) + LONGEST_SOCKET) > 107:
        raise LabError(f"{lab_dir(var_dir, name)}: too long a path for the lab hosts' unix sockets; use a var_dir "
                       "with a shorter path")
    agent_wheel = wheel.agent_wheel(var_dir)
    state = _new_state(var_dir, name)
    try:
        _make(state, count)
        console_url = f"http://{state.gateway}:{console_port}" if console_port else ""
        inventory.write(state, estate_inventory, console_url, str(agent_wheel))
        state.status = "up"
        state.save()
    except BaseException:
        down(var_dir, name)
        raise
    return state


def _new_state(var_dir: Path, name: str) -> LabState:
    directory = lab_dir(var_dir, name)
    directory.mkdir(parents=True, exist_ok=True)
    with network.allocation_lock():
        state = LabState(name=name, directory=str(directory), subnet_index=network.free_subnet(),
                         bridge=f"{link_prefix(name)}br")
        state.save()
        network.create_bridge(state)
    return state


def _make(state: LabState, count: int) -> None:
    directory = Path(state.directory)
    sshd.make_key(state.private_key, f"ops-lab-{state.name}")
    shutil.copy(state.private_key.with_suffix(".pub"), directory / "authorized_keys")
    for number in range(1, count + 1):
        name = host_name(number)
        host = LabHost(name=name, address=network.host_address(state.subnet_index, number),
                       namespace=f"{namespace_prefix(state.name)}{name}",
                       veth=network.veth_name(link_prefix(state.name), number),
                       install_root=str(directory / "hosts" / name), sshd_dir=str(directory / "sshd" / name))
        state.hosts.append(host)
        state.save()
        network.create_host(state, host)
        for folder in DEBIAN_FOLDERS:
            (Path(host.install_root) / folder).mkdir(parents=True, exist_ok=True)
        sshd.write_config(state, host)
        sshd.start(host)
    for host in state.hosts:
        sshd.wait_listening(host)
    inventory.write_known_hosts(state, [sshd.known_hosts_line(host) for host in state.hosts])


def down(var_dir: Path, name: str = DEFAULT_NAME) -> list[str]:
    """Remove the lab's processes, namespaces, links and files; returns what was removed.

    Works from the state file and, for anything a crash left unrecorded, from
    the lab's name prefixes. Removing a lab that is not there is not an error.
    """
    check_name(name)
    removed = []
    state = load(var_dir, name)
    if state is not None:
        for host in state.hosts:
            sshd.stop(host)
    removed += network.remove(namespace_prefix(name), link_prefix(name))
    for directory in (lab_dir(var_dir, name), merged_inventory_dir(var_dir, name)):
        if directory.exists():
            shutil.rmtree(directory)
            removed.append(str(directory))
    return removed


@dataclass
class HostStatus:
    name: str
    address: str
    namespace_present: bool
    sshd_answers: bool


def status(var_dir: Path, name: str) -> tuple[LabState | None, list[HostStatus]]:
    """The recorded lab and, per host, whether its namespace exists and its sshd answers."""
    state = load(var_dir, name)
    if state is None:
        return None, []
    present = set(network.namespaces(namespace_prefix(name)))
    rows = []
    for host in state.hosts:
        try:
            sshd.wait_listening(host, timeout_seconds=1)
            answers = True
        except LabError:
            answers = False
        rows.append(HostStatus(host.name, host.address, host.namespace in present, answers))
    return state, rows


def labs(var_dir: Path) -> list[str]:
    return recorded_labs(var_dir)
