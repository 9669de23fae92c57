"""The demo's two uplinks and its server room, for the Availability page and the Devices area.

    lab = up(var_dir, "demo")              # the router with two uplinks, snmpd, traffic; the room's snmpsim
    line(var_dir, "demo", 1, up=False)      # uplink 1's line is cut: uplink.down and uplink.failover
    room_temperature(var_dir, "demo", 31)   # the room heats up: room.temperature_out_of_range
    devices_toml(lab)                       # the [[devices]] tables that read them
    down(var_dir, "demo")

The router is console/lab/router.py's: a namespace `<p>r` whose wan1 and wan2 are veth pairs to two ISP
namespaces (addresses in 198.18.0.0/16), Debian's snmpd in it reporting the interfaces' IF-MIB counters on
the router's management address, and a ping kept running from the router to an address both ISPs hold, so
uplink 1 carries traffic until its line is cut, and then uplink 2 does (the router's routes through a link
that is down are ignored).

The server room is an APC environmental monitor (PowerNet-MIB iemStatusProbesTable
1.3.6.1.4.1.318.1.1.10.2.3.2.1: probe 1 connected(2), its temperature in celsius(1) and its humidity),
served by the PyPI snmpsim on 127.0.0.1:`room_port`, community `room-main`; `room_temperature` rewrites
its snmprec file (temporary file, then rename; the modification time moves forward, which makes snmpsim
read it again).

Everything lives under <var_dir>/lab-uplinks/<name>/ (state.json, logs, the community file); the processes
run in sessions of their own, so the CLI that started them can exit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from console.lab.errors import LabError
from console.lab.router import COMMUNITY, Router, _alive, spawn, terminate
from console.lab.state import check_name

ROOM_COMMUNITY = "room-main"
ROOM_PORT = 16161
ROOM_TEMPERATURE = 22
ROOM_HUMIDITY = 45
APC_PROBE = "1.3.6.1.4.1.318.1.1.10.2.3.2.1"
POLL_SECONDS = 30
START_SECONDS = 30
RESPONDER = Path(sys.executable).parent / "snmpsim-command-responder"


def folder(var_dir: Path, name: str) -> Path:
    return Path(var_dir).resolve() / "lab-uplinks" / check_name(name)


class LabUplinks:
    def __init__(self, directory: Path, router: Router, room_port: int, room_pid: int | None = None):
        self.directory, self.router, self.room_port, self.room_pid = Path(directory), router, room_port, room_pid

    @property
    def community_file(self) -> Path:
        return self.directory / "router-community"

    @property
    def room_community_file(self) -> Path:
        return self.directory / "room-community"

    @property
    def room_data(self) -> Path:
        return self.directory / "snmpsim" / "data" / f"{ROOM_COMMUNITY}.snmprec"

    def save(self) -> None:
        state = self.directory / "state.json"
        temp = state.with_suffix(".tmp")
        temp.write_text(json.dumps({"router": self.router.as_dict(), "room_port": self.room_port,
                                    "room_pid": self.room_pid}, indent=2))
        os.replace(temp, state)


def load(var_dir: Path, name: str) -> LabUplinks | None:
    directory = folder(var_dir, name)
    try:
        data = json.loads((directory / "state.json").read_text())
        return LabUplinks(directory, Router.from_dict(data["router"]), int(data["room_port"]), data.get("room_pid"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LabError(f"{directory / 'state.json'}: unreadable ({exc}); remove the namespaces by hand "
                       "(`ip netns list`) and the folder") from None


def up(var_dir: Path, name: str, room_port: int = ROOM_PORT) -> LabUplinks:
    """Make the router, its ISPs, snmpd and the traffic, and the room's simulator; nothing half-made on failure."""
    if os.geteuid() != 0:
        raise LabError("the lab's uplinks are network namespaces: run it as root")
    if load(var_dir, name) is not None:
        raise LabError(f"the uplinks of {name!r} are up already: `ops lab uplinks down --name {name}` first")
    directory = folder(var_dir, name)
    directory.mkdir(parents=True, exist_ok=True)
    lab = LabUplinks(directory, Router(directory / "router"), room_port)
    lab.save()  # recorded before anything is made, so that down() finds it after a crash
    try:
        _write_secret(lab.community_file, COMMUNITY)
        _write_secret(lab.room_community_file, ROOM_COMMUNITY)
        lab.router.start()
        lab.save()
        lab.router.carrier_traffic()
        lab.save()
        lab.room_pid = _start_room(lab)
        lab.save()
    except BaseException:
        down(var_dir, name)
        raise
    return lab


def _write_secret(path: Path, value: str) -> None:
    temp = path.with_suffix(".tmp")
    temp.write_text(value + "\n")
    os.chmod(temp, 0o600)
    os.replace(temp, path)


def room_lines(temperature: int, humidity: int = ROOM_HUMIDITY) -> list[str]:
    """The APC monitor's walk (snmprec: OID|type|value; 2 INTEGER, 4 OCTET STRING, 67 TimeTicks), sorted."""
    return ["1.3.6.1.2.1.1.1.0|4|APC Environmental Monitoring Unit (Ops Console lab)",
            "1.3.6.1.2.1.1.3.0|67|123456", "1.3.6.1.2.1.1.5.0|4|room-main",
            f"{APC_PROBE}.1.1|2|1", f"{APC_PROBE}.2.1|4|Server room (lab)", f"{APC_PROBE}.3.1|2|2",
            f"{APC_PROBE}.4.1|2|{temperature}", f"{APC_PROBE}.5.1|2|1", f"{APC_PROBE}.6.1|2|{humidity}"]


def _write_room(path: Path, temperature: int, humidity: int = ROOM_HUMIDITY) -> None:
    previous = path.stat().st_mtime if path.exists() else 0
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text("\n".join(room_lines(temperature, humidity)) + "\n")
    stamp = max(time.time(), previous + 2)  # snmpsim re-indexes a file whose modification time moved
    os.utime(temp, (stamp, stamp))
    os.replace(temp, path)


def _start_room(lab: LabUplinks) -> int:
    if not RESPONDER.is_file():
        raise LabError(f"{RESPONDER}: not installed (PyPI snmpsim, a dependency of the console: make demo-setup)")
    sim = lab.directory / "snmpsim"
    for sub in ("data", "cache", "variation"):
        (sim / sub).mkdir(parents=True, exist_ok=True)
    _write_room(lab.room_data, ROOM_TEMPERATURE)
    # snmpsim refuses to run as root unless told (SNMPSIM_ALLOW_ROOT); it serves only this folder's file
    pid = spawn([str(RESPONDER), f"--data-dir={sim / 'data'}", f"--cache-dir={sim / 'cache'}",
                 f"--agent-udpv4-endpoint=127.0.0.1:{lab.room_port}", "--logging-method=stderr", "--log-level=error",
                 f"--variation-modules-dir={sim / 'variation'}"], sim / "snmpsim.log",
                {**os.environ, "SNMPSIM_ALLOW_ROOT": "true"})
    lab.room_pid = pid
    lab.save()
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if not _alive(pid):
            raise LabError(f"snmpsim exited: {(sim / 'snmpsim.log').read_text(errors='replace')[-500:]}")
        if room_reading(lab) is not None:
            return pid
        time.sleep(0.2)
    raise LabError(f"snmpsim on 127.0.0.1:{lab.room_port} did not answer within {START_SECONDS} s "
                   f"(port taken? see {sim / 'snmpsim.log'})")


def room_reading(lab: LabUplinks) -> str | None:
    """The room's iemStatusProbeCurrentTemp.1 as snmpsim serves it, or None."""
    probe = subprocess.run(["snmpget", "-v2c", "-c", ROOM_COMMUNITY, "-t", "0.5", "-r", "0", "-Oqv",
                            f"127.0.0.1:{lab.room_port}", f"{APC_PROBE}.4.1"], capture_output=True, text=True,
                           timeout=10)
    return probe.stdout.strip() if probe.returncode == 0 else None


def _required(var_dir: Path, name: str) -> LabUplinks:
    lab = load(var_dir, name)
    if lab is None:
        raise LabError(f"the uplinks of {name!r} are not up: `ops lab uplinks up --name {name}` first")
    return lab


def line(var_dir: Path, name: str, number: int, up: bool) -> LabUplinks:
    """Uplink `number`'s line cut (`ip link set eth0 down` at the ISP's end: the router's wanN loses its
    carrier) or restored."""
    if number not in (1, 2):
        raise LabError(f"uplink {number}: the lab has uplinks 1 and 2")
    lab = _required(var_dir, name)
    lab.router.isp_link(number, up)
    return lab


def room_temperature(var_dir: Path, name: str, celsius: int) -> LabUplinks:
    if not -40 <= celsius <= 80:
        raise LabError(f"temperature {celsius}: give degrees Celsius between -40 and 80")
    lab = _required(var_dir, name)
    _write_room(lab.room_data, celsius)
    return lab


def status(var_dir: Path, name: str) -> dict | None:
    lab = load(var_dir, name)
    if lab is None:
        return None
    present = lab.router.exists()
    return {"router": lab.router.router if present else None, "address": lab.router.address,
            "snmpd": _alive(lab.router.pids.get("snmpd")), "traffic": _alive(lab.router.pids.get("traffic")),
            "lines": {number: present and lab.router.line_up(number) for number in (1, 2)},
            "room": _alive(lab.room_pid), "room_port": lab.room_port,
            "room_temperature": room_reading(lab) if _alive(lab.room_pid) else None}


def down(var_dir: Path, name: str) -> list[str]:
    """Every process stopped, the namespaces and the link removed, the folder too; returns what went."""
    lab = load(var_dir, name)
    if lab is None:
        return []
    removed = []
    if _alive(lab.room_pid):
        terminate(lab.room_pid)
        removed.append(f"snmpsim (pid {lab.room_pid})")
    removed += lab.router.stop()
    shutil.rmtree(lab.directory, ignore_errors=True)
    removed.append(str(lab.directory))
    return removed


def devices_toml(lab: LabUplinks) -> str:
    """The [[devices]] tables that read the lab's uplinks and room, as TOML text."""
    router, community = lab.router, json.dumps(f"file:{lab.community_file}")
    tables = []
    for number, isp in ((1, "isp1"), (2, "isp2")):
        tables.append(f"""[[devices]]
name = "uplink-{isp}"
kind = "uplink"
connector = "snmp"
address = "{router.address}"
community = {community}
interface = "wan{number}"
group = "internet"
gateway = "{router.gateway(number)}"
ping_count = 3
interval_seconds = {POLL_SECONDS}
timeout_seconds = 10
""")
    tables.append(f"""[[devices]]
name = "room-main"
kind = "room"
connector = "snmp"
address = "127.0.0.1"
port = {lab.room_port}
community = {json.dumps(f"file:{lab.room_community_file}")}
temperature = {{source = "apc_probe", index = 1}}
humidity = {{source = "apc_probe", index = 1}}
temperature_min = 15
temperature_max = 27
interval_seconds = {POLL_SECONDS}
""")
    return (f"\n# --- the lab's uplinks and server room (`ops lab uplinks up`): router {router.router} ---\n"
            + "\n".join(tables))
