"""Deploy to a running Suricata (in a network namespace) and reload it without a restart.

Suricata captures on a veth inside a namespace the test makes; the test
deploys version 1 (the SNMP rule disabled by policy), enables the rule in the
policy, builds version 2, deploys it, and sends SNMP from outside the
namespace: the newly enabled rule fires in eve.json, and Suricata's PID never
changed.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import yaml

from console.ruleset import operations as ops
from console.ruleset import service
from rules.config import SensorConfig
from tests.fixtures.processes import stop

INSIDE, OUTSIDE = "198.18.10.1", "198.18.10.200"
SNMP_GET = (b"\x30\x26\x02\x01\x01\x04\x06public\xa0\x19\x02\x04\x12\x34\x56\x78\x02\x01\x00\x02\x01\x00"
            b"\x30\x0b\x30\x09\x06\x05\x2b\x06\x01\x02\x01\x05\x00")


def run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=30)


@pytest.fixture
def netns():
    name, outside, inside = f"opsrules-{uuid.uuid4().hex[:8]}", f"or{uuid.uuid4().hex[:6]}", "ops-r0"
    run("ip", "netns", "add", name)
    try:
        run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside, "netns", name)
        run("ip", "addr", "add", f"{OUTSIDE}/24", "dev", outside)
        run("ip", "link", "set", outside, "up")
        run("ip", "netns", "exec", name, "ip", "addr", "add", f"{INSIDE}/24", "dev", inside)
        run("ip", "netns", "exec", name, "ip", "link", "set", inside, "up")
        run("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up")
        yield name, inside
    finally:
        subprocess.run(["ip", "link", "del", outside], capture_output=True, timeout=30)
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)


@pytest.fixture
def sensor(netns, tmp_path):
    """A running Suricata reading sensor/suricata.rules, with its command socket.

    The rule file comes from default-rule-path and rule-files as on a sensor:
    Suricata refuses a live reload of rules given with -S.
    """
    name, interface = netns
    folder = tmp_path / "sensor"
    (folder / "log").mkdir(parents=True)
    config = SensorConfig(name="ids-test", rules_file=folder / "suricata.rules",
                          threshold_file=folder / "threshold.config", socket=folder / "command.socket",
                          version_file=folder / "ops-ruleset-version", reload_timeout_seconds=60)
    config.rules_file.write_text("")
    config.threshold_file.write_text("")
    command = ["ip", "netns", "exec", name, shutil.which("suricata"), "-c", str(sensor_yaml(folder, config)),
               "-l", str(folder / "log"), "-i", interface]
    log = open(folder / "suricata.out", "wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_socket(config.socket, process, folder)
        yield config, process, folder / "log" / "eve.json"
    finally:
        stop(process)
        log.close()


def sensor_yaml(folder: Path, config: SensorConfig) -> Path:
    """Debian's suricata.yaml with this sensor's paths and HOME_NET written into the file.

    Suricata reads the file again on a rule reload, so settings given with
    --set would be lost then.
    """
    document = yaml.safe_load(Path("/etc/suricata/suricata.yaml").read_text())
    document["vars"]["address-groups"]["HOME_NET"] = "[198.18.10.0/25]"
    document.update({"default-rule-path": str(folder), "rule-files": [config.rules_file.name],
                     "threshold-file": str(config.threshold_file),
                     "unix-command": {"enabled": True, "filename": str(config.socket)}})
    document["outputs"][1]["eve-log"]["enabled"] = True
    path = folder / "suricata.yaml"
    path.write_text("%YAML 1.1\n---\n" + yaml.safe_dump(document, sort_keys=False))
    return path


def _wait_for_socket(path: Path, process, folder: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError((folder / "suricata.out").read_text()[-3000:])
        if path.exists():
            time.sleep(1)
            return
        time.sleep(0.2)
    raise AssertionError("suricata did not open its command socket within 60 s")


def send_snmp(count: int = 5) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind((OUTSIDE, 0))
        for _ in range(count):
            udp.sendto(SNMP_GET, (INSIDE, 161))
            time.sleep(0.1)


def send_ssh_syns(count: int = 5) -> None:
    """SYNs to port 22 from outside: rule 9100002 (SSH brute force, 5 SYNs in 60 s) alerts on the fifth."""
    for _ in range(count):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((OUTSIDE, 0))
            tcp.settimeout(1)
            try:
                tcp.connect((INSIDE, 22))
            except OSError:  # nothing listens there: refused, which is all the rule needs
                pass


def alerts(eve: Path, sid: int) -> list[dict]:
    if not eve.exists():
        return []
    events = [json.loads(line) for line in eve.read_text().splitlines() if line.strip()]
    return [e for e in events if e.get("event_type") == "alert" and e["alert"]["signature_id"] == sid]


def wait_for_alert(eve: Path, sid: int, seconds: float = 30) -> list[dict]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = alerts(eve, sid)
        if found:
            return found
        time.sleep(0.5)
    return []


def test_newly_enabled_rule_fires_after_reload_without_restart(session, admin_actor, rules_config, sensor):
    sensor_config, process, eve = sensor
    config = rules_config.model_copy(update={"sensors": [sensor_config]})
    (config.policy_dir / "disable.conf").write_text("9100003\n9100004 # SNMP rule off in version 1\n")
    assert service.build_version(session, admin_actor, config=config).version_number == 1
    [first] = ops.deploy_active(session, admin_actor, config=config)
    session.commit()
    assert first.ok, first.message
    assert (first.rules_loaded, first.rules_failed) == (2, 0)
    send_snmp()
    # SYNs sent after the SNMP requests: once their alert is written, Suricata has seen the SNMP requests too.
    send_ssh_syns()
    assert wait_for_alert(eve, 9100002), "the marker alert (9100002) never came"
    assert alerts(eve, 9100004) == []

    (config.policy_dir / "disable.conf").write_text("9100003\n")
    (config.policy_dir / "enable.conf").write_text("9100004 # SNMP from outside is watched again\n")
    assert service.build_version(session, admin_actor, config=config).version_number == 2
    [second] = ops.deploy_active(session, admin_actor, config=config)
    session.commit()
    assert second.ok and (second.rules_loaded, second.rules_failed) == (3, 0)
    assert process.poll() is None  # the same Suricata process: reloaded, not restarted
    send_snmp()
    fired = wait_for_alert(eve, 9100004)
    assert fired, (eve.read_text()[-3000:] if eve.exists() else "no eve.json") + \
        (eve.parent.parent / "suricata.out").read_text()[-3000:]
    assert fired[0]["src_ip"] == OUTSIDE and fired[0]["dest_port"] == 161
    assert sensor_config.version_file.read_text() == "2\n"
    status = service.ruleset_status(session, config=config)
    assert status["active_version"] == 2
    assert status["sensors"] == [{"name": "ids-test", "version": 2, "rules_loaded": 3, "rules_failed": 0,
                                  "deployed_at": status["sensors"][0]["deployed_at"]}]


def test_deploy_to_a_stopped_sensor_fails_and_restores_its_files(session, admin_actor, rules_config, tmp_path):
    folder = tmp_path / "stopped"
    folder.mkdir()
    (folder / "suricata.rules").write_text("# the rules the sensor had\n")
    sensor_config = SensorConfig(name="ids-down", rules_file=folder / "suricata.rules",
                                 threshold_file=folder / "threshold.config", socket=folder / "none.socket",
                                 version_file=folder / "version")
    config = rules_config.model_copy(update={"sensors": [sensor_config]})
    assert service.build_version(session, admin_actor, config=config).ok
    [result] = ops.deploy_active(session, admin_actor, config=config)
    session.commit()
    assert not result.ok and "previous files restored" in result.message
    assert (folder / "suricata.rules").read_text() == "# the rules the sensor had\n"
    assert not (folder / "version").exists() and not (folder / "threshold.config").exists()
    assert service.ruleset_status(session, config=config)["sensors"][0]["version"] is None
