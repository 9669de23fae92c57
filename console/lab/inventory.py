"""The Ansible inventory of a lab: its hosts, how to reach them, and the roles they play.

Lab hosts are grouped like the estate (a unit, `unit_lab`, and the estate's
role groups, dealt out in turn so that even a 3-host lab has an IDS sensor,
a UPS monitor and a web portal), and the estate's group_vars are copied in,
so the playbooks see the same per-role settings as on the real servers.
Host variables then say what differs in the lab: root over the lab key, the
host's own install root, services as plain processes, no packages installed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml

from console.lab.state import LabHost, LabState

ROLE_CYCLE = ("role_ids_sensor", "role_ups_monitor", "role_web_portal", "role_database", "role_mail", "role_dns",
              "role_file_server", "role_land_database", "role_one_stop_shop", "role_backup",
              "role_document_management", "role_monitoring_gateway", "role_av_server")
# The lab's unit, named in both languages like the estate's units (inventory/group_vars/unit_*.yml).
LAB_UNIT = {"ops_unit_name_vi": "Phòng thử nghiệm (lab)", "ops_unit_name_en": "Lab"}
CONSOLE_GROUP = "ops_console"
# Every host of an inventory with information systems must be in one (console.systems.reader):
# the lab's hosts form a level-3 system of their own, so a lab synced with the estate is assessed too.
LAB_SYSTEM = {"name_vi": "Hệ thống thử nghiệm (lab)", "name_en": "Lab test system", "owner_unit": "unit_lab",
              "level": 3, "framework": "current-331"}
HEADER = ("# Written by `ops lab up` for lab {name!r}; `ops lab down --name {name}` removes it.\n"
          "# Hosts are network namespaces on bridge {bridge} ({gateway}/24), each with its own sshd.\n")


def host_vars(state: LabState, host: LabHost, console_url: str, agent_wheel: str) -> dict:
    ssh_args = (f"-o UserKnownHostsFile={state.known_hosts} -o StrictHostKeyChecking=yes "
                "-o IdentitiesOnly=yes -o ConnectTimeout=10")
    variables = {
        "ansible_host": host.address,
        "ansible_user": "root",
        "ansible_ssh_private_key_file": str(state.private_key),
        "ansible_ssh_common_args": ssh_args,
        "ansible_python_interpreter": "/usr/bin/python3",
        "ops_install_root": host.install_root,
        "ops_service_manager": "process",
        "ops_manage_packages": False,
        "ops_baseline_manage_accounts": False,
        "ops_ssh_permit_root_login": "prohibit-password",
        "ops_ssh_validate_host_key": str(Path(host.sshd_dir) / "ssh_host_ed25519_key"),
        # The agent reads the settings of the sshd that really serves this host (`sshd -T -f`).
        "ops_agent_sshd_config": str(Path(host.sshd_dir) / "sshd_config"),
        "ops_ssh_sources": [f"198.19.{state.subnet_index}.0/{state.prefix_length}"],
        "ops_ids_interface": "eth0",
        # The sensor protects the lab's /24; `ops lab traffic --live` comes from 198.18.200.0/24, outside.
        "ops_ids_home_net": f"[198.19.{state.subnet_index}.0/{state.prefix_length}]",
        "ops_ups": "",
        # Lab hosts share this machine's processes: their agents count only those in the host's own network
        # namespace (services_scope "netns"): its sshd, and the chronyd the baseline starts there (chronyd -x:
        # it never sets this machine's clock). The kernel takes one auditd per machine: the baseline starts
        # none in the lab (playbooks/remediate/auditd.yml starts one, on one host; docs/remediation.md).
        "ops_services_scope": "netns",
        "ops_base_services": ["ssh", "chrony"],
        "ops_required_services": [],
        "ops_run_auditd": False,
        # The baseline reloads the host's own sshd (SIGHUP through its pid file).
        "ops_sshd_pid_file": str(Path(host.sshd_dir) / "sshd.pid"),
        # Install roots are under a folder only root can enter: daemons keep running as root there.
        "ops_daemon_user": "root",
        "ops_agent_wheel": agent_wheel,
    }
    if console_url:
        variables["ops_console_url"] = console_url
    return variables


def build(state: LabState, console_url: str = "", agent_wheel: str = "") -> dict:
    """The inventory as data: unit_lab with every host's variables, the role groups, system_lab, ops_console."""
    roles: dict[str, dict] = {}
    for number, host in enumerate(state.hosts):
        role = ROLE_CYCLE[number % len(ROLE_CYCLE)]
        roles.setdefault(role, {"hosts": {}})["hosts"][host.name] = None
    unit_hosts = {host.name: host_vars(state, host, console_url, agent_wheel) for host in state.hosts}
    children = {"units": {"children": {"unit_lab": {"hosts": unit_hosts, "vars": dict(LAB_UNIT)}}},
                "roles": {"children": roles},
                "systems": {"children": {"system_lab": {"hosts": {host.name: None for host in state.hosts},
                                                        "vars": {"ops_system": dict(LAB_SYSTEM)}}}}}
    if state.hosts:
        children[CONSOLE_GROUP] = {"hosts": {state.hosts[0].name: None}}
    return {"all": {"children": children}}


def write(state: LabState, estate_inventory: Path, console_url: str = "", agent_wheel: str = "") -> Path:
    """hosts.yml and a copy of the estate's group_vars in the lab's inventory folder; returns hosts.yml."""
    folder = state.inventory_dir
    folder.mkdir(parents=True, exist_ok=True)
    group_vars = Path(estate_inventory) / "group_vars"
    if group_vars.is_dir():
        shutil.copytree(group_vars, folder / "group_vars", dirs_exist_ok=True)
    text = HEADER.format(name=state.name, bridge=state.bridge, gateway=state.gateway)
    text += yaml.safe_dump(build(state, console_url, agent_wheel), sort_keys=False, default_flow_style=False)
    _write_atomic(state.inventory_file, text)
    return state.inventory_file


def write_known_hosts(state: LabState, lines: list[str]) -> None:
    _write_atomic(state.known_hosts, "".join(lines))


def merged_with_estate(state: LabState, estate_inventory: Path, target: Path) -> Path:
    """The estate's inventory plus the lab's hosts in one folder, for `ops inventory sync`-like use."""
    estate_inventory = Path(estate_inventory)
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(estate_inventory, target, ignore=shutil.ignore_patterns("*.md", "__pycache__"))
    shutil.copy(state.inventory_file, target / f"lab-{state.name}.yml")
    return target


def _write_atomic(path: Path, text: str) -> None:
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)
