"""`ops lab ups`: the demo's UPS (NUT dummy-ups + upsd, as root) read by the console's own NUT connector."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console.devices.connectors import ConnectorError, nut
from console.devices.config import DeviceConfig
from console.lab.ups import write_device_file
from tests.fixtures.nut import free_port
from tests.fixtures.processes import stop

OPS = [sys.executable, "-m", "console.cli"]
REPO = Path(__file__).resolve().parents[3]


def write_config(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "ops.toml"
    path.write_text(f'[console]\nsecret_key = "test-secret-key-not-for-production"\n'
                    f'[paths]\nvar_dir = "{tmp_path / "var"}"\n'
                    f'[[devices]]\nname = "lab-ups"\nkind = "ups"\nconnector = "nut"\naddress = "127.0.0.1"\n'
                    f'port = {port}\nups = "demo"\ninterval_seconds = 30\n')
    return path


def ops(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*OPS, "--config", str(config), *args], capture_output=True, text=True, cwd=REPO,
                          env=_environment(), timeout=30)


def _environment() -> dict:
    environment = dict(os.environ)
    environment.pop("OPS_CONFIG", None)
    environment.pop("OPS_DATABASE_URL", None)
    return environment


def device(port: int) -> DeviceConfig:
    return DeviceConfig(name="lab-ups", kind="ups", connector="nut", address="127.0.0.1", port=port, ups="demo",
                        timeout_seconds=2)


def read_flags(port: int) -> list[str] | None:
    try:
        return nut.read(device(port))["status_flags"]
    except ConnectorError:
        return None


def wait_for(check, what: str, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {seconds} s")


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")  # a zombie is gone too
    except (FileNotFoundError, ProcessLookupError):
        return True


@pytest.mark.external  # starts NUT upsd with dummy-ups (ops lab ups)
def test_demo_ups_goes_on_battery_low_battery_and_back_on_line(tmp_path):
    port = free_port()
    config = write_config(tmp_path, port)
    output = tmp_path / "ups.out"
    with open(output, "wb") as handle:
        process = subprocess.Popen([*OPS, "--config", str(config), "lab", "ups", "start", "--port", str(port)],
                                   stdout=handle, stderr=subprocess.STDOUT, cwd=REPO, env=_environment())
    second = None
    try:
        wait_for(lambda: "on line (dummy-ups pid" in output.read_text() or process.poll() is not None,
                 "ops lab ups start reporting it is up", 20)
        assert process.poll() is None, output.read_text()
        pids = [int(pid) for pid in re.findall(r"pid (\d+)", output.read_text())]
        assert len(pids) == 2, output.read_text()

        second = subprocess.Popen([*OPS, "--config", str(config), "lab", "ups", "start", "--port", str(port)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                                  env=_environment())  # runs alongside the state changes below
        fields = nut.read(device(port))
        assert fields["status_flags"] == ["OL"]
        assert fields["battery_charge_percent"] == 100
        assert fields["battery_runtime_seconds"] == 1800
        assert fields["load_percent"] and fields["input_voltage"]
        assert fields["manufacturer"] and fields["model"]

        for command, flags, charge in (("on-battery", ["OB", "DISCHRG"], 55), ("low-battery", ["OB", "LB"], 9),
                                       ("online", ["OL"], 100)):
            result = ops(config, "lab", "ups", command)
            assert result.returncode == 0, result.stderr
            assert "ops devices poll --device lab-ups" in result.stdout
            wait_for(lambda: read_flags(port) == flags, f"{command}: upsd reporting {flags}", 15)
            assert nut.read(device(port))["battery_charge_percent"] == charge

        _out, refused = second.communicate(timeout=20)
        assert second.returncode == 1
        assert "already runs" in refused and len(refused.strip().splitlines()) == 1
        assert read_flags(port) == ["OL"]  # the refused second start changed nothing
    finally:
        if second is not None and second.returncode is None:
            second.kill()
            second.communicate()
        stop(process, grace_seconds=15)
    assert process.returncode == 0, output.read_text()
    assert "demo UPS stopped" in output.read_text()
    assert all(gone(pid) for pid in pids)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_a_taken_port_is_one_line_and_exit_1(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = ops(write_config(tmp_path, port), "lab", "ups", "start", "--port", str(port))
    assert result.returncode == 1
    assert result.stderr.startswith(f"ops: error: port {port} on 127.0.0.1 is taken")
    assert len(result.stderr.strip().splitlines()) == 1


def test_changing_a_ups_that_was_never_started_says_so(tmp_path):
    result = ops(write_config(tmp_path, free_port()), "lab", "ups", "on-battery")
    assert result.returncode == 1
    assert "start it first with `ops lab ups start`" in result.stderr


def test_changes_within_one_second_get_different_whole_second_times(tmp_path):
    # NUT 2.8's dummy-ups re-reads a .dev file only when the whole seconds of its modification time changed:
    # three changes made at once must each carry a later second than the one before, or the driver misses them.
    device = tmp_path / "testups.dev"
    seconds = []
    for status in ("OL", "OB DISCHRG", "OB LB"):
        write_device_file(device, f"ups.status: {status}\n")
        seconds.append(int(device.stat().st_mtime))
        assert device.read_text() == f"ups.status: {status}\n"
    assert seconds[0] < seconds[1] < seconds[2]
    assert [p.name for p in tmp_path.iterdir()] == ["testups.dev"]  # no temporary file left behind
