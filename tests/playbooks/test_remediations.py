"""The remediation playbooks (playbooks/remediate/) over real SSH on a 2-host lab, judged by the real controls.

For each control: break the state on a lab host, show that the control (the
catalog's own check) fails on what the agent's collectors report from inside
the host's network namespace (`ops-agent once --print`, services_scope
"netns"), run the remediation in check mode (reports changed, changes
nothing), run it for real, and show that the control passes. One lab serves
the module; a test that leaves the lab otherwise than it found it (the root
login setting, a stopped sshd) puts it back, so the tests pass in any order.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from console.compliance.catalog import load_catalog
from tests.fixtures.lab import PLAYBOOKS, ROOT, Lab

CONTROLS = load_catalog(ROOT / "console/compliance/controls").by_id()
AGENT = Path(sys.executable).parent / "ops-agent"
# The EICAR test file (not a virus; every antivirus detects it by agreement).
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
FIRST, SECOND = "lab-host-01", "lab-host-02"


# LOG-01 starts auditd, and the kernel takes one audit daemon per machine: no other test starts one (the
# lab's baseline does not), so this module may run beside other labs (docs/testing.md).
pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def rlab():
    """2 hosts with the firewall, antivirus and chrony as site.yml sets them up."""
    lab = Lab(2)
    try:
        database = lab.var_dir / "clamav-db" / "ops-test.hdb"
        database.parent.mkdir()
        eicar = lab.var_dir / "eicar.com"
        eicar.write_bytes(EICAR)
        database.write_text(run("sigtool", "--md5", str(eicar)).stdout)
        # The parts of site.yml the controls need, in one run (the full site.yml: test_site_on_lab.py).
        setup = lab.var_dir / "setup.yml"
        setup.write_text("".join(f"- name: {name}\n  ansible.builtin.import_playbook: {PLAYBOOKS / 'remediate' / name}\n"
                                 for name in ("firewall.yml", "antivirus.yml", "chrony.yml")))
        result = lab.run_playbook(str(setup), {"ops_antivirus_clamav_database_files": [str(database)]})
        assert result.status == "successful", (result.stats, result.failures())
        yield lab
    finally:
        lab.down()


def run(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=check)


def in_host(lab: Lab, name: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
    return run("ip", "netns", "exec", lab.host(name).namespace, *argv, check=check)


def root_of(lab: Lab, name: str) -> Path:
    return Path(lab.host(name).install_root)


def report(lab: Lab, name: str, services: tuple[str, ...] = ("ssh", "chrony")) -> dict:
    """One agent report of the host, collected inside its namespace with the settings the agent role writes.

    services: [agent] required_services, the lab's ops_base_services by default.
    """
    host, root = lab.host(name), root_of(lab, name)
    config = lab.var_dir / f"agent-{name}.toml"
    config.write_text(f'[agent]\nhost_name = "{name}"\nstate_dir = "{lab.var_dir / ("agent-state-" + name)}"\n'
                      f'required_services = {json.dumps(list(services))}\nantivirus_provider = "clamav"\n'
                      f'clamd_socket = "{root / "run/clamav/clamd.ctl"}"\n'
                      f'sshd_config = "{Path(host.sshd_dir) / "sshd_config"}"\n'
                      'lynis_interval_hours = 0\nupdates_interval_minutes = 0\nservices_scope = "netns"\n')
    return json.loads(in_host(lab, name, str(AGENT), "-c", str(config), "once", "--print").stdout)


def outcomes(lab: Lab, name: str, *control_ids: str, services: tuple[str, ...] = ("ssh", "chrony")) -> dict:
    """The real controls' results (True pass, False fail, None unknown) on one fresh report of the host."""
    found, now = report(lab, name, services), datetime.now(timezone.utc)
    return {control_id: CONTROLS[control_id].check(found, now)[0] for control_id in control_ids}


def remediate(lab: Lab, playbook: str, broken: dict[str, str], **report_options) -> None:
    """On the hosts of broken {host: control id}: the control fails; check mode reports changes and changes
    nothing (the control still fails); the real run fixes it (the control passes)."""
    limit = ",".join(broken)
    for name, control_id in broken.items():
        assert outcomes(lab, name, control_id, **report_options) == {control_id: False}, name
    checked = lab.run_playbook(f"remediate/{playbook}", limit=limit, check=True)
    assert checked.status == "successful", checked.stats
    assert checked.hosts_with("changed") == set(broken), checked.changed_tasks()
    for name, control_id in broken.items():
        assert outcomes(lab, name, control_id, **report_options) == {control_id: False}, name
    fixed = lab.run_playbook(f"remediate/{playbook}", limit=limit)
    assert fixed.status == "successful", fixed.stats
    assert fixed.hosts_with("changed") == set(broken)
    for name, control_id in broken.items():
        assert outcomes(lab, name, control_id, **report_options) == {control_id: True}, name


def stop(lab: Lab, name: str, pid_file: str) -> None:
    in_host(lab, name, "start-stop-daemon", "--stop", "--retry", "10", "--pidfile", str(root_of(lab, name) / pid_file))


def ssh_as_root(lab: Lab, source: str, target: str) -> subprocess.CompletedProcess:
    """Root's key login from another lab host (not the gateway Ansible comes from).

    Tried again while the target's sshd, just sent SIGHUP, starts itself again (connection refused).
    """
    deadline = time.monotonic() + 15
    while True:
        done = in_host(lab, source, "ssh", "-i", str(lab.state.private_key), "-o", "BatchMode=yes", "-o",
                       "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                       "-o", "ConnectTimeout=10", f"root@{lab.host(target).address}", "true", check=False)
        if "Connection refused" not in done.stderr or time.monotonic() > deadline:
            return done
        time.sleep(0.2)


def test_after_the_roles_the_lab_hosts_pass_every_control_but_auditd(rlab):
    for name in (FIRST, SECOND):
        found = outcomes(rlab, name, "SRV-04", "FW-01", "FW-02", "EP-AV-02", "EP-AV-03", "LOG-02", "SRV-05")
        # The lab's own setting (ops_ssh_permit_root_login: prohibit-password) fails SRV-04 until remediated.
        assert found == {"SRV-04": False, "FW-01": True, "FW-02": True, "EP-AV-02": True, "EP-AV-03": True,
                         "LOG-02": True, "SRV-05": True}, name
        assert outcomes(rlab, name, "LOG-01", services=("auditd",)) == {"LOG-01": False}


def reload_sshd(lab: Lab, name: str) -> None:
    in_host(lab, name, "start-stop-daemon", "--stop", "--signal", "HUP", "--pidfile",
            str(Path(lab.host(name).sshd_dir) / "sshd.pid"))


def test_srv04_root_login_turned_back_off(rlab):
    dropin = root_of(rlab, FIRST) / "etc/ssh/sshd_config.d/50-ops-hardening.conf"
    as_found = dropin.read_text() if dropin.exists() else None
    try:
        dropin.write_text("PermitRootLogin yes\n")  # sshd uses the first value: this drop-in is read first
        reload_sshd(rlab, FIRST)
        assert ssh_as_root(rlab, SECOND, FIRST).returncode == 0

        remediate(rlab, "sshd_root_login.yml", {FIRST: "SRV-04"})

        # The reloaded sshd refuses root from another host; Ansible still comes in from the gateway (lab concession).
        refused = ssh_as_root(rlab, SECOND, FIRST)
        assert refused.returncode == 255 and "Permission denied" in refused.stderr
        again = rlab.run_playbook("remediate/sshd_root_login.yml", limit=FIRST)
        assert again.status == "successful" and again.hosts_with("changed") == set(), again.changed_tasks()
    finally:  # the lab's own setting again, which the other tests expect
        if as_found is None:
            dropin.unlink(missing_ok=True)
        else:
            dropin.write_text(as_found)
        reload_sshd(rlab, FIRST)


def test_fw01_a_flushed_ruleset_and_fw02_an_accept_policy_are_loaded_again(rlab):
    in_host(rlab, FIRST, "nft", "flush", "ruleset")
    in_host(rlab, SECOND, "nft", "chain", "inet", "ops_filter", "input", "{ policy accept ; }")
    assert outcomes(rlab, SECOND, "FW-01") == {"FW-01": True}  # still a firewall, but open by default

    remediate(rlab, "firewall.yml", {FIRST: "FW-01", SECOND: "FW-02"})

    assert outcomes(rlab, FIRST, "FW-02") == {"FW-02": True}


def test_ep_av_02_a_stopped_clamd_and_ep_av_03_a_stopped_clamonacc_are_started(rlab):
    stop(rlab, FIRST, "run/clamav/clamd.pid")
    stop(rlab, SECOND, "run/clamav/clamonacc.pid")
    # The first host's clamonacc does not count for the second one (services_scope "netns").
    assert outcomes(rlab, FIRST, "EP-AV-03") == {"EP-AV-03": True}

    remediate(rlab, "antivirus.yml", {FIRST: "EP-AV-02", SECOND: "EP-AV-03"})

    # On-access scanning is real: a file written into a watched folder is scanned at once.
    log = root_of(rlab, SECOND) / "var/log/clamav/clamonacc.log"
    eicar = root_of(rlab, SECOND) / "srv/eicar.com"
    eicar.write_bytes(EICAR)
    assert scanned_on_access(eicar, log), log.read_text()[-2000:]


def scanned_on_access(path: Path, log: Path, seconds: float = 30) -> bool:
    """Whether clamonacc's log says path was found; the file is read again meanwhile (each read is an access):
    clamonacc marks its folders with fanotify a moment after it starts, and misses what came before."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if log.exists() and f"{path}: eicar.com.UNOFFICIAL FOUND" in log.read_text(errors="replace"):
            return True
        time.sleep(1)
        path.read_bytes()
    return False


def test_log02_a_stopped_chronyd_is_started(rlab):
    stop(rlab, FIRST, "run/chrony/chronyd.pid")
    assert outcomes(rlab, SECOND, "LOG-02") == {"LOG-02": True}  # its own chronyd, not the first host's

    remediate(rlab, "chrony.yml", {FIRST: "LOG-02"})


def test_srv05_every_required_service_is_started(rlab):
    stop(rlab, SECOND, "run/chrony/chronyd.pid")

    remediate(rlab, "required_services.yml", {SECOND: "SRV-05"})


def test_log01_auditd_is_started_on_one_host_the_kernel_takes_no_second(rlab):
    status = run("auditctl", "-s").stdout.splitlines()
    if "pid 0" not in status:
        pytest.skip(f"another audit daemon holds this machine's kernel audit connection ({status})")
    try:
        remediate(rlab, "auditd.yml", {FIRST: "LOG-01"}, services=("auditd",))

        second = rlab.run_playbook("remediate/auditd.yml", limit=SECOND)
        assert second.hosts_with("failures") == {SECOND}
        assert "only one audit daemon can run per machine" in json.dumps(second.events)
        assert outcomes(rlab, SECOND, "LOG-01", services=("auditd",)) == {"LOG-01": False}
    finally:
        for name in (FIRST, SECOND):
            in_host(rlab, name, "start-stop-daemon", "--stop", "--oknodo", "--retry", "10", "--pidfile",
                    str(root_of(rlab, name) / "run/auditd-process.pid"))


def test_an_unreachable_host_gets_its_own_result(rlab):
    with rlab.sshd_down(SECOND):
        # No reused SSH master connection: a new connection, as the console's job makes.
        result = rlab.run_playbook("remediate/firewall.yml", envvars={"ANSIBLE_SSH_ARGS": "-o ControlMaster=no"})

    assert result.status == "failed"
    assert result.hosts_with("dark") == {SECOND}
    assert result.hosts_with("failures") == set()
    assert FIRST in result.hosts_with("ok")
