"""site.yml, every role, over real SSH against a 3-host lab: a real run, a no-change run, ruleset updates.

Check mode on new hosts has its own lab in test_site_check_mode.py, so the two run on two workers at once.

The lab deals the estate's roles out in turn: lab-host-01 is the IDS sensor
(and the console host), lab-host-02 the UPS monitor, lab-host-03 a web portal.
One lab serves the module. The first run is made once, by whichever test
needs a provisioned lab first, and kept for the test about it; the lab
remembers the last ruleset it was given, which the no-change run gives again:
the tests pass in any order.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.lab import Lab, LabConsole, lab_with_console

pytestmark = pytest.mark.lab  # lab hosts: network namespaces with their own sshd

RULES_V1 = 'alert tcp any any -> $HOME_NET 22 (msg:"OPS lab ssh"; sid:9900001; rev:1;)\n'
RULES_V2 = RULES_V1 + 'alert tcp any any -> $HOME_NET 80 (msg:"OPS lab http"; sid:9900002; rev:1;)\n'


class SiteLab:
    def __init__(self, lab: Lab, console: LabConsole, rules: Path):
        self.lab, self.console, self.rules = lab, console, rules
        self.installed = (RULES_V1, "v1")  # the ruleset the sensor was last given and took
        self._first_run = None

    def __iter__(self):
        return iter((self.lab, self.console, self.rules))

    def first_run(self):
        """site.yml's first run over the new lab hosts, with an enrolment token: made once, on first use."""
        if self._first_run is None:
            token = self.console.enrollment_token(uses=len(self.lab.hosts))
            self._first_run = self.lab.run_playbook("site.yml", site_vars(self.console, self.rules, RULES_V1, "v1",
                                                                          token))
        return self._first_run

    def provisioned(self) -> None:
        assert self.first_run().status == "successful", ("site.yml's first run failed", self.first_run().stats)


@pytest.fixture(scope="module")
def site_lab(tmp_path_factory):
    with lab_with_console(3, tmp_path_factory.mktemp("console")) as (lab, console):
        yield SiteLab(lab, console, tmp_path_factory.mktemp("rules"))


def site_vars(console: LabConsole, rules_dir: Path, rules: str, version: str, token: str = "") -> dict:
    ruleset = rules_dir / version / "suricata.rules"
    ruleset.parent.mkdir(exist_ok=True)
    ruleset.write_text(rules)
    return {"ops_console_url": console.url, "ops_agent_enrollment_token": token,
            "ops_ids_sensor_ruleset_path": str(ruleset), "ops_ids_sensor_ruleset_version": version}


def root_of(lab: Lab, name: str) -> Path:
    return Path(lab.host(name).install_root)


def test_site_runs_every_role_on_the_lab(site_lab):
    lab, console, rules = site_lab

    result = site_lab.first_run()

    assert result.status == "successful", (result.stats, result.failures())
    sensor, ups, web = (root_of(lab, f"lab-host-0{n}") for n in (1, 2, 3))
    assert "PermitRootLogin prohibit-password" in (web / "etc/ssh/sshd_config.d/50-ops-hardening.conf").read_text()
    assert 'tcp dport 80 accept comment "http"' in (web / "etc/nftables.conf").read_text()
    # v1, or the version a later test of the module gave it since
    assert (sensor / "var/lib/suricata/rules/ops-ruleset-version").read_text().strip() == site_lab.installed[1]
    assert "MODE=netclient" in (ups / "etc/nut/nut.conf").read_text()
    assert (sensor / "etc/systemd/system/ops-compliance.timer").exists()
    # The firewall is loaded in each host's own namespace, not on this machine.
    listed = subprocess.run(["ip", "netns", "exec", lab.host("lab-host-03").namespace, "nft", "-j", "list",
                             "table", "inet", "ops_filter"], capture_output=True, text=True, timeout=30)
    assert listed.returncode == 0 and '"policy": "drop"' in listed.stdout


def test_second_site_run_changes_nothing(site_lab):
    lab, console, rules = site_lab
    site_lab.provisioned()

    result = lab.run_playbook("site.yml", site_vars(console, rules, *site_lab.installed))

    assert result.status == "successful", (result.stats, result.failures())
    assert result.hosts_with("changed") == set(), result.changed_tasks()


def test_a_new_ruleset_version_reaches_the_sensor_and_suricata_reloads_it(site_lab):
    lab, console, rules = site_lab
    site_lab.provisioned()

    result = lab.run_playbook("site.yml", site_vars(console, rules, RULES_V2, "v2"), tags="ids_sensor")
    if result.status == "successful":
        site_lab.installed = (RULES_V2, "v2")

    assert result.status == "successful", (result.stats, result.failures())
    assert result.hosts_with("changed") == {"lab-host-01"}
    assert ("lab-host-01", "Reload the Suricata rules") in result.changed_tasks()
    sensor = root_of(lab, "lab-host-01")
    assert (sensor / "var/lib/suricata/rules/ops-ruleset-version").read_text().strip() == "v2"
    socket = sensor / "run/suricata/suricata-command.socket"
    stats = subprocess.run(["suricatasc", "-c", "ruleset-stats", str(socket)], capture_output=True, text=True,
                           timeout=30)
    assert json.loads(stats.stdout)["message"][0]["rules_loaded"] == 2


def test_a_ruleset_suricata_refuses_is_not_installed_and_the_run_fails_on_the_sensor(site_lab):
    lab, console, rules = site_lab
    site_lab.provisioned()
    sensor = root_of(lab, "lab-host-01")
    in_force = (sensor / "var/lib/suricata/rules/suricata.rules").read_text()

    result = lab.run_playbook("site.yml", site_vars(console, rules, "alert tcp any any -> (broken\n", "v3"),
                              tags="ids_sensor")

    assert result.hosts_with("failures") == {"lab-host-01"}
    # The ruleset in force (v1, or v2 if the test above ran first) stays, word for word.
    assert (sensor / "var/lib/suricata/rules/ops-ruleset-version").read_text().strip() == site_lab.installed[1]
    assert (sensor / "var/lib/suricata/rules/suricata.rules").read_text() == in_force
    assert "sid:9900001" in in_force
