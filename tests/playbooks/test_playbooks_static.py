"""The playbooks as text: ansible-lint's production profile and Ansible's own syntax check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(Path.home()), "LANG": "C.UTF-8"})


def test_playbooks_pass_ansible_lint_with_the_production_profile():
    result = run(str(BIN / "ansible-lint"), "--offline", "--profile", "production", "playbooks/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Profile 'production' was required, and it passed" in result.stdout + result.stderr


def test_site_playbook_passes_ansible_syntax_check_against_the_estate_inventory():
    result = run(str(BIN / "ansible-playbook"), "--syntax-check", "site.yml", cwd=ROOT / "playbooks")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_playbook_with_a_syntax_error_is_refused_naming_the_file(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("- name: Broken\n  hosts: all\n  tasks:\n    - name: Nothing\n      ansible.builtin.debug:\n"
                      "        msg: [unclosed\n")
    result = run(str(BIN / "ansible-playbook"), "--syntax-check", str(broken), cwd=ROOT / "playbooks")
    assert result.returncode != 0
    assert "broken.yml" in result.stdout + result.stderr


def test_every_role_task_is_tagged_by_site_yml_with_the_role_short_name():
    listed = run(str(BIN / "ansible-playbook"), "--list-tags", "site.yml", cwd=ROOT / "playbooks").stdout
    for tag in ("baseline", "firewall", "agent", "antivirus", "ids_sensor", "ups_monitor", "compliance_timer"):
        assert tag in listed
