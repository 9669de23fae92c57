"""Remediations in the catalog: what each control that Ansible fixes declares, checked against the playbooks."""

from __future__ import annotations

import pytest

from console.compliance.catalog import CatalogError, load_catalog
from tests.console.compliance.helpers import ops
from tests.console.compliance.test_catalog import GOOD

CONTROL = GOOD + "    remediation:\nREMEDIATION"
FIX_PLAYBOOK = """- name: Fix
  hosts: all
  gather_facts: false
  tasks:
    - name: Load the firewall
      ansible.builtin.command: "true"
      tags: [load]
"""


@pytest.fixture
def playbooks(tmp_path):
    folder = tmp_path / "playbooks"
    (folder / "remediate").mkdir(parents=True)
    (folder / "remediate" / "fix.yml").write_text(FIX_PLAYBOOK)
    (folder / "roles" / "ops_firewall" / "tasks").mkdir(parents=True)
    (folder / "roles" / "ops_firewall" / "tasks" / "main.yml").write_text(
        "- name: Write\n  ansible.builtin.command: 'true'\n  tags: [nft_write]\n")
    (folder / "site.yml").write_text("- name: All\n  hosts: all\n  roles:\n    - role: ops_firewall\n      tags: [firewall]\n")
    return folder


def controls_with(tmp_path, remediation: str):
    folder = tmp_path / "controls"
    folder.mkdir(exist_ok=True)
    (folder / "a.yaml").write_text(CONTROL.replace("REMEDIATION", remediation))
    return folder


@pytest.mark.parametrize("remediation, describe", [
    ("      playbook: remediate/fix.yml\n      vars: {ops_x: 'no'}\n", "remediate/fix.yml -e ops_x=no"),
    ("      playbook: remediate/fix.yml\n      tags: [load]\n", "remediate/fix.yml --tags load"),
    ("      role: ops_firewall\n      tags: [firewall]\n", "site.yml --tags firewall"),
    ("      role: ops_firewall\n      tags: [nft_write]\n", "site.yml --tags nft_write"),
])
def test_a_remediation_naming_what_exists_loads(tmp_path, playbooks, remediation, describe):
    catalog = load_catalog(controls_with(tmp_path, remediation), playbooks)
    fix = catalog.controls[0].spec.remediation
    assert fix.describe() == describe


@pytest.mark.parametrize("remediation, line, message", [
    ("      playbook: remediate/missing.yml\n", 11, "remediation.playbook: no playbook remediate/missing.yml"),
    ("      playbook: ../etc/passwd\n", 11, "remediation.playbook: String should match pattern"),
    ("      role: ops_nothing\n      tags: [firewall]\n", 11, "remediation.role: no role ops_nothing"),
    ("      role: ops_firewall\n      tags: [firewal]\n", 12, "remediation.tags: tag firewal is defined nowhere"),
    ("      playbook: remediate/fix.yml\n      tags: [lod]\n", 12, "remediation.tags: tag lod is defined nowhere"),
    ("      role: ops_firewall\n", 10, "a role remediation names the site.yml tags"),
    ("      playbook: remediate/fix.yml\n      role: ops_firewall\n      tags: [firewall]\n", 10,
     "give exactly one of playbook, role"),
    ("      playbook: remediate/fix.yml\n      become_user: root\n", 12, "remediation.become_user: unknown field"),
])
def test_a_remediation_naming_what_does_not_exist_stops_the_load_with_file_and_line(tmp_path, playbooks, remediation,
                                                                                     line, message):
    folder = controls_with(tmp_path, remediation)
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder, playbooks)
    assert str(caught.value).startswith(f"{folder / 'a.yaml'}:{line}: "), str(caught.value)
    assert message in str(caught.value)


def test_shipped_remediations_name_shipped_playbooks_and_the_issue_s_eight_are_there():
    catalog = load_catalog()
    fixed = {c.id: c.spec.remediation for c in catalog.controls if c.spec.remediation}
    assert {"SRV-04", "FW-01", "FW-02", "EP-AV-02", "EP-AV-03", "LOG-01", "LOG-02", "SRV-05"} <= set(fixed)


def test_ops_compliance_controls_shows_each_fix_or_manual(config_file):
    result = ops(config_file, "compliance", "controls")
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    assert "fix: remediate/" in lines["FW-02"]
    assert lines["UPS-01"].endswith("fix: manual")
