"""Deploy over SSH: a sensor of kind "ansible" gets the active version through site.yml's ids_sensor role.

The sensor is lab-host-01 of a one-host lab (a network namespace with its own
sshd, provisioned as the IDS sensor). `deploy_active` runs the playbook as a
job (recorded like any other), the role installs the version's rules after
`suricata -T`, starts or reloads Suricata, and the counts Suricata reports come
back into the deployment record. A second version is reloaded into the same
Suricata process; a sensor whose host is held by another job is refused.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from console.db import make_session_factory, session_scope
from console.models import Job, JobHostLock, JobState, Role, RuleDeployment
from console.ruleset import operations as ops
from console.ruleset import service
from console.access.actor import Actor
from rules.config import SensorConfig
from tests.fixtures.lab import Lab

pytestmark = pytest.mark.lab  # lab hosts: network namespaces with their own sshd

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def sensor_lab():
    lab = Lab(1)
    try:
        yield lab
    finally:
        lab.down()


@pytest.fixture
def officer() -> Actor:
    """Security officers deploy rules; they hold rules.manage but not jobs.run."""
    return Actor(username="sophie", role=Role.security_officer, client_addr="198.18.0.11")


@pytest.fixture
def deploy_session(engine, settings, sensor_lab, rules_config):
    sensor = SensorConfig(name="lab-sensor", kind="ansible", host="lab-host-01")
    config = rules_config.model_copy(update={"sensors": [sensor]})
    wired = settings.model_copy(update={
        "inventory": settings.inventory.model_copy(update={"path": sensor_lab.inventory}),
        "jobs": settings.jobs.model_copy(update={"playbooks_dir": REPO / "playbooks"}),
        "rules": config})
    factory = make_session_factory(engine, wired)
    session = factory()
    try:
        yield session, config
    finally:
        session.rollback()
        session.close()


def suricata_pid(lab: Lab) -> int:
    root = Path(lab.host("lab-host-01").install_root)
    return int((root / "run/suricata/suricata.pid").read_text().strip())


def loaded_on_sensor(lab: Lab) -> int:
    socket = Path(lab.host("lab-host-01").install_root) / "run/suricata/suricata-command.socket"
    stats = subprocess.run(["suricatasc", "-c", "ruleset-stats", str(socket)], capture_output=True, text=True,
                           timeout=30)
    return json.loads(stats.stdout)["message"][0]["rules_loaded"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_officer_deploys_versions_over_ssh_and_suricata_reloads_them(deploy_session, officer, sensor_lab):
    session, config = deploy_session
    (config.policy_dir / "disable.conf").write_text("9100003\n9100004 # SNMP rule off in version 1\n")
    assert service.build_version(session, officer, config=config).version_number == 1
    session.commit()

    [first] = ops.deploy_active(session, officer, config=config)
    session.commit()

    assert first.ok, first.message
    assert (first.rules_loaded, first.rules_failed) == (2, 0)
    assert loaded_on_sensor(sensor_lab) == 2
    root = Path(sensor_lab.host("lab-host-01").install_root)
    assert (root / "var/lib/suricata/rules/ops-ruleset-version").read_text().strip() == "1"
    job = session.scalars(select(Job).order_by(Job.id.desc())).first()
    assert (job.playbook, job.limit, job.tags, job.state) == ("site.yml", "lab-host-01", "ids_sensor",
                                                             JobState.successful)
    assert job.started_by == "sophie"
    pid_before = suricata_pid(sensor_lab)

    (config.policy_dir / "disable.conf").write_text("9100003\n")
    assert service.build_version(session, officer, config=config).version_number == 2
    session.commit()
    [second] = ops.deploy_active(session, officer, config=config)
    session.commit()

    assert second.ok and (second.rules_loaded, second.rules_failed) == (3, 0), second.message
    assert suricata_pid(sensor_lab) == pid_before  # reloaded, not restarted
    assert (root / "var/lib/suricata/rules/ops-ruleset-version").read_text().strip() == "2"
    status = service.ruleset_status(session, config=config)
    assert status["sensors"][0]["version"] == 2 and status["sensors"][0]["rules_loaded"] == 3


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_sensor_held_by_another_job_is_refused_and_recorded_failed(deploy_session, officer, engine):
    session, config = deploy_session
    assert service.build_version(session, officer, config=config).ok
    session.commit()
    with session_scope(make_session_factory(engine)) as other:
        held = Job(playbook="site.yml", started_by="bob", host_count=1, state=JobState.queued)
        other.add(held)
        other.flush()
        other.add(JobHostLock(host="lab-host-01", job_id=held.id))

    [result] = ops.deploy_active(session, officer, config=config)
    session.commit()

    assert not result.ok and "job not started" in result.message and "lab-host-01" in result.message
    row = session.scalars(select(RuleDeployment).order_by(RuleDeployment.id.desc())).first()
    assert row.status == "failed" and row.sensor == "lab-sensor"


def test_an_ansible_sensor_without_a_host_is_refused_by_the_settings():
    with pytest.raises(ValueError, match="needs host"):
        SensorConfig(name="nowhere", kind="ansible")
