"""ClamAV: clamd over its local socket, freshclam's log, clamonacc for real-time protection.

clamd answers the null-terminated commands of clamd(8): `zPING` -> PONG,
`zVERSION` -> "ClamAV <engine>/<daily version>/<daily build date>" (only
"ClamAV <engine>" when no daily database is loaded). On Linux ClamAV's
real-time (on-access) protection is the separate clamonacc process, so
real-time protection is reported on only when clamonacc runs.
"""

from __future__ import annotations

import re
import socket
from datetime import datetime
from pathlib import Path

from probes.collectors import CollectorFailed

MAX_ANSWER = 64 * 1024
FRESHCLAM_OK = re.compile(r"^(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}) -> .*(?:is up[- ]to[- ]date|updated)", re.I)


class ClamavProvider:
    name = "clamav"

    def __init__(self, socket_path: Path = Path("/run/clamav/clamd.ctl"),
                 clamd_binary: Path = Path("/usr/sbin/clamd"),
                 freshclam_log: Path = Path("/var/log/clamav/freshclam.log"),
                 proc: Path = Path("/proc"), timeout: float = 5.0):
        self.socket_path, self.clamd_binary = Path(socket_path), Path(clamd_binary)
        self.freshclam_log, self.proc, self.timeout = Path(freshclam_log), Path(proc), timeout

    def status(self) -> dict:
        found = {"provider": "clamav", "product": "ClamAV", "installed": self.clamd_binary.exists(),
                 "running": False, "realtime_protection": _process_running(self.proc, "clamonacc"),
                 "freshclam_last_update": self._freshclam_last_update()}
        try:
            if self.command("PING") != "PONG":
                return found
        except OSError:
            return found
        found["running"] = True
        found.update(parse_version(self.command("VERSION")))
        return found

    def command(self, name: str) -> str:
        """One clamd command on its own connection; the answer without its terminator."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.timeout)
            sock.connect(str(self.socket_path))
            sock.sendall(f"z{name}\0".encode())
            answer = b""
            while not answer.endswith(b"\0"):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
                if len(answer) > MAX_ANSWER:
                    raise CollectorFailed("clamd: answer too large")
        return answer.rstrip(b"\0").decode("utf-8", "replace")

    def scan(self, path: Path) -> str:
        return self.command(f"SCAN {path}")

    def _freshclam_last_update(self) -> str | None:
        try:
            lines = self.freshclam_log.read_text(encoding="utf-8", errors="replace").splitlines()[-2000:]
        except OSError:
            return None
        for line in reversed(lines):
            found = FRESHCLAM_OK.match(line)
            if found:
                return datetime.strptime(found.group(1), "%a %b %d %H:%M:%S %Y").astimezone().isoformat()
        return None


def parse_version(answer: str) -> dict:
    """'ClamAV 1.0.7/27450/Wed Nov 20 09:30:00 2024' -> engine, signature version and date.

    clamd prints the daily database's build time in the host's local time
    without a zone; it is read as local time.
    """
    found = re.fullmatch(r"ClamAV ([\w.\-]+)(?:/(\d+)/(.+))?", answer.strip())
    if not found:
        raise CollectorFailed(f"clamd VERSION: unexpected answer {answer[:80]!r}")
    signature_date = None
    if found.group(3):
        try:
            signature_date = datetime.strptime(found.group(3).strip(), "%a %b %d %H:%M:%S %Y").astimezone().isoformat()
        except ValueError:
            raise CollectorFailed(f"clamd VERSION: unreadable database date {found.group(3)[:40]!r}") from None
    return {"engine_version": found.group(1), "signature_version": found.group(2), "signature_date": signature_date}


def _process_running(proc: Path, name: str) -> bool:
    try:
        entries = [p for p in proc.iterdir() if p.name.isdigit()]
    except OSError:
        return False
    for entry in entries:
        try:
            if (entry / "comm").read_text().strip() == name:
                return True
        except OSError:
            continue
    return False
