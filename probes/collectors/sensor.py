"""IDS sensor status: is Suricata up, how many rules it loaded, what it saw and dropped.

Asks Suricata itself over its unix command socket (the protocol suricatasc
speaks: a JSON version handshake, then one JSON command per request, each
answered by {"return": "OK"|"NOK", "message": ...}). Where the socket is
not enabled, packets and drops come from the last `stats` event in eve.json.
The ruleset version is the one the rule manager wrote beside the rules.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import psutil

from probes.collectors import CollectorFailed

MAX_ANSWER = 4 * 1024 * 1024
EVE_TAIL_BYTES = 1024 * 1024


class SuricataSocket:
    """One connection to Suricata's command socket."""

    def __init__(self, path: Path, timeout: float = 5.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.buffer = b""
        try:
            self.sock.connect(str(path))
            self._exchange({"version": "0.2"}, terminator=b"")
        except BaseException:
            self.sock.close()
            raise

    def command(self, name: str, **arguments):
        message = {"command": name, **({"arguments": arguments} if arguments else {})}
        answer = self._exchange(message)
        if answer.get("return") != "OK":
            raise CollectorFailed(f"suricata {name}: {str(answer.get('message'))[:200]}")
        return answer.get("message")

    def _exchange(self, message: dict, terminator: bytes = b"\n") -> dict:
        # Suricata reads one command per line (suricatasc ends each with a newline).
        self.sock.sendall(json.dumps(message).encode() + terminator)
        self.buffer = b""
        while True:
            chunk = self.sock.recv(65536)
            if not chunk or len(self.buffer) + len(chunk) > MAX_ANSWER:
                raise CollectorFailed("suricata socket: answer ended early or too large")
            self.buffer += chunk
            try:
                answer = json.loads(self.buffer)
            except ValueError:
                continue  # the answer is not complete yet
            if not isinstance(answer, dict):
                raise CollectorFailed("suricata socket: answer is not a JSON object")
            return answer

    def close(self) -> None:
        self.sock.close()


class SensorCollector:
    name = "sensor"

    def __init__(self, socket_path: Path, eve_path: Path, ruleset_version_file: Path | None = None,
                 proc_names: tuple[str, ...] = ("Suricata-Main", "suricata")):
        self.socket_path, self.eve_path = Path(socket_path), Path(eve_path)
        self.ruleset_version_file = ruleset_version_file
        self.proc_names = proc_names

    def collect(self) -> dict:
        process = self._process()
        status = {"engine": "suricata", "running": process is not None,
                  "uptime_seconds": None, "rules_loaded": None, "rules_failed": None,
                  "ruleset_version": self._ruleset_version(), "packets": None, "drops": None}
        if process is None:
            return status
        status["pid"] = process.pid
        if self.socket_path.exists():
            status.update(self._from_socket())
        else:
            status.update(self._from_eve_stats())
        return status

    def _process(self):
        for process in psutil.process_iter(["name", "cmdline"]):
            name = process.info["name"] or ""
            command = (process.info["cmdline"] or [""])[0]
            if name in self.proc_names or os.path.basename(command) in self.proc_names:
                return process
        return None

    def _from_socket(self) -> dict:
        conn = SuricataSocket(self.socket_path)
        try:
            found = {"uptime_seconds": _number(conn.command("uptime")), "source": "unix-socket",
                     "version": str(conn.command("version"))[:64]}
            found.update(_ruleset_stats(conn.command("ruleset-stats")))
            found.update(_interface_counts(conn))
            found.update(_blocking(conn, found.get("interfaces") or []))
        finally:
            conn.close()
        return found

    def _from_eve_stats(self) -> dict:
        stats = last_stats_event(self.eve_path)
        if stats is None:
            return {"source": "none"}
        capture = stats.get("capture") or {}
        decoder = stats.get("decoder") or {}
        return {"source": "eve-stats", "uptime_seconds": _number(stats.get("uptime")),
                "packets": _number(capture.get("kernel_packets", decoder.get("pkts"))),
                "drops": _number(capture.get("kernel_drops"))}

    def _ruleset_version(self) -> str | None:
        if self.ruleset_version_file is None:
            return None
        try:
            return self.ruleset_version_file.read_text(encoding="utf-8").strip()[:64] or None
        except OSError:
            return None


def _ruleset_stats(message) -> dict:
    entries = message if isinstance(message, list) else []
    loaded = sum(_number(e.get("rules_loaded")) or 0 for e in entries if isinstance(e, dict))
    failed = sum(_number(e.get("rules_failed")) or 0 for e in entries if isinstance(e, dict))
    return {"rules_loaded": int(loaded), "rules_failed": int(failed)}


def _blocking(conn: SuricataSocket, interfaces: list[str]) -> dict:
    """How Suricata captures (`capture-mode`) and whether it can drop what a rule drops (`blocking`).

    NFQUEUE is inline by design. af-packet blocks only where each capture interface runs `copy-mode: ips`,
    read as Suricata itself reads it: the interface's own entry of the af-packet list, else the `default`
    entry (`conf-get af-packet.N.copy-mode`). Any other capture (a pcap device, a file) only watches.
    `blocking` is None where the socket cannot tell (no capture-mode, or no list of capture interfaces).
    """
    try:
        mode = str(conn.command("capture-mode"))[:32]
    except CollectorFailed:
        return {"capture_mode": None, "blocking": None}
    if mode == "NFQ":
        return {"capture_mode": mode, "blocking": True}
    if mode != "AF_PACKET_DEV":
        return {"capture_mode": mode, "blocking": False}
    if not interfaces:  # iface-list did not answer: which interfaces' copy-mode counts is not known
        return {"capture_mode": mode, "blocking": None}
    entries: dict[str, int] = {}
    for index in range(64):
        try:
            entries.setdefault(str(conn.command("conf-get", variable=f"af-packet.{index}.interface")), index)
        except CollectorFailed:  # "Variable not found": the end of the list
            break

    def copy_mode(name: str):
        for entry in (entries.get(name), entries.get("default")):
            if entry is None:
                continue
            try:
                return conn.command("conf-get", variable=f"af-packet.{entry}.copy-mode")
            except CollectorFailed:
                continue  # not set in this entry: Suricata falls back to the default entry
        return None

    return {"capture_mode": mode, "blocking": all(copy_mode(name) == "ips" for name in interfaces)}


def _interface_counts(conn: SuricataSocket) -> dict:
    """Packets and drops summed over capture interfaces (none in offline/pcap mode)."""
    try:
        listing = conn.command("iface-list")
    except CollectorFailed:
        return {}
    names = listing.get("ifaces", []) if isinstance(listing, dict) else []
    packets = drops = 0
    for name in names[:64]:
        stat = conn.command("iface-stat", iface=str(name))
        if isinstance(stat, dict):
            packets += int(_number(stat.get("pkts")) or 0)
            drops += int(_number(stat.get("drop")) or 0)
    return {"packets": packets, "drops": drops, "interfaces": [str(n)[:32] for n in names[:64]]}


def last_stats_event(eve_path: Path) -> dict | None:
    """The newest `stats` event in the last megabyte of eve.json, if any."""
    try:
        with eve_path.open("rb") as handle:
            handle.seek(max(0, eve_path.stat().st_size - EVE_TAIL_BYTES))
            lines = handle.read().splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        if b'"event_type":"stats"' not in line.replace(b" ", b""):
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and isinstance(event.get("stats"), dict):
            return event["stats"]
    return None


def _number(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
