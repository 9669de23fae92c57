"""The NUT connector against a real upsd with dummy-ups (tests/fixtures/nut.py)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from console.devices.connectors import ConnectorError
from console.devices.connectors import nut
from console.devices.config import DeviceConfig
from probes.collectors.ups import UpsCollector


def device(port: int, ups: str = "testups", timeout: float = 3) -> DeviceConfig:
    return DeviceConfig(name="ups-nut", kind="ups", connector="nut", address="127.0.0.1", port=port, ups=ups,
                        timeout_seconds=timeout)


def test_ups_on_line_gives_the_agents_fields(upsd):
    _device_file, port, _server = upsd
    fields = nut.read(device(port))
    assert fields["status_flags"] == ["OL"]
    assert fields["battery_charge_percent"] == 100.0
    assert fields["battery_runtime_seconds"] == 1800.0
    assert fields["load_percent"] == 35.0
    assert fields["test_result"] == "Done and passed"
    assert fields["variables"]["ups.status"] == "OL"


def test_ups_on_battery_is_read_as_upsd_reports_it(upsd):
    device_file, port, _server = upsd
    device_file.write_text(device_file.read_text().replace("ups.status: OL", "ups.status: OB LB")
                           .replace("battery.charge: 100", "battery.charge: 9"))
    deadline = time.monotonic() + 20
    while UpsCollector([f"testups@127.0.0.1:{port}"]).collect()[0].get("status_flags") != ["OB", "LB"]:
        assert time.monotonic() < deadline, "dummy-ups did not pick up the new state"
        time.sleep(0.2)
    fields = nut.read(device(port))
    assert fields["status_flags"] == ["OB", "LB"]
    assert fields["battery_charge_percent"] == 9.0


def test_unknown_ups_name_is_a_reason(upsd):
    _device_file, port, _server = upsd
    with pytest.raises(ConnectorError, match="UNKNOWN-UPS"):
        nut.read(device(port, ups="nosuchups"))


def test_refused_connection_is_a_reason():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConnectorError, match="127.0.0.1"):
        nut.read(device(port))


def test_a_server_that_never_answers_is_cut_off_at_the_timeout():
    with silent_server() as port:
        with pytest.raises(ConnectorError, match="in time"):
            nut.read(device(port, timeout=1))


def test_garbage_instead_of_the_protocol_is_a_reason():
    with silent_server(answer=b"HTTP/1.0 200 OK\n\n<html>\n") as port:
        with pytest.raises(ConnectorError, match="unexpected answer"):
            nut.read(device(port))


class silent_server:
    """A TCP server that accepts, sends `answer` (maybe nothing) and then says no more."""

    def __init__(self, answer: bytes = b""):
        self.answer, self.sock, self.peers = answer, socket.socket(), []

    def __enter__(self) -> int:
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        threading.Thread(target=self._serve, daemon=True).start()
        return self.sock.getsockname()[1]

    def _serve(self):
        try:
            peer, _ = self.sock.accept()
        except OSError:
            return
        self.peers.append(peer)
        peer.sendall(self.answer)

    def __exit__(self, *exc):
        for peer in self.peers:
            peer.close()
        self.sock.close()
