"""The agent role over real SSH against a 3-host lab, through ansible-runner, reporting to a real console.

One lab and one console serve the whole module (bringing them up is the
slow part); the tests run in file order: deploy, re-run, then an outage.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from console.models import Agent, Host, HostReport
from tests.fixtures.lab import LabConsole, lab_with_console

pytestmark = pytest.mark.lab  # lab hosts: network namespaces with their own sshd

REPORT_WAIT_SECONDS = 90


@pytest.fixture(scope="module")
def agent_lab(tmp_path_factory):
    with lab_with_console(3, tmp_path_factory.mktemp("console")) as (lab, console):
        yield lab, console


def agent_vars(console: LabConsole, token: str = "") -> dict:
    return {"ops_console_url": console.url, "ops_agent_enrollment_token": token}


def wait_for_reports(console: LabConsole, names: set[str]) -> dict[str, tuple[Agent, HostReport]]:
    """The first report of each named host, with the agent that sent it, once all have arrived."""
    deadline = time.monotonic() + REPORT_WAIT_SECONDS
    while True:
        with console.session() as db:
            rows = db.execute(select(Host.name, Agent, HostReport).join(HostReport, HostReport.host_id == Host.id)
                              .join(Agent, Agent.id == HostReport.agent_id).where(Host.name.in_(names))).all()
            found = {name: (agent, report) for name, agent, report in rows}
            db.expunge_all()
        if set(found) == names or time.monotonic() > deadline:
            return found
        time.sleep(1)


def test_agent_role_enrols_every_lab_host_and_each_reports_from_inside_its_namespace(agent_lab):
    lab, console = agent_lab
    token = console.enrollment_token(uses=len(lab.hosts))

    result = lab.run_playbook("agent.yml", agent_vars(console, token))

    assert result.status == "successful", result.stats
    names = {host.name for host in lab.hosts}
    assert result.hosts_with("changed") == names
    reports = wait_for_reports(console, names)
    assert set(reports) == names
    for host in lab.hosts:
        agent, report = reports[host.name]
        # The console saw the agent's requests come from the host's own address on the bridge ...
        assert agent.enrolled_from == host.address
        # ... and the agent saw its namespace: the sockets listening there are that host's sshd.
        listening = report.payload["health"]["listening"]
        assert any(s["address"] == host.address and s["port"] == 22 for s in listening), listening
        assert not any(s["address"] == lab.gateway for s in listening)


def test_the_token_never_appears_in_the_run_events(agent_lab):
    lab, console = agent_lab
    token = console.enrollment_token(uses=1)
    result = lab.run_playbook("agent.yml", agent_vars(console, token))
    assert token not in repr(result.events)


def test_second_run_of_the_agent_role_changes_nothing_on_any_host(agent_lab):
    lab, console = agent_lab

    result = lab.run_playbook("agent.yml", agent_vars(console))

    assert result.status == "successful", result.stats
    assert result.hosts_with("ok") == {host.name for host in lab.hosts}
    assert result.hosts_with("changed") == set(), result.changed_tasks()


def test_a_host_whose_sshd_is_down_is_reported_unreachable_and_the_others_still_run(agent_lab):
    lab, console = agent_lab
    down = lab.hosts[-1].name
    lab.stop_sshd(down)

    result = lab.run_playbook("agent.yml", agent_vars(console), envvars={"ANSIBLE_SSH_ARGS": "-o ControlMaster=no"})

    assert result.status == "failed"
    assert result.hosts_with("dark") == {down}
    assert result.hosts_with("failures") == set()
    assert {host.name for host in lab.hosts} - {down} <= result.hosts_with("ok")
    unreachable = [e for e in result.events if e.get("event") == "runner_on_unreachable"]
    assert unreachable and unreachable[0]["event_data"]["host"] == down
