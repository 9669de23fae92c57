"""The lab's IDS sensor captures with segmentation and receive offloads off, so it sees no truncated packet.

With GRO/TSO/GSO on, af-packet hands Suricata frames larger than the wire's (up to 64 KB): Suricata counts
them as "AF-PACKET truncated packet" and "IPv4 truncated packet" decoder events, and the demo inbox filled
with them (issue 28). A one-host lab is provisioned with site.yml's ids_sensor role (lab-host-01, a real
Suricata on its eth0); a bulk TCP transfer each way between the host and the lab's bridge crosses that
eth0; Suricata's own counters (suricatasc dump-counters) and its EVE log must show the packets and no
truncated one. Then, as a control, the offloads are turned back on and the same transfer makes Suricata
count truncated packets: the reading above could have failed.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console.lab import network as lab_network
from tests.fixtures.lab import Lab

pytestmark = pytest.mark.lab  # a lab host (a network namespace with its own sshd) and a real Suricata

OFFLOADS = ("generic-receive-offload", "large-receive-offload", "tcp-segmentation-offload",
            "generic-segmentation-offload")
PORT = 5001  # in the lab host's own network namespace
BYTES = 8 * 1024 * 1024
STATS_WAIT = 150  # two of Suricata's 60 s stats rounds, and some
SERVER = """
import socket, sys
listener = socket.create_server((sys.argv[1], int(sys.argv[2])))
conn, _ = listener.accept()
got = 0
while got < int(sys.argv[3]):
    chunk = conn.recv(1 << 16)
    if not chunk:
        break
    got += len(chunk)
conn.sendall(b"x" * int(sys.argv[3]))
conn.close()
"""


@pytest.fixture(scope="module")
def sensor_lab():
    lab = Lab(1)
    try:
        result = lab.run_playbook("site.yml", tags="ids_sensor")
        assert result.status == "successful", (result.stats, result.failures())
        yield lab
    finally:
        lab.down()


def features(interface: str, namespace: str | None = None) -> dict[str, str]:
    prefix = ["ip", "netns", "exec", namespace] if namespace else []
    done = subprocess.run([*prefix, "ethtool", "--show-features", interface], capture_output=True, text=True,
                          timeout=30, check=True)
    rows = (line.partition(":") for line in done.stdout.splitlines()[1:])  # the first line: "Features for X:"
    return {name.strip(): value.strip() for name, _, value in rows}


def set_offloads(interface: str, state: str, namespace: str | None = None) -> None:
    prefix = ["ip", "netns", "exec", namespace] if namespace else []
    words = [word for feature in ("generic-receive-offload", "tcp-segmentation-offload",
                                  "generic-segmentation-offload") for word in (feature, state)]
    subprocess.run([*prefix, "ethtool", "--features", interface, *words], capture_output=True, timeout=30, check=True)


def transfer(lab: Lab) -> None:
    """BYTES from the bridge to lab-host-01 and BYTES back, over TCP through its eth0."""
    host = lab.hosts[0]
    server = subprocess.Popen(["ip", "netns", "exec", host.namespace, sys.executable, "-c", SERVER, host.address,
                               str(PORT), str(BYTES)])
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                conn = socket.create_connection((host.address, PORT), timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        with conn:
            conn.sendall(b"y" * BYTES)
            got = 0
            while got < BYTES:
                chunk = conn.recv(1 << 16)
                assert chunk, f"the lab host closed after {got} bytes"
                got += len(chunk)
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def counters(lab: Lab) -> dict:
    """Suricata's counters as of its last stats round (every 60 s: `stats: interval` of the role's template)."""
    socket_path = Path(lab.hosts[0].install_root) / "run/suricata/suricata-command.socket"
    done = subprocess.run(["/usr/bin/suricatasc", "-c", "dump-counters", str(socket_path)], capture_output=True,
                          text=True, timeout=30)
    answer = json.loads(done.stdout or "{}")
    return answer["message"] if answer.get("return") == "OK" else {}  # NOK: "stats not yet synchronized"


def truncated(values: dict) -> int:
    events = values.get("decoder", {}).get("event", {})
    return events.get("afpacket", {}).get("trunc_pkt", 0) + events.get("ipv4", {}).get("trunc_pkt", 0)


def decoded(values: dict) -> int:
    return values.get("decoder", {}).get("pkts", 0)


def captured(values: dict) -> int:
    """Frames the af-packet socket took in: decoded, or dropped from its ring when Suricata fell behind (a
    loaded machine); either way the frame was on the wire Suricata listens to."""
    return decoded(values) + values.get("capture", {}).get("kernel_drops", 0)


def wait_for(condition, seconds: float, what: str, seen=lambda: ""):
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s; last seen: {seen()}")
        time.sleep(1)


def capture_figures(lab: Lab) -> dict:
    values = counters(lab)
    return {"decoder.pkts": decoded(values), "capture": values.get("capture"),
            "truncated": truncated(values)}


def test_the_sensor_interface_runs_with_offloads_off(sensor_lab):
    host = sensor_lab.hosts[0]
    inside = features("eth0", host.namespace)
    assert {name: inside[name].split()[0] for name in OFFLOADS} == {name: "off" for name in OFFLOADS}, inside
    bridge_side = features(host.veth)
    assert {name: bridge_side[name].split()[0] for name in lab_network.ROOT_END_OFFLOADS} == \
        {name: "off" for name in lab_network.ROOT_END_OFFLOADS}, bridge_side


def test_bulk_traffic_raises_no_truncated_packet_and_does_with_offloads_on(sensor_lab):
    host = sensor_lab.hosts[0]
    before = captured(counters(sensor_lab))
    transfer(sensor_lab)
    # Both directions' segments: at least 2 × 8 MB / 1500 B frames taken in.
    after = wait_for(lambda: (lambda c: c if captured(c) - before >= 2 * BYTES // 1500 else None)(counters(sensor_lab)),
                     STATS_WAIT, "Suricata decoding the transfer", lambda: (before, capture_figures(sensor_lab)))
    assert truncated(after) == 0, after.get("decoder", {}).get("event")
    eve = Path(host.install_root) / "var/log/suricata/eve.json"
    noise = [line for line in eve.read_text().splitlines() if "truncated" in line.lower()]
    assert noise == [], noise[:3]

    # The control: the same transfer with the offloads on again is seen as truncated packets.
    set_offloads("eth0", "on", host.namespace)
    set_offloads(host.veth, "on")
    try:
        transfer(sensor_lab)
        wait_for(lambda: truncated(counters(sensor_lab)) > 0, STATS_WAIT,
                 "truncated packets counted with the offloads on", lambda: capture_figures(sensor_lab))
    finally:
        set_offloads("eth0", "off", host.namespace)
        set_offloads(host.veth, "off")
