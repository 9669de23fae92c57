"""The demo's path: the agent role on a lab host, its agent runs Lynis and checks updates, the console keeps both.

One lab host (a network namespace with its own sshd), provisioned over SSH by
playbooks/agent.yml through ansible-runner, reporting to a real console. The
host shares this machine's files, so Lynis audits this machine: here only the
test groups LYNIS_GROUPS (the role's ops_agent_lynis_groups), bounded by
LYNIS_WAIT_SECONDS (a Lynis of another agent on this machine may hold
/var/run/lynis.pid first).
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from console.agents import hardening
from console.models import Host
from console.models.agents import LynisRun
from tests.fixtures.lab import lab_with_console

pytestmark = pytest.mark.lab  # lab hosts: network namespaces with their own sshd

LYNIS_WAIT_SECONDS = 900
# A real run of two of Lynis's test groups (about 9 s of CPU here, against about 60 for the full audit that
# tests/probes/test_lynis_run.py runs): the role's ops_agent_lynis_groups, through the agent to Lynis.
LYNIS_GROUPS = ["ssh", "firewalls"]


@pytest.fixture
def one_host_lab(tmp_path):
    with lab_with_console(1, tmp_path / "console") as (lab, console):
        yield lab, console


# Lynis holds /var/run/lynis.pid, one run per machine: this lab agent's run waits for the other real run
# (tests/probes/test_lynis_run.py) if that one holds it, and that one waits for this.
def test_a_lab_hosts_agent_ships_its_lynis_run_and_pending_updates(one_host_lab):
    lab, console = one_host_lab
    token = console.enrollment_token(uses=1)
    result = lab.run_playbook("agent.yml", {"ops_console_url": console.url, "ops_agent_enrollment_token": token,
                                            "ops_agent_lynis_interval_hours": 24,  # on, whatever the lab's default
                                            "ops_agent_lynis_groups": LYNIS_GROUPS})
    assert result.status == "successful", (result.stats, result.failures())
    name = lab.hosts[0].name
    deadline = time.monotonic() + LYNIS_WAIT_SECONDS
    while True:
        with console.session() as db:
            host_id = db.scalar(select(Host.id).where(Host.name == name))
            run = db.scalar(select(LynisRun).where(LynisRun.host_id == host_id))
            updates = hardening.security_updates(db, host_id)
            found = (run.hardening_index, run.lynis_version, run.cpu_seconds, run.test_groups) if run else None
            checked = (updates.source, updates.apt_updated_at) if updates else None
        if (found and checked) or time.monotonic() > deadline:
            break
        time.sleep(5)
    assert checked is not None, "no pending-updates check arrived"
    assert checked[0] == "apt_pkg"  # the agent's venv sees Debian's python3-apt
    assert found is not None, f"no Lynis run arrived within {LYNIS_WAIT_SECONDS} s"
    index, version, cpu, groups = found
    assert 0 <= index <= 100 and version.startswith("3.") and cpu > 1
    assert groups == " ".join(LYNIS_GROUPS)  # the role's setting reached Lynis, and the run says so
