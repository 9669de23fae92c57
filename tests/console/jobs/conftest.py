"""Fixtures for jobs: a small inventory, small playbooks, and an address where nothing listens.

Hosts web-a and web-b run over `ansible_connection: local`; far-1 is an SSH
host at an address inside a network namespace this fixture creates, where
nothing listens on port 22, so Ansible reports it unreachable at once.
"""

from __future__ import annotations

import random
import subprocess
import uuid

import pytest

from console.db import session_scope
from console.access.actor import Actor

PLAYBOOKS = {
    "hello.yml": """
- name: Say hello
  hosts: webs
  gather_facts: false
  tasks:
    - name: Print a greeting
      ansible.builtin.debug:
        msg: "hello from {{ inventory_hostname }}"
    - name: Change something
      ansible.builtin.command: "true"
      changed_when: true
""",
    "fail_one.yml": """
- name: Fail on one host
  hosts: webs
  gather_facts: false
  tasks:
    - name: Check the disk
      ansible.builtin.command: "sh -c 'echo disk full on {{ inventory_hostname }} >&2; exit 3'"
      when: inventory_hostname == 'web-b'
    - name: Carry on
      ansible.builtin.debug:
        msg: "still here"
""",
    "everyone.yml": """
- name: Touch every host
  hosts: all
  gather_facts: false
  tasks:
    - name: Ping
      ansible.builtin.ping:
""",
    "slow.yml": """
- name: Take a while
  hosts: web-a
  gather_facts: false
  tasks:
    - name: First step
      ansible.builtin.debug:
        msg: "step one"
    - name: Wait a moment
      ansible.builtin.command: sleep 5
    - name: Second step
      ansible.builtin.debug:
        msg: "step two"
    - name: Wait again
      ansible.builtin.command: sleep 4
    - name: Last step
      ansible.builtin.debug:
        msg: "step three"
""",
    "very_slow.yml": """
- name: Take long
  hosts: web-a
  gather_facts: false
  tasks:
    - name: Started
      ansible.builtin.debug:
        msg: "started"
    - name: Sleep long
      ansible.builtin.command: sleep 120
""",
    "secret.yml": """
- name: Use a secret
  hosts: web-a
  gather_facts: false
  tasks:
    - name: Show the token
      ansible.builtin.debug:
        msg: "token is {{ enrol_code }} and password is {{ db_password }}"
    - name: Echo the token from a command
      ansible.builtin.command: "echo {{ enrol_code }}"
    - name: Fail with the secret in the message
      ansible.builtin.fail:
        msg: "refused {{ enrol_code }}"
""",
    "broken.yml": """
- name: Broken
  hosts: webs
  gather_facts: false
  tasks:
    - name: Bad indentation
      ansible.builtin.debug:
        msg: "x"
     - name: Oops
""",
}


@pytest.fixture
def far_address():
    """An address in 198.18.50.0/24 inside a namespace made here, with nothing listening; removed after."""
    tag = uuid.uuid4().hex[:6]
    namespace, outer, inner = f"opsjobs-{tag}", f"oj{tag}a", f"oj{tag}b"
    base = 4 * random.randrange(1, 63)
    subprocess.run(["ip", "netns", "add", namespace], check=True, timeout=10)
    try:
        for command in (["ip", "link", "add", outer, "type", "veth", "peer", "name", inner],
                        ["ip", "link", "set", inner, "netns", namespace],
                        ["ip", "addr", "add", f"198.18.50.{base + 1}/30", "dev", outer],
                        ["ip", "link", "set", outer, "up"],
                        ["ip", "netns", "exec", namespace, "ip", "addr", "add", f"198.18.50.{base + 2}/30", "dev", inner],
                        ["ip", "netns", "exec", namespace, "ip", "link", "set", inner, "up"],
                        ["ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up"]):
            subprocess.run(command, check=True, timeout=10)
        yield f"198.18.50.{base + 2}"
    finally:
        subprocess.run(["ip", "link", "del", outer], timeout=10, capture_output=True)
        subprocess.run(["ip", "netns", "del", namespace], check=True, timeout=10)


@pytest.fixture
def jobs_files(tmp_path, far_address):
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
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    for name, text in PLAYBOOKS.items():
        (playbooks / name).write_text(text.lstrip())
    return inventory, playbooks


@pytest.fixture
def config_file(tmp_path, db_url, jobs_files):
    """ops.toml of a test console whose inventory and playbooks are the small ones above."""
    inventory, playbooks = jobs_files
    path = tmp_path / "ops.toml"
    path.write_text(
        f'[console]\nsecret_key = "test-secret-key-not-for-production"\ndefault_locale = "en"\n'
        f'[database]\nurl = "{db_url}"\n[paths]\nvar_dir = "{tmp_path / "var"}"\n'
        f'[inventory]\npath = "{inventory}"\n'
        f'[jobs]\nplaybooks_dir = "{playbooks}"\nprivate_data_dir = "{tmp_path / "var" / "jobs"}"\n'
    )
    return path


@pytest.fixture
def run_now(session_factory, settings):
    """Launch a job as the CLI operator and run it in this process; returns the ended job."""
    from console.jobs import service as jobs

    def run(playbook: str, actor: Actor | None = None, **options):
        with session_scope(session_factory) as db:
            job, secrets = jobs.launch(db, actor or Actor.cli(), settings, jobs.LaunchRequest(playbook, **options))
        return jobs.run(session_factory, settings, job.id, secrets)

    return run
