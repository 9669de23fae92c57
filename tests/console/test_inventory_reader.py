"""Reading the Ansible inventory: the shipped estate, Ansible's own view of it, and errors with lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from console.errors import InventoryError
from console.services.inventory_reader import read_inventory

INVENTORY = Path(__file__).resolve().parents[2] / "inventory"


def write(folder: Path, text: str, name: str = "hosts.yml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder


def test_shipped_inventory_has_27_servers_each_in_one_unit():
    inventory = read_inventory(INVENTORY)
    assert len(inventory.hosts) == 27
    assert all(host.unit.startswith("unit_") for host in inventory.hosts.values())
    assert all(host.roles for host in inventory.hosts.values())
    assert all(host.address.startswith("198.18.") for host in inventory.hosts.values())
    units = {host.unit for host in inventory.hosts.values()}
    assert {"unit_it_centre", "unit_land_registration", "unit_env_monitoring", "unit_department_office"} <= units


def test_resolved_variables_equal_ansible_inventory_for_every_host(tmp_path):
    ansible_inventory = Path(sys.executable).parent / "ansible-inventory"
    env = {**os.environ, "ANSIBLE_HOME": str(tmp_path), "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp")}
    result = subprocess.run([str(ansible_inventory), "-i", str(INVENTORY), "--list"], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    expected = json.loads(result.stdout)["_meta"]["hostvars"]
    ours = read_inventory(INVENTORY)
    assert set(expected) == set(ours.hosts)
    for name, variables in expected.items():
        assert ours.hosts[name].variables == variables, name


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    folder = write(tmp_path / "inv", "all:\n  hosts:\n    a1: {ansible_host: 198.18.0.1\n    b1:\n")
    with pytest.raises(InventoryError) as caught:
        read_inventory(folder)
    assert caught.value.path == folder / "hosts.yml"
    assert caught.value.line in (3, 4)
    assert "YAML error" in str(caught.value)


def test_host_in_two_units_names_both_and_the_line(tmp_path):
    folder = write(tmp_path / "inv", """all:
  children:
    units:
      children:
        unit_a:
          hosts:
            srv1: {ansible_host: 198.18.0.1}
        unit_b:
          hosts:
            srv1:
""")
    with pytest.raises(InventoryError) as caught:
        read_inventory(folder)
    message = str(caught.value)
    assert "srv1" in message and "unit_a" in message and "unit_b" in message
    assert caught.value.line == 10


def test_host_with_two_addresses_is_refused(tmp_path):
    folder = write(tmp_path / "inv", """all:
  children:
    g1:
      hosts:
        srv1: {ansible_host: 198.18.0.1}
    g2:
      hosts:
        srv1: {ansible_host: 198.18.0.2}
""")
    with pytest.raises(InventoryError, match="two addresses") as caught:
        read_inventory(folder)
    assert caught.value.line == 8


@pytest.mark.parametrize("text, message", [
    ("all:\n  host:\n    a: null\n", "unknown key 'host'"),
    ("all:\n  hosts:\n    - a\n", "expected a mapping"),
    ("all:\n  hosts:\n    a: [1, 2]\n", "expected a mapping of variables"),
    ("all:\n  hosts:\n    a: {ansible_host: 5}\n", "ansible_host must be a non-empty string"),
    ("all:\n  hosts:\n    a: !!python/object:os.system {}\n", "could not determine a constructor"),
])
def test_malformed_entries_are_refused_with_a_line(tmp_path, text, message):
    with pytest.raises(InventoryError, match=message) as caught:
        read_inventory(write(tmp_path / "inv", text))
    assert caught.value.line is not None


def test_ini_inventory_is_refused_clearly(tmp_path):
    folder = write(tmp_path / "inv", "[web]\nsrv1 ansible_host=198.18.0.1\n", name="hosts")
    with pytest.raises(InventoryError, match="only YAML inventories"):
        read_inventory(folder)


def test_group_vars_override_inline_vars_and_host_vars_override_both(tmp_path):
    folder = write(tmp_path / "inv", """all:
  vars: {level: 1, from: inline-all}
  children:
    web:
      vars: {level: 2}
      hosts:
        srv1: {ansible_host: 198.18.0.1, level: 3}
        srv2: {ansible_host: 198.18.0.2}
""")
    write(folder / "group_vars", "from: group_vars-all\n", name="all.yml")
    write(folder / "host_vars", "level: 9\n", name="srv1.yml")
    inventory = read_inventory(folder)
    assert inventory.hosts["srv1"].variables["level"] == 9
    assert inventory.hosts["srv2"].variables["level"] == 2
    assert inventory.hosts["srv2"].variables["from"] == "group_vars-all"


def test_host_in_two_units_through_a_subgroup_points_at_the_subgroup_line(tmp_path):
    folder = write(tmp_path / "inv", """all:
  children:
    units:
      children:
        unit_a:
          hosts:
            srv1:
        unit_b:
          children:
            unit_b_room2:
              hosts:
                srv1:
    roles:
      children:
        role_web:
          hosts:
            srv1:
""")
    with pytest.raises(InventoryError) as caught:
        read_inventory(folder)
    assert caught.value.line == 12 and "unit_a, unit_b" in str(caught.value)
