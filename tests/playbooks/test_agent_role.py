"""The agent role over real SSH against a 3-host lab, through ansible-runner, reporting to a real console.

One lab and one console serve the whole module (bringing them up is the
slow part). The first run (the enrolment) is made once, by whichever test
needs it first, and its outcome kept for the test about it; the outage test
starts the host's sshd again: the tests pass in any order (pytest-randomly).
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from console.models import Agent, Host, HostReport
from tests.fixtures.lab import LabConsole, lab_with_console

pytestmark = pytest.mark.lab  # lab hosts: network namespaces with their own sshd

REPORT_WAIT_SECONDS = 90


class AgentLab:
    def __init__(self, lab, console: LabConsole):
        self.lab, self.console = lab, console
        self._enrolment = None

    def __iter__(self):
        return iter((self.lab, self.console))

    def enrolment(self):
        """The first run of the agent role, with a token for every host: made once, on the first call."""
        if self._enrolment is None:
            token = self.console.enrollment_token(uses=len(self.lab.hosts))
            self._enrolment = self.lab.run_playbook("agent.yml", agent_vars(self.console, token))
        return self._enrolment


@pytest.fixture(scope="module")
def agent_lab(tmp_path_factory):
    with lab_with_console(3, tmp_path_factory.mktemp("console")) as (lab, console):
        yield AgentLab(lab, console)


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

    result = agent_lab.enrolment()

    assert result.status == "successful", (result.stats, result.failures())
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
    agent_lab.enrolment()  # a token given again to enrolled hosts, as an operator re-running the role would
    token = console.enrollment_token(uses=1)
    result = lab.run_playbook("agent.yml", agent_vars(console, token))
    assert token not in repr(result.events)


def test_second_run_of_the_agent_role_changes_nothing_on_any_host(agent_lab):
    lab, console = agent_lab
    assert agent_lab.enrolment().status == "successful"

    result = lab.run_playbook("agent.yml", agent_vars(console))

    assert result.status == "successful", (result.stats, result.failures())
    assert result.hosts_with("ok") == {host.name for host in lab.hosts}
    assert result.hosts_with("changed") == set(), result.changed_tasks()


def test_a_host_whose_sshd_is_down_is_reported_unreachable_and_the_others_still_run(agent_lab):
    lab, console = agent_lab
    agent_lab.enrolment()
    down = lab.hosts[-1].name
    with lab.sshd_down(down):
        result = lab.run_playbook("agent.yml", agent_vars(console),
                                  envvars={"ANSIBLE_SSH_ARGS": "-o ControlMaster=no"})

    assert result.status == "failed"
    assert result.hosts_with("dark") == {down}
    assert result.hosts_with("failures") == set()
    assert {host.name for host in lab.hosts} - {down} <= result.hosts_with("ok")
    unreachable = [e for e in result.events if e.get("event") == "runner_on_unreachable"]
    assert unreachable and unreachable[0]["event_data"]["host"] == down
