"""Reading the Ansible inventory: the shipped estate, Ansible's own view of it, and errors with lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from console.errors import InventoryError
from console.inventory import reader as inventory_reader
from console.inventory.reader import VAULT_PLACEHOLDER, read_inventory

INVENTORY = Path(__file__).resolve().parents[3] / "inventory"


def write(folder: Path, text: str, name: str = "hosts.yml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder


def ansible_hostvars(inventory: Path, tmp_path: Path) -> dict:
    """What `ansible-inventory --list` resolves for every host; fails on any warning."""
    ansible_inventory = Path(sys.executable).parent / "ansible-inventory"
    home = tmp_path / "ansible-home"
    env = {**os.environ, "ANSIBLE_HOME": str(home), "ANSIBLE_LOCAL_TEMP": str(home / "tmp")}
    result = subprocess.run([str(ansible_inventory), "-i", str(inventory), "--list"], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    return json.loads(result.stdout)["_meta"]["hostvars"]


def test_shipped_inventory_has_27_servers_each_in_one_unit():
    inventory = read_inventory(INVENTORY)
    assert len(inventory.hosts) == 27
    assert all(host.unit.startswith("unit_") for host in inventory.hosts.values())
    assert all(host.roles for host in inventory.hosts.values())
    assert all(host.address.startswith("198.18.") for host in inventory.hosts.values())
    units = {host.unit for host in inventory.hosts.values()}
    assert {"unit_it_centre", "unit_land_registration", "unit_env_monitoring", "unit_department_office"} <= units


def test_resolved_variables_equal_ansible_inventory_for_every_host(tmp_path):
    expected = ansible_hostvars(INVENTORY, tmp_path)
    ours = read_inventory(INVENTORY)
    assert set(expected) == set(ours.hosts)
    for name, variables in expected.items():
        assert ours.hosts[name].variables == variables, name


def test_shipped_hosts_carry_what_the_agent_and_compliance_need():
    inventory = read_inventory(INVENTORY)
    for host in inventory.hosts.values():
        variables = host.variables
        assert variables["ops_antivirus_provider"] in ("clamav", "kesl"), host.name
        assert 2 <= variables["ops_security_level"] <= 4, host.name
        assert variables["ops_server_room"] and "@198.18." in variables["ops_ups"], host.name
        # Ansible replaces lists: a host with several roles must still get every role's services.
        for role in host.roles:
            wanted = inventory.groups[role].variables.get("ops_required_services", [])
            assert set(wanted) <= set(variables["ops_required_services"]), (host.name, role)


PRECEDENCE = """all:
  vars: {a: inline-all, installed: 2024-05-01}
  children:
    parent:
      vars: {x: inline-parent}
      children:
        child:
          vars: {x: inline-child, y: inline-child, z: inline-child}
          hosts:
            h1: {ansible_host: 198.18.0.1, h: inline-host}
    zeta:
      vars: {p: zeta, ansible_group_priority: 0}
      hosts: {h1: }
    alpha:
      vars: {p: alpha}
      hosts: {h1: }
  hosts:
    lone: {ansible_host: 198.18.0.2}
"""


def test_precedence_corner_cases_resolve_as_ansible_does(tmp_path):
    folder = write(tmp_path / "inv", PRECEDENCE)
    write(folder / "group_vars", "x: file-parent\n", name="parent.yml")
    write(folder / "group_vars", "y: file-ungrouped\n", name="ungrouped.yml")
    write(folder / "group_vars" / "child", "z: first\n", name="10-first.yml")
    write(folder / "group_vars" / "child", "z: second\n", name="20-second.yaml")
    write(folder / "host_vars", "h: file-host\n", name="h1.yml")
    ours = read_inventory(folder)
    expected = ansible_hostvars(folder, tmp_path)
    assert {name: host.variables for name, host in ours.hosts.items()} == expected
    # A parent's group_vars file beats a child's inline vars; priority 0 sorts zeta before alpha.
    assert expected["h1"]["x"] == "file-parent" and expected["h1"]["p"] == "alpha"
    assert ours.hosts["lone"].groups == ["all", "ungrouped"]


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


def test_group_that_is_its_own_ancestor_names_file_and_line(tmp_path):
    folder = write(tmp_path / "inv", "all:\n  children:\n    a:\n      children:\n        b:\n"
                                     "          children:\n            a:\n")
    with pytest.raises(InventoryError, match="'a' would be its own ancestor") as caught:
        read_inventory(folder)
    assert (caught.value.path, caught.value.line) == (folder / "hosts.yml", 7)


def test_values_are_plain_data_and_vault_secrets_stay_encrypted(tmp_path):
    folder = write(tmp_path / "inv", """all:
  hosts:
    srv1:
      ansible_host: 198.18.0.1
      installed: 2024-05-01 10:20:30
      template: !unsafe '{{ lookup("pipe", "id") }}'
      db_password: !vault |
        $ANSIBLE_VAULT;1.1;AES256
        6136
""")
    variables = read_inventory(folder).hosts["srv1"].variables
    assert variables["installed"] == "2024-05-01T10:20:30"
    assert variables["template"] == '{{ lookup("pipe", "id") }}'
    assert variables["db_password"] == VAULT_PLACEHOLDER


def test_alias_bomb_is_refused_before_it_grows(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    text = "all:\n  vars:\n" + "".join(f"    {line}\n" for line in lines)
    with pytest.raises(InventoryError, match="aliases"):
        read_inventory(write(tmp_path / "inv", text))


def test_oversized_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(inventory_reader, "MAX_FILE_BYTES", 64)
    folder = write(tmp_path / "inv", "all:\n  hosts:\n" + "".join(f"    srv{i}:\n" for i in range(20)))
    with pytest.raises(InventoryError, match="larger than"):
        read_inventory(folder)


def test_host_name_cannot_reach_outside_host_vars(tmp_path):
    folder = write(tmp_path / "inv", "all:\n  hosts:\n    ../../secrets:\n")
    with pytest.raises(InventoryError, match="host name") as caught:
        read_inventory(folder)
    assert caught.value.line == 3


def test_address_from_a_vars_file_must_be_a_string(tmp_path):
    folder = write(tmp_path / "inv", "all:\n  hosts:\n    srv1:\n")
    write(folder / "host_vars", "# moved\nansible_host: [198.18.0.1]\n", name="srv1.yml")
    with pytest.raises(InventoryError, match="ansible_host must be a non-empty string") as caught:
        read_inventory(folder)
    assert (caught.value.path, caught.value.line) == (folder / "host_vars" / "srv1.yml", 2)


def test_editor_backups_are_skipped_but_an_ini_file_is_refused(tmp_path):
    folder = write(tmp_path / "inv", "all:\n  hosts:\n    srv1:\n")
    write(folder, "all:\n  hosts:\n    old1:\n", name="hosts.yml~")
    write(folder, "all:\n  hosts:\n    old2:\n", name="hosts.yml.bak")
    assert list(read_inventory(folder).hosts) == ["srv1"]
    write(folder, "[web]\nsrv2 ansible_host=198.18.0.2\n", name="hosts.ini")
    with pytest.raises(InventoryError, match="only YAML inventories") as caught:
        read_inventory(folder)
    assert caught.value.path == folder / "hosts.ini"
