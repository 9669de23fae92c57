"""The UPS collector against a real NUT upsd serving the dummy-ups driver (Debian nut-server)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from probes.collectors.ups import UpsCollector, parse_target
from probes.report import Ups

NUT = Path("/lib/nut")
DEVICE = """ups.status: OL
battery.charge: 100
battery.runtime: 1800
ups.load: 35
input.voltage: 229.0
ups.test.result: Done and passed
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    handle = open(log, "wb")
    try:
        return subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)
    finally:
        handle.close()


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def upsd(tmp_path):
    """upsd on a loopback port with one dummy UPS 'testups' whose state is the file `device`."""
    conf, state = tmp_path / "conf", tmp_path / "state"
    conf.mkdir()
    state.mkdir()
    shutil.chown(state, "nut", "nut")
    for folder in (tmp_path, conf, state):
        folder.chmod(0o755)
    device, port = conf / "testups.dev", free_port()
    device.write_text(DEVICE)
    (conf / "ups.conf").write_text(f'[testups]\n\tdriver = dummy-ups\n\tport = {device}\n\tdesc = "test"\n')
    (conf / "upsd.conf").write_text(f"LISTEN 127.0.0.1 {port}\n")
    (conf / "upsd.users").write_text("")
    (conf / "upsd.users").chmod(0o600)
    (conf / "nut.conf").write_text("MODE=standalone\n")
    env = {**os.environ, "NUT_CONFPATH": str(conf), "NUT_STATEPATH": str(state)}
    driver = start([str(NUT / "dummy-ups"), "-a", "testups", "-u", "root", "-F"], env, tmp_path / "driver.log")
    _wait(lambda: (state / "dummy-ups-testups").exists(), "the dummy-ups driver socket")
    server = start([str(NUT / "upsd"), "-F", "-u", "root"], env, tmp_path / "upsd.log")
    try:
        _wait(lambda: _answers(port), "upsd")
        _wait(lambda: read(port).get("status_flags") == ["OL"], "the dummy UPS's first reading")
        yield device, port, server
    finally:
        stop(server)
        stop(driver)


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def _wait(check, what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not come up within {seconds} s")


def read(port: int) -> dict:
    return UpsCollector([f"testups@127.0.0.1:{port}"]).collect()[0]


def wait_for_flags(port: int, flags: list[str]) -> dict:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        status = read(port)
        if status.get("status_flags") == flags:
            return status
        time.sleep(0.5)
    raise AssertionError(f"upsd never reported {flags}; last: {status}")


def test_on_line_ups_is_read_with_every_field(upsd):
    _device, port, _server = upsd
    status = read(port)
    Ups.model_validate(status)
    assert status["reachable"] and status["status_flags"] == ["OL"]
    assert (status["battery_charge_percent"], status["battery_runtime_seconds"]) == (100.0, 1800.0)
    assert (status["load_percent"], status["input_voltage"]) == (35.0, 229.0)
    assert status["test_result"] == "Done and passed"
    assert status["variables"]["driver.name"] == "dummy-ups"


def test_on_battery_then_low_battery_are_seen(upsd):
    device, port, _server = upsd
    device.write_text(DEVICE.replace("ups.status: OL", "ups.status: OB DISCHRG").replace("100", "55"))
    assert wait_for_flags(port, ["OB", "DISCHRG"])["battery_charge_percent"] == 55.0
    device.write_text(DEVICE.replace("ups.status: OL", "ups.status: OB LB").replace("100", "9"))
    assert wait_for_flags(port, ["OB", "LB"])["battery_charge_percent"] == 9.0


def test_stopped_upsd_is_unreachable_not_an_exception(upsd):
    _device, port, server = upsd
    stop(server)
    status = read(port)
    assert status["reachable"] is False and "refused" in status["error"].lower()


def test_unknown_ups_gives_nuts_error_code(upsd):
    _device, port, _server = upsd
    status = UpsCollector([f"nosuch@127.0.0.1:{port}"]).collect()[0]
    assert status["reachable"] is False and "UNKNOWN-UPS" in status["error"]


@pytest.mark.parametrize("answer, message", [
    (b"ERR ACCESS-DENIED\n", "ACCESS-DENIED"),
    (b"HELLO THERE\n", "unexpected answer"),
    (b"BEGIN LIST VAR testups\n" + b"x" * 10000, "too long"),
    (b"BEGIN LIST VAR testups\nVAR testups ups.status OL\n", "malformed"),
])
def test_hostile_server_answers_are_clean_errors(answer, message):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def serve():
        conn, _ = listener.accept()
        with conn:
            conn.recv(1024)
            conn.sendall(answer)
            time.sleep(0.2)

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        status = UpsCollector([f"testups@127.0.0.1:{port}"], timeout=2).collect()[0]
    finally:
        thread.join()
        listener.close()
    assert status["reachable"] is False and message in status["error"]


def test_targets_are_parsed_like_the_inventory_writes_them():
    assert parse_target("ups-dc-01@198.18.10.250") == ("ups-dc-01", "198.18.10.250", 3493)
    assert parse_target("ups1@198.18.0.5:3494") == ("ups1", "198.18.0.5", 3494)
