"""`ops lab`: namespaces with their own sshd, an inventory for them, and nothing left after down."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from console import lab as lab_api
from console.lab import network
from console.lab.state import link_prefix, merged_inventory_dir, namespace_prefix

ROOT = Path(__file__).resolve().parents[2]


def ssh(lab, host, command: str) -> subprocess.CompletedProcess:
    state = lab.state
    return subprocess.run(["ssh", "-i", str(state.private_key), "-o", f"UserKnownHostsFile={state.known_hosts}",
                           "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ControlMaster=no",
                           f"root@{host.address}", command], capture_output=True, text=True, timeout=30)


def alive(pid: int) -> bool:
    """Running, not a zombie (this machine's PID 1 may be slow to reap what lost its parent)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def leftovers(name: str) -> list[str]:
    return network.namespaces(namespace_prefix(name)) + network.links(link_prefix(name))


def test_each_lab_host_is_its_own_namespace_reached_over_ssh_with_its_own_host_key(make_lab):
    lab = make_lab(2)
    first, second = lab.hosts
    answer = ssh(lab, first, "ip -o -4 addr show dev eth0")
    assert answer.returncode == 0, answer.stderr
    assert f"{first.address}/24" in answer.stdout and second.address not in answer.stdout
    keys = lab.state.known_hosts.read_text().splitlines()
    assert len(keys) == 2 and keys[0].split()[2] != keys[1].split()[2]


def test_lab_inventory_names_every_host_with_its_install_root_and_lab_settings(make_lab):
    lab = make_lab(2)
    inventory = yaml.safe_load(lab.state.inventory_file.read_text())
    hosts = inventory["all"]["children"]["units"]["children"]["unit_lab"]["hosts"]
    assert set(hosts) == {"lab-host-01", "lab-host-02"}
    host = hosts["lab-host-01"]
    assert host["ansible_user"] == "root" and host["ansible_host"] == lab.hosts[0].address
    assert host["ops_install_root"] == lab.hosts[0].install_root
    assert host["ops_service_manager"] == "process" and host["ops_manage_packages"] is False
    assert "StrictHostKeyChecking=yes" in host["ansible_ssh_common_args"]
    assert (lab.inventory / "group_vars" / "role_web_portal.yml").exists()


def test_two_labs_at_once_get_their_own_subnets(make_lab):
    one, two = make_lab(1), make_lab(1)
    assert one.gateway != two.gateway
    assert ssh(two, two.hosts[0], "true").returncode == 0


def test_down_removes_namespaces_links_processes_and_files(make_lab):
    lab = make_lab(2)
    directory = Path(lab.state.directory)
    # what `ops lab sync-inventory` (make demo) writes beside the lab
    merged = lab_api.merged_with_estate(lab.state, ROOT / "inventory", merged_inventory_dir(lab.var_dir, lab.name))
    lab.down()
    assert leftovers(lab.name) == []
    assert not directory.exists() and not merged.exists()
    assert lab_api.load(lab.var_dir, lab.name) is None


def test_down_after_a_crash_that_lost_the_state_file_still_finds_everything_by_name(make_lab):
    lab = make_lab(2)
    lab.state.state_file.unlink()
    pids = network.namespace_pids(lab.hosts[0].namespace)
    assert pids  # its sshd
    lab_api.down(lab.var_dir, lab.name)
    assert leftovers(lab.name) == []
    assert not any(alive(pid) for pid in pids)


def test_lab_up_refuses_a_second_lab_of_the_same_name(make_lab):
    lab = make_lab(1)
    with pytest.raises(lab_api.LabError, match="already up"):
        lab_api.up(lab.var_dir, 1, lab.name)


@pytest.mark.parametrize("argv, message", [(["up", "0"], "0 is not in the range"),
                                            (["up", "2", "--name", "Bad Name"], "lab name 'Bad Name'")])
def test_ops_lab_up_refuses_bad_input_with_one_line(tmp_path, argv, message):
    config = tmp_path / "ops.toml"
    config.write_text(f'[paths]\nvar_dir = "{tmp_path / "v"}"\n')
    result = subprocess.run([sys.executable, "-m", "console.cli", "-c", str(config), "lab", *argv],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert message in result.stderr
