"""UPS status from NUT's upsd over its TCP protocol (no NUT library needed).

Speaks the network protocol NUT documents (`LIST VAR <ups>` answered by
`BEGIN LIST VAR`, `VAR <ups> <name> "<value>"` lines and `END LIST VAR`;
`ERR <code>` on failure). upsd is treated as hostile: lines and answers are
bounded, quoted values are unescaped by the documented rules only.
"""

from __future__ import annotations

import socket

from probes.collectors import CollectorFailed

MAX_LINE = 4096
MAX_VARS = 2000


class NutClient:
    def __init__(self, host: str, port: int = 3493, timeout: float = 5.0):
        self.host, self.port, self.timeout = host, port, timeout

    def list_vars(self, ups: str) -> dict[str, str]:
        with socket.create_connection((self.host, self.port), timeout=self.timeout) as sock:
            reader = sock.makefile("rb")
            try:
                sock.sendall(f"LIST VAR {ups}\n".encode())
                found = self._read_list(reader, ups)
                sock.sendall(b"LOGOUT\n")
            finally:
                reader.close()
        return found

    def _read_list(self, reader, ups: str) -> dict[str, str]:
        first = _line(reader)
        if first.startswith("ERR "):
            raise CollectorFailed(f"upsd {self.host}:{self.port} refused {ups}: {first[4:]}")
        if first != f"BEGIN LIST VAR {ups}":
            raise CollectorFailed(f"upsd {self.host}:{self.port}: unexpected answer {first[:80]!r}")
        found: dict[str, str] = {}
        while len(found) <= MAX_VARS:
            line = _line(reader)
            if line == f"END LIST VAR {ups}":
                return found
            name, value = _parse_var(line, ups)
            found[name] = value
        raise CollectorFailed(f"upsd {self.host}:{self.port}: more than {MAX_VARS} variables")


def _line(reader) -> str:
    raw = reader.readline(MAX_LINE + 1)
    if not raw:
        raise CollectorFailed("upsd closed the connection")
    if len(raw) > MAX_LINE or not raw.endswith(b"\n"):
        raise CollectorFailed("upsd sent a line that is too long or unterminated")
    return raw.decode("utf-8", "replace").rstrip("\r\n")


def _parse_var(line: str, ups: str) -> tuple[str, str]:
    prefix = f"VAR {ups} "
    if not line.startswith(prefix):
        raise CollectorFailed(f"upsd: unexpected line {line[:80]!r}")
    name, _, quoted = line[len(prefix):].partition(" ")
    if not name or len(quoted) < 2 or quoted[0] != '"' or quoted[-1] != '"':
        raise CollectorFailed(f"upsd: malformed variable line {line[:80]!r}")
    return name, _unescape(quoted[1:-1])


def _unescape(text: str) -> str:
    out, escaped = [], False
    for char in text:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(char)
    return "".join(out)


def parse_target(target: str) -> tuple[str, str, int]:
    """'ups1@198.18.1.5:3493' -> ('ups1', '198.18.1.5', 3493)."""
    ups, _, where = target.partition("@")
    host, _, port = (where or "127.0.0.1").rpartition(":") if ":" in where else (where or "127.0.0.1", "", "")
    if not ups or not host or (port and not port.isdigit()):
        raise CollectorFailed(f"UPS target {target!r}: use upsname@host[:port]")
    return ups, host, int(port) if port else 3493


def _number(variables: dict, name: str) -> float | None:
    try:
        return float(variables[name])
    except (KeyError, ValueError):
        return None


class UpsCollector:
    name = "ups"

    def __init__(self, targets: list[str], timeout: float = 5.0):
        self.targets, self.timeout = targets, timeout

    def collect(self) -> list[dict]:
        return [self._one(target) for target in self.targets]

    def _one(self, target: str) -> dict:
        try:
            ups, host, port = parse_target(target)
            variables = NutClient(host, port, self.timeout).list_vars(ups)
        except (OSError, CollectorFailed) as exc:
            return {"name": target, "reachable": False, "error": str(exc)[:300]}
        return {
            "name": target, "reachable": True,
            "status_flags": variables.get("ups.status", "").split(),
            "battery_charge_percent": _number(variables, "battery.charge"),
            "battery_runtime_seconds": _number(variables, "battery.runtime"),
            "load_percent": _number(variables, "ups.load"),
            "input_voltage": _number(variables, "input.voltage"),
            "test_result": variables.get("ups.test.result"),
            "variables": variables,
        }
