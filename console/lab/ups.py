"""The demo's UPS: Debian's NUT `dummy-ups` driver and `upsd` on a loopback port, run as root.

    run(var_dir, port=13493, name="demo", on_ready=print)   # until SIGTERM/SIGINT
    set_state(var_dir, "on-battery")                        # OB DISCHRG; "low-battery", "online"

Everything lives under `<var_dir>/demo-ups/`: ups.conf, upsd.conf, upsd.users,
nut.conf, the device file `<name>.dev` that dummy-ups serves (it re-reads the
file when its modification time changes, at every `pollinterval`, 2 s here)
and `state/` (the driver's socket, pid files). The children get SIGTERM when
this process dies (PR_SET_PDEATHSIG), so a killed `ops lab ups start` leaves
no upsd holding the port.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from console.lab.errors import LabError
from probes.collectors import CollectorFailed
from probes.collectors.ups import NutClient

DEFAULT_NAME = "demo"
DEFAULT_PORT = 13493
HOST = "127.0.0.1"
POLL_INTERVAL = 2  # seconds between two reads of the device file by dummy-ups
NUT_DIRS = (Path("/lib/nut"), Path("/usr/lib/nut"), Path("/usr/libexec/nut"))
START_SECONDS = 20
STOP_SECONDS = 10

IDENTITY = {"device.type": "ups", "ups.mfr": "Ops Console lab", "ups.model": "Dummy UPS 1500VA (NUT dummy-ups)",
            "ups.serial": "LAB-0001", "battery.charge.low": "10", "battery.runtime.low": "300"}
STATES = {
    "online": {"ups.status": "OL", "battery.charge": "100", "battery.runtime": "1800", "ups.load": "35",
               "input.voltage": "229.0", "output.voltage": "230.0"},
    "on-battery": {"ups.status": "OB DISCHRG", "battery.charge": "55", "battery.runtime": "900", "ups.load": "35",
                   "input.voltage": "0.0", "output.voltage": "230.0"},
    "low-battery": {"ups.status": "OB LB", "battery.charge": "9", "battery.runtime": "240", "ups.load": "35",
                    "input.voltage": "0.0", "output.voltage": "229.0"},
}
DESCRIPTIONS = {"online": "on line (OL), battery 100 %, 30 min runtime",
                "on-battery": "on battery (OB DISCHRG), battery 55 %, 15 min runtime",
                "low-battery": "on battery, battery low (OB LB), battery 9 %, 4 min runtime"}


class UpsLabError(LabError):
    """The demo UPS could not be started, found or changed."""

    exit_code = 1


@dataclass(frozen=True)
class Running:
    name: str
    port: int
    folder: Path
    device_file: Path
    driver_pid: int
    upsd_pid: int


def folder_of(var_dir: Path) -> Path:
    return Path(var_dir) / "demo-ups"


def device_file(var_dir: Path, name: str = DEFAULT_NAME) -> Path:
    return folder_of(var_dir) / f"{_checked(name)}.dev"


def device_text(state: str) -> str:
    values = {**STATES[state], **IDENTITY, "ups.test.result": "Done and passed"}
    return "".join(f"{key}: {value}\n" for key, value in values.items())


def set_state(var_dir: Path, state: str, name: str = DEFAULT_NAME) -> Path:
    """Rewrite the device file (temporary file, then rename); dummy-ups serves it within POLL_INTERVAL."""
    if state not in STATES:
        raise UpsLabError(f"unknown UPS state {state!r}; use one of {', '.join(STATES)}")
    path = device_file(var_dir, name)
    if not path.exists():
        raise UpsLabError(f"no demo UPS {name!r} at {path}: start it first with `ops lab ups start`")
    return write_device_file(path, device_text(state))


def write_device_file(path: Path, text: str) -> Path:
    """Replace dummy-ups's device file (temporary file, then rename) so that the driver reads it again.

    NUT 2.8's dummy-ups (mode dummy-once, a `.dev` file) re-reads the file only when the whole seconds
    of its modification time differ from the last read's (drivers/dummy-ups.c, upsdrv_updateinfo:
    `st_mtim.tv_sec`). A second change within the same second as the one before would never be
    served: the new file's time is at least one whole second after the previous file's.
    """
    path = Path(path)
    previous = int(path.stat().st_mtime) if path.exists() else 0
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    temporary.chmod(0o644)
    stamp = max(time.time(), previous + 1)
    os.utime(temporary, (stamp, stamp))
    os.replace(temporary, path)
    return path


def write_config(var_dir: Path, name: str, port: int) -> Path:
    """The NUT configuration for one dummy UPS `name` on 127.0.0.1:`port`; the device file starts on line."""
    folder = folder_of(var_dir)
    state = folder / "state"
    folder.mkdir(parents=True, exist_ok=True)
    if state.exists():
        shutil.rmtree(state)  # a crashed run's socket and pid files
    state.mkdir()
    try:
        shutil.chown(state, "nut", "nut")
    except (LookupError, PermissionError):
        pass
    for path in (folder, state):
        path.chmod(0o755)
    device = folder / f"{name}.dev"
    device.write_text(device_text("online"))
    device.chmod(0o644)
    (folder / "ups.conf").write_text(f"pollinterval = {POLL_INTERVAL}\n\n[{name}]\n\tdriver = dummy-ups\n"
                                     f"\tport = {device}\n\tdesc = \"Ops Console demo UPS\"\n")
    (folder / "upsd.conf").write_text(f"LISTEN {HOST} {port}\n")
    users = folder / "upsd.users"
    users.write_text("")
    users.chmod(0o600)
    (folder / "nut.conf").write_text("MODE=standalone\n")
    return folder


def run(var_dir: Path, port: int = DEFAULT_PORT, name: str = DEFAULT_NAME,
        on_ready: Callable[[Running], None] | None = None) -> None:
    """Start dummy-ups and upsd, call `on_ready`, and stay until SIGTERM/SIGINT; then stop both."""
    name = _checked(name)
    if os.geteuid() != 0:
        raise UpsLabError("the demo UPS needs root: NUT's dummy-ups and upsd run here with -u root")
    driver_binary, upsd_binary = _binary("dummy-ups"), _binary("upsd")
    folder = folder_of(var_dir)
    _refuse_second_run(folder)
    _refuse_taken_port(port)
    write_config(var_dir, name, port)
    pid_file = folder / "ops-lab-ups.pid"
    pid_file.write_text(f"{os.getpid()}\n")

    stopping: list[int] = []
    previous = {sig: signal.signal(sig, lambda number, _frame: stopping.append(number))
                for sig in (signal.SIGTERM, signal.SIGINT)}
    env = {**os.environ, "NUT_CONFPATH": str(folder), "NUT_STATEPATH": str(folder / "state"),
           "NUT_ALTPIDPATH": str(folder / "state")}
    children: list[tuple[str, subprocess.Popen]] = []
    try:
        driver = _start([str(driver_binary), "-a", name, "-u", "root", "-F"], env, folder / "driver.log")
        children.append(("dummy-ups", driver))
        _wait(lambda: (folder / "state" / f"dummy-ups-{name}").exists(), "the dummy-ups driver's socket",
              children, folder, stopping)
        server = _start([str(upsd_binary), "-F", "-u", "root"], env, folder / "upsd.log")
        children.append(("upsd", server))
        _wait(lambda: _status(port, name) == "OL", f"upsd on {HOST}:{port} reporting UPS {name!r} on line",
              children, folder, stopping)
        if on_ready is not None:
            on_ready(Running(name, port, folder, folder / f"{name}.dev", driver.pid, server.pid))
        while not stopping:
            for label, child in children:
                if child.poll() is not None:
                    raise UpsLabError(f"{label} exited with code {child.returncode}: {_last_line(folder, label)}")
            time.sleep(0.2)
    finally:
        for label, child in reversed(children):
            _stop(child)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        pid_file.unlink(missing_ok=True)


def _checked(name: str) -> str:
    if not name or not all(c.isalnum() or c in "-_" for c in name) or not name[0].isalnum() or len(name) > 32:
        raise UpsLabError(f"UPS name {name!r}: use up to 32 letters, digits, '-' or '_', "
                          "starting with a letter or digit")
    return name


def _binary(program: str) -> Path:
    for folder in NUT_DIRS:
        if (folder / program).is_file():
            return folder / program
    raise UpsLabError(f"NUT's {program} is not installed (looked in {', '.join(map(str, NUT_DIRS))}); "
                      f"install it with: apt-get install nut-server nut-client")


def running_pid(var_dir: Path) -> int | None:
    """The pid of the `ops lab ups start` serving <var_dir>/demo-ups, if one runs."""
    try:
        pid = int((folder_of(var_dir) / "ops-lab-ups.pid").read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (OSError, ValueError):
        return None
    return pid if "lab" in cmdline and "ups" in cmdline else None


def _refuse_second_run(folder: Path) -> None:
    pid = running_pid(folder.parent)
    if pid is not None and pid != os.getpid():
        raise UpsLabError(f"the demo UPS already runs (pid {pid}, {folder}); stop it first: kill {pid}")


def _refuse_taken_port(port: int) -> None:
    probe = socket.socket()
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((HOST, port))
    except OSError as exc:
        raise UpsLabError(f"port {port} on {HOST} is taken ({exc.strerror}): another upsd? "
                          f"see `ss -ltnp 'sport = :{port}'`, or choose one with --port") from None
    finally:
        probe.close()


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the parent (this process) dies; its own process group."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    os.setpgid(0, 0)  # a Ctrl-C in the terminal reaches this process only, which stops the children in order


def _start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    with open(log, "wb") as handle:
        try:
            return subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=handle,
                                    stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        except OSError as exc:
            raise UpsLabError(f"cannot start {command[0]}: {exc.strerror or exc}") from None


def _stop(child: subprocess.Popen) -> None:
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _status(port: int, name: str) -> str | None:
    try:
        return NutClient(HOST, port, timeout=1).get_var(name, "ups.status")
    except (CollectorFailed, OSError):
        return None


def _wait(check, what: str, children, folder: Path, stopping: list[int]) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if stopping:
            raise UpsLabError(f"stopped by signal {stopping[0]} while waiting for {what}")
        for label, child in children:
            if child.poll() is not None:
                raise UpsLabError(f"{label} exited with code {child.returncode} before {what}: "
                                  f"{_last_line(folder, label)}")
        if check():
            return
        time.sleep(0.1)
    raise UpsLabError(f"{what}: not there after {START_SECONDS} s (see {folder}/driver.log and upsd.log)")


def _last_line(folder: Path, label: str) -> str:
    log = folder / ("driver.log" if label == "dummy-ups" else "upsd.log")
    try:
        lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        lines = []
    return (lines[-1][:200] if lines else "no output") + f" (log: {log})"
