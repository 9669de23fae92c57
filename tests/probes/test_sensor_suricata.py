"""The IDS sensor collector against a real Suricata 7 capturing in a network namespace."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from probes.collectors.sensor import SensorCollector, last_stats_event
from probes.report import Sensor
from tests.fixtures.processes import stop

RULES = 'alert udp any any -> any 9999 (msg:"ops test udp"; sid:9900001; rev:1;)\n' \
        'alert tcp any any -> any 9999 (msg:"ops test tcp"; sid:9900002; rev:1;)\n'


def run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=30)


@pytest.fixture
def netns():
    """Namespace NS with veth ops-s0 (198.18.99.1) whose peer ops-s1 (198.18.99.2) stays outside."""
    name, outside, inside = f"opstest-{uuid.uuid4().hex[:8]}", f"os{uuid.uuid4().hex[:6]}", "ops-s0"
    run("ip", "netns", "add", name)
    try:
        run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside, "netns", name)
        run("ip", "addr", "add", "198.18.99.2/30", "dev", outside)
        run("ip", "link", "set", outside, "up")
        run("ip", "netns", "exec", name, "ip", "addr", "add", "198.18.99.1/30", "dev", inside)
        run("ip", "netns", "exec", name, "ip", "link", "set", inside, "up")
        run("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up")
        yield name, inside
    finally:
        subprocess.run(["ip", "link", "del", outside], capture_output=True)
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


@pytest.fixture
def suricata(netns, tmp_path):
    name, interface = netns
    (tmp_path / "local.rules").write_text(RULES)
    (tmp_path / "log").mkdir()
    sock = tmp_path / "suricata.socket"
    command = ["ip", "netns", "exec", name, shutil.which("suricata"), "-c", "/etc/suricata/suricata.yaml",
               "-S", str(tmp_path / "local.rules"), "-l", str(tmp_path / "log"), "-i", interface,
               "--set", "unix-command.enabled=yes", "--set", f"unix-command.filename={sock}",
               "--set", "outputs.1.eve-log.enabled=yes", "--set", "stats.interval=1"]
    log = open(tmp_path / "suricata.out", "wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_socket(sock, process, tmp_path)
        yield sock, tmp_path / "log" / "eve.json", process
    finally:
        stop(process)
        log.close()


def _wait_for_socket(sock: Path, process, folder: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError((folder / "suricata.out").read_text()[-3000:])
        if sock.exists():
            time.sleep(1)
            return
        time.sleep(0.2)
    raise AssertionError("suricata did not open its command socket within 60 s")


def test_running_suricata_reports_rules_uptime_and_packets(suricata, tmp_path):
    sock, eve, _process = suricata
    version_file = tmp_path / "ruleset-version"
    version_file.write_text("42\n")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for _ in range(5):
            udp.sendto(b"ops sensor test", ("198.18.99.1", 9999))
            time.sleep(0.1)
    time.sleep(0.5)
    status = SensorCollector(sock, eve, version_file).collect()
    Sensor.model_validate(status)
    assert status["running"] is True and status["source"] == "unix-socket"
    assert status["rules_loaded"] == 2 and status["rules_failed"] == 0
    assert status["ruleset_version"] == "42"
    assert status["uptime_seconds"] >= 0
    assert status["packets"] >= 3
    # watching a mirror port: the capture cannot drop anything (issue 32: an IPS sensor must say it blocks)
    assert status["capture_mode"] in ("AF_PACKET_DEV", "PCAP_DEV") and status["blocking"] is False


def test_stopped_suricata_is_reported_down_not_an_error(tmp_path):
    status = SensorCollector(tmp_path / "none.socket", tmp_path / "eve.json",
                             proc_names=("no-such-suricata",)).collect()
    assert status["running"] is False and status["rules_loaded"] is None


def test_eve_stats_fallback_reads_the_last_stats_event(tmp_path):
    eve = tmp_path / "eve.json"
    eve.write_text('{"event_type":"stats","stats":{"uptime":5,"capture":{"kernel_packets":10,"kernel_drops":1}}}\n'
                   'not json\n'
                   '{"event_type": "stats", "stats": {"uptime": 65, "capture": {"kernel_packets": 99, "kernel_drops": 2}}}\n'
                   '{"event_type":"alert","alert":{}}\n')
    assert last_stats_event(eve)["capture"] == {"kernel_packets": 99, "kernel_drops": 2}
    assert last_stats_event(tmp_path / "missing.json") is None
