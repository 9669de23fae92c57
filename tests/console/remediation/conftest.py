"""Fixtures for remediations: a console whose controls, playbooks and inventory are small ones made here.

web-a and web-b run over `ansible_connection: local`; far-1 is an SSH host
at an address where nothing listens (tests.console.jobs' far_address), so
Ansible reports it unreachable at once. The control TST-01 reads a marker
file's state from the agent report; its remediation writes the marker. The
"agent" of these tests is the test itself: it reads the marker file the
playbook wrote and ingests a report saying what it found.
"""

from __future__ import annotations

import pytest

from tests.console.jobs.conftest import far_address  # noqa: F401 (a fixture)

CONTROLS = """
controls:
  - id: TST-01
    title: {vi: Tệp đánh dấu đã sửa, en: The marker file is fixed}
    rationale: {vi: Kiểm thử., en: A test control.}
    category: server
    severity: high
    applies_to: {all_hosts: true}
    evidence: {source: agent_report, max_age: 30m}
    condition: {field: marker.state, op: eq, value: fixed}
    remediation:
      playbook: remediate/marker.yml
      vars: {marker_dir: "MARKERS"}
  - id: TST-02
    title: {vi: Tệp đánh dấu nghiêm trọng, en: The critical marker is fixed}
    rationale: {vi: Kiểm thử., en: A test control.}
    category: server
    severity: critical
    applies_to: {all_hosts: true}
    evidence: {source: agent_report, max_age: 30m}
    condition: {field: marker.state, op: eq, value: fixed}
    remediation:
      playbook: remediate/marker.yml
      vars: {marker_dir: "MARKERS"}
  - id: TST-03
    title: {vi: Kiểm tra thủ công, en: Checked by hand}
    rationale: {vi: Kiểm thử., en: A test control.}
    category: server
    severity: low
    applies_to: {all_hosts: true}
    evidence: {source: agent_report, max_age: 30m}
    condition: {field: marker.state, op: eq, value: fixed}
"""

MARKER_PLAYBOOK = """
- name: Fix the marker
  hosts: all
  gather_facts: false
  tasks:
    - name: Write the marker
      ansible.builtin.copy:
        content: "fixed\\n"
        dest: "{{ marker_dir }}/{{ inventory_hostname }}"
        mode: "0644"
"""


@pytest.fixture
def fix_files(tmp_path, far_address):  # noqa: F811
    inventory = tmp_path / "inventory"
    inventory.mkdir()
    (inventory / "hosts.yml").write_text(f"""
all:
  vars:
    ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
  children:
    webs:
      hosts:
        web-a: {{ansible_connection: local}}
        web-b: {{ansible_connection: local}}
    far:
      hosts:
        far-1:
          ansible_connection: ssh
          ansible_host: {far_address}
          ansible_user: nobody
          ansible_ssh_common_args: "-o ConnectTimeout=3 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
""")
    markers = tmp_path / "markers"
    markers.mkdir()
    playbooks = tmp_path / "playbooks"
    (playbooks / "remediate").mkdir(parents=True)
    (playbooks / "remediate" / "marker.yml").write_text(MARKER_PLAYBOOK.lstrip())
    (playbooks / "site.yml").write_text("- name: Nothing\n  hosts: all\n  gather_facts: false\n  tasks: []\n")
    controls = tmp_path / "controls"
    controls.mkdir()
    (controls / "test.yaml").write_text(CONTROLS.replace("MARKERS", str(markers)))
    return inventory, playbooks, controls, markers


@pytest.fixture
def config_file(tmp_path, db_url, fix_files):
    inventory, playbooks, controls, _markers = fix_files
    path = tmp_path / "ops.toml"
    path.write_text(
        f'[console]\nsecret_key = "test-secret-key-not-for-production"\ndefault_locale = "en"\n'
        f'[database]\nurl = "{db_url}"\n[paths]\nvar_dir = "{tmp_path / "var"}"\n'
        f'[inventory]\npath = "{inventory}"\n'
        f'[jobs]\nplaybooks_dir = "{playbooks}"\nprivate_data_dir = "{tmp_path / "var" / "jobs"}"\n'
        f'[compliance]\ncontrols_dir = "{controls}"\nremediation_verify_minutes = 5\n'
    )
    return path
