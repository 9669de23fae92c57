"""`ops devices list|poll` from the shell, against a real upsd and a port where nothing listens."""

from __future__ import annotations

from tests.console.cli.test_cli import ops
from tests.fixtures.nut import free_port


def with_devices(config_file, upsd_port: int) -> None:
    config_file.write_text(config_file.read_text() + f"""
[[devices]]
name = "ups-room-a"
kind = "ups"
connector = "nut"
address = "127.0.0.1"
port = {upsd_port}
ups = "testups"
hosts = ["dtnmt-web-01"]
timeout_seconds = 2

[[devices]]
name = "ups-room-b"
kind = "ups"
connector = "nut"
address = "127.0.0.1"
port = {free_port()}
timeout_seconds = 1
""")


def test_poll_stores_states_and_list_shows_them_and_a_dead_ups_exits_1(config_file, upsd):
    _file, port, _server = upsd
    with_devices(config_file, port)
    assert ops("db", "upgrade", config=config_file).returncode == 0
    listed = ops("devices", "list", config=config_file)
    assert "never polled" in listed.stdout
    polled = ops("devices", "poll", config=config_file)
    assert polled.returncode == 1, polled.stderr
    assert "ups-room-a: ok" in polled.stdout
    assert "ups-room-b: unknown (upsd 127.0.0.1:" in polled.stdout
    listed = ops("devices", "list", config=config_file).stdout.splitlines()
    row_a = next(line for line in listed if line.startswith("ups-room-a"))
    assert " ok " in row_a and "OL charge 100.0%" in row_a


def test_poll_one_device_that_answers_exits_0(config_file, upsd):
    _file, port, _server = upsd
    with_devices(config_file, port)
    ops("db", "upgrade", config=config_file)
    polled = ops("devices", "poll", "--device", "ups-room-a", config=config_file)
    assert (polled.returncode, polled.stdout.strip()) == (0, "ups-room-a: ok")
    missing = ops("devices", "poll", "--device", "nope", config=config_file)
    assert missing.returncode == 1 and "not configured" in missing.stderr
