"""Deploying a ruleset version to a sensor over SSH: the provisioning playbook, run as a job.

A sensor with kind "ansible" is an inventory host. The deploy launches
`site.yml --tags ids_sensor --limit <host>` through the jobs service, so it is
recorded, shown live on the Jobs page and refused while another job holds the
host. The ids_sensor role copies the version's rules (kept only if `suricata -T`
accepts them), thresholds and version number, reloads Suricata without a
restart and prints one `ops-ruleset-stats loaded=N failed=M` line, read back
here from the job's output. The job needs rules.manage, not jobs.run: the
security officer deploys rules, and the playbook, tags and host are fixed.
The console never waits for it in a request: a deploy is a background task
(console.tasks, run by `ops tasks worker`), and the page polls that task.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.orm import Session

from console.db import make_session_factory, session_scope
from console.errors import OpsError
from console.jobs import service as jobs
from console.access.actor import Actor
from rules.build import RULES_FILE, THRESHOLD_FILE
from rules.config import SensorConfig
from rules.deploy import DeployResult

STATS_LINE = re.compile(r"ops-ruleset-stats loaded=(\d+) failed=(\d+)")


class AnsibleTarget:
    """One sensor reached through the provisioning playbook; `push` blocks until the job ends."""

    def __init__(self, sensor: SensorConfig, session: Session, actor: Actor):
        self.sensor = sensor
        self.settings = session.info.get("ops_settings")
        self.factory = make_session_factory(session.get_bind(), self.settings)
        self.actor = actor

    def push(self, folder: Path, number: int) -> DeployResult:
        if self.settings is None:
            return self._failed(number, "no settings on this session: the console cannot start a job")
        request = jobs.LaunchRequest(playbook=self.sensor.playbook, limit=self.sensor.host, tags="ids_sensor",
                                     extravars={"ops_ids_sensor_ruleset_path": str(folder / RULES_FILE),
                                                "ops_ids_sensor_threshold_path": str(folder / THRESHOLD_FILE),
                                                "ops_ids_sensor_ruleset_version": str(number)})
        try:
            with session_scope(self.factory) as session:
                job, secrets = jobs.launch(session, self.actor, self.settings, request, permission="rules.manage")
                job_id = job.id
        except OpsError as exc:
            return self._failed(number, f"job not started: {exc}")
        output: list[str] = []
        ended = jobs.run(self.factory, self.settings, job_id, secrets, echo=lambda row: output.append(row.stdout))
        found = STATS_LINE.findall("\n".join(output))
        if ended.state != jobs.JobState.successful:
            reason = ended.error_message or ended.state.value
            return self._failed(number, f"job {job_id} {ended.state.value}: {reason}")
        if not found:
            return self._failed(number, f"job {job_id} ended without the sensor's ruleset counts (is {self.sensor.host} "
                                        "in the role_ids_sensor group?)")
        loaded, failed = (int(n) for n in found[-1])
        return DeployResult(self.sensor.name, number, True, loaded, failed, [],
                            f"job {job_id}: reloaded, {loaded} rules loaded, {failed} failed")

    def _failed(self, number: int, message: str) -> DeployResult:
        return DeployResult(self.sensor.name, number, False, message=message)
