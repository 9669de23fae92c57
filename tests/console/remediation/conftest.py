"""Fixtures for remediations: a console with the jobs tests' inventory and playbooks, and controls made here.

web-a and web-b run over `ansible_connection: local`; far-1 is an SSH host
at an address where nothing listens (tests.console.jobs' far_address), so
Ansible reports it unreachable at once. The control TST-01 reads a marker
file's state from the agent report; its remediation writes the marker. The
"agent" of these tests is the test itself: it reads the marker file the
playbook wrote and ingests a report saying what it found.
"""

from __future__ import annotations

import pytest

from tests.console.jobs.conftest import far_address, jobs_files  # noqa: F401 (fixtures)

CONTROL = """
  - id: {id}
    title: {{vi: Tệp đánh dấu {id}, en: The marker file of {id}}}
    rationale: {{vi: Kiểm thử., en: A test control.}}
    category: server
    severity: {severity}
    applies_to: {{all_hosts: true}}
    evidence: {{source: agent_report, max_age: 30m}}
    condition: {{field: marker.state, op: eq, value: fixed}}
"""
FIX = """    remediation:
      playbook: remediate/marker.yml
      vars: {{marker_dir: "{markers}"}}
"""


def controls(markers) -> str:
    """TST-01 (high) and TST-02 (critical) are fixed by writing the marker; TST-03 is fixed by hand."""
    fix = FIX.format(markers=markers)
    return ("controls:" + CONTROL.format(id="TST-01", severity="high") + fix
            + CONTROL.format(id="TST-02", severity="critical") + fix + CONTROL.format(id="TST-03", severity="low"))


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
def fix_files(tmp_path, jobs_files):
    """The jobs tests' inventory and playbooks, with remediate/marker.yml and the TST controls."""
    inventory, playbooks = jobs_files
    markers = tmp_path / "markers"
    markers.mkdir()
    (playbooks / "remediate").mkdir()
    (playbooks / "remediate" / "marker.yml").write_text(MARKER_PLAYBOOK.lstrip())
    controls_dir = tmp_path / "controls"
    controls_dir.mkdir()
    (controls_dir / "test.yaml").write_text(controls(markers))
    return inventory, playbooks, controls_dir, markers


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
