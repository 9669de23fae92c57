"""An inline path for the lab: client -- sensor -- server, each a network namespace, Suricata in the middle.

    client (netns <p>c)          sensor (netns <p>s, no address)          server (netns <p>v)
      eth0 198.18.252.1/30 <-veth-> wan   [Suricata af-packet IPS]   lan <-veth-> eth0 198.18.252.2/30

The sensor is a bump in the wire: Suricata's af-packet `copy-mode: ips` copies every frame it accepts from
`wan` to `lan` and back; a frame a `drop` rule matches is not copied. Nothing else joins the two veth
pairs, so with Suricata stopped no frame crosses: af-packet IPS fails closed. (NFQUEUE behind an nftables
`queue` rule with `bypass`, or Suricata's `fail-open` on the queue, fails open instead.)

The addresses live only in the path's own namespaces, so several paths (tests on pytest-xdist workers, the
demo, the benchmark) use the same ones; names start with "i" + 7 hex digits. Offloads are off on every end,
as Suricata asks for af-packet (TSO/GSO/GRO would hand it frames larger than the wire's).
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from console.common.toml_lines import key_line
from console.lab.commands import run
from console.lab.errors import LabError
from console.lab.network import kill_namespace_processes
from rules.suricata_conf import offline_yaml

CLIENT_ADDRESS, SERVER_ADDRESS, PREFIX_LENGTH = "198.18.252.1", "198.18.252.2", 30
# `ops lab inline`: the web server is the department's (HOME_NET), the attacker outside it, so the department's
# rules from outside match: sid 9100001 of rules/local/department.rules asks for the land database's admin path.
LAB_HOME_NET = f"[{SERVER_ADDRESS}/32]"
ATTACK_PATH = "/landdb/admin"
OFFLOADS = ("rx", "tx", "sg", "tso", "gso", "gro")
START_SECONDS = 60
SURICATA = "/usr/bin/suricata"


@dataclass
class InlinePath:
    """The three namespaces and what runs in them; `down()` removes everything."""

    folder: Path
    prefix: str = field(default_factory=lambda: f"i{uuid.uuid4().hex[:7]}")
    suricata: subprocess.Popen | None = None
    server: subprocess.Popen | None = None
    home_net: str = "[198.18.252.0/30]"  # Suricata's HOME_NET: both ends, unless told (LAB_HOME_NET)

    @property
    def client(self) -> str:
        return f"{self.prefix}c"

    @property
    def sensor(self) -> str:
        return f"{self.prefix}s"

    @property
    def server_ns(self) -> str:
        return f"{self.prefix}v"

    @property
    def eve(self) -> Path:
        return self.folder / "log" / "eve.json"

    def up(self) -> "InlinePath":
        for namespace in (self.client, self.sensor, self.server_ns):
            run("ip", "netns", "add", namespace)
            run("ip", "-n", namespace, "link", "set", "lo", "up")
        for outside, inside, address in ((self.client, "wan", CLIENT_ADDRESS), (self.server_ns, "lan", SERVER_ADDRESS)):
            run("ip", "-n", outside, "link", "add", "eth0", "type", "veth", "peer", "name", inside,
                "netns", self.sensor)
            run("ip", "-n", outside, "addr", "add", f"{address}/{PREFIX_LENGTH}", "dev", "eth0")
            for namespace, link in ((outside, "eth0"), (self.sensor, inside)):
                self.exec(namespace, "ethtool", "-K", link, *[w for o in OFFLOADS for w in (o, "off")])
                run("ip", "-n", namespace, "link", "set", link, "up")
        return self

    def bridge(self, up: bool = True) -> None:
        """Join wan and lan with a plain Linux bridge in the sensor namespace (the path without Suricata), or undo it."""
        if up:
            self.exec(self.sensor, "ip", "link", "add", "br0", "type", "bridge")
            for link in ("wan", "lan"):
                self.exec(self.sensor, "ip", "link", "set", link, "master", "br0")
            self.exec(self.sensor, "ip", "link", "set", "br0", "up")
        else:
            self.exec(self.sensor, "ip", "link", "delete", "br0")

    def exec(self, namespace: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        return run("ip", "netns", "exec", namespace, *argv, check=check)

    def write_config(self, rules: str, mode: str = "ips") -> Path:
        """suricata.yaml for the sensor (`ips`: af-packet copy-mode ips between wan and lan; `ids`: tap only)."""
        (self.folder / "log").mkdir(parents=True, exist_ok=True)
        (self.folder / "suricata.rules").write_text(rules, encoding="utf-8")
        threshold = self.folder / "threshold.config"
        if not threshold.exists():
            threshold.write_text("", encoding="utf-8")
        document = yaml.safe_load(offline_yaml(self.home_net))
        document.update({
            "default-log-dir": str(self.folder / "log"),
            "default-rule-path": str(self.folder), "rule-files": ["suricata.rules"],
            "threshold-file": str(threshold),
            "af-packet": inline_af_packet(mode),
            "runmode": "workers",
            "unix-command": {"enabled": True, "filename": str(self.folder / "suricata.socket")},
            "logging": {"default-log-level": "notice", "outputs": [
                {"console": {"enabled": False}},
                {"file": {"enabled": True, "level": "info", "filename": str(self.folder / "log" / "suricata.log")}}]},
        })
        document["outputs"][0]["eve-log"]["filename"] = str(self.eve)
        path = self.folder / "suricata.yaml"
        path.write_text("%YAML 1.1\n---\n" + yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        return path

    def start_suricata(self, rules: str, mode: str = "ips", timeout: float = START_SECONDS) -> None:
        config = self.write_config(rules, mode)
        log = open(self.folder / "suricata.out", "wb")
        self.suricata = subprocess.Popen(
            ["ip", "netns", "exec", self.sensor, SURICATA, "-c", str(config), "--af-packet",
             "--pidfile", str(self.folder / "suricata.pid"), "-k", "none"],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        suricata_log = self.folder / "log" / "suricata.log"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.suricata.poll() is not None:
                raise LabError(f"suricata exited: {(self.folder / 'suricata.out').read_text()[-800:]}")
            if suricata_log.exists() and "engine started" in suricata_log.read_text(errors="replace").lower():
                return
            time.sleep(0.1)
        raise LabError(f"suricata did not start within {timeout:g} s")

    def stop_suricata(self) -> None:
        if self.suricata is not None and self.suricata.poll() is None:
            self.suricata.terminate()
            try:
                self.suricata.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.suricata.kill()
                self.suricata.wait()

    def start_http_server(self, port: int = 80) -> None:
        """Python's http.server in the server namespace, its access log in <folder>/http.log."""
        (self.folder / "www").mkdir(exist_ok=True)
        log = open(self.folder / "http.log", "wb")
        self.server = subprocess.Popen(
            ["ip", "netns", "exec", self.server_ns, sys.executable, "-u", "-m", "http.server", str(port),
             "--bind", SERVER_ADDRESS, "--directory", str(self.folder / "www")],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.exec(self.server_ns, "ss", "-Htln", f"sport = :{port}").stdout.strip():
                return
            time.sleep(0.1)
        raise LabError("the server namespace's http.server did not listen within 20 s")

    def request(self, path: str, timeout: float = 3, port: int = 80) -> subprocess.CompletedProcess:
        """curl from the client namespace; returncode 0 and the status code in stdout when it got an answer."""
        return self.exec(self.client, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                         "--max-time", str(timeout), f"http://{SERVER_ADDRESS}:{port}{path}", check=False)

    def server_saw(self, path: str) -> bool:
        log = self.folder / "http.log"
        return log.exists() and f"GET {path} " in log.read_text(errors="replace")

    def down(self) -> None:
        self.stop_suricata()
        for namespace in (self.client, self.sensor, self.server_ns):
            kill_namespace_processes(namespace)
            run("ip", "netns", "delete", namespace, check=False)
        for process in (self.server,):
            if process is not None:
                process.wait(timeout=10)


def inline_af_packet(mode: str, first: str = "wan", second: str = "lan") -> list[dict]:
    """The af-packet section: `ips` copies each interface's accepted frames to the other (fails closed)."""
    if mode == "ids":
        return [{"interface": first, "cluster-id": 98, "cluster-type": "cluster_flow", "defrag": True}]
    return [{"interface": name, "cluster-id": cluster, "cluster-type": "cluster_flow", "defrag": True,
             "copy-mode": "ips", "copy-iface": peer, "threads": 1}
            for name, peer, cluster in ((first, second, 98), (second, first, 97))]


def with_sensor(config_text: str, entry: dict[str, str], eve: Path) -> str:
    """A console configuration's text with `entry` added to [rules] sensors and `eve` as [alerts] eve_files of that
    sensor (`ops alerts follow` reads it), each key rewritten in place on its one line, comments kept.

    LabError when the configuration already follows another sensor's EVE files ([alerts] sensor_name names it)
    or writes one of these keys over several lines: add the sensor by hand then. Written again for the same
    sensor (the demo's next start), its entry and EVE are replaced.
    """
    import json
    import tomllib

    current = tomllib.loads(config_text)
    followed = current.get("alerts", {})
    if followed.get("eve_files") and followed.get("sensor_name") != entry["name"]:  # another sensor's
        raise LabError("the configuration already follows EVE files ([alerts] eve_files): add the inline sensor's "
                       f"EVE {eve} and its sensor by hand")
    sensors = [s for s in current.get("rules", {}).get("sensors", []) if s.get("name") != entry["name"]] + [entry]

    def inline(value) -> str:
        if isinstance(value, dict):
            return "{" + ", ".join(f"{key} = {inline(item)}" for key, item in value.items()) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(inline(item) for item in value) + "]"
        return json.dumps(value) if isinstance(value, str) else json.dumps(value).lower()

    wanted = {("rules", "sensors"): inline(sensors), ("alerts", "eve_files"): inline([str(eve)]),
              ("alerts", "sensor_name"): inline(entry["name"])}
    lines = config_text.splitlines()
    for (table, key), value in wanted.items():  # where each stands: console.common.toml_lines, the one finder
        text = "\n".join(lines)
        found, header = key_line(text, [table, key]), key_line(text, [table])
        if found is not None:
            try:
                tomllib.loads(lines[found - 1])
            except tomllib.TOMLDecodeError:
                raise LabError(f"[{table}] {key} spans several lines in the configuration: add the inline "
                               "sensor by hand") from None
            lines[found - 1] = f"{key} = {value}"
        elif header is not None:
            lines.insert(header, f"{key} = {value}")
        else:
            lines += ["", f"[{table}]", f"{key} = {value}"]
    return "\n".join(lines) + "\n"
