"""The UPS collector against a real NUT upsd serving the dummy-ups driver (Debian nut-server)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from probes.collectors.ups import UpsCollector, parse_target
from probes.report import Ups
from tests.fixtures.nut import DEVICE
from tests.fixtures.processes import stop


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
