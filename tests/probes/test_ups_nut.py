"""The UPS collector against a real NUT upsd serving the dummy-ups driver (Debian nut-server)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from console.lab.ups import write_device_file
from probes.collectors import CollectorFailed
from probes.collectors.ups import NutClient, NutError, UpsCollector, parse_target
from probes.report import Ups
from tests.fixtures.nut import DEVICE, free_port
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
    write_device_file(device, DEVICE.replace("ups.status: OL", "ups.status: OB DISCHRG").replace("100", "55"))
    assert wait_for_flags(port, ["OB", "DISCHRG"])["battery_charge_percent"] == 55.0
    write_device_file(device, DEVICE.replace("ups.status: OL", "ups.status: OB LB").replace("100", "9"))
    assert wait_for_flags(port, ["OB", "LB"])["battery_charge_percent"] == 9.0


def test_unreachable_upsd_is_an_entry_that_hides_no_other_unit(upsd):
    _device, port, server = upsd
    closed = free_port()
    found = UpsCollector([f"testups@127.0.0.1:{closed}", f"testups@127.0.0.1:{port}", "bad target@x"]).collect()
    assert [entry["reachable"] for entry in found] == [False, True, False]
    assert "Connection refused" in found[0]["error"] and "upsname@host" in found[2]["error"]
    stop(server)
    status = read(port)
    assert status["reachable"] is False and "refused" in status["error"].lower()
    Ups.model_validate(status)


def test_unknown_ups_and_unknown_variable_give_nuts_error_codes(upsd):
    _device, port, _server = upsd
    status = UpsCollector([f"nosuch@127.0.0.1:{port}"]).collect()[0]
    assert status["reachable"] is False and "ERR UNKNOWN-UPS for UPS 'nosuch'" in status["error"]
    client = NutClient("127.0.0.1", port)
    assert client.get_var("testups", "ups.test.result") == "Done and passed"
    with pytest.raises(NutError, match="VAR-NOT-SUPPORTED") as caught:
        client.get_var("testups", "no.such.variable")
    assert caught.value.code == "VAR-NOT-SUPPORTED" and caught.value.ups == "testups"


def endless(*chunks: bytes, pause: float = 0.0):
    """First chunks[:-1], then chunks[-1] forever (until the client hangs up)."""
    yield from chunks[:-1]
    while True:
        time.sleep(pause)
        yield chunks[-1]


VAR = b'VAR testups ups.status "OL"\n'


@pytest.fixture
def hostile():
    """A fake upsd on a loopback port that answers whatever the test gives it, then its own read."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    threads = []

    def answer(chunks, timeout: float = 2) -> dict:
        def serve():
            conn, _ = listener.accept()
            with conn:
                conn.recv(1024)
                try:
                    for chunk in chunks:
                        conn.sendall(chunk)
                except OSError:
                    pass  # the client hung up, as it should on a hostile answer

        threads.append(threading.Thread(target=serve))
        threads[-1].start()
        return UpsCollector([f"testups@127.0.0.1:{listener.getsockname()[1]}"], timeout=timeout).collect()[0]

    yield answer
    for thread in threads:
        thread.join(timeout=10)
    listener.close()


@pytest.mark.parametrize("chunks, message", [
    ([b"ERR ACCESS-DENIED\n"], "answered ERR ACCESS-DENIED for UPS 'testups'"),
    ([b"HELLO THERE\n"], "unexpected answer"),
    (endless(b"BEGIN LIST VAR testups\n", b"x" * 4096), "line too long"),
    (endless(b"BEGIN LIST VAR testups\n", VAR), "exceeds 2000 lines"),
    (endless(b"BEGIN LIST VAR testups\n", VAR, pause=0.3), "did not finish its answer in time"),
    ([b'BEGIN LIST VAR testups\nVAR testups ups.status "OL\n'], "malformed"),
    ([b'BEGIN LIST VAR testups\nVAR testups ups.status "OL" extra\n'], "malformed"),
    ([b'BEGIN LIST VAR testups\nVAR otherups ups.status "OL"\n'], "not 'testups'"),
    ([b"BEGIN LIST VAR testups\nERR DATA-STALE\n"], "ERR DATA-STALE"),
    ([b"BEGIN LIST VAR testups\n" + VAR], "closed the connection"),
], ids=["err", "garbage", "endless-line", "endless-list", "slow-drip", "open-quote", "extra-word",
        "other-ups", "err-mid-list", "cut-short"])
def test_hostile_server_answers_are_clean_errors(hostile, chunks, message):
    status = hostile(chunks, timeout=1)
    assert status["reachable"] is False and message in status["error"]


def test_quoted_values_are_unescaped_as_nut_escapes_them(hostile):
    status = hostile([b"BEGIN LIST VAR testups\n", VAR,
                      b'VAR testups ups.test.result "said \\"hi\\" \\\\ ok"\n',
                      b'VAR testups ups.id ""\nEND LIST VAR testups\n'])
    assert status["reachable"] and status["status_flags"] == ["OL"]
    assert status["variables"]["ups.test.result"] == 'said "hi" \\ ok'
    assert status["variables"]["ups.id"] == ""


def test_targets_are_parsed_like_the_inventory_writes_them():
    assert parse_target("ups-dc-01@198.18.10.250") == ("ups-dc-01", "198.18.10.250", 3493)
    assert parse_target("ups1@198.18.0.5:3494") == ("ups1", "198.18.0.5", 3494)
    assert parse_target("ups1@[2001:db8::5]:3494") == ("ups1", "2001:db8::5", 3494)
    assert parse_target("ups1") == ("ups1", "127.0.0.1", 3493)
    for bad in ("", "@host", "ups1@host:99999", "ups1@host:ssh", "ups 1@host", "ups1\nLOGOUT@host"):
        with pytest.raises(CollectorFailed, match="upsname@host"):
            parse_target(bad)
