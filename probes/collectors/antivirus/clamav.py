"""ClamAV: clamd over its local socket, freshclam's log, clamonacc, clamscan's log.

clamd is asked with the null-terminated commands of clamd(8), one command
per connection: `zPING` -> "PONG", `zVERSION` -> "ClamAV <engine>/<daily
version>/<daily build time>", or only "ClamAV <engine>" when no daily
database is loaded (a locally built database). The build time is ctime()
output in the host's local time without a zone, so it is read as local
time. On Linux ClamAV's real-time (on-access) protection is the separate
clamonacc process, so real-time protection is on exactly when a process
named clamonacc runs (with services_scope "netns": one in the agent's own
network namespace, as for the health services). Logs are read from their
last 256 KiB only.
"""

from __future__ import annotations

import re
import socket
import time
from datetime import datetime
from pathlib import Path

from probes.collectors import CollectorFailed, iso
from probes.collectors.health import same_network_namespace

MAX_ANSWER = 64 * 1024
LOG_TAIL_BYTES = 256 * 1024
CTIME = "%a %b %d %H:%M:%S %Y"
VERSION = re.compile(r"ClamAV ([\w.\-+~]+)(?:/(\d+)/(.+))?")
# freshclam with LogTime: "Wed Nov 20 09:30:01 2024 -> daily.cld updated (version: 27451, ...)";
# without LogTime the line has no time and the run's "ClamAV update process started at <ctime>" dates it.
FRESHCLAM_RUN = re.compile(r"ClamAV update process started at (.+)$")
FRESHCLAM_DAILY_OK = re.compile(r"daily\.c[vl]d (?:database is up-to-date|is up-to-date|updated) \(")
LOG_TIME = re.compile(r"^(\w{3} \w{3} +\d{1,2} \d\d:\d\d:\d\d \d{4}) -> ")
SCAN_END = re.compile(r"^End Date:\s+(\d{4}:\d\d:\d\d \d\d:\d\d:\d\d)\s*$")
SCAN_INFECTED = re.compile(r"^Infected files:\s+(\d+)\s*$")


class ClamavProvider:
    """ClamAV on this host; every path is a parameter so tests point it at a clamd they start."""

    name = "clamav"

    def __init__(self, socket_path: Path | str = "/run/clamav/clamd.ctl",
                 freshclam_log: Path | str = "/var/log/clamav/freshclam.log",
                 clamd_binary: Path | str = "/usr/sbin/clamd", scan_log: Path | str | None = None,
                 timeout: float = 5, proc: Path | str = "/proc", services_scope: str = "all") -> None:
        if services_scope not in ("all", "netns"):
            raise ValueError(f"services_scope must be all or netns (got {services_scope!r})")
        self.services_scope = services_scope
        self.socket_path, self.freshclam_log = Path(socket_path), Path(freshclam_log)
        self.clamd_binary, self.proc, self.timeout = Path(clamd_binary), Path(proc), timeout
        self.scan_log = Path(scan_log) if scan_log else None

    def installed(self) -> bool:
        return self.clamd_binary.exists()

    def status(self) -> dict:
        """Everything known about ClamAV; clamd not answering is `running: False`, not an error."""
        found = {"provider": "clamav", "product": "ClamAV", "installed": self.installed(),
                 "running": self.ping(),
                 "realtime_protection": process_running(self.proc, "clamonacc", self.services_scope == "netns"),
                 "engine_version": None, "signature_version": None, "signature_date": None,
                 "freshclam_last_update": iso(freshclam_last_update(tail_lines(self.freshclam_log)))}
        found.update(last_scan(tail_lines(self.scan_log)))
        if found["running"]:
            found.update(parse_version(self.command("VERSION")))
        return found

    def ping(self) -> bool:
        """True when clamd answers PONG, False when nothing answers; anything else is an error."""
        try:
            answer = self.command("PING")
        except PermissionError as exc:  # clamd may well run; this agent may not ask it
            raise CollectorFailed(f"clamd socket {self.socket_path}: {exc.strerror}") from None
        except OSError:
            return False
        if answer != "PONG":
            raise CollectorFailed(f"clamd PING: unexpected answer {answer[:80]!r}")
        return True

    def scan(self, path: Path | str) -> str:
        """clamd's raw answer to SCAN, e.g. "/x/eicar.com: Eicar-Signature FOUND"."""
        if "\0" in str(path) or "\n" in str(path):
            raise ValueError("path must not contain NUL or newline")
        return self.command(f"SCAN {path}")

    def command(self, name: str) -> str:
        """One command on its own connection; the answer without its NUL terminator."""
        deadline = time.monotonic() + self.timeout
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.timeout)
            sock.connect(str(self.socket_path))
            sock.sendall(f"z{name}\0".encode())
            answer = _read_answer(sock, deadline)
        return answer.decode("utf-8", "replace").strip()


def _read_answer(sock: socket.socket, deadline: float) -> bytes:
    answer = b""
    while not answer.endswith(b"\0"):
        if time.monotonic() > deadline:
            raise TimeoutError("clamd: answer not complete in time")
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
        if len(answer) > MAX_ANSWER:
            raise CollectorFailed(f"clamd: answer longer than {MAX_ANSWER} bytes")
    return answer.rstrip(b"\0")


def parse_version(answer: str) -> dict:
    """'ClamAV 1.0.7/27450/Wed Nov 20 09:30:00 2024' -> engine, daily version and its date (local time)."""
    found = VERSION.fullmatch(answer.strip())
    if not found:
        raise CollectorFailed(f"clamd VERSION: unexpected answer {answer[:80]!r}")
    engine, daily, built = found.groups()
    return {"engine_version": engine, "signature_version": daily,
            "signature_date": iso(_ctime(built, "clamd VERSION database date")) if built else None}


def freshclam_last_update(lines: list[str]) -> datetime | None:
    """When freshclam last found daily up to date or updated it; None if the log says neither."""
    last, run_started = None, None
    for line in lines:
        stamped = LOG_TIME.match(line)
        run = FRESHCLAM_RUN.search(line)
        if run:
            run_started = _ctime(run.group(1), None)
        if FRESHCLAM_DAILY_OK.search(line):
            last = _ctime(stamped.group(1), None) if stamped else run_started
    return last


def last_scan(lines: list[str]) -> dict:
    """The end and infected count of the last clamscan --log summary ("End Date: 2024:11:20 09:31:12")."""
    found = {"last_scan_at": None, "last_scan_infected": None}
    for line in lines:
        infected, end = SCAN_INFECTED.match(line), SCAN_END.match(line)
        if infected:
            found["last_scan_infected"] = int(infected.group(1))
        if end:
            moment = datetime.strptime(end.group(1), "%Y:%m:%d %H:%M:%S").astimezone()
            found["last_scan_at"] = moment.isoformat()
    return found


def tail_lines(path: Path | None, max_bytes: int = LOG_TAIL_BYTES) -> list[str]:
    """The complete lines in a log's last max_bytes; no lines when it cannot be read."""
    if path is None:
        return []
    try:
        with open(path, "rb") as log:
            size = log.seek(0, 2)
            log.seek(max(0, size - max_bytes))
            data = log.read(max_bytes)
    except OSError:
        return []
    lines = data.decode("utf-8", "replace").splitlines()
    return lines[1:] if size > max_bytes else lines


def process_running(proc: Path, name: str, netns_only: bool = False) -> bool:
    """Whether a process whose /proc/<pid>/comm is `name` exists (in this network namespace, if netns_only)."""
    try:
        entries = [entry for entry in proc.iterdir() if entry.name.isdigit()]
    except OSError:
        return False
    for entry in entries:
        try:
            if (entry / "comm").read_text(errors="replace").strip() == name and (
                    not netns_only or same_network_namespace(int(entry.name), proc)):
                return True
        except OSError:
            continue
    return False


def _ctime(text: str, what: str | None) -> datetime | None:
    """A ctime() string in local time as an aware datetime; unreadable is an error only when named."""
    try:
        return datetime.strptime(" ".join(text.split()), CTIME).astimezone()
    except ValueError:
        if what is None:
            return None
        raise CollectorFailed(f"{what}: unreadable {text[:40]!r}") from None
